//! Storage of the calls domain: sea-orm entities, their [`migration`], and [`records`], the
//! reads and writes of the actions, the recorder and the start-up task.
//!
//! Tables (prefixed `calls_`):
//! - [`cdr`] (`calls_cdr`): one call detail record per call, keyed by the contact id
//!   (`route_kind` and `transferred_by_user_id` since [`migration_call_ended`]).
//! - [`event_log`] (`calls_event_log`): the per-call event log of ListCallEventDetailByContactId
//!   (seed 004 §11.14), keyed by (contact id, seq).
//! - [`privacy_link`] (`calls_privacy_link`): ModifyPrivacyNumberCallDetail's links from a
//!   virtual-number call to a contact.
//! - [`number_mask`] (`calls_number_mask`): the Encrypt tokens a call was dialled with.
//! - [`secret`] (`calls_secret`): the generated master key of Encrypt tokens.
//! - [`client_token`] (`calls_client_tokens`): the ClientTokens of dialling requests (24 h).
//! - [`webhook_outbox`] (`calls_webhook_outbox`): call-event webhooks to deliver
//!   ([`crate::webhooks`]).
//!
//! [`refused`] writes the record of an inbound call ccgate refused, with its event log.
//!
//! Times are UTC epoch milliseconds in BIGINT columns; 0 means "not yet / never".

pub mod cdr;
pub mod client_token;
pub mod client_tokens;
pub mod event_log;
pub mod migration;
pub mod migration_call_ended;
pub mod migration_desk;
pub mod migration_privacy;
pub mod migration_webhooks;
pub mod number_mask;
pub mod privacy;
pub mod privacy_link;
pub mod records;
pub mod refused;
pub mod secret;
pub mod transfers;
pub mod webhook_outbox;

/// `calls_cdr.status` of a call in progress.
pub const LIVE: &str = "LIVE";
/// `calls_cdr.status` of a call that ended.
pub const ENDED: &str = "ENDED";
