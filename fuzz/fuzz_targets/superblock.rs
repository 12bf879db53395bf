//! Superblock (spec II.A) at the signature search positions, its driver info block (II.B) and
//! a symbol table entry (III.C) decoded from the raw bytes.
#![no_main]
use h5kit_core::{MemStorage, Reader};
use h5kit_superblock::{read_driver_info, Superblock, SymbolTableEntry};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let storage = MemStorage::new(data.to_vec());
    if let Ok(sb) = Superblock::read(&storage) {
        let _ = sb.effective_base_address();
        let _ = sb.userblock_size();
        let limits = h5kit_fuzz::limits();
        let ctx = sb.context(&storage, &limits);
        if let Some(addr) = sb.driver_info_address {
            if let Ok(di) = read_driver_info(ctx, addr) {
                let _ = di.family_member_size();
            }
        }
    }
    let _ = Superblock::read_at(&storage, 0);
    if let Some((&sel, rest)) = data.split_first() {
        let mut r = Reader::new(rest, 0, h5kit_fuzz::sizes_from(sel));
        while SymbolTableEntry::decode(&mut r).is_ok() {}
    }
});
