//! `ApiError`: the one error type a plugin returns; the gateway renders it in the
//! caller's dialect (Alibaba `{RequestId, Code, Message, ...}` or a Huawei body).
//!
//! Codes and wording follow the seeds: seed 002 (2020-07-01 ListPhoneNumbers) lists
//! `Parameter.Enumeration`, `Parameter.Maximum`, `Parameter.Minimum`, `Parameter.Empty`,
//! `Parameter.Null` and `NotExists.InstanceId`; the rest are Alibaba's common codes.

use std::borrow::Cow;

/// An error in the API's own terms: an HTTP status, a dotted Alibaba-style `Code` and a
/// human `Message`. `Display` prints `Code: Message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// HTTP status of the response, e.g. 400, 404.
    pub status: u16,
    /// The `Code` field, e.g. `Parameter.Enumeration`.
    pub code: Cow<'static, str>,
    /// The `Message` field.
    pub message: String,
    /// For throttling refusals: how long the client should wait, in milliseconds, sent as the
    /// `x-acs-retry-after` header the official SDKs read (tea's `ThrottlingException`).
    /// `None` for every other error.
    pub retry_after_ms: Option<u64>,
}

impl ApiError {
    /// A free-form error with an explicit status and code.
    pub fn new(
        status: u16,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            retry_after_ms: None,
        }
    }

    /// 400 `MissingParameter`: a required parameter was not sent at all (Alibaba common code).
    pub fn missing(name: &str) -> Self {
        Self::new(
            400,
            "MissingParameter",
            format!(
                "The input parameter \"{name}\" that is mandatory for processing this request is not supplied."
            ),
        )
    }

    /// 400 `Parameter.Null` (seed 002): the parameter may not be null.
    pub fn null(name: &str) -> Self {
        Self::new(
            400,
            "Parameter.Null",
            format!("The parameter {name} may not be null."),
        )
    }

    /// 400 `Parameter.Empty` (seed 002): the parameter may not be null or an empty string.
    pub fn empty(name: &str) -> Self {
        Self::new(
            400,
            "Parameter.Empty",
            format!("The parameter {name} may not be null or empty."),
        )
    }

    /// 400 `Parameter.Enumeration` (seed 002): the value is not one of `allowed`.
    pub fn enumeration(name: &str, allowed: &[&str]) -> Self {
        Self::new(
            400,
            "Parameter.Enumeration",
            format!(
                "The parameter {name} must be one of the value of enumeration [{}].",
                allowed.join(", ")
            ),
        )
    }

    /// 400 `Parameter.Minimum` (seed 002): the value is below `min`.
    pub fn minimum(name: &str, min: impl std::fmt::Display) -> Self {
        Self::new(
            400,
            "Parameter.Minimum",
            format!("The parameter {name} must be greater than or equal to {min}."),
        )
    }

    /// 400 `Parameter.Maximum` (seed 002): the value is above `max`.
    pub fn maximum(name: &str, max: impl std::fmt::Display) -> Self {
        Self::new(
            400,
            "Parameter.Maximum",
            format!("The parameter {name} must be less than or equal to {max}."),
        )
    }

    /// 400 `InvalidParameter` (Alibaba common code): the value has the wrong type or format;
    /// `why` says what was expected.
    pub fn invalid(name: &str, why: impl std::fmt::Display) -> Self {
        Self::new(
            400,
            "InvalidParameter",
            format!("The specified parameter {name} is not valid: {why}"),
        )
    }

    /// 404 `NotExists.InstanceId` (seeds 000 and 002). Also the answer for an instance that
    /// exists but belongs to another account, so that ids do not leak across tenants.
    pub fn instance_not_found(instance_id: &str) -> Self {
        Self::new(
            404,
            "NotExists.InstanceId",
            format!("The specified instance {instance_id} does not exist."),
        )
    }

    /// 404 `NotExists.<what>`: a referenced object (e.g. `ContactFlowId`) does not exist in
    /// the instance.
    pub fn not_exists(what: &'static str, id: &str) -> Self {
        Self::new(
            404,
            format!("NotExists.{what}"),
            format!("The specified {what} {id} does not exist."),
        )
    }

    /// 409 `Conflict.<what>`: the request collides with existing state (duplicate name, number
    /// already bound elsewhere, version locked by another editor).
    pub fn conflict(what: &'static str, message: impl Into<String>) -> Self {
        Self::new(409, format!("Conflict.{what}"), message)
    }

    /// 500 `InternalError`. The cause is logged by the caller, never returned.
    pub fn internal() -> Self {
        Self::new(
            500,
            "InternalError",
            "The request processing has failed due to some unknown error.",
        )
    }

    /// 403 `NoPermission`: the caller's role is not among the action's `roles` (the gateway
    /// refuses before the handler runs; the message is the template codegen adds to such
    /// specs, "The caller's role %s may not call %s.").
    pub fn no_permission(role: crate::Role, action: &str) -> Self {
        Self::new(
            403,
            "NoPermission",
            format!("The caller's role {} may not call {action}.", role.as_str()),
        )
    }

    /// 501 `NotImplemented`: the action has a contract but this build does not serve it.
    pub fn not_implemented(action: &str) -> Self {
        Self::new(
            501,
            "NotImplemented",
            format!("The action {action} is specified but not implemented by this gateway."),
        )
    }
}

impl ApiError {
    /// 503 `ServiceUnavailable`: the database cannot be reached (no connection within
    /// `[database] acquire_timeout_ms`); the client may retry.
    pub fn database_unavailable() -> Self {
        Self::new(
            503,
            "ServiceUnavailable",
            "The service is temporarily unavailable: its database cannot be reached. Try again later.",
        )
    }
}

impl From<sea_orm::DbErr> for ApiError {
    /// Storage failures: 503 `ServiceUnavailable` when no database connection could be had
    /// (the database is down or unreachable: [`ApiError::database_unavailable`]); otherwise
    /// 500 `InternalError`. The cause is logged with the RequestId.
    fn from(err: sea_orm::DbErr) -> Self {
        match err {
            sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_) => {
                tracing::error!(error = %err, "database unavailable");
                Self::database_unavailable()
            }
            _ if crate::storage::connection_lost(&err) => {
                tracing::error!(error = %err, "database connection lost");
                Self::database_unavailable()
            }
            _ => {
                tracing::error!(error = %err, "storage error");
                Self::internal()
            }
        }
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(all(test, feature = "sqlx"))]
mod tests {
    use std::sync::Arc;

    use sea_orm::{DbErr, RuntimeErr, sqlx};

    use super::*;

    fn statement_failed(e: sqlx::Error) -> DbErr {
        DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
    }

    #[test]
    fn a_lost_connection_is_unavailable_and_a_bad_statement_internal() {
        let lost = ApiError::from(statement_failed(sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "server closed the connection",
        ))));
        assert_eq!(
            (lost.status, lost.code.as_ref()),
            (503, "ServiceUnavailable")
        );
        let timed_out = ApiError::from(DbErr::Exec(RuntimeErr::SqlxError(Arc::new(
            sqlx::Error::PoolTimedOut,
        ))));
        assert_eq!(timed_out.status, 503);
        let bad = ApiError::from(statement_failed(sqlx::Error::RowNotFound));
        assert_eq!((bad.status, bad.code.as_ref()), (500, "InternalError"));
        let custom = ApiError::from(DbErr::Custom("no such column".into()));
        assert_eq!(custom.status, 500);
    }
}
