//! Reads of contact flows (`flows_contact_flow`, [`super::contact_flow`]) for the list actions
//! and the `get` query: every flow of an instance or of an account, the flows named by id, and
//! a filtered, sorted page of 2020 ListContactFlows with its total.

use ccgate_plugin_sdk::sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use ccgate_plugin_sdk::sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Order, QueryFilter, QueryOrder,
};
use ccgate_plugin_sdk::{PageRequest, storage};

use super::contact_flow;

/// Every flow of `instance`, in creation order (2017 ListContactFlows).
pub async fn of_instance<C: ConnectionTrait>(
    db: &C,
    instance: &str,
) -> Result<Vec<contact_flow::Model>, DbErr> {
    contact_flow::Entity::find()
        .filter(contact_flow::Column::InstanceId.eq(instance))
        .order_by_asc(contact_flow::Column::Id)
        .all(db)
        .await
}

/// Every flow of the instances `instances` (an account's), in creation order (Huawei
/// queryIVRFlowList). No query for an empty list.
pub async fn of_instances<C: ConnectionTrait>(
    db: &C,
    instances: Vec<String>,
) -> Result<Vec<contact_flow::Model>, DbErr> {
    if instances.is_empty() {
        return Ok(Vec::new());
    }
    contact_flow::Entity::find()
        .filter(contact_flow::Column::InstanceId.is_in(instances))
        .order_by_asc(contact_flow::Column::Id)
        .all(db)
        .await
}

/// The flows of `instance` whose ids are in `contact_flow_ids` (others are left out), in
/// creation order (the `get` query). One query; none for an empty list.
pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    contact_flow_ids: Vec<String>,
) -> Result<Vec<contact_flow::Model>, DbErr> {
    if contact_flow_ids.is_empty() {
        return Ok(Vec::new());
    }
    contact_flow::Entity::find()
        .filter(contact_flow::Column::InstanceId.eq(instance))
        .filter(contact_flow::Column::ContactFlowId.is_in(contact_flow_ids))
        .order_by_asc(contact_flow::Column::Id)
        .all(db)
        .await
}

/// The filters and order of a 2020 ListContactFlows page.
#[derive(Debug, Clone)]
pub struct ListQuery<'a> {
    /// Only flows of this stored (2020) type, e.g. `MAIN_FLOW`.
    pub flow_type: Option<&'a str>,
    /// Only flows whose name or description contains this text: literally (`%` and `_` are
    /// not wildcards), or ignoring ASCII case.
    pub search: Option<&'a str>,
    /// The sort column; ties are broken by creation order in the same direction.
    pub order_by: contact_flow::Column,
    /// The sort direction.
    pub order: Order,
}

/// A page of the flows of `instance` matching `query`, and the total of all matches: the page
/// in SQL (`LIMIT`/`OFFSET`, [`storage::page`]); a short page tells the total, otherwise one
/// `COUNT(*)` over the same filters.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    query: &ListQuery<'_>,
    page: PageRequest,
) -> Result<(Vec<contact_flow::Model>, u64), DbErr> {
    let mut cond = Condition::all().add(contact_flow::Column::InstanceId.eq(instance));
    if let Some(t) = query.flow_type {
        cond = cond.add(contact_flow::Column::FlowType.eq(t));
    }
    if let Some(pattern) = query.search {
        cond = cond.add(search_condition(pattern));
    }

    let select = contact_flow::Entity::find().filter(cond);
    let flows = storage::page(
        db,
        select
            .clone()
            .order_by(query.order_by, query.order.clone())
            .order_by(contact_flow::Column::Id, query.order.clone()),
        page,
    )
    .await?;
    let total = match storage::total_from_page(page, flows.len()) {
        Some(total) => total,
        None => storage::count(db, select).await?,
    };
    Ok((flows, total))
}

/// Name or description contains `pattern`: literally, or (ASCII case-insensitively) after
/// `LOWER()` on both sides, so the match is the same on SQLite, PostgreSQL and MySQL. `%`
/// and `_` in `pattern` match themselves (escaped with `!`).
fn search_condition(pattern: &str) -> Condition {
    let raw = format!("%{}%", storage::escape_like(pattern));
    let lower = format!("%{}%", storage::escape_like(&pattern.to_lowercase()));
    let mut any = Condition::any();
    for col in [
        contact_flow::Column::Name,
        contact_flow::Column::Description,
    ] {
        any = any
            .add(
                Expr::col((contact_flow::Entity, col)).like(LikeExpr::new(raw.clone()).escape('!')),
            )
            .add(
                Func::lower(Expr::col((contact_flow::Entity, col)))
                    .like(LikeExpr::new(lower.clone()).escape('!')),
            );
    }
    any
}
