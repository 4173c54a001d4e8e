//! # ccgate flows plugin: contact flows (IVR flows)
//!
//! Serves the contact-flow actions of the Alibaba Cloud CCC OpenAPI (2017-07-05 and
//! 2020-07-01) and Huawei cc-management's `queryIVRFlowList`, stores flows and their versions,
//! and answers the `get` query of `docs/plugin-contracts.md`.
//!
//! Where to look:
//! - [`ACTIONS`] and [`FlowsPlugin`] (dispatch) here; one module per action under
//!   [`actions`] (each cites its seed file and section);
//! - [`storage`]: sea-orm entities, the migration, shared reads/writes;
//! - [`definition`]: flow definition (`Content`) validation;
//! - [`render`]: the 2017 `ContactFlow` / `ContactFlowVersion` objects and phone numbers;
//! - [`flow_type`]: `MAIN_FLOW` / `Mainflow` and friends; [`queries`]: the `get` query.
//!
//! Model: a flow has versions. A `Draft` is editable (at most one per flow); publishing makes
//! a version `Published` (the flow's `AppliedVersion`) and the previously published one
//! `Archived`. Published and archived versions are never rewritten.

#![deny(missing_docs)]

pub mod actions;
pub mod api;
pub mod definition;
#[cfg(feature = "dynamic")]
mod dynamic;
pub mod flow_type;
pub mod queries;
pub mod render;
pub mod storage;
#[cfg(test)]
mod testutil;

use ccgate_plugin_sdk::sea_orm::{DatabaseConnection, DbErr};
use ccgate_plugin_sdk::sea_orm_migration::MigratorTrait;
use ccgate_plugin_sdk::{
    ActionSpec, ApiError, ApiResult, Context, Params, Plugin, Reply, async_trait,
};
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

/// The flows plugin (`[plugins] enabled = ["flows"]`).
#[derive(Debug, Default, Clone, Copy)]
pub struct FlowsPlugin;

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

    /// Runs this plugin's migrations (bookkeeping table `ccgate_migrations_flows`).
    async fn migrate(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        storage::migration::Migrator::up(db, None).await
    }

    /// Parses the request with the generated parser of its action (`api::<module>::Request`)
    /// and runs the handler in `actions::<module>`.
    async fn handle(&self, ctx: &Context, params: &Params) -> ApiResult<Reply> {
        api::dispatch(self, ctx, params).await
    }

    /// Queries: `get` ([`queries::get`]).
    async fn query(&self, ctx: &Context, name: &str, args: Value) -> ApiResult<Value> {
        match name {
            "get" => queries::get(ctx, &args).await,
            _ => Err(ApiError::new(
                500,
                "InternalError",
                format!("plugin flows has no query {name}"),
            )),
        }
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
        match storage::create_flow(db, &new).await {
            Ok(_) => Ok(()),
            Err(e) if e.code == "Conflict.ContactFlowName" => Ok(()),
            Err(e) => Err(DbErr::Custom(format!(
                "creating the default contact flow of {instance_id}: {e}"
            ))),
        }
    }
}

/// One handler per action of `plugins/flows/api/`, in `actions::<module>`.
#[async_trait]
impl api::Handlers for FlowsPlugin {
    async fn commit_contact_flow_version_modification(
        &self,
        ctx: &Context,
        req: api::commit_contact_flow_version_modification::Request,
    ) -> ApiResult<Reply> {
        actions::commit_contact_flow_version_modification::handle(ctx, req).await
    }

    async fn create_contact_flow(
        &self,
        ctx: &Context,
        req: api::create_contact_flow::Request,
    ) -> ApiResult<Reply> {
        actions::create_contact_flow::handle(ctx, req).await
    }

    async fn get_route_point(
        &self,
        ctx: &Context,
        req: api::get_route_point::Request,
    ) -> ApiResult<Reply> {
        actions::get_route_point::handle(ctx, req).await
    }

    async fn list_contact_flows(
        &self,
        ctx: &Context,
        req: api::list_contact_flows::Request,
    ) -> ApiResult<Reply> {
        actions::list_contact_flows::handle(ctx, req).await
    }

    async fn list_contact_flows_v2020(
        &self,
        ctx: &Context,
        req: api::list_contact_flows_v2020::Request,
    ) -> ApiResult<Reply> {
        actions::list_contact_flows_v2020::handle(ctx, req).await
    }

    async fn publish_contact_flow_version(
        &self,
        ctx: &Context,
        req: api::publish_contact_flow_version::Request,
    ) -> ApiResult<Reply> {
        actions::publish_contact_flow_version::handle(ctx, req).await
    }

    async fn query_ivr_flow_list(
        &self,
        ctx: &Context,
        req: api::query_ivr_flow_list::Request,
    ) -> ApiResult<Reply> {
        actions::query_ivr_flow_list::handle(ctx, req).await
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
        assert_eq!(FlowsPlugin.name(), "flows");
        assert_eq!(FlowsPlugin.actions(), ACTIONS.to_vec());
    }

    #[tokio::test]
    async fn migrating_twice_is_harmless() {
        let env = env().await;
        FlowsPlugin.migrate(&env.db).await.unwrap();
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
        FlowsPlugin
            .on_instance_created(&env.db, INSTANCE)
            .await
            .unwrap();
        FlowsPlugin
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
