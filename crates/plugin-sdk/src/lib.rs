//! # ccgate plugin SDK
//!
//! All a domain plugin depends on: the [`Plugin`] trait, the per-request [`Context`], typed
//! [`Params`] with the documented parameter errors, [`ApiError`], paging and [`ActionSpec`];
//! host services: long-running [`task`]s and [`events`] between plugins.
//! It has no HTTP, no runtime and no database driver; the gateway provides those.
#![deny(missing_docs)]

pub mod action;
pub mod cache;
pub mod context;
pub mod contract;
pub mod cx;
pub mod error;
pub mod events;
pub mod host;
pub mod paging;
pub mod params;
pub mod plugin;
pub mod query;
pub mod settings;
pub mod storage;
pub mod task;
pub mod telephony;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;

pub use action::{Access, ActionSpec, AuthModes, Dialect, Envelope, InstanceScope, Role, Roles};
pub use async_trait::async_trait;
pub use context::{CallerScope, Context, DirectoryUser, Principal, Services, TokenGrant};
pub use contract::JsonString;
pub use cx::Cx;
pub use error::{ApiError, ApiResult};
pub use events::{DomainEvent, EventContext, StoredEvent, Subscription};
pub use paging::PageRequest;
pub use params::{ErrorStyle, Params};
pub use plugin::{Empty, Plugin, Reply, ResponseBody, SharedReply};
pub use sea_orm;
pub use sea_orm_migration;
pub use serde;
pub use serde_json;
pub use task::{StopSignal, TaskContext};
