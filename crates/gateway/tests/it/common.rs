//! Test app: in-memory SQLite, a test account with AccessKey `testAK`/`testSecret` owning
//! instance `inst-1`, a second account owning `inst-other`, and the `echo` plugin.

use std::sync::Arc;

use actix_web::{App, dev::ServiceResponse, test, web};
use ccgate_gateway::admin;
use ccgate_gateway::app::configure;
use ccgate_gateway::auth::bearer::TokenService;
use ccgate_gateway::crypto::MasterKey;
use ccgate_gateway::registry::Registry;
use ccgate_gateway::sdk::{
    ActionSpec, ApiError, ApiResult, Context, PageRequest, Params, Plugin, Reply, Roles,
    async_trait, sea_orm,
};
use ccgate_gateway::settings::Settings;
use ccgate_gateway::state::AppState;
use serde_json::{Value, json};

/// Echoes its parameters; declares the actions seen in the SDK captures plus a paged and a
/// Bearer-only action and a Huawei operation.
pub struct Echo;

pub const HUAWEI_PATH: &str = "/apiaccess/rest/cc-management/v1/echo/list";

#[async_trait]
impl Plugin for Echo {
    fn name(&self) -> &'static str {
        "echo"
    }
    fn version(&self) -> &'static str {
        "0"
    }
    fn actions(&self) -> Vec<ActionSpec> {
        let mut v = Vec::new();
        for a in [
            "ListContactFlows",
            "ListRealtimeAgentStates",
            "ListAttempts",
            "ListPhoneNumbers",
            "SomeFutureAction",
        ] {
            v.push(ActionSpec::rpc("2020-07-01", a));
        }
        for a in [
            "ListContactFlows",
            "ListPhoneNumbers",
            "StartBack2BackCall",
            "CreateContactFlow",
            "AssignUsers",
        ] {
            v.push(ActionSpec::rpc("2017-07-05", a));
        }
        v.push(ActionSpec::rpc("2020-07-01", "ListThings"));
        v.push(ActionSpec::rpc("2017-07-05", "GetSecretThing").bearer_only());
        v.push(ActionSpec::rpc("2017-07-05", "Explode"));
        // Every role may ask who it is; only administrators may change things.
        v.push(ActionSpec::rpc("2017-07-05", "WhoAmI"));
        v.push(ActionSpec::rpc("2017-07-05", "AdminOnlyThing").with_roles(Roles::ADMIN));
        v.push(ActionSpec::huawei_cc_management(
            "echoList",
            "POST",
            HUAWEI_PATH,
        ));
        v
    }
    async fn migrate(&self, _db: &sea_orm::DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        Ok(())
    }
    async fn handle(&self, ctx: &Context, _action: usize, params: &Params) -> ApiResult<Reply> {
        match ctx.spec.action {
            "ListThings" => {
                // What a generated parser does for PageNumber / PageSize (1-100).
                let int =
                    |name| ccgate_plugin_sdk::contract::int(name, params.required(name)?, 1, 100);
                let page = PageRequest::new(int("PageNumber")?, int("PageSize")?);
                let list = (page.offset()..(page.offset() + page.size).min(250))
                    .map(|i| json!({"N": i}))
                    .collect();
                Ok(Reply::empty().with("Data", page.render(250, list)))
            }
            "Explode" => Err(ApiError::internal()),
            "WhoAmI" | "AdminOnlyThing" => Ok(Reply::empty()
                .with("Caller", json!(ctx.principal.display_name()))
                .with("Role", json!(ctx.role.as_str()))),
            "echoList" => Ok(Reply::from_json(json!({
                "result": ctx.account_instances, "retCode": "0", "message": "success",
                "caller": ctx.principal.display_name(), "body": params.json_body,
            }))),
            _ => Ok(Reply::empty()
                .with("Params", json!(params.all()))
                .with("Caller", json!(ctx.principal.display_name()))
                .with("Instance", json!(ctx.instance()))),
        }
    }
}

/// The master key of every test app (base64 of 32 bytes), for tests that import keys.
pub const MASTER_KEY_B64: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

pub struct TestApp {
    pub state: web::Data<AppState>,
    pub other_key: admin::NewAccessKey,
}

/// Builds the app with the echo plugin. `replay_window_secs` is large for replaying the captured
/// SDK requests.
pub async fn app(replay_window_secs: u64) -> TestApp {
    app_with(vec![Arc::new(Echo)], replay_window_secs).await
}

/// Builds the app serving `plugins`: account `test` (instance `inst-1`, AccessKey
/// `testAK`/`testSecret`) and account `other` (instance `inst-other`, [`TestApp::other_key`]).
pub async fn app_with(plugins: Vec<Arc<dyn Plugin>>, replay_window_secs: u64) -> TestApp {
    app_tuned(plugins, |s| {
        s.security.replay_window_secs = replay_window_secs
    })
    .await
}

/// [`app_with`] with settings changed by `tune` (limits, quotas).
pub async fn app_tuned(plugins: Vec<Arc<dyn Plugin>>, tune: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = Settings::load(None).unwrap();
    tune(&mut settings);
    let replay_window_secs = settings.security.replay_window_secs;
    let mut opts = sea_orm::ConnectOptions::new("sqlite::memory:");
    opts.max_connections(1).sqlx_logging(false);
    let db = sea_orm::Database::connect(opts).await.unwrap();
    let registry = Arc::new(Registry::new(plugins).unwrap());
    ccgate_gateway::store::migrate(&db, &registry)
        .await
        .unwrap();
    let master = MasterKey::from_base64(MASTER_KEY_B64).unwrap();
    let acc = admin::create_account(&db, "test").await.unwrap();
    admin::create_instance(&db, &registry, &acc, "inst-1", "")
        .await
        .unwrap();
    admin::import_access_key(&db, &master, &acc, "testAK", "testSecret")
        .await
        .unwrap();
    let other = admin::create_account(&db, "other").await.unwrap();
    admin::create_instance(&db, &registry, &other, "inst-other", "")
        .await
        .unwrap();
    let other_key = admin::create_access_key(&db, &master, &other, "")
        .await
        .unwrap();
    let tokens = TokenService::load_or_create(&db, &master).await.unwrap();
    let mut state = AppState::new(
        settings,
        db.clone(),
        registry,
        master.clone(),
        tokens.clone(),
        None,
    );
    // Requests signed up to the window before the app was built (old captures) are judged by
    // their signature only: no start fence within the window.
    let fence = chrono::Utc::now() - chrono::Duration::seconds(replay_window_secs as i64);
    state.auth =
        ccgate_gateway::auth::AuthState::new(db, master, tokens, &state.settings.security, fence);
    TestApp {
        state: web::Data::new(state),
        other_key,
    }
}

impl TestApp {
    pub async fn send(&self, req: test::TestRequest) -> ServiceResponse {
        let svc = test::init_service(App::new().configure(configure(self.state.clone()))).await;
        test::call_service(&svc, req.to_request()).await
    }

    /// Sends and returns (status, JSON body).
    pub async fn json(&self, req: test::TestRequest) -> (u16, Value) {
        let resp = self.send(req).await;
        let status = resp.status().as_u16();
        let body = test::read_body(resp).await;
        (
            status,
            serde_json::from_slice(&body)
                .unwrap_or_else(|_| json!({"raw": String::from_utf8_lossy(&body)})),
        )
    }
}
