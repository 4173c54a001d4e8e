//! In-process integration tests of the gateway: the real actix app, real SQLite, real
//! signature verification, with an `echo` test plugin standing in for the domains (the domain
//! plugins have their own tests, and tests/e2e drives them through the official SDKs).

mod access;
mod aliyun;
mod captured;
mod common;
mod dialects;
mod dynamic;
mod events;
mod hostile;
mod huawei;
mod platform;
