//! One module per action of `plugins/flows/api/`; each has `handle` and its unit tests.
//!
//! A handler is `pub async fn handle(ctx: &api::Ctx<'_>, req: Request) -> ApiResult<Response>`:
//! it takes the action's generated, validated request (`crate::api::<module>::Request`, from
//! `plugins/flows/api/<Action>.<version>.toml`) and returns its generated response
//! (`crate::api::<module>::Response`; [`ccgate_plugin_sdk::Empty`] for an action whose spec
//! documents no response field). The generated [`crate::api::dispatch`] calls it directly and
//! the gateway renders the typed reply; objects several actions return are the shared types of
//! [`crate::api::shapes`], built by [`crate::render`]. `ctx` dereferences to the request's
//! [`ccgate_plugin_sdk::Context`] (`ctx.db`, `ctx.instance()`, `ctx.principal`, ...) and
//! `ctx.state()` is the plugin's [`crate::State`]. Errors come from [`crate::api::errors`]
//! (the codes the action's spec lists) or are generic 500s (storage failures).
//!
//! | module | version | action | seed |
//! |---|---|---|---|
//! | [`list_contact_flows`] | 2017-07-05 | ListContactFlows | 004 §4.2 (L1132-1287) |
//! | [`create_contact_flow`] | 2017-07-05 | CreateContactFlow | 004 overview (L136) + official SDK |
//! | [`commit_contact_flow_version_modification`] | 2017-07-05 | CommitContactFlowVersionModification | 004 overview (L136) + official SDK |
//! | [`publish_contact_flow_version`] | 2017-07-05 | PublishContactFlowVersion | 004 §4.3 (L1288-1357) |
//! | [`get_route_point`] | 2017-07-05 | GetRoutePoint | 004 §4.1 (L1062-1131) |
//! | [`list_contact_flows_v2020`] | 2020-07-01 | ListContactFlows | 000 |
//! | [`query_ivr_flow_list`] | Huawei cc-management v1 | queryIVRFlowList | 001 |

pub mod commit_contact_flow_version_modification;
pub mod create_contact_flow;
pub mod get_route_point;
pub mod list_contact_flows;
pub mod list_contact_flows_v2020;
pub mod publish_contact_flow_version;
pub mod query_ivr_flow_list;
