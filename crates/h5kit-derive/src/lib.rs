//! `#[derive(H5Type)]`: a struct with named fields becomes an HDF5 compound (spec IV.A.2.d,
//! datatype class 6: one member per field, named as the field), a
//! C-like enum with an integer `#[repr]` an HDF5 enumeration (class 8: one member per variant,
//! named as the variant, with its discriminant). The type must be `Clone`; fields may be
//! numbers, fixed-size arrays, `FixedString<N>`, `String` (variable-length UTF-8),
//! `VarLen<T>` (variable-length sequences) and other derived types (nested compounds, enums).
//!
//! Writing packs the members in declaration order (each at the sum of the sizes before it),
//! as h5py stores a numpy structured dtype, whatever the struct's memory layout; reading
//! converts member by member by name (the file's member order, offsets and padding may differ).
//!
//! ```ignore
//! #[derive(Clone, h5kit::H5Type)]
//! struct Point { x: f64, y: f64, tag: [u8; 4], name: String, path: h5kit::VarLen<f64> }
//! #[derive(Clone, Copy, h5kit::H5Type)]
//! #[repr(u8)]
//! enum Level { Low = 0, High = 1 }
//! ```

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::{parse_macro_input, Data, DeriveInput, Fields};

/// Implements `h5kit::H5Type` (reading) and `h5kit::H5Write` (writing) for a struct with named
/// fields (an HDF5 compound) or a C-like enum with an integer `#[repr]` (an HDF5 enum).
#[proc_macro_derive(H5Type)]
pub fn derive_h5type(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    let out = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(f) => derive_struct(&input, f.named.iter().collect()),
            _ => Err(syn::Error::new_spanned(&input.ident, "H5Type: only structs with named fields (HDF5 compound members are named)")),
        },
        Data::Enum(e) => derive_enum(&input, e),
        Data::Union(_) => Err(syn::Error::new_spanned(&input.ident, "H5Type: unions have no HDF5 datatype")),
    };
    out.unwrap_or_else(|e| e.to_compile_error()).into()
}

fn derive_struct(input: &DeriveInput, fields: Vec<&syn::Field>) -> syn::Result<Tokens> {
    let ty = &input.ident;
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(&input.generics, "H5Type: generic structs are not supported"));
    }
    let name = ty.to_string();
    let idents: Vec<&syn::Ident> = fields.iter().filter_map(|f| f.ident.as_ref()).collect();
    let names: Vec<String> = idents.iter().map(|i| i.to_string().trim_start_matches("r#").to_string()).collect();
    let types: Vec<&syn::Type> = fields.iter().map(|f| &f.ty).collect();
    let index = 0..idents.len();
    Ok(quote! {
        impl ::h5kit::__derive::H5Type for #ty {
            const NAME: &'static str = #name;
            fn zero() -> Self {
                #ty { #( #idents: <#types as ::h5kit::__derive::H5Type>::zero(), )* }
            }
            fn decode(raw: &[u8], dt: &::h5kit::__derive::H5Datatype) -> ::h5kit::__derive::H5Result<::std::vec::Vec<Self>> {
                <Self as ::h5kit::__derive::H5Type>::decode_with(raw, dt, &::h5kit::__derive::H5Heap::none())
            }
            fn decode_with(
                raw: &[u8],
                dt: &::h5kit::__derive::H5Datatype,
                heap: &::h5kit::__derive::H5Heap<'_>,
            ) -> ::h5kit::__derive::H5Result<::std::vec::Vec<Self>> {
                let members = ::h5kit::__derive::members(dt, #name, &[ #( #names ),* ])?;
                ::h5kit::__derive::each_element(raw, dt, |e| {
                    Ok(#ty { #( #idents: ::h5kit::__derive::field::<#types>(e, &members, #index, heap)?, )* })
                })
            }
        }
        impl ::h5kit::__derive::H5Write for #ty {
            const NAME: &'static str = #name;
            fn datatype() -> ::h5kit::__derive::H5Datatype {
                let mut offset = 0u64;
                let mut members = ::std::vec::Vec::new();
                #(
                    let dt = <#types as ::h5kit::__derive::H5Write>::datatype();
                    let size = u64::from(dt.size);
                    members.push((#names, offset, dt));
                    offset += size;
                )*
                ::h5kit::__derive::dtype::compound(offset as u32, members)
            }
            fn put(&self, out: &mut ::std::vec::Vec<u8>) {
                #( ::h5kit::__derive::H5Write::put(&self.#idents, out); )*
            }
            fn put_vlen(&self, pieces: &mut ::std::vec::Vec<::std::vec::Vec<u8>>) {
                #( ::h5kit::__derive::H5Write::put_vlen(&self.#idents, pieces); )*
            }
        }
    })
}

fn derive_enum(input: &DeriveInput, e: &syn::DataEnum) -> syn::Result<Tokens> {
    let ty = &input.ident;
    let name = ty.to_string();
    let mut repr = None;
    for a in &input.attrs {
        if a.path().is_ident("repr") {
            a.parse_nested_meta(|m| {
                let ok = ["i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64"];
                if let Some(id) = m.path.get_ident() {
                    if ok.contains(&id.to_string().as_str()) {
                        repr = Some(id.clone());
                    }
                }
                Ok(())
            })?;
        }
    }
    let repr = repr.ok_or_else(|| syn::Error::new_spanned(ty, "H5Type: an enum needs an integer #[repr] (the HDF5 enum's base type), e.g. #[repr(u8)]"))?;
    let mut variants = Vec::new();
    for v in &e.variants {
        if !matches!(v.fields, Fields::Unit) {
            return Err(syn::Error::new_spanned(v, "H5Type: only C-like enums (variants without fields)"));
        }
        variants.push(&v.ident);
    }
    let first = variants.first().ok_or_else(|| syn::Error::new_spanned(ty, "H5Type: an enum needs variants"))?;
    let vnames: Vec<String> = variants.iter().map(|v| v.to_string()).collect();
    Ok(quote! {
        impl ::h5kit::__derive::H5Type for #ty {
            const NAME: &'static str = #name;
            fn zero() -> Self {
                #ty::#first
            }
            fn decode(raw: &[u8], dt: &::h5kit::__derive::H5Datatype) -> ::h5kit::__derive::H5Result<::std::vec::Vec<Self>> {
                ::h5kit::__derive::enum_names(raw, dt, #name)?
                    .into_iter()
                    .map(|n| match n {
                        #( #vnames => Ok(#ty::#variants), )*
                        other => Err(::h5kit::__derive::unknown_variant(other, #name)),
                    })
                    .collect()
            }
        }
        impl ::h5kit::__derive::H5Write for #ty {
            const NAME: &'static str = #name;
            fn datatype() -> ::h5kit::__derive::H5Datatype {
                ::h5kit::__derive::dtype::enumeration(
                    <#repr as ::h5kit::__derive::H5Write>::datatype(),
                    ::std::vec![ #( (#vnames, #ty::#variants as #repr as i64), )* ],
                )
            }
            fn put(&self, out: &mut ::std::vec::Vec<u8>) {
                ::h5kit::__derive::H5Write::put(&(::std::clone::Clone::clone(self) as #repr), out);
            }
        }
    })
}
