//! Test harness: the workbench with the real agents and roles plugins on an in-memory SQLite
//! database; users and skill groups made through agents' own actions.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ccgate_plugin_sdk::serde_json::{Value, json};
use ccgate_plugin_sdk::testing::TestEnv;
use ccgate_plugin_sdk::{ActionSpec, ApiResult, Plugin, Role, TokenGrant};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};

use crate::WorkbenchPlugin;
use crate::settings::{Settings, TurnServer, TurnSettings};

/// The instance every test works on.
pub const INSTANCE: &str = "ccc-test";

/// A user made by [`Harness::user`].
#[derive(Debug, Clone)]
pub struct Member {
    /// UserId.
    pub user_id: String,
    /// RamId.
    pub ram_id: String,
    /// Login name.
    pub login: String,
    /// Extension.
    pub extension: String,
    /// Skill groups (what a token acting for it may name).
    pub groups: Vec<String>,
}

/// Workbench + agents + roles.
pub struct Harness {
    /// The environment.
    pub env: TestEnv,
    workbench: Arc<dyn Plugin>,
}

fn spec_of(actions: &[ActionSpec], version: &str, action: &str) -> ActionSpec {
    *actions
        .iter()
        .find(|a| a.version == version && a.action == action)
        .unwrap_or_else(|| panic!("no spec {action} {version}"))
}

fn spec(version: &str, action: &str) -> ActionSpec {
    let mut all = crate::api::ACTIONS.to_vec();
    all.extend(ccgate_agents::api::ACTIONS.iter().copied());
    spec_of(&all, version, action)
}

impl Harness {
    /// Default settings (no TURN secret).
    pub async fn new() -> Self {
        Self::with(Settings::default()).await
    }

    /// TURN with `secret` and one server `127.0.0.1:3478` in region `local`.
    pub async fn with_turn(secret: &str) -> Self {
        Self::with(Settings {
            turn: TurnSettings {
                secret: secret.into(),
                servers: vec![TurnServer {
                    region: "local".into(),
                    name: "Local".into(),
                    domain: "127.0.0.1:3478".into(),
                    cidr: "127.0.0.0/8".into(),
                }],
                ..TurnSettings::default()
            },
            ..Settings::default()
        })
        .await
    }

    async fn with(settings: Settings) -> Self {
        let workbench: Arc<dyn Plugin> = Arc::new(WorkbenchPlugin::with_settings(settings));
        let env = TestEnv::new(vec![
            workbench.clone(),
            Arc::new(ccgate_agents::AgentsPlugin::default()),
            Arc::new(ccgate_roles::RolesPlugin::default()),
        ])
        .await;
        Self { env, workbench }
    }

    /// Now by the environment's clock, UTC epoch seconds.
    pub fn now_secs(&self) -> i64 {
        self.env.clock.now_ms() / 1000
    }

    /// Calls 2017 `action` as an administrator's AccessKey.
    pub async fn call(&self, action: &str, pairs: &[(&str, &str)]) -> ApiResult<Value> {
        self.env
            .call(spec("2017-07-05", action), INSTANCE, pairs)
            .await
    }

    /// Calls 2020 `action` as an administrator's AccessKey.
    pub async fn call_2020(&self, action: &str, pairs: &[(&str, &str)]) -> ApiResult<Value> {
        self.env
            .call(spec("2020-07-01", action), INSTANCE, pairs)
            .await
    }

    /// Calls 2017 workbench `action` as `m`'s Bearer token with `role` (what the gateway sets).
    pub async fn call_as(
        &self,
        m: &Member,
        role: Role,
        action: &str,
        pairs: &[(&str, &str)],
    ) -> ApiResult<Value> {
        self.call_with(m, role, None, action, pairs).await
    }

    /// As [`Harness::call_as`], the token issued at `iat` and expiring at `exp` (seconds).
    pub async fn call_with_token(
        &self,
        m: &Member,
        role: Role,
        iat: i64,
        exp: i64,
        action: &str,
        pairs: &[(&str, &str)],
    ) -> ApiResult<Value> {
        let grant = TokenGrant {
            token_id: "0".repeat(32),
            issued_at: iat,
            expires_at: exp,
            access_key_id: None,
            role: Some(role.as_str().into()),
            user: true,
        };
        self.call_with(m, role, Some(grant), action, pairs).await
    }

    async fn call_with(
        &self,
        m: &Member,
        role: Role,
        token: Option<TokenGrant>,
        action: &str,
        pairs: &[(&str, &str)],
    ) -> ApiResult<Value> {
        let mut ctx = self.env.ctx(spec("2017-07-05", action), INSTANCE);
        ctx.role = role;
        ctx.principal = ccgate_plugin_sdk::Principal::Bearer {
            subject: m.login.clone(),
        };
        ctx.token = token;
        ctx.caller_scope = Some(ccgate_plugin_sdk::CallerScope {
            user_id: m.user_id.clone(),
            login_name: m.login.clone(),
            role,
            led_skill_group_ids: m.groups.clone(),
        });
        ccgate_plugin_sdk::testing::call(self.workbench.as_ref(), &ctx, pairs)
            .await
            .map(Value::Object)
    }

    /// A skill group made with CreateSkillGroup; its id.
    pub async fn group(&self, name: &str) -> String {
        let v = self
            .call("CreateSkillGroup", &[("Name", name), ("Description", name)])
            .await
            .expect("CreateSkillGroup");
        v["SkillGroupId"].as_str().unwrap().to_string()
    }

    /// A user made with CreateUser, with `role` (`admin`, `skill-group-leader`, `agent`) and
    /// member of `groups`.
    pub async fn user(&self, login: &str, role: &str, groups: &[&str]) -> Member {
        let role_id = uuid_v5_role(role);
        let display = format!("Name {login}");
        let email = format!("{login}@example.com");
        let mut pairs: Vec<(String, String)> = vec![
            ("LoginName".into(), login.into()),
            ("DisplayName".into(), display),
            ("Email".into(), email),
            ("RoleId.1".into(), role_id),
        ];
        for (i, g) in groups.iter().enumerate() {
            pairs.push((format!("SkillGroupId.{}", i + 1), g.to_string()));
            pairs.push((format!("SkillLevel.{}", i + 1), "5".into()));
        }
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let v = self.call("CreateUser", &refs).await.expect("CreateUser");
        let user_id = v["UserId"].as_str().unwrap().to_string();
        let u = self
            .call("GetUser", &[("UserId", &user_id)])
            .await
            .expect("GetUser");
        let ctx = self.env.ctx(spec("2017-07-05", "GetConfig"), INSTANCE);
        let found = crate::people::find(&ctx, "UserId", &user_id)
            .await
            .unwrap()
            .unwrap();
        Member {
            ram_id: u["User"]["RamId"]
                .as_str()
                .unwrap_or(&found.ram_id)
                .to_string(),
            user_id,
            login: login.into(),
            extension: found.extension,
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    /// UpdateConfigItems at (`object_type`, `object_id`) with `items` (JSON).
    pub async fn update(
        &self,
        object_type: &str,
        object_id: &str,
        items: &str,
    ) -> ApiResult<Value> {
        self.call_2020(
            "UpdateConfigItems",
            &[
                ("ObjectType", object_type),
                ("ObjectId", object_id),
                ("ConfigItems", items),
            ],
        )
        .await
    }

    /// Rows of `workbench_config_items`.
    pub async fn rows(&self) -> u64 {
        use ccgate_plugin_sdk::sea_orm::{EntityTrait, PaginatorTrait};
        crate::storage::config_item::Entity::find()
            .count(&self.env.db)
            .await
            .unwrap()
    }

    /// Whether `signature` is the instance's login key's signature of `data`, checked with the
    /// public key the `login_key` query publishes.
    pub async fn verifies(&self, data: &str, signature: &str) -> bool {
        let ctx = self.env.ctx(spec("2017-07-05", "GetConfig"), INSTANCE);
        let key = self
            .workbench
            .query(&ctx, "login_key", json!({"instance_id": INSTANCE}))
            .await
            .unwrap();
        assert_eq!(key["algorithm"], "Ed25519");
        let public: [u8; 32] = B64
            .decode(key["public_key"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let Ok(sig) = B64.decode(signature) else {
            return false;
        };
        let Ok(sig) = <[u8; 64]>::try_from(sig) else {
            return false;
        };
        VerifyingKey::from_bytes(&public)
            .unwrap()
            .verify(data.as_bytes(), &Signature::from_bytes(&sig))
            .is_ok()
    }
}

/// The RoleId the roles plugin gives `name` in [`INSTANCE`].
fn uuid_v5_role(name: &str) -> String {
    let role = Role::parse(name).expect("a role name");
    ccgate_roles::catalog::role_id(INSTANCE, role)
}
