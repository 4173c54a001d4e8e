//! The Huawei AICC dialects (`shared/reference/huawei-aicc.md`), both path-routed (one path per
//! operation, [`crate::dialect::PathDialect`]):
//!
//! - [`cc_management`] (C1): `tokenByAkSk` ([`token`]) issues Bearer tokens for an AccessKey
//!   pair (app_key/app_secret); operations carry the token (seed 001, §2-§3). Errors are
//!   `{"retCode": "<code>", "message": "..."}`.
//! - [`isales`] (C2, CC-iSales): each request carries an `auth-v2` signature made with an
//!   AccessKey pair (seed 003, §4-§5). Errors are `{"resultCode", "resultDesc", "returnCode",
//!   "returnDesc"}`.

pub mod cc_management;
pub mod isales;
pub mod token;

use actix_web::HttpResponse;
use ccgate_plugin_sdk::ApiError;

pub use cc_management::CcManagement;
pub use isales::Isales;

use crate::dialect::PathDialect;

/// An error in the C1 shape (`tokenByAkSk` and cc-management): status `err.status`, body
/// `{"retCode": err.code, "message": err.message}`.
pub fn error_response(err: &ApiError) -> HttpResponse {
    CcManagement.error_response(err)
}
