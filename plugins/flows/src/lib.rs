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
#[cfg(feature = "dynamic")]
mod dynamic;
pub mod api;
pub mod definition;
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

/// Every action this plugin serves.
pub const ACTIONS: &[ActionSpec] = &[
    actions::list_contact_flows_v2017::SPEC,
    actions::create_contact_flow::SPEC,
    actions::commit_contact_flow_version_modification::SPEC,
    actions::publish_contact_flow_version::SPEC,
    actions::get_route_point::SPEC,
    actions::list_contact_flows_v2020::SPEC,
    actions::query_ivr_flow_list::SPEC,
];

/// Name of the flow [`FlowsPlugin::on_instance_created`] creates ("default flow", the name
/// seed 000's example uses).
pub const DEFAULT_FLOW_NAME: &str = "默认流程";

/// Who the default flow is attributed to (`Editor`, `LastModifiedBy`).
pub const SYSTEM_EDITOR: &str = "system";

/// The flows plugin (`[plugins] enabled = ["flows"]`).
#[derive(Debug, Default, Clone, Copy)]
pub struct FlowsPlugin;

fn same(a: &ActionSpec, b: &ActionSpec) -> bool {
    a.dialect == b.dialect && a.version == b.version && a.action == b.action
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

    /// Runs this plugin's migrations (bookkeeping table `ccgate_migrations_flows`).
    async fn migrate(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        storage::migration::Migrator::up(db, None).await
    }

    async fn handle(&self, ctx: &Context, params: &Params) -> ApiResult<Reply> {
        use actions::*;
        let spec = &ctx.spec;
        if same(spec, &list_contact_flows_v2017::SPEC) {
            list_contact_flows_v2017::handle(ctx, params).await
        } else if same(spec, &create_contact_flow::SPEC) {
            create_contact_flow::handle(ctx, params).await
        } else if same(spec, &commit_contact_flow_version_modification::SPEC) {
            commit_contact_flow_version_modification::handle(ctx, params).await
        } else if same(spec, &publish_contact_flow_version::SPEC) {
            publish_contact_flow_version::handle(ctx, params).await
        } else if same(spec, &get_route_point::SPEC) {
            get_route_point::handle(ctx, params).await
        } else if same(spec, &list_contact_flows_v2020::SPEC) {
            list_contact_flows_v2020::handle(ctx, params).await
        } else if same(spec, &query_ivr_flow_list::SPEC) {
            query_ivr_flow_list::handle(ctx, params).await
        } else {
            Err(ApiError::not_implemented(spec.action))
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use serde_json::json;

    #[test]
    fn every_action_is_listed_once_with_its_auth_and_scope() {
        assert_eq!(ACTIONS.len(), 7);
        for (i, a) in ACTIONS.iter().enumerate() {
            assert!(
                ACTIONS[i + 1..].iter().all(|b| !same(a, b)),
                "{} listed twice",
                a.action
            );
        }
        let auth: Vec<_> = ACTIONS
            .iter()
            .map(|a| (a.version, a.action, a.auth))
            .collect();
        use ccgate_plugin_sdk::AuthModes::*;
        assert_eq!(
            auth,
            [
                ("2017-07-05", "ListContactFlows", AkOrBearer),
                ("2017-07-05", "CreateContactFlow", AkOrBearer),
                (
                    "2017-07-05",
                    "CommitContactFlowVersionModification",
                    AkOrBearer
                ),
                ("2017-07-05", "PublishContactFlowVersion", AkOrBearer),
                ("2017-07-05", "GetRoutePoint", AkOrBearer),
                ("2020-07-01", "ListContactFlows", AkOrBearer),
                ("v1", "queryIVRFlowList", BearerOnly),
            ]
        );
        assert_eq!(
            actions::query_ivr_flow_list::SPEC.instance,
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
            actions::list_contact_flows_v2020::SPEC,
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
            actions::get_route_point::SPEC,
            INSTANCE,
            &[("ContactFlowId", id)],
        )
        .await
        .unwrap();
        assert_eq!(rp, json!({"RoutePoint": "80200001"}));
    }
}
