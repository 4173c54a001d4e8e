//! `ActionSpec`: what the gateway needs to route, authenticate and envelope one action.
//!
//! Source of the auth modes: the overview table of seed 004 (§1 API概述), summarised in
//! `shared/reference/actions.md`.

/// The wire protocol an action is served on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Alibaba Cloud RPC: `GET|POST /?Action=..&Version=..` (or `x-acs-action`/`x-acs-version`).
    AliyunRpc,
    /// Huawei AICC cc-management (C1): a path per operation, Bearer from `tokenByAkSk`.
    HuaweiCcManagement,
    /// Huawei CC-iSales (C2): a path per operation, `auth-v2` request signature.
    HuaweiIsales,
}

/// Which credentials an action accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthModes {
    /// AccessKey signature (v1 or ACS3) or a Bearer token: overview `BEARERTOKEN/AK`, and
    /// actions the overview does not list.
    AkOrBearer,
    /// Only a Bearer token: overview `BEARERTOKEN`.
    BearerOnly,
}

/// Which common fields the Alibaba success envelope carries for an action. The seeds differ
/// per action (e.g. 2017 GetNumberRegionInfo has no `HttpStatusCode`, 2020 actions have no
/// `Success`), so each spec says which it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope {
    /// `Success: true`.
    pub success: bool,
    /// `HttpStatusCode: 200`.
    pub http_status_code: bool,
    /// `Message: ""`.
    pub message: bool,
    /// `Code: "OK"`.
    pub code: bool,
}

impl Envelope {
    /// The 2017-07-05 shape: `RequestId, Success, Code, Message, HttpStatusCode`.
    pub const V2017: Envelope = Envelope {
        success: true,
        http_status_code: true,
        message: true,
        code: true,
    };
    /// The 2020-07-01 shape: `RequestId, Code, Message, HttpStatusCode` (no `Success`).
    pub const V2020: Envelope = Envelope {
        success: false,
        http_status_code: true,
        message: true,
        code: true,
    };
    /// Huawei bodies carry their own return codes; the gateway adds nothing.
    pub const NONE: Envelope = Envelope {
        success: false,
        http_status_code: false,
        message: false,
        code: false,
    };
}

/// How the gateway finds and checks the instance an action works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceScope {
    /// The named request parameter (normally `InstanceId`) is required; the gateway answers
    /// `NotExists.InstanceId` unless it names an instance of the caller's account.
    Param(&'static str),
    /// The action spans the caller's whole account (Huawei tenant space): the gateway fills
    /// [`crate::Context::account_instances`].
    Account,
}

/// The contract of one action as the gateway needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionSpec {
    /// Wire protocol.
    pub dialect: Dialect,
    /// API version: `2017-07-05`, `2020-07-01`, or the Huawei API's own version tag.
    pub version: &'static str,
    /// Action name exactly as the SDKs send it (`ListContactFlows`, `CheckNumberAvaliable`).
    pub action: &'static str,
    /// For path-routed dialects: the HTTP method and path (`POST`, `/apiaccess/...`).
    pub route: Option<(&'static str, &'static str)>,
    /// Accepted credentials.
    pub auth: AuthModes,
    /// Instance resolution.
    pub instance: InstanceScope,
    /// Common success fields.
    pub envelope: Envelope,
}

impl ActionSpec {
    /// An Alibaba RPC action of `version` scoped by `InstanceId`, with the version's default
    /// envelope and both credential kinds.
    pub const fn rpc(version: &'static str, action: &'static str) -> Self {
        let envelope = if matches!(version.as_bytes(), b"2020-07-01") {
            Envelope::V2020
        } else {
            Envelope::V2017
        };
        Self {
            dialect: Dialect::AliyunRpc,
            version,
            action,
            route: None,
            auth: AuthModes::AkOrBearer,
            instance: InstanceScope::Param("InstanceId"),
            envelope,
        }
    }

    /// The same spec restricted to Bearer tokens (overview `BEARERTOKEN`).
    pub const fn bearer_only(mut self) -> Self {
        self.auth = AuthModes::BearerOnly;
        self
    }

    /// The same spec with another envelope.
    pub const fn with_envelope(mut self, envelope: Envelope) -> Self {
        self.envelope = envelope;
        self
    }

    /// A Huawei cc-management operation served at `method path`, spanning the tenant space.
    pub const fn huawei_cc_management(
        action: &'static str,
        method: &'static str,
        path: &'static str,
    ) -> Self {
        Self {
            dialect: Dialect::HuaweiCcManagement,
            version: "v1",
            action,
            route: Some((method, path)),
            auth: AuthModes::BearerOnly,
            instance: InstanceScope::Account,
            envelope: Envelope::NONE,
        }
    }

    /// True for the 2020-07-01 API, whose parameter errors use the `Parameter.*` family.
    pub fn is_2020(&self) -> bool {
        self.version == "2020-07-01"
    }
}
