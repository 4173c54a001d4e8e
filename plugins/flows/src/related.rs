//! Loading what listing flows needs besides the flow rows: their versions (from
//! [`crate::storage`]) and the phone numbers bound to them (from the numbers plugin's
//! `by_contact_flow` query, docs/plugin-contracts.md). [`crate::render`] then formats the
//! loaded [`Related`] without I/O.

use std::collections::HashMap;

use ccgate_plugin_sdk::{ApiResult, Context};

use crate::api::clients::numbers::{self, by_contact_flow};
use crate::render::BoundNumber;
use crate::storage::{self, contact_flow, contact_flow_version};

/// Phone numbers bound to contact flows, by `ContactFlowId` (see [`numbers_by_flow`]).
pub type NumbersByFlow = HashMap<String, Vec<BoundNumber>>;

/// Most flow ids one `numbers`/`by_contact_flow` call names: the bound of its
/// `ContactFlowIds` (`plugins/numbers/api/queries/by_contact_flow.toml`), which is also the
/// largest 2020 ListContactFlows `PageSize`, so a 2020 page is one call. [`numbers_by_flow`]
/// splits longer lists (2017 ListContactFlows lists every flow of the instance).
pub const NUMBERS_QUERY_MAX_FLOWS: usize = 100;

/// What listing `flows` needs besides the rows: their versions and bound numbers, loaded with
/// one versions query and one `numbers`/`by_contact_flow` call per
/// [`NUMBERS_QUERY_MAX_FLOWS`] flows (one for any 2020 page, none for no flows), asking about
/// these flows only: the cost follows the flows listed, not the instance's numbers.
pub struct Related {
    versions: HashMap<String, Vec<contact_flow_version::Model>>,
    numbers: NumbersByFlow,
}

impl Related {
    /// Loads the versions and numbers of `flows` (all of one instance, `ctx.instance()`).
    ///
    /// Errors: 500 on storage failures or a malformed numbers answer; errors of the numbers
    /// plugin are passed on.
    pub async fn load(ctx: &Context, flows: &[contact_flow::Model]) -> ApiResult<Self> {
        if flows.is_empty() {
            return Ok(Self {
                versions: HashMap::new(),
                numbers: NumbersByFlow::new(),
            });
        }
        let ids: Vec<String> = flows.iter().map(|f| f.contact_flow_id.clone()).collect();
        let mut versions: HashMap<String, Vec<contact_flow_version::Model>> = HashMap::new();
        for v in storage::versions_of(&ctx.db, ids.clone()).await? {
            versions
                .entry(v.contact_flow_id.clone())
                .or_default()
                .push(v);
        }
        let numbers = numbers_by_flow(ctx, ctx.instance(), &ids).await?;
        Ok(Self { versions, numbers })
    }

    /// The versions of `flow`, in storage order.
    pub fn versions(&self, flow: &contact_flow::Model) -> Vec<&contact_flow_version::Model> {
        self.versions
            .get(&flow.contact_flow_id)
            .map(|v| v.iter().collect())
            .unwrap_or_default()
    }

    /// The numbers bound to `flow`, if any.
    pub fn numbers(&self, flow: &contact_flow::Model) -> Option<&Vec<BoundNumber>> {
        self.numbers.get(&flow.contact_flow_id)
    }
}

/// Asks the numbers plugin which numbers of `instance_id` are bound to the flows
/// `contact_flow_ids` (its `by_contact_flow` query, through the generated client): one call
/// per [`NUMBERS_QUERY_MAX_FLOWS`] ids, none for an empty list. The map holds the flows that
/// have numbers (by the query's contract, only flows asked about).
///
/// Returns an empty map when the numbers plugin is not enabled. Errors of the numbers plugin
/// are passed on; an answer of another shape is a 500.
pub async fn numbers_by_flow(
    ctx: &Context,
    instance_id: &str,
    contact_flow_ids: &[String],
) -> ApiResult<NumbersByFlow> {
    let mut numbers = NumbersByFlow::new();
    for chunk in contact_flow_ids.chunks(NUMBERS_QUERY_MAX_FLOWS) {
        let args = by_contact_flow::Args {
            instance_id: instance_id.to_string(),
            contact_flow_ids: chunk.to_vec(),
        };
        let Some(answer) = numbers::by_contact_flow(ctx, &args).await? else {
            return Ok(NumbersByFlow::new());
        };
        numbers.extend(
            answer
                .contact_flows
                .into_iter()
                .map(|f| (f.contact_flow_id, f.phone_numbers)),
        );
    }
    Ok(numbers)
}
