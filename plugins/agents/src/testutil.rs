//! Test support: the agents plugin over an in-memory SQLite database through the real generated
//! dispatch. Stand-ins for the plugins it queries (roles, numbers) are added with
//! [`Harness::with`]; without them those plugins count as disabled.

// Not every helper is used by every build of the tests (the state and skill-group modules use
// others).
#![allow(dead_code)]

use std::sync::Arc;

use ccgate_plugin_sdk::sea_orm::{ActiveModelTrait, Set};
use ccgate_plugin_sdk::serde_json::{Value, json};
use ccgate_plugin_sdk::testing::{FakePlugin, TestEnv};
use ccgate_plugin_sdk::{ActionSpec, ApiResult, Plugin};

use crate::AgentsPlugin;
use crate::storage::{user, user_role};

/// The instance most tests work on.
pub const INSTANCE: &str = "ccc-test";
/// A second instance of the same account.
pub const OTHER_INSTANCE: &str = "ccc-other";

/// A Bidirection number of [`INSTANCE`] (numbers fake).
pub const NUM_BI: &str = "num-bi";
/// An Outbound number of [`INSTANCE`].
pub const NUM_OUT: &str = "num-out";
/// An Inbound (not 400) number of [`INSTANCE`].
pub const NUM_IN: &str = "num-in";
/// An Inbound 400 number of [`INSTANCE`].
pub const NUM_400: &str = "num-400";
/// An Outbound number of [`OTHER_INSTANCE`].
pub const NUM_OTHER: &str = "num-other";

fn number_rows() -> Vec<Value> {
    let row = |id: &str, instance: &str, number: &str, usage: &str, is400: bool| {
        json!({
            "PhoneNumberId": id, "InstanceId": instance, "Number": number,
            "PhoneNumberDescription": format!("{usage} line"), "TestOnly": false,
            "RemainingTime": 0, "AllowOutbound": usage != "Inbound", "Usage": usage,
            "Trunks": 1, "Active": true, "Is400": is400,
        })
    };
    vec![
        row(NUM_BI, INSTANCE, "02160664656", "Bidirection", false),
        row(NUM_OUT, INSTANCE, "053168962496", "Outbound", false),
        row(NUM_IN, INSTANCE, "01086394552", "Inbound", false),
        row(NUM_400, INSTANCE, "4001234567", "Inbound", true),
        row(NUM_OTHER, OTHER_INSTANCE, "05923293251", "Outbound", false),
    ]
}

/// A stand-in for the numbers plugin: answers `by_ids` from a fixed list (as
/// `plugins/numbers/api/queries/by_ids.toml` declares it).
pub fn fake_numbers() -> FakePlugin {
    FakePlugin::new("numbers").answer("by_ids", |args| {
        let found: Vec<Value> = number_rows()
            .into_iter()
            .filter(|n| {
                n["InstanceId"] == args["InstanceId"]
                    && args["PhoneNumberIds"]
                        .as_array()
                        .is_some_and(|ids| ids.contains(&n["PhoneNumberId"]))
            })
            .collect();
        Ok(json!({ "PhoneNumbers": found }))
    })
}

/// The agents plugin and its neighbours.
pub struct Harness {
    /// The environment (database, clock, published events).
    pub env: TestEnv,
    /// The plugin under test.
    pub agents: Arc<dyn Plugin>,
    /// Users inserted by [`Harness::add_user`] (for unique RamIds and extensions).
    users_added: std::sync::atomic::AtomicUsize,
}

impl Harness {
    /// Agents alone.
    pub async fn new() -> Self {
        Self::with(vec![]).await
    }

    /// Agents plus the fake numbers plugin ([`fake_numbers`]).
    pub async fn with_numbers() -> Self {
        Self::with(vec![Arc::new(fake_numbers())]).await
    }

    /// Inserts user `login` of `instance` with `roles` (`admin`, `skill-group-leader`,
    /// `agent`) straight into storage; its `UserId`.
    pub async fn add_user(&self, instance: &str, login: &str, roles: &[&str]) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        let n = self
            .users_added
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        user::ActiveModel {
            id: Set(id.clone()),
            instance_id: Set(instance.to_string()),
            ram_id: Set(format!("{:016}", 1_000_000_000_000_000u64 + n as u64)),
            login_name: Set(login.to_string()),
            display_name: Set(format!("{login} display")),
            email: Set(format!("{login}@example.com")),
            phone: Set(String::new()),
            department: Set("IT".into()),
            private_outbound_number_id: Set(None),
            extension: Set((8001 + n).to_string()),
            created_at: Set(0),
            updated_at: Set(0),
        }
        .insert(&self.env.db)
        .await
        .unwrap();
        for role in roles {
            user_role::ActiveModel {
                user_id: Set(id.clone()),
                role: Set(role.to_string()),
                instance_id: Set(instance.to_string()),
            }
            .insert(&self.env.db)
            .await
            .unwrap();
        }
        id
    }

    /// CreateSkillGroup `name` on [`INSTANCE`] with extra `pairs`; the new `SkillGroupId`.
    pub async fn create_group(&self, name: &str, pairs: &[(&str, &str)]) -> String {
        let mut all = vec![("Name", name)];
        all.extend_from_slice(pairs);
        let v = self.call("CreateSkillGroup", &all).await.unwrap();
        v["SkillGroupId"].as_str().unwrap().to_string()
    }

    /// Agents plus `others` (fakes or real plugins).
    pub async fn with(others: Vec<Arc<dyn Plugin>>) -> Self {
        let agents: Arc<dyn Plugin> = Arc::new(AgentsPlugin::default());
        let mut plugins = vec![agents.clone()];
        plugins.extend(others);
        let env = TestEnv::new(plugins).await;
        Self {
            env,
            agents,
            users_added: Default::default(),
        }
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

    /// Calls 2017 `action` on `instance` as an AccessKey caller; the reply as JSON.
    pub async fn call_in(
        &self,
        instance: &str,
        action: &str,
        pairs: &[(&str, &str)],
    ) -> ApiResult<Value> {
        self.env
            .call(Self::spec("2017-07-05", action), instance, pairs)
            .await
    }

    /// Calls 2017 `action` on [`INSTANCE`] as user `user_id` with `role` whose scope holds
    /// `groups` (what the gateway sets for a user's Bearer token); the reply as JSON.
    pub async fn call_as(
        &self,
        role: ccgate_plugin_sdk::Role,
        user_id: &str,
        groups: &[&str],
        action: &str,
        pairs: &[(&str, &str)],
    ) -> ApiResult<Value> {
        let mut ctx = self.env.ctx(Self::spec("2017-07-05", action), INSTANCE);
        ctx.role = role;
        ctx.caller_scope = Some(ccgate_plugin_sdk::CallerScope {
            user_id: user_id.to_string(),
            login_name: user_id.to_string(),
            role,
            led_skill_group_ids: groups.iter().map(|g| g.to_string()).collect(),
        });
        ccgate_plugin_sdk::testing::call(self.agents.as_ref(), &ctx, pairs)
            .await
            .map(Value::Object)
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

/// The id the roles plugin gives role `name` of `instance` (UUID v5, namespace URL, of
/// `ccgate:role:<instance>:<name>`).
pub fn role_id(instance: &str, name: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("ccgate:role:{instance}:{name}").as_bytes(),
    )
    .to_string()
}

/// The roles plugin (the real one: its queries `resolve` and `of_instance`).
pub fn roles_plugin() -> Arc<dyn Plugin> {
    Arc::new(ccgate_roles::RolesPlugin::default())
}

impl Harness {
    /// Agents with the roles plugin ([`roles_plugin`]).
    pub async fn with_roles() -> Self {
        Self::with(vec![roles_plugin()]).await
    }

    /// Inserts a skill group of `instance` named `name` (the skill-group actions are another
    /// module's); its id.
    pub async fn add_group_in(&self, instance: &str, name: &str) -> String {
        use ccgate_plugin_sdk::sea_orm::{ActiveModelTrait, Set};
        let id = uuid::Uuid::new_v4().to_string();
        crate::storage::skill_group::ActiveModel {
            id: Set(id.clone()),
            instance_id: Set(instance.into()),
            name: Set(name.into()),
            description: Set(format!("{name} description")),
            routing_strategy: Set(String::new()),
            allow_private_outbound_number: Set(false),
            created_at: Set(0),
            updated_at: Set(0),
        }
        .insert(&self.env.db)
        .await
        .expect("insert skill group");
        id
    }

    /// [`Harness::add_group_in`] on [`INSTANCE`].
    pub async fn add_group(&self, name: &str) -> String {
        self.add_group_in(INSTANCE, name).await
    }

    /// CreateUser `login` (display name `Name <login>`, e-mail `<login>@example.com`, role
    /// agent) plus `extra` parameters; the new UserId.
    pub async fn create_user(&self, login: &str, extra: &[(&str, &str)]) -> String {
        let display = format!("Name {login}");
        let email = format!("{login}@example.com");
        let agent = role_id(INSTANCE, "agent");
        let mut pairs: Vec<(&str, &str)> = vec![
            ("LoginName", login),
            ("DisplayName", &display),
            ("Email", &email),
        ];
        if !extra.iter().any(|(k, _)| k.starts_with("RoleId")) {
            pairs.push(("RoleId.1", &agent));
        }
        pairs.extend_from_slice(extra);
        let v = self.call("CreateUser", &pairs).await.expect("CreateUser");
        v["UserId"].as_str().expect("UserId").to_string()
    }

    /// GetUser `user_id`: the `User` object.
    pub async fn get_user(&self, user_id: &str) -> Value {
        self.call("GetUser", &[("UserId", user_id)])
            .await
            .expect("GetUser")["User"]
            .clone()
    }

    /// Adds a principal to the test account's user directory (what AssignUsers imports).
    pub fn add_principal(
        &self,
        ram_id: &str,
        login: &str,
        display: &str,
        email: Option<&str>,
        phone: Option<&str>,
    ) {
        self.env
            .add_directory_user(ccgate_plugin_sdk::DirectoryUser {
                ram_id: ram_id.into(),
                login_name: login.into(),
                display_name: display.into(),
                email: email.map(str::to_string),
                phone: phone.map(str::to_string),
                created_at_ms: 0,
            });
    }

    /// The number of rows of `table`.
    pub async fn rows(&self, table: &str) -> i64 {
        use ccgate_plugin_sdk::sea_orm::{ConnectionTrait, Statement};
        let row = self
            .env
            .db
            .query_one_raw(Statement::from_string(
                self.env.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count")
            .expect("a row");
        row.try_get("", "n").expect("n")
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
