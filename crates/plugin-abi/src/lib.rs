//! # ccgate plugin ABI
//!
//! The boundary between `ccgate` and a domain plugin built as a dynamic library (`cdylib`),
//! designed around the pitfalls of `../shared/design/ARCHITECTURE.md` §4:
//!
//! - **No Rust ABI crosses.** One exported symbol, [`ffi::ENTRY_SYMBOL`], returns a
//!   `#[repr(C)]` [`ffi::PluginEntry`] whose first fields, an ABI version and a build
//!   [`ffi::FINGERPRINT`], the host checks before anything else. Everything else travels as
//!   owned byte buffers ([`ffi::Buf`]) holding versioned postcard messages ([`wire`]); each
//!   side frees what it allocated. A reply's JSON text is lent by the plugin
//!   ([`ffi::LentText`]) and released by the host once written, not copied.
//! - **The host owns all I/O.** A plugin library links no async runtime, database driver or
//!   log subscriber. Its futures are [`ffi::FfiFuture`]s polled by the host's tokio; its
//!   storage is a sea-orm proxy connection (one per library) whose statements the host runs on
//!   its pool (and in a host-side transaction per request), in the session of the call being
//!   polled; its tracing events go to the host's subscriber, which
//!   adds the request's RequestId.
//! - **Host services cross it too** (ABI 4): a plugin's long-running tasks are futures the host
//!   polls until it raises their stop signal (`run_task`, `task_stopped`, the host's `sleep`),
//!   events reach subscribers through `on_event`, publishes wake the host's delivery
//!   (`events_published`), and `shutdown` ends the plugin (`docs/events.md`).
//! - **Panics stop at the boundary.** Every export runs under `catch_unwind`; a panicking
//!   handler answers `InternalError` and the library stays loaded. Libraries are never
//!   unloaded.
//!
//! A plugin crate exports itself with [`export_plugin!`] behind its `dynamic` feature, and is
//! built as a library in its own cargo invocation:
//! `cargo rustc -p ccgate-flows --lib --crate-type cdylib --features dynamic --release`.
#![deny(missing_docs)]
// The FFI boundary is inherently unsafe; every unsafe block carries a SAFETY comment.
#![allow(unsafe_code)]

pub mod ffi;
#[cfg(feature = "guest")]
pub mod guest;
pub mod wire;

pub use ccgate_plugin_sdk;

/// Exports a plugin from a `cdylib`: `export_plugin!(MyPlugin::new(), entities = [a::Entity, b::Entity]);`
///
/// The expression builds the plugin once, at load. `entities` lists the sea-orm entities the
/// plugin reads, so values read by the host are given the entity's exact Rust types (see
/// `guest::ColumnHints`). Needs the `guest` feature.
#[macro_export]
macro_rules! export_plugin {
    ($make:expr $(, entities = [$($entity:ty),* $(,)?])? $(,)?) => {
        /// The plugin's entry point for the ccgate host.
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub extern "C" fn ccgate_plugin_entry() -> *const $crate::ffi::PluginEntry {
            fn make() -> $crate::guest::Guest {
                #[allow(unused_mut)]
                let mut hints = $crate::guest::ColumnHints::default();
                $($(hints.add::<$entity>();)*)?
                $crate::guest::Guest::new(::std::boxed::Box::new($make), hints)
            }
            $crate::guest::entry(make)
        }
    };
}
