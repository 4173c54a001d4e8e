//! Test support: the agents plugin over an in-memory SQLite database through the real generated
//! dispatch. Stand-ins for the plugins it queries (roles, numbers) are added with
//! [`Harness::with`]; without them those plugins count as disabled.

use std::sync::Arc;

use ccgate_plugin_sdk::serde_json::Value;
use ccgate_plugin_sdk::testing::TestEnv;
use ccgate_plugin_sdk::{ActionSpec, ApiResult, Plugin};

use crate::AgentsPlugin;

/// The instance most tests work on.
pub const INSTANCE: &str = "ccc-test";
/// A second instance of the same account.
pub const OTHER_INSTANCE: &str = "ccc-other";

/// The agents plugin and its neighbours.
pub struct Harness {
    /// The environment (database, clock, published events).
    pub env: TestEnv,
    /// The plugin under test.
    pub agents: Arc<dyn Plugin>,
}

impl Harness {
    /// Agents alone.
    pub async fn new() -> Self {
        Self::with(vec![]).await
    }

    /// Agents plus `others` (fakes or real plugins).
    pub async fn with(others: Vec<Arc<dyn Plugin>>) -> Self {
        let agents: Arc<dyn Plugin> = Arc::new(AgentsPlugin::default());
        let mut plugins = vec![agents.clone()];
        plugins.extend(others);
        let env = TestEnv::new(plugins).await;
        Self { env, agents }
    }

    /// The spec of `action` in `version` (`"2017-07-05"`, `"2020-07-01"`).
    pub fn spec(version: &str, action: &str) -> ActionSpec {
        *crate::api::ACTIONS
            .iter()
            .find(|a| a.version == version && a.action == action)
            .unwrap_or_else(|| panic!("no served spec {action} {version}"))
    }

    /// Calls 2017 `action` on [`INSTANCE`] as an AccessKey caller; the reply as JSON.
    pub async fn call(&self, action: &str, pairs: &[(&str, &str)]) -> ApiResult<Value> {
        self.env
            .call(Self::spec("2017-07-05", action), INSTANCE, pairs)
            .await
    }

    /// Runs query `name` of the agents plugin as the gateway or another plugin would.
    pub async fn query(&self, name: &str, args: Value) -> Value {
        let ctx = self
            .env
            .ctx(Self::spec("2017-07-05", "ListAgentStates"), INSTANCE);
        self.agents.query(&ctx, name, args).await.unwrap()
    }

    /// Calls 2020 `action` on [`INSTANCE`] as an AccessKey caller; the reply as JSON.
    pub async fn call_2020(&self, action: &str, pairs: &[(&str, &str)]) -> ApiResult<Value> {
        self.env
            .call(Self::spec("2020-07-01", action), INSTANCE, pairs)
            .await
    }
}

/// A user inserted directly (the user actions are tested on their own).
#[derive(Debug, Clone)]
pub struct Member {
    /// `UserId`.
    pub id: String,
    /// Login name.
    pub login: String,
    /// RamId.
    pub ram: String,
}

impl Harness {
    /// Inserts skill group `name` in `instance`; returns its id.
    pub async fn group(&self, instance: &str, name: &str) -> String {
        use ccgate_plugin_sdk::sea_orm::{ActiveModelTrait, Set};
        let id = format!("sg-{name}");
        crate::storage::skill_group::ActiveModel {
            id: Set(id.clone()),
            instance_id: Set(instance.to_string()),
            name: Set(name.to_string()),
            description: Set(String::new()),
            routing_strategy: Set(String::new()),
            allow_private_outbound_number: Set(false),
            created_at: Set(0),
            updated_at: Set(0),
        }
        .insert(&self.env.db)
        .await
        .unwrap();
        id
    }

    /// Inserts user `login` of `instance` with `role` and memberships `groups` (level 5).
    pub async fn user(&self, instance: &str, login: &str, role: &str, groups: &[&str]) -> Member {
        use ccgate_plugin_sdk::sea_orm::{ActiveModelTrait, Set};
        let n = login.bytes().map(u64::from).sum::<u64>();
        let m = Member {
            id: format!("u-{login}"),
            login: login.to_string(),
            ram: format!("{:016}", 1_000_000_000_000_000 + n),
        };
        crate::storage::user::ActiveModel {
            id: Set(m.id.clone()),
            instance_id: Set(instance.to_string()),
            ram_id: Set(m.ram.clone()),
            login_name: Set(login.to_string()),
            display_name: Set(format!("Agent {login}")),
            email: Set(format!("{login}@example.com")),
            phone: Set(String::new()),
            department: Set(String::new()),
            private_outbound_number_id: Set(None),
            extension: Set(format!("80{:02}", n % 100)),
            created_at: Set(0),
            updated_at: Set(0),
        }
        .insert(&self.env.db)
        .await
        .unwrap();
        crate::storage::user_role::ActiveModel {
            user_id: Set(m.id.clone()),
            role: Set(role.to_string()),
            instance_id: Set(instance.to_string()),
        }
        .insert(&self.env.db)
        .await
        .unwrap();
        for g in groups {
            crate::storage::skill_level::ActiveModel {
                id: Set(format!("sl-{login}-{g}")),
                instance_id: Set(instance.to_string()),
                user_id: Set(m.id.clone()),
                skill_group_id: Set(g.to_string()),
                level: Set(5),
            }
            .insert(&self.env.db)
            .await
            .unwrap();
        }
        m
    }
}
