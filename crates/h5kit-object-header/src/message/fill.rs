//! Fill value messages: "The Data Storage - Fill Value (Old) Message" (spec IV.A.2.e, type 4)
//! and "The Data Storage - Fill Value Message" (spec IV.A.2.f, type 5, versions 1-3).
//!
//! Meaning of [`FillValue`] fields, as libhdf5 interprets them:
//! - `defined == false`: the fill value is "undefined" (v1/v2 "Fill Value Defined" = 0;
//!   v3 flag bit 4).
//! - `defined == true`, `value == None`: the library default (all zero bytes).
//! - `defined == true`, `value == Some(bytes)`: a user-defined value.
//!
//! The old message (version 0 here) only holds a value; libhdf5 then reports allocation time
//! "late" and fill time "if set", which is what is returned.

use h5kit_core::{Error, Reader, Result, Sizes, Writer};

use super::types::{AllocTime, FillTime, FillValue};

fn alloc_time(v: u8, at: u64) -> Result<AllocTime> {
    match v {
        // 0 is "not used"; libhdf5 treats it as its default.
        0 | 2 => Ok(AllocTime::Late),
        1 => Ok(AllocTime::Early),
        3 => Ok(AllocTime::Incremental),
        _ => Err(Error::format(at, format!("unknown space allocation time {}", v))),
    }
}

fn fill_time(v: u8, at: u64) -> Result<FillTime> {
    match v {
        0 => Ok(FillTime::OnAlloc),
        1 => Ok(FillTime::Never),
        2 => Ok(FillTime::IfSet),
        _ => Err(Error::format(at, format!("unknown fill value write time {}", v))),
    }
}

fn value(r: &mut Reader) -> Result<Option<Vec<u8>>> {
    let size = r.u32()? as usize;
    if size == 0 {
        return Ok(None);
    }
    Ok(Some(r.bytes(size)?.to_vec()))
}

impl FillValue {
    /// Decodes the fill value message (type 5), versions 1-3.
    pub fn decode(r: &mut Reader) -> Result<FillValue> {
        let at = r.address();
        let version = r.u8()?;
        match version {
            1 | 2 => {
                let alloc = alloc_time(r.u8()?, at)?;
                let fill = fill_time(r.u8()?, at)?;
                let defined = r.u8()? != 0;
                let value = if version == 1 || defined { value(r)? } else { None };
                Ok(FillValue { version, alloc_time: alloc, fill_time: fill, defined, value })
            }
            3 => {
                let flags = r.u8()?;
                let alloc = alloc_time(flags & 0x03, at)?;
                let fill = fill_time((flags >> 2) & 0x03, at)?;
                let undefined = flags & 0x10 != 0;
                let have_value = flags & 0x20 != 0;
                if undefined && have_value {
                    return Err(Error::format(at, "fill value both undefined and defined"));
                }
                let value = if have_value { value(r)? } else { None };
                Ok(FillValue { version, alloc_time: alloc, fill_time: fill, defined: !undefined, value })
            }
            v => Err(Error::format(at, format!("unknown fill value message version {}", v))),
        }
    }

    /// Decodes the old fill value message (type 4): a size and the value.
    pub fn decode_old(r: &mut Reader) -> Result<FillValue> {
        let value = value(r)?;
        Ok(FillValue { version: 0, alloc_time: AllocTime::Late, fill_time: FillTime::IfSet, defined: true, value })
    }
}

fn alloc_code(a: AllocTime) -> u8 {
    match a {
        AllocTime::Early => 1,
        AllocTime::Late => 2,
        AllocTime::Incremental => 3,
    }
}

fn fill_code(f: FillTime) -> u8 {
    match f {
        FillTime::OnAlloc => 0,
        FillTime::Never => 1,
        FillTime::IfSet => 2,
    }
}

fn write_value(w: &mut Writer, value: &Option<Vec<u8>>) -> Result<()> {
    let v = value.as_deref().unwrap_or(&[]);
    let n = u32::try_from(v.len()).map_err(|_| Error::usage(format!("fill value of {} bytes", v.len())))?;
    w.u32(n);
    w.bytes(v);
    Ok(())
}

impl FillValue {
    /// Encodes the fill value message body (type 5) of `self.version` (1-3), or the old fill
    /// value message (type 4) for version 0, as libhdf5's `H5O__fill_new_encode` /
    /// `H5O__fill_encode` do.
    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        match self.version {
            0 => write_value(w, &self.value),
            1 | 2 => {
                w.u8(self.version);
                w.u8(alloc_code(self.alloc_time));
                w.u8(fill_code(self.fill_time));
                w.u8(u8::from(self.defined));
                if self.version == 1 || self.defined {
                    write_value(w, &self.value)?;
                } else if self.value.is_some() {
                    return Err(Error::usage("an undefined fill value with a value"));
                }
                Ok(())
            }
            3 => {
                if !self.defined && self.value.is_some() {
                    return Err(Error::usage("an undefined fill value with a value"));
                }
                let flags = alloc_code(self.alloc_time)
                    | (fill_code(self.fill_time) << 2)
                    | (u8::from(!self.defined) << 4)
                    | (u8::from(self.value.is_some()) << 5);
                w.u8(3);
                w.u8(flags);
                if self.value.is_some() {
                    write_value(w, &self.value)?;
                }
                Ok(())
            }
            v => Err(Error::usage(format!("unknown fill value message version {}", v))),
        }
    }

    /// Size of [`FillValue::encode`]'s output.
    pub fn encoded_size(&self, _sizes: Sizes) -> usize {
        let value = 4 + self.value.as_ref().map_or(0, Vec::len);
        match self.version {
            0 => value,
            1 => 4 + value,
            2 if self.defined => 4 + value,
            2 => 4,
            _ if self.value.is_some() => 2 + value,
            _ => 2,
        }
    }
}
