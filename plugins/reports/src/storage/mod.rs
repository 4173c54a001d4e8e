//! Storage of the reports domain: sea-orm entities and their [`migration`].
//!
//! Tables (all prefixed `reports_`), every one written only by this plugin:
//! - [`call`] (`reports_call`): one row per ended call (`calls.call_ended`);
//! - [`fragment`] (`reports_state_fragment`): closed agent-state periods split at local
//!   midnights; [`open`] (`reports_agent_open`): each agent's current period
//!   (`agents.state_changed`);
//! - [`daily`] (`reports_daily`): the daily rollups the summary reports read;
//! - [`call_count`] (`reports_call_count`): calls per local day, type, disposition and number
//!   (ListCallDetailRecords' `TotalCount`);
//! - [`export`] (`reports_export`): the asynchronous CDR export jobs (`crate::jobs`).
//!
//! Times are UTC epoch milliseconds in BIGINT columns; local days are days since 1970-01-01 in
//! the instance's zone (`crate::clock`).

pub mod call;
pub mod call_count;
pub mod daily;
pub mod export;
pub mod fragment;
pub mod migration;
pub mod open;
