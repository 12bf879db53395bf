//! `h5ls -d`: dataset and attribute values in h5ls's format.
use h5kit::{Attribute, Dataset, File};

pub fn attribute(_out: &mut String, _file: &File, _a: &Attribute, _label: bool) {}

pub fn dataset(_out: &mut String, _file: &File, _d: &Dataset, _label: bool) {}
