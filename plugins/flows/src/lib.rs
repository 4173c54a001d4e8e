//! # ccgate flows plugin: contact flows (IVR flows)
//!
//! Serves the contact-flow actions of the Alibaba Cloud CCC OpenAPI (2017-07-05 and
//! 2020-07-01) and Huawei cc-management's `queryIVRFlowList`, stores flows and their versions,
//! and answers the `get` query of `docs/plugin-contracts.md`.
//!
//! How a request flows through the crate:
//! - the contracts live in `plugins/flows/api/`: one spec per action
//!   (`<Action>.<version>.toml`) and the response shapes several actions share
//!   (`shapes/<Name>.toml`: the 2017 `ContactFlow`, `ContactFlowVersion` and `PhoneNumber`);
//! - [`api`] is generated from them by `cargo xtask codegen`: [`ACTIONS`], one module per
//!   action (its `SPEC`, typed `Request` parser and `Response` struct), [`api::shapes`] (the
//!   shared response types), [`api::errors`] (one constructor per error code the specs list)
//!   and [`api::dispatch`], which parses a request and calls its handler;
//! - [`FlowsPlugin`] implements [`Plugin`]: `handle` hands the request to [`api::dispatch`]
//!   with the plugin's [`State`];
//! - [`actions`]: one module per action, each with
//!   `handle(&api::Ctx<'_>, Request) -> ApiResult<Response>` (and its tests, and the seed file
//!   and section it follows);
//! - [`storage`]: sea-orm entities, the migration, and every query and transaction of the
//!   plugin (handlers, queries and loaders call its functions and build no SQL themselves;
//!   times come from the caller, i.e. the request's clock `ctx.now_ms()`);
//! - [`definition`]: flow definition (`Content`) validation;
//! - [`related`]: loads what a flow list needs besides the rows (versions from [`storage`],
//!   bound numbers from the numbers plugin's `by_contact_flow` query);
//! - [`render`]: builds the 2017 `ContactFlow` / `ContactFlowVersion` / `PhoneNumber` objects
//!   and the 2020 `NumberList` from loaded data (generated types, no I/O);
//! - [`flow_type`]: `MAIN_FLOW` / `Mainflow` and friends; [`queries`]: the `get` query.
//!
//! Errors a handler raises come from [`api::errors`], so every code it answers is one its spec
//! (and so the OpenAPI document and the API reference) lists.
//!
//! Model: a flow has versions. A `Draft` is editable (at most one per flow); publishing makes
//! a version `Published` (the flow's `AppliedVersion`) and the previously published one
//! `Archived`. Published and archived versions are never rewritten.

#![deny(missing_docs)]

pub mod actions;
pub mod api;
pub mod definition;
pub mod flow_type;
pub mod queries;
pub mod related;
pub mod render;
pub mod storage;
#[cfg(test)]
mod testutil;

use std::sync::OnceLock;
use std::time::Duration;

use ccgate_plugin_sdk::cache::{HasListCache, ListCache};
use ccgate_plugin_sdk::sea_orm::{DatabaseConnection, DbErr};
use ccgate_plugin_sdk::sea_orm_migration::MigratorTrait;
use ccgate_plugin_sdk::{ActionSpec, ApiResult, Context, Params, Plugin, Reply, async_trait};
use serde::Deserialize;
use serde_json::Value;

use crate::flow_type::FlowType;
use crate::storage::NewFlow;

/// Every action this plugin serves (generated from `plugins/flows/api/*.toml`).
pub use api::ACTIONS;

/// Name of the flow [`FlowsPlugin::on_instance_created`] creates ("default flow", the name
/// seed 000's example uses).
pub const DEFAULT_FLOW_NAME: &str = "默认流程";

/// Who the default flow is attributed to (`Editor`, `LastModifiedBy`).
pub const SYSTEM_EDITOR: &str = "system";

/// Default TTL of cached flow lists (the `list_cache_ttl_ms` setting).
pub const DEFAULT_LIST_CACHE_TTL: Duration = Duration::from_secs(1);

/// The flows plugin's settings: `[plugins.flows]` in the config file
/// (`CCGATE__PLUGINS__FLOWS__<KEY>` in the environment).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// How long a cached ListContactFlows answer (2017-07-05 and 2020-07-01) may be served,
    /// in milliseconds: the bound on seeing writes made through other replicas without
    /// `[cluster]`. `0` disables the cache. Default 1000.
    pub list_cache_ttl_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            list_cache_ttl_ms: DEFAULT_LIST_CACHE_TTL.as_millis() as u64,
        }
    }
}

/// The flows plugin's state, handed to every handler with the request
/// (`api::Ctx::state()`): the list cache of both ListContactFlows.
///
/// What is cached, and when it is dropped (`list_cache` in the specs, wired by the generated
/// dispatch; contract in [`ccgate_plugin_sdk::cache`]): a ListContactFlows answer per
/// (instance, request), served until the TTL or until a write that can change it ends on this
/// replica: CreateContactFlow, CommitContactFlowVersionModification and
/// PublishContactFlowVersion (this plugin's), and every numbers write (AddPhoneNumber,
/// AddBulkPhoneNumbers, ModifyPhoneNumber, RemovePhoneNumber: the bound numbers the lists
/// show come from numbers' `by_contact_flow` query, so codegen makes numbers' writes drop
/// these pages too). With `[cluster]` the other replicas drop theirs as well.
#[derive(Debug)]
pub struct State {
    list_cache: ListCache,
}

impl State {
    /// The state for `settings`.
    pub fn new(settings: &Settings) -> Self {
        Self {
            list_cache: ListCache::new(Duration::from_millis(settings.list_cache_ttl_ms)),
        }
    }
}

impl Default for State {
    fn default() -> Self {
        Self::new(&Settings::default())
    }
}

impl HasListCache for State {
    fn list_cache(&self) -> &ListCache {
        &self.list_cache
    }
}

/// The flows plugin (`[plugins] enabled = ["flows"]`): `FlowsPlugin::default()`.
#[derive(Debug, Default)]
pub struct FlowsPlugin {
    state: OnceLock<State>,
}

impl FlowsPlugin {
    /// The plugin with flow lists cached for `ttl` (`Duration::ZERO` disables the cache),
    /// whatever its settings say; for tests and benchmarks.
    pub fn with_list_cache_ttl(ttl: Duration) -> Self {
        let plugin = Self::default();
        let _ = plugin.state.set(State::new(&Settings {
            list_cache_ttl_ms: ttl.as_millis() as u64,
        }));
        plugin
    }

    /// The state handlers see (default settings until [`Plugin::init`] ran).
    pub fn state(&self) -> &State {
        self.state.get_or_init(State::default)
    }
}

#[async_trait]
impl Plugin for FlowsPlugin {
    fn name(&self) -> &'static str {
        "flows"
    }

    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    fn actions(&self) -> Vec<ActionSpec> {
        ACTIONS.to_vec()
    }

    /// Reads `[plugins.flows]` ([`Settings`]).
    ///
    /// Errors: a bad or unknown key, named (`plugins.flows.list_cache_ttl_ms: ...`).
    async fn init(&self, settings: &Value) -> Result<(), String> {
        let settings: Settings = ccgate_plugin_sdk::settings::parse("flows", settings)?;
        // Built with explicit test settings (`with_list_cache_ttl`): those win.
        let _ = self.state.set(State::new(&settings));
        Ok(())
    }

    /// Runs this plugin's migrations (bookkeeping table `ccgate_migrations_flows`).
    async fn migrate(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        storage::migration::Migrator::up(db, None).await
    }

    /// [`api::dispatch`]: parses the request with the generated parser of action `action`
    /// (`api::<module>::Request`), runs its handler `actions::<module>::handle` with this
    /// plugin's [`State`] and returns the handler's typed `Response`.
    async fn handle(&self, ctx: &Context, action: usize, params: &Params) -> ApiResult<Reply> {
        api::dispatch(self.state(), ctx, action, params).await
    }

    /// The queries of `plugins/flows/api/queries/` ([`api::queries::dispatch`]).
    async fn query(&self, ctx: &Context, name: &str, args: Value) -> ApiResult<Value> {
        api::queries::dispatch(self.state(), ctx, name, args).await
    }

    /// Creates the instance's default main flow, [`DEFAULT_FLOW_NAME`], published, with the
    /// INCOMING_CALL → PLAY_SAY → HANGUP definition of seed 000
    /// ([`definition::DEFAULT_DEFINITION`]). Does nothing when the instance already has a
    /// flow of that name, so it is safe to call again.
    async fn on_instance_created(
        &self,
        db: &DatabaseConnection,
        instance_id: &str,
    ) -> Result<(), DbErr> {
        let new = NewFlow {
            instance_id: instance_id.to_string(),
            name: DEFAULT_FLOW_NAME.to_string(),
            description: DEFAULT_FLOW_NAME.to_string(),
            flow_type: FlowType::Main,
            content: definition::DEFAULT_DEFINITION.to_string(),
            canvas: String::new(),
            editor: SYSTEM_EDITOR.to_string(),
            publish: true,
        };
        // Not a request: there is no request clock here, so the flow is dated by the system
        // clock.
        match storage::create_flow(db, &new, ccgate_plugin_sdk::time::now_ms()).await {
            Ok(_) => Ok(()),
            Err(e) if e.code == "Conflict.ContactFlowName" => Ok(()),
            Err(e) => Err(DbErr::Custom(format!(
                "creating the default contact flow of {instance_id}: {e}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    #[test]
    fn every_action_is_listed_once_with_its_auth_and_scope() {
        let mut keys: Vec<_> = ACTIONS.iter().map(|a| (a.version, a.action)).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), ACTIONS.len(), "an action listed twice");
        let mut auth: Vec<_> = ACTIONS
            .iter()
            .map(|a| (a.version, a.action, a.auth))
            .collect();
        auth.sort_by_key(|(v, a, _)| (*v, *a));
        use ccgate_plugin_sdk::AuthModes::*;
        assert_eq!(
            auth,
            [
                (
                    "2017-07-05",
                    "CommitContactFlowVersionModification",
                    AkOrBearer
                ),
                ("2017-07-05", "CreateContactFlow", AkOrBearer),
                ("2017-07-05", "GetRoutePoint", AkOrBearer),
                ("2017-07-05", "ListContactFlows", AkOrBearer),
                ("2017-07-05", "PublishContactFlowVersion", AkOrBearer),
                ("2020-07-01", "ListContactFlows", AkOrBearer),
                ("huawei-cc-management-v1", "queryIVRFlowList", BearerOnly),
            ],
            "ListIvrTrackingDetail is specified but not served"
        );
        assert_eq!(
            api::query_ivr_flow_list::SPEC.instance,
            ccgate_plugin_sdk::InstanceScope::Account
        );
        assert_eq!(FlowsPlugin::default().name(), "flows");
        assert_eq!(FlowsPlugin::default().actions(), ACTIONS.to_vec());
    }

    #[tokio::test]
    async fn migrating_twice_is_harmless() {
        let env = env().await;
        FlowsPlugin::default().migrate(&env.db).await.unwrap();
        create_main(&env, INSTANCE, "still works").await;
    }

    #[tokio::test]
    async fn unknown_actions_are_not_implemented() {
        let env = env().await;
        let spec = ActionSpec::rpc("2017-07-05", "ListIvrTrackingDetail");
        let e = call(&env, spec, INSTANCE, &[]).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (501, "NotImplemented"));
    }

    #[tokio::test]
    async fn a_new_instance_gets_a_published_default_flow_once() {
        let env = env().await;
        FlowsPlugin::default()
            .on_instance_created(&env.db, INSTANCE)
            .await
            .unwrap();
        FlowsPlugin::default()
            .on_instance_created(&env.db, INSTANCE)
            .await
            .unwrap();
        let reply = call(
            &env,
            api::list_contact_flows_v2020::SPEC,
            INSTANCE,
            &[("PageNumber", "1"), ("PageSize", "10")],
        )
        .await
        .unwrap();
        assert_eq!(reply["Data"]["TotalCount"], 1);
        let item = &reply["Data"]["List"][0];
        assert_eq!(item["Name"], DEFAULT_FLOW_NAME);
        assert_eq!(item["Type"], "MAIN_FLOW");
        assert_eq!(item["Published"], true);
        assert_eq!(item["Editor"], SYSTEM_EDITOR);
        assert!(item.get("DraftId").is_none());
        assert_eq!(item["Definition"], definition::DEFAULT_DEFINITION);
        let id = item["ContactFlowId"].as_str().unwrap();
        let listed = listed_2017(&env, INSTANCE, id).await;
        assert_eq!(
            listed["AppliedVersion"],
            listed["Versions"]["ContactFlowVersion"][0]["Version"]
        );
        assert_eq!(
            listed["Versions"]["ContactFlowVersion"][0]["Status"],
            "Published"
        );
        let rp = call(
            &env,
            api::get_route_point::SPEC,
            INSTANCE,
            &[("ContactFlowId", id)],
        )
        .await
        .unwrap();
        assert_eq!(rp["RoutePoint"], "80200001");
    }
}
