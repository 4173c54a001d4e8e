//! The C types of the boundary: buffers, the entry point, and the two function tables.
//!
//! Rules both sides follow:
//! - only `#[repr(C)]` types and `extern "C"` functions cross; Rust types travel serialized
//!   ([`crate::wire`]);
//! - a [`Buf`] is freed by the side that allocated it, through that side's `free` function;
//!   a [`Bytes`] is borrowed for the duration of one call and copied by the callee;
//! - no function of either table unwinds: every body runs under `catch_unwind`, and futures
//!   ([`FfiFuture`]) are wrapped so that a panic becomes an error value;
//! - a library is never unloaded: `&'static` data and function pointers of the plugin stay
//!   valid for the life of the process.

use std::ffi::c_void;
use std::marker::PhantomData;

pub use async_ffi::FfiFuture;

/// Version of this boundary: the layout of [`PluginEntry`], [`PluginVtable`], [`HostVtable`]
/// and the message format of [`crate::wire`]. A host loads only libraries of the same version.
/// (2: `handle` answers an [`Answer`] whose reply text is lent, not copied. 3: `init` with the
/// plugin's settings; requests name actions by index only; roles in specs and contexts. 4:
/// tasks, events and shutdown: `run_task`, `on_event`, `shutdown` in [`PluginVtable`];
/// `task_stopped`, `sleep`, `events_published` in [`HostVtable`]. 5: messages 5, the caller's
/// scope and the specs' `[access]`; the tables are unchanged.)
pub const ABI_VERSION: u32 = 5;

/// Build fingerprint of this boundary: crate version, [`ABI_VERSION`] and
/// [`crate::wire::MESSAGE_VERSION`]. Host and plugin must agree on it exactly. Plugins need not
/// be built by the same compiler as the host: only C types and serialized messages cross.
pub const FINGERPRINT: &str = concat!(
    "ccgate-plugin-abi ",
    env!("CARGO_PKG_VERSION"),
    "; abi 5; messages 5; postcard 1; async-ffi 0.5"
);

/// Name of the one symbol a plugin library exports:
/// `extern "C" fn ccgate_plugin_entry() -> *const PluginEntry`.
pub const ENTRY_SYMBOL: &[u8] = b"ccgate_plugin_entry\0";

/// A byte buffer owned by the side that allocated it (a `Vec<u8>` taken apart).
///
/// The receiver reads it, then hands it back to the allocating side's `free` function; it never
/// frees it with its own allocator.
#[repr(C)]
#[derive(Debug)]
pub struct Buf {
    /// Start of the bytes (dangling but non-null when empty).
    pub ptr: *mut u8,
    /// Number of bytes.
    pub len: usize,
    /// Allocated capacity, needed to rebuild the `Vec` that frees it.
    pub cap: usize,
}

// SAFETY: a Buf is an owned, immutable-after-creation allocation with no thread affinity;
// moving it between threads is like moving the `Vec<u8>` it came from.
unsafe impl Send for Buf {}

impl Buf {
    /// Takes ownership of `bytes`; free the result with [`Buf::free_own`] on this side.
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        let mut bytes = std::mem::ManuallyDrop::new(bytes);
        Self {
            ptr: bytes.as_mut_ptr(),
            len: bytes.len(),
            cap: bytes.capacity(),
        }
    }

    /// The bytes.
    ///
    /// # Safety
    /// `self` must come from [`Buf::from_vec`] on either side and not have been freed.
    pub unsafe fn as_slice(&self) -> &[u8] {
        // SAFETY: ptr/len describe a live allocation (caller contract).
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// Frees a buffer this side allocated.
    ///
    /// # Safety
    /// `self` must come from [`Buf::from_vec`] in this same binary (same allocator).
    pub unsafe fn free_own(self) {
        // SAFETY: rebuilding the Vec this Buf was taken from (caller contract).
        drop(unsafe { Vec::from_raw_parts(self.ptr, self.len, self.cap) });
    }
}

/// Bytes borrowed for the duration of one call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Bytes<'a> {
    /// Start of the bytes.
    pub ptr: *const u8,
    /// Number of bytes.
    pub len: usize,
    _life: PhantomData<&'a [u8]>,
}

impl<'a> Bytes<'a> {
    /// Borrows `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
            _life: PhantomData,
        }
    }

    /// The bytes.
    ///
    /// # Safety
    /// The caller that made this value must keep the bytes alive for the call.
    pub unsafe fn as_slice(&self) -> &'a [u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: caller contract.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// A `&'static str` of the plugin (valid forever: libraries are never unloaded).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct StaticStr {
    /// UTF-8 bytes.
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: usize,
}

// SAFETY: a StaticStr points to immutable static data.
unsafe impl Send for StaticStr {}
// SAFETY: as above.
unsafe impl Sync for StaticStr {}

impl StaticStr {
    /// Wraps a static string.
    pub const fn new(s: &'static str) -> Self {
        Self {
            ptr: s.as_ptr(),
            len: s.len(),
        }
    }

    /// The string, or `None` when it is not UTF-8.
    ///
    /// # Safety
    /// `self` must point into a loaded library (or this binary) that is never unloaded.
    pub unsafe fn to_str(&self) -> Option<&'static str> {
        // SAFETY: caller contract.
        let bytes = unsafe { std::slice::from_raw_parts(self.ptr, self.len) };
        std::str::from_utf8(bytes).ok()
    }
}

/// What the entry symbol points to. The first two fields are the same in every ABI version,
/// so a host can read them from any library and refuse a mismatch before touching the rest.
#[repr(C)]
pub struct PluginEntry {
    /// The plugin's [`ABI_VERSION`].
    pub abi_version: u32,
    /// Build fingerprint ([`crate::fingerprint`]): boundary crate, message and SDK versions.
    pub fingerprint: StaticStr,
    /// Initialises the plugin once: installs log forwarding and builds the plugin.
    pub init: unsafe extern "C" fn(host: *const HostVtable) -> InitOut,
}

// SAFETY: a PluginEntry is immutable static data (a number, a static string, a function
// pointer); sharing it between threads is sound.
unsafe impl Sync for PluginEntry {}

/// The result of [`PluginEntry::init`].
#[repr(C)]
pub struct InitOut {
    /// The plugin's function table, or null when initialisation failed.
    pub vtable: *const PluginVtable,
    /// [`crate::wire::PluginInfo`] (a message), or the UTF-8 error message when `vtable` is null.
    /// Allocated by the plugin: free it with `free`.
    pub info: Buf,
    /// Frees `info` (always set, also on failure).
    pub free: unsafe extern "C" fn(Buf),
}

/// An opaque reference-counted handle on the host's per-call state (its database connection,
/// open transactions and the request context). The plugin passes it back to host callbacks and
/// releases it exactly once with [`HostVtable::session_release`].
#[repr(transparent)]
#[derive(Debug, Clone, Copy)]
pub struct Session(pub *const c_void);

// SAFETY: the host's session state is `Send + Sync` (an `Arc` of thread-safe data); the pointer
// is only an owned reference to it.
unsafe impl Send for Session {}
// SAFETY: as above.
unsafe impl Sync for Session {}

/// A plugin's functions. Every call takes a session the plugin now owns one reference of, and
/// a request borrowed for the call; every future resolves to a plugin-allocated [`Buf`] (free
/// it with [`PluginVtable::free`]) holding the answer ([`crate::wire`]), or, for `handle`, to an
/// [`Answer`].
#[repr(C)]
pub struct PluginVtable {
    /// Frees a buffer the plugin allocated.
    pub free: unsafe extern "C" fn(Buf),
    /// `Plugin::handle`: request [`crate::wire::HandleRequest`], answer an [`Answer`] whose
    /// message [`crate::wire::decode_handle_answer`] reads.
    pub handle: unsafe extern "C" fn(Session, Bytes<'_>) -> FfiFuture<Answer>,
    /// `Plugin::query`: request [`crate::wire::QueryRequest`], answer
    /// [`crate::wire::CallOutcome`] (`Ok.json` is the JSON value).
    pub query: unsafe extern "C" fn(Session, Bytes<'_>) -> FfiFuture<Buf>,
    /// `Plugin::migrate`: request [`crate::wire::StorageRequest`], answer
    /// [`crate::wire::CallOutcome`].
    pub migrate: unsafe extern "C" fn(Session, Bytes<'_>) -> FfiFuture<Buf>,
    /// `Plugin::on_instance_created`: request [`crate::wire::StorageRequest`] with the
    /// instance id, answer [`crate::wire::CallOutcome`].
    pub on_instance_created: unsafe extern "C" fn(Session, Bytes<'_>) -> FfiFuture<Buf>,
    /// `Plugin::init`: request [`crate::wire::InitRequest`], answer
    /// [`crate::wire::CallOutcome`] (`Refused` carries the plugin's one-line reason).
    pub init: unsafe extern "C" fn(Session, Bytes<'_>) -> FfiFuture<Buf>,
    /// `Plugin::run_task`: request [`crate::wire::TaskRequest`], answer
    /// [`crate::wire::CallOutcome`] (`Ok`, `TaskFailed` or `Panic`). The future runs until the
    /// task ends: for the life of the process, normally. The session is the task's: its
    /// `task_stopped` turns true when the host asks the task to stop, and the host then polls
    /// the future again (so the plugin sees the signal without a waker of its own).
    pub run_task: unsafe extern "C" fn(Session, Bytes<'_>) -> FfiFuture<Buf>,
    /// `Plugin::on_event`: request [`crate::wire::EventRequest`], answer
    /// [`crate::wire::CallOutcome`] (`Ok`, `Api` or `Panic`).
    pub on_event: unsafe extern "C" fn(Session, Bytes<'_>) -> FfiFuture<Buf>,
    /// `Plugin::shutdown`: request [`crate::wire::StorageRequest`], answer
    /// [`crate::wire::CallOutcome`].
    pub shutdown: unsafe extern "C" fn(Session, Bytes<'_>) -> FfiFuture<Buf>,
}

/// What a plugin's `handle` resolves to: a message, and for a reply its JSON text, lent.
///
/// A reply is usually already rendered and shared inside the plugin (a cached page): lending it
/// saves copying kilobytes twice per call. The host reads `text` until it calls
/// `text.release`, exactly once, after which the plugin may free it.
#[repr(C)]
#[derive(Debug)]
pub struct Answer {
    /// [`crate::wire::encode_lent_reply`] or [`crate::wire::encode_outcome`]; free it with
    /// [`PluginVtable::free`].
    pub message: Buf,
    /// The reply's JSON text when `message` is a lent reply; empty otherwise. It must be
    /// UTF-8: the host reads it as a `str` without checking (the guest lends a `&str`).
    pub text: LentText,
}

/// Bytes the plugin lends to the host until `release(owner)`.
#[repr(C)]
#[derive(Debug)]
pub struct LentText {
    /// Start of the text.
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: usize,
    /// What keeps the text alive, handed back to `release`; null when nothing is lent.
    pub owner: *mut c_void,
    /// Releases `owner` (set whenever `owner` is non-null).
    pub release: Option<unsafe extern "C" fn(*mut c_void)>,
}

impl LentText {
    /// Nothing lent.
    pub const NONE: LentText = LentText {
        ptr: std::ptr::null(),
        len: 0,
        owner: std::ptr::null_mut(),
        release: None,
    };
}

// SAFETY: an answer is owned by whoever holds it; the buffer and the lent text are immutable
// and have no thread affinity (the plugin's owner is a `Send + Sync` shared reply).
unsafe impl Send for Answer {}
// SAFETY: as above.
unsafe impl Send for LentText {}
// SAFETY: the lent text is immutable until released.
unsafe impl Sync for LentText {}

/// The host's functions, given to the plugin at init.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HostVtable {
    /// The host's [`ABI_VERSION`].
    pub abi_version: u32,
    /// Most verbose log level the host records: 0 off, 1 error, 2 warn, 3 info, 4 debug,
    /// 5 trace.
    pub max_log_level: u8,
    /// Frees a buffer the host allocated.
    pub free: unsafe extern "C" fn(Buf),
    /// Runs one storage operation ([`crate::wire::DbRequest`]) in the session; answers
    /// [`crate::wire::DbResponse`].
    pub db: unsafe extern "C" fn(Session, Bytes<'_>) -> FfiFuture<Buf>,
    /// Rolls back the session's innermost open transaction without waiting (a transaction
    /// dropped without commit).
    pub db_abort: unsafe extern "C" fn(Session),
    /// A cross-plugin query ([`crate::wire::ServicesRequest`]); answers
    /// [`crate::wire::ServicesResponse`].
    pub services: unsafe extern "C" fn(Session, Bytes<'_>) -> FfiFuture<Buf>,
    /// Releases the plugin's reference on a session.
    pub session_release: unsafe extern "C" fn(Session),
    /// Records one log event ([`crate::wire::LogEvent`]).
    pub log: unsafe extern "C" fn(Bytes<'_>),
    /// 1 when the host asked the task running in this session to stop, else 0 (also for a
    /// session that is not a task's).
    pub task_stopped: unsafe extern "C" fn(Session) -> u8,
    /// A future that completes (with 0) after the given number of milliseconds, on the host's
    /// timer; 1 when the host has no timer where it is polled (outside its runtime).
    pub sleep: unsafe extern "C" fn(u64) -> FfiFuture<u8>,
    /// Tells the host an event was published (its transaction may not have committed yet), so
    /// its delivery service looks for it before its next poll.
    pub events_published: unsafe extern "C" fn(),
}

// SAFETY: the table is immutable after creation and holds only plain data and function
// pointers to thread-safe host functions.
unsafe impl Sync for HostVtable {}
// SAFETY: as above.
unsafe impl Send for HostVtable {}
// SAFETY: a plugin's table is immutable static data with function pointers to thread-safe
// functions.
unsafe impl Sync for PluginVtable {}
// SAFETY: as above.
unsafe impl Send for PluginVtable {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_names_the_versions() {
        assert!(FINGERPRINT.contains(&format!("abi {ABI_VERSION};")));
        assert!(FINGERPRINT.contains(&format!("messages {};", crate::wire::MESSAGE_VERSION)));
    }

    #[test]
    fn buffers_round_trip() {
        let buf = Buf::from_vec(b"hello".to_vec());
        // SAFETY: made just above, freed once below.
        assert_eq!(unsafe { buf.as_slice() }, b"hello");
        unsafe { buf.free_own() };
        let empty = Bytes::new(&[]);
        // SAFETY: borrowed from a live (static) slice.
        assert!(unsafe { empty.as_slice() }.is_empty());
    }
}
