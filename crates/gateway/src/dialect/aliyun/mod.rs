//! The Alibaba Cloud RPC dialect (ARCHITECTURE.md §2, `shared/reference/alibaba-sdk-wire.md`).
//!
//! `GET|POST /`, parameters from the query string and an `x-www-form-urlencoded` body,
//! `Action`/`Version` from the parameters or the `x-acs-action`/`x-acs-version` headers,
//! JSON answers (XML with `Format=XML`).

pub mod envelope;
pub mod handler;
pub mod request;
pub mod xml;
pub mod xml_ser;

pub use handler::rpc_entry;
