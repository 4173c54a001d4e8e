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

/// The role of a caller within an instance (seed 004 §5.1 ListRoles: 管理员 administrator,
/// 技能组组长 skill-group leader, 坐席 agent).
///
/// A request signed with an AccessKey acts for the whole account: [`Role::Admin`]. A Bearer
/// token carries the role of the user it was issued to (tokens issued for an account or an
/// AccessKey: [`Role::Admin`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// 管理员: manages the instance (every action).
    Admin,
    /// 技能组组长: supervises skill groups.
    SkillGroupLeader,
    /// 坐席: an agent at the workbench.
    Agent,
}

impl Role {
    /// Every role, most privileged first.
    pub const ALL: [Role; 3] = [Role::Admin, Role::SkillGroupLeader, Role::Agent];

    /// The name used in specs (`roles = [...]`), tokens and logs: `admin`,
    /// `skill-group-leader`, `agent`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::SkillGroupLeader => "skill-group-leader",
            Role::Agent => "agent",
        }
    }

    /// The role named `name` ([`Role::as_str`]); `None` for anything else.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// The less privileged of `self` and `other` (admin > skill-group leader > agent): the
    /// role a user's token acts with when its role claim and the user's role in the
    /// instance differ.
    pub fn least(self, other: Role) -> Role {
        self.max(other)
    }

    const fn bit(self) -> u8 {
        match self {
            Role::Admin => 1,
            Role::SkillGroupLeader => 2,
            Role::Agent => 4,
        }
    }
}

/// The set of roles an action admits (spec key `roles`); the gateway refuses any other caller
/// with 403 `NoPermission` before the handler runs.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Roles(u8);

impl Roles {
    /// Administrators only: the default of a spec without `roles`.
    pub const ADMIN: Roles = Roles(1);
    /// Every role.
    pub const ALL: Roles = Roles(7);

    /// The set of `roles`.
    pub const fn of(roles: &[Role]) -> Roles {
        let mut bits = 0;
        let mut i = 0;
        while i < roles.len() {
            bits |= roles[i].bit();
            i += 1;
        }
        Roles(bits)
    }

    /// Whether `role` may call.
    pub const fn admits(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    /// The set as bits (admin 1, skill-group leader 2, agent 4), for the plugin ABI.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// The set of `bits` ([`Roles::bits`]); unknown bits are dropped.
    pub const fn from_bits(bits: u8) -> Roles {
        Roles(bits & 7)
    }

    /// The admitted roles, most privileged first.
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.admits(*r))
    }
}

impl std::fmt::Debug for Roles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set()
            .entries(self.iter().map(Role::as_str))
            .finish()
    }
}

/// Which request parameters of an action name the skill groups and users a caller must be
/// allowed to touch (spec table `[access]`, `plugins/README.md`). The gateway checks them for
/// skill-group leaders and agents before the handler runs (administrators and AccessKey
/// callers may touch everything of their instance):
///
/// - a skill-group leader may name only the skill groups they lead (are a member of) and the
///   users of those groups (and themselves);
/// - an agent may name only skill groups they are a member of, and no user but themselves.
///
/// A parameter is read as one value, a repeat list (`X.1`, `X.2`, ...) or a comma-separated
/// string; an absent or empty parameter names nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// Parameters naming skill groups (`SkillGroupId`, `SkillGroupIdList`).
    pub skill_groups: &'static [&'static str],
    /// Parameters naming users: a `UserId` (UUID), a RamId, a login name or
    /// `<login>@<instance>` (`UserId`, `RamId`, `UserIdList`).
    pub users: &'static [&'static str],
    /// Agent-desk action (`true`): an agent or leader acts only for themselves unless an
    /// administrator; when the `users` parameters are all absent, the caller is meant (the
    /// handler reads [`crate::Context::caller_scope`]).
    pub self_only: bool,
}

impl Access {
    /// No `[access]` table: only `roles` is checked.
    pub const NONE: Access = Access {
        skill_groups: &[],
        users: &[],
        self_only: false,
    };

    /// Whether the spec has no `[access]` rule.
    pub const fn is_none(&self) -> bool {
        self.skill_groups.is_empty() && self.users.is_empty() && !self.self_only
    }
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
    /// Who may call it (spec key `roles`; administrators only when absent).
    pub roles: Roles,
    /// Which parameters name skill groups and users the caller must be allowed to touch
    /// (spec table `[access]`; [`Access::NONE`] when absent).
    pub access: Access,
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
            roles: Roles::ALL,
            access: Access::NONE,
        }
    }

    /// The same spec restricted to Bearer tokens (overview `BEARERTOKEN`).
    pub const fn bearer_only(mut self) -> Self {
        self.auth = AuthModes::BearerOnly;
        self
    }

    /// The same spec admitting only `roles`.
    pub const fn with_roles(mut self, roles: Roles) -> Self {
        self.roles = roles;
        self
    }

    /// The same spec with the `[access]` rule `access`.
    pub const fn with_access(mut self, access: Access) -> Self {
        self.access = access;
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
            roles: Roles::ALL,
            access: Access::NONE,
        }
    }

    /// Whether `other` names the same action (dialect, version and name; the other fields
    /// describe it).
    pub fn same_action(&self, other: &ActionSpec) -> bool {
        self.dialect == other.dialect
            && self.version == other.version
            && self.action == other.action
    }

    /// The index of the action `self` names in `actions` (what [`crate::Plugin::handle`]
    /// takes); `None` when the list does not have it.
    pub fn index_in(&self, actions: &[ActionSpec]) -> Option<usize> {
        actions.iter().position(|a| a.same_action(self))
    }

    /// True for the 2020-07-01 API, whose parameter errors use the `Parameter.*` family.
    pub fn is_2020(&self) -> bool {
        self.version == "2020-07-01"
    }
}
