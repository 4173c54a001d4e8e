//! sea-orm entities of the core tables.

pub mod access_key;
pub mod account;
pub mod directory_user;
pub mod instance;
pub mod revoked_token;
pub mod signing_key;
pub mod sip_device;
