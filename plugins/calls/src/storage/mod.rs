//! Storage of the calls domain: sea-orm entities, their [`migration`], and [`records`], the
//! reads and writes of the actions, the recorder and the start-up task.
//!
//! Tables (prefixed `calls_`):
//! - [`cdr`] (`calls_cdr`): one call detail record per call, keyed by the contact id.
//! - [`event_log`] (`calls_event_log`): the per-call event log of ListCallEventDetailByContactId
//!   (seed 004 §11.14), keyed by (contact id, seq).
//!
//! Times are UTC epoch milliseconds in BIGINT columns; 0 means "not yet / never".

pub mod cdr;
pub mod event_log;
pub mod migration;
pub mod records;

/// `calls_cdr.status` of a call in progress.
pub const LIVE: &str = "LIVE";
/// `calls_cdr.status` of a call that ended.
pub const ENDED: &str = "ENDED";
