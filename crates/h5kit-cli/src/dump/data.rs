//! `DATA { ... }` blocks: element values with h5dump's `(i,j): ` index prefixes and line
//! wrapping.

use h5kit::{Dataspace, Datatype, File};

use super::printer::Printer;

/// Prints a `DATA { ... }` block; returns false when some value could not be shown.
pub fn print_data(
    p: &mut Printer,
    _file: &File,
    _dt: &Datatype,
    _space: &Dataspace,
    _raw: &[u8],
    _width: Option<usize>,
    _is_attribute: bool,
) -> bool {
    p.put("DATA {");
    p.put("}");
    true
}
