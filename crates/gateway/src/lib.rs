//! # ccgate gateway
//!
//! The core of ccgate: wire dialects ([`dialect`]), authentication ([`auth`]), envelopes,
//! the action [`registry`] of plugins, core storage ([`store`]) and administration
//! ([`admin`]). Domain logic lives in the plugin crates (`plugins/*`), which the core only
//! sees through `ccgate_plugin_sdk::Plugin`.

pub mod admin;
pub mod app;
pub mod auth;
pub mod catalog;
pub mod cluster;
pub mod crypto;
pub mod dialect;
pub mod plugin_set;
// The C-ABI boundary to plugin libraries needs unsafe code; it is confined to this module.
#[allow(unsafe_code)]
pub mod dynamic;
pub mod events;
pub mod exports;
pub mod host;
pub mod http;
pub mod input;
pub mod lifecycle;
pub mod login_keys;
pub mod metrics;
pub mod plugins;
pub mod registry;
pub mod request_id;
pub mod routes;
pub mod runtime;
pub mod settings;
pub mod state;
pub mod store;
pub mod stream;
pub mod telephony;
pub mod webhooks;

pub use ccgate_plugin_sdk as sdk;
