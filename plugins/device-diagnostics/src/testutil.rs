//! Test support: the device-diagnostics plugin over an in-memory SQLite database through the
//! real generated dispatch, with a stand-in for the agents plugin (its query `caller`, as
//! `plugins/agents/api/queries/caller.toml` declares it) knowing the users below, and a fixed
//! clock at [`NOW`].

// Not every helper is used by every test module.
#![allow(dead_code)]

use std::sync::Arc;

use ccgate_plugin_sdk::sea_orm::{EntityTrait, QueryOrder};
use ccgate_plugin_sdk::serde_json::{Value, json};
use ccgate_plugin_sdk::testing::{self, FakePlugin, TestEnv};
use ccgate_plugin_sdk::time::Clock;
use ccgate_plugin_sdk::{ActionSpec, ApiResult, CallerScope, Context, Plugin, Role};

use crate::DeviceDiagnosticsPlugin;
use crate::storage::agent_device;

/// The instance the tests work on.
pub const INSTANCE: &str = "ccc-test";
/// The fixed clock's time: 2024-05-01 12:00:00 UTC.
pub const NOW: i64 = 1_714_564_800_000;
/// 2024-05-01 00:00:00 UTC, the default StartTime at [`NOW`].
pub const MIDNIGHT: i64 = 1_714_521_600_000;

/// An agent (login name).
pub const ALICE: &str = "alice";
/// Another agent.
pub const BOB: &str = "bob";
/// A skill-group leader.
pub const LEAD: &str = "lead";
/// An administrator user (a user's token with the admin role).
pub const BOSS: &str = "boss";

/// The users the fake agents plugin knows: login, role, RamId.
pub const USERS: &[(&str, &str, &str)] = &[
    (ALICE, "agent", "1059803544828509"),
    (BOB, "agent", "1059803544828510"),
    (LEAD, "skill-group-leader", "1059803544828511"),
    (BOSS, "admin", "1059803544828512"),
];

/// The `UserId` of user `login` (also for logins the fake does not know).
pub fn user_id(login: &str) -> String {
    format!("u-{login}")
}

/// The RamId of known user `login`.
pub fn ram_id(login: &str) -> &'static str {
    USERS
        .iter()
        .find(|(l, _, _)| *l == login)
        .map(|(_, _, r)| *r)
        .unwrap_or_else(|| panic!("no test user {login}"))
}

fn role_of(login: &str) -> Role {
    USERS
        .iter()
        .find(|(l, _, _)| *l == login)
        .and_then(|(_, r, _)| Role::parse(r))
        .unwrap_or(Role::Agent)
}

/// A stand-in for the agents plugin answering `caller` from [`USERS`].
pub fn fake_agents() -> FakePlugin {
    FakePlugin::new("agents").answer("caller", |args| {
        let login = args["login_name"].as_str().unwrap_or_default();
        Ok(match USERS.iter().find(|(l, _, _)| *l == login) {
            Some((l, role, ram)) if args["instance_id"] == INSTANCE => json!({
                "found": true, "user_id": user_id(l), "login_name": l, "role": role,
                "led_skill_group_ids": [], "ram_id": ram, "display_name": l,
                "extension": "8001", "phone": "", "roles": [role],
            }),
            _ => json!({
                "found": false, "user_id": "", "login_name": "", "role": "",
                "led_skill_group_ids": [], "ram_id": "", "display_name": "",
                "extension": "", "phone": "", "roles": [],
            }),
        })
    })
}

/// The plugin under test and its environment.
pub struct Harness {
    /// The environment (database, clock at [`NOW`]).
    pub env: TestEnv,
    /// The plugin under test.
    pub plugin: Arc<dyn Plugin>,
}

impl Harness {
    /// The plugin with the fake agents plugin ([`fake_agents`]).
    pub async fn new() -> Self {
        Self::with(vec![Arc::new(fake_agents())]).await
    }

    /// The plugin alone: the agents plugin counts as not enabled.
    pub async fn without_agents() -> Self {
        Self::with(vec![]).await
    }

    async fn with(others: Vec<Arc<dyn Plugin>>) -> Self {
        let plugin: Arc<dyn Plugin> = Arc::new(DeviceDiagnosticsPlugin::default());
        let mut plugins = vec![plugin.clone()];
        plugins.extend(others);
        let mut env = TestEnv::new(plugins).await;
        env.clock = Clock::fixed(NOW);
        Self { env, plugin }
    }

    /// A context for `spec` as user `login` with `role`, as the gateway sets it up for a
    /// user's Bearer token.
    pub fn ctx_as(&self, spec: ActionSpec, role: Role, login: &str) -> Context {
        let mut ctx = self.env.ctx(spec, INSTANCE);
        ctx.principal = ccgate_plugin_sdk::Principal::Bearer {
            subject: login.to_string(),
        };
        ctx.role = role;
        ctx.caller_scope = Some(CallerScope {
            user_id: user_id(login),
            login_name: login.to_string(),
            role,
            led_skill_group_ids: Vec::new(),
        });
        ctx
    }

    /// Calls `spec` with `ctx` through the real dispatch; the reply as JSON.
    pub async fn call(&self, ctx: &Context, pairs: &[(&str, &str)]) -> ApiResult<Value> {
        testing::call(self.plugin.as_ref(), ctx, pairs)
            .await
            .map(Value::Object)
    }

    /// AddAgentDevice as user `login` (with the role [`USERS`] gives it).
    pub async fn add_as(&self, login: &str, pairs: &[(&str, &str)]) -> ApiResult<Value> {
        let ctx = self.ctx_as(crate::api::add_agent_device::SPEC, role_of(login), login);
        self.call(&ctx, pairs).await
    }

    /// AddAgentDevice as `login` with a Chrome browser at 10.0.0.1; the new AgentDeviceId.
    pub async fn add_default(&self, login: &str) -> i64 {
        self.add_as(
            login,
            &[("BrowserVersion", "Chrome/124"), ("ClientIp", "10.0.0.1")],
        )
        .await
        .expect("AddAgentDevice")["AgentDeviceId"]
            .as_i64()
            .expect("AgentDeviceId")
    }

    /// AddAgentDevice as `login` at `at_ms` (the clock is set there, then back to [`NOW`]).
    pub async fn add_at(&self, login: &str, at_ms: i64) -> i64 {
        self.env.clock.set_ms(at_ms);
        let id = self.add_default(login).await;
        self.env.clock.set_ms(NOW);
        id
    }

    /// ListAgentDevices as user `login` with `role`.
    pub async fn list_as(
        &self,
        role: Role,
        login: &str,
        pairs: &[(&str, &str)],
    ) -> ApiResult<Value> {
        let ctx = self.ctx_as(crate::api::list_agent_devices::SPEC, role, login);
        self.call(&ctx, pairs).await
    }

    /// ListAgentDevices as an AccessKey caller (an administrator without a user scope).
    pub async fn list_admin(&self, pairs: &[(&str, &str)]) -> ApiResult<Value> {
        self.env
            .call(crate::api::list_agent_devices::SPEC, INSTANCE, pairs)
            .await
    }

    /// ModifyAgentDevice as user `login` with `role`.
    pub async fn modify_as(
        &self,
        role: Role,
        login: &str,
        pairs: &[(&str, &str)],
    ) -> ApiResult<Value> {
        let ctx = self.ctx_as(crate::api::modify_agent_device::SPEC, role, login);
        self.call(&ctx, pairs).await
    }

    /// ModifyAgentDevice as an AccessKey caller.
    pub async fn modify_admin(&self, pairs: &[(&str, &str)]) -> ApiResult<Value> {
        self.env
            .call(crate::api::modify_agent_device::SPEC, INSTANCE, pairs)
            .await
    }

    /// Every stored record, by id.
    pub async fn all_rows(&self) -> Vec<agent_device::Model> {
        agent_device::Entity::find()
            .order_by_asc(agent_device::Column::Id)
            .all(&self.env.db)
            .await
            .expect("read the records")
    }
}

/// The `(RamId, LoginTime)` of every record of a ListAgentDevices reply, in order.
pub fn listed(reply: &Value) -> Vec<(i64, i64)> {
    reply["AgentDeviceList"]["AgentDevice"]
        .as_array()
        .expect("AgentDevice[]")
        .iter()
        .map(|d| {
            (
                d["RamId"].as_i64().expect("RamId"),
                d["LoginTime"].as_i64().expect("LoginTime"),
            )
        })
        .collect()
}

/// RamId `login`'s as the number ListAgentDevices renders.
pub fn ram(login: &str) -> i64 {
    ram_id(login).parse().expect("digits")
}
