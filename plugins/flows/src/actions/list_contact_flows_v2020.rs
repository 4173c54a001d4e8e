//! 2020-07-01 ListContactFlows (seed 000): a page of the instance's contact flows, filtered by
//! type and keyword and sorted, with paging and the total counted in SQL.
//!
//! Reply: `Data = {PageNumber, PageSize, TotalCount, List}`, each item exactly `{Type,
//! Definition, DraftId, Description, UpdatedTime, Editor, Published, InstanceId, Name,
//! ContactFlowId, CreatedTime, NumberList}` in that (the seed's) order, where:
//! - `Type` is `MAIN_FLOW` / `SUB_FLOW` / `SURVEY_FLOW`;
//! - `Definition` is the definition JSON of the flow's draft if it has one (what an editor
//!   works on), else of its published version;
//! - `DraftId` is the `ContactFlowVersionId` of the flow's draft, present only when the flow
//!   has unpublished changes ("returned when the IVR flow is in an unpublished state");
//! - `Description` is the flow's description; `Editor` who last changed or published it;
//! - `Published` is whether any version is in effect;
//! - `UpdatedTime` / `CreatedTime` are `yyyy-MM-dd HH:mm:ss.S` UTC;
//! - `NumberList` holds the `Number`s bound to the flow (numbers plugin `by_contact_flow`,
//!   one call asking about the page's flows only, so its cost follows the page, not the
//!   instance's numbers; empty when that plugin is disabled).

use ccgate_plugin_sdk::sea_orm::Order;
use ccgate_plugin_sdk::{ApiResult, PageRequest, time};

use crate::api::Ctx;
use crate::api::list_contact_flows_v2020::{
    Data, List, OrderByField, Request, Response, SortOrder,
};
use crate::flow_type::FlowType;
use crate::related::Related;
use crate::render;
use crate::storage::contact_flow_version::STATUS_DRAFT;
use crate::storage::contact_flows::{self, ListQuery};
use crate::storage::{contact_flow, contact_flow_version};

/// Params ([`Request`]): `PageNumber`, `PageSize` (required, 1-100); `Type` (optional,
/// `MAIN_FLOW`, `SUB_FLOW`, `SURVEY_FLOW`); `SortOrder` (optional, `ASC` / `DESC`, default
/// `DESC`); `OrderByField` (optional, `updatedTime` (default), `createdTime`, `name`); `SearchPattern`
/// (optional, at most 64 characters: a substring of the name or description, matched
/// literally — `%` and `_` are not wildcards — and ignoring ASCII case). Ties are broken by
/// creation order in the same direction.
///
/// Errors: `Parameter.Null` / `Parameter.Empty`, `Parameter.Minimum` / `Parameter.Maximum`
/// (paging, SearchPattern length), `Parameter.Enumeration` (Type, SortOrder, OrderByField),
/// `InvalidParameter` (paging not an integer).
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let page = PageRequest::new(req.page_number, req.page_size);
    let flow_type = req.type_.map(|t| t.as_str());
    let order = match req.sort_order {
        SortOrder::Asc => Order::Asc,
        SortOrder::Desc => Order::Desc,
    };
    let order_by = match req.order_by_field {
        OrderByField::CreatedTime => contact_flow::Column::CreatedAt,
        OrderByField::Name => contact_flow::Column::Name,
        OrderByField::UpdatedTime => contact_flow::Column::UpdatedAt,
    };
    let query = ListQuery {
        flow_type,
        search: req.search_pattern.as_deref(),
        order_by,
        order,
    };
    // A short page tells the total; otherwise one COUNT(*) over the same filters.
    let (flows, total) = contact_flows::page(&ctx.db, ctx.instance(), &query, page).await?;

    let related = Related::load(ctx, &flows).await?;

    let list = flows
        .iter()
        .map(|f| {
            let vs = related.versions(f);
            item(f, &vs, related.numbers(f))
        })
        .collect();
    Ok(Response {
        data: Data {
            page_number: to_i64(page.number),
            page_size: to_i64(page.size),
            total_count: to_i64(total),
            list,
        },
    })
}

/// A count as the spec's `integer` (counts never come near `i64::MAX`).
fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// One `Data.List[]` item (see the module docs).
fn item(
    flow: &contact_flow::Model,
    versions: &[&contact_flow_version::Model],
    numbers: Option<&Vec<render::BoundNumber>>,
) -> List {
    let current = render::current_version(flow, versions);
    let draft = versions.iter().rev().find(|v| v.status == STATUS_DRAFT);
    List {
        type_: FlowType::from_stored(&flow.flow_type).as_2020().to_string(),
        definition: current.map(|v| v.content.clone()).unwrap_or_default(),
        draft_id: draft.map(|d| d.contact_flow_version_id.clone()),
        description: flow.description.clone(),
        updated_time: time::datetime_tenths(flow.updated_at),
        editor: flow.editor.clone(),
        published: flow.applied_version_id.is_some(),
        instance_id: flow.instance_id.clone(),
        name: flow.name.clone(),
        contact_flow_id: flow.contact_flow_id.clone(),
        created_time: time::datetime_tenths(flow.created_at),
        number_list: render::number_list(numbers),
    }
}

#[cfg(test)]
mod tests {
    use crate::api::list_contact_flows_v2020::SPEC;
    use crate::api::publish_contact_flow_version::SPEC as PUBLISH;
    use crate::storage::contact_flow;
    use crate::testutil::*;
    use ccgate_plugin_sdk::sea_orm::{
        ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
    };
    use ccgate_plugin_sdk::testing::TestEnv;
    use serde_json::{Value, json};

    async fn list(env: &TestEnv, extra: &[(&str, &str)]) -> Value {
        let mut pairs = vec![("PageNumber", "1"), ("PageSize", "100")];
        pairs.extend_from_slice(extra);
        call(env, SPEC, INSTANCE, &pairs).await.unwrap()
    }

    fn names(reply: &Value) -> Vec<String> {
        reply["Data"]["List"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["Name"].as_str().unwrap().to_string())
            .collect()
    }

    /// Sets a flow's timestamps directly so ordering is deterministic.
    async fn set_times(env: &TestEnv, name: &str, created: i64, updated: i64) {
        let f = contact_flow::Entity::find()
            .filter(contact_flow::Column::Name.eq(name))
            .one(&env.db)
            .await
            .unwrap()
            .unwrap();
        let mut am = f.into_active_model();
        am.created_at = Set(created);
        am.updated_at = Set(updated);
        am.update(&env.db).await.unwrap();
    }

    #[tokio::test]
    async fn item_shape_follows_the_seed() {
        let (env, numbers) = env_with_numbers().await;
        let created = create(&env, INSTANCE, "默认流程", "MAIN_FLOW", "1.0").await;
        let id = created["ContactFlow"]["ContactFlowId"].as_str().unwrap();
        let vid = first_version_id(&created);
        *numbers.answer.lock().unwrap() = json!({"ContactFlows": [{
            "ContactFlowId": id,
            "PhoneNumbers": [bound_number("4002890001"), bound_number("4002890002")]
        }]});
        set_times(&env, "默认流程", 1_614_937_345_000, 1_615_217_689_000).await;

        let reply = list(&env, &[]).await;
        assert_eq!(keys(&reply), ["Data"]);
        assert_eq!(
            keys(&reply["Data"]),
            ["PageNumber", "PageSize", "TotalCount", "List"]
        );
        let item = &reply["Data"]["List"][0];
        assert_eq!(
            keys(item),
            [
                "Type",
                "Definition",
                "DraftId",
                "Description",
                "UpdatedTime",
                "Editor",
                "Published",
                "InstanceId",
                "Name",
                "ContactFlowId",
                "CreatedTime",
                "NumberList"
            ]
        );
        assert_eq!(item["Type"], "MAIN_FLOW");
        assert_eq!(item["Definition"], definition_for("MAIN_FLOW"));
        assert_eq!(item["DraftId"], vid);
        assert_eq!(item["Description"], "1.0");
        assert_eq!(item["UpdatedTime"], "2021-03-08 15:34:49.0");
        assert_eq!(item["CreatedTime"], "2021-03-05 09:42:25.0");
        assert_eq!(item["Editor"], "test-ak");
        assert_eq!(item["Published"], false);
        assert_eq!(item["InstanceId"], INSTANCE);
        assert_eq!(item["ContactFlowId"], id);
        assert_eq!(item["NumberList"], json!(["4002890001", "4002890002"]));

        // Once published (no pending draft) DraftId goes away.
        call(&env, PUBLISH, INSTANCE, &[("ContactFlowVersionId", &vid)])
            .await
            .unwrap();
        let item = &list(&env, &[]).await["Data"]["List"][0];
        assert_eq!(item["Published"], true);
        assert!(item.get("DraftId").is_none(), "{item}");
        assert_eq!(item["Definition"], definition_for("MAIN_FLOW"));
    }

    #[tokio::test]
    async fn numbers_are_asked_for_the_flows_of_the_page_only() {
        let (env, numbers) = env_with_numbers().await;
        let mut ids = Vec::new();
        for i in 0..3 {
            ids.push(create_main(&env, INSTANCE, &format!("f{i}")).await);
            set_times(&env, &format!("f{i}"), 1000 * i, 1000 * i).await;
        }
        // Every flow has a number; the page (newest first, one per page) shows f1 only.
        *numbers.answer.lock().unwrap() = json!({"ContactFlows": [
            {"ContactFlowId": ids[0].clone(), "PhoneNumbers": [bound_number("4002890000")]},
            {"ContactFlowId": ids[1].clone(), "PhoneNumbers": [bound_number("4002890001")]},
            {"ContactFlowId": ids[2].clone(), "PhoneNumbers": [bound_number("4002890002")]},
        ]});
        let reply = call(
            &env,
            SPEC,
            INSTANCE,
            &[("PageNumber", "2"), ("PageSize", "1")],
        )
        .await
        .unwrap();
        assert_eq!(names(&reply), ["f1"]);
        assert_eq!(
            reply["Data"]["List"][0]["NumberList"],
            json!(["4002890001"])
        );
        assert_eq!(
            numbers.asked.lock().unwrap().as_slice(),
            [json!({"InstanceId": INSTANCE, "ContactFlowIds": [ids[1].clone()]})]
        );
        // A page past the end asks nothing.
        numbers.asked.lock().unwrap().clear();
        let reply = call(
            &env,
            SPEC,
            INSTANCE,
            &[("PageNumber", "4"), ("PageSize", "1")],
        )
        .await
        .unwrap();
        assert_eq!(reply["Data"]["List"], json!([]));
        assert!(numbers.asked.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn paging_counts_all_matches() {
        let env = env().await;
        for i in 0..5 {
            create_main(&env, INSTANCE, &format!("f{i}")).await;
            set_times(&env, &format!("f{i}"), 1000 * i, 1000 * i).await;
        }
        create_main(&env, OTHER_INSTANCE, "other").await;
        let reply = call(
            &env,
            SPEC,
            INSTANCE,
            &[("PageNumber", "2"), ("PageSize", "2")],
        )
        .await
        .unwrap();
        assert_eq!(reply["Data"]["PageNumber"], 2);
        assert_eq!(reply["Data"]["PageSize"], 2);
        assert_eq!(reply["Data"]["TotalCount"], 5);
        assert_eq!(names(&reply), ["f2", "f1"]);
        let reply = call(
            &env,
            SPEC,
            INSTANCE,
            &[("PageNumber", "3"), ("PageSize", "2")],
        )
        .await
        .unwrap();
        assert_eq!(names(&reply), ["f0"]);
        let reply = call(
            &env,
            SPEC,
            INSTANCE,
            &[("PageNumber", "4"), ("PageSize", "2")],
        )
        .await
        .unwrap();
        assert_eq!(reply["Data"]["TotalCount"], 5);
        assert_eq!(reply["Data"]["List"], json!([]));
    }

    #[tokio::test]
    async fn sorting() {
        let env = env().await;
        for (name, created, updated) in [("b", 1, 30), ("c", 2, 10), ("a", 3, 20)] {
            create_main(&env, INSTANCE, name).await;
            set_times(&env, name, created * 1000, updated * 1000).await;
        }
        assert_eq!(names(&list(&env, &[]).await), ["b", "a", "c"]);
        assert_eq!(
            names(&list(&env, &[("SortOrder", "ASC")]).await),
            ["c", "a", "b"]
        );
        assert_eq!(
            names(&list(&env, &[("OrderByField", "createdTime")]).await),
            ["a", "c", "b"]
        );
        assert_eq!(
            names(&list(&env, &[("OrderByField", "name"), ("SortOrder", "ASC")]).await),
            ["a", "b", "c"]
        );
        assert_eq!(
            names(
                &list(
                    &env,
                    &[("OrderByField", "updatedTime"), ("SortOrder", "DESC")]
                )
                .await
            ),
            ["b", "a", "c"]
        );
    }

    #[tokio::test]
    async fn filters() {
        let env = env().await;
        create(&env, INSTANCE, "Welcome", "MAIN_FLOW", "greets callers").await;
        create(
            &env,
            INSTANCE,
            "Transfer",
            "SUB_FLOW",
            "hands over to a WELCOME desk",
        )
        .await;
        create(&env, INSTANCE, "Survey", "SURVEY_FLOW", "100% satisfaction").await;
        create(&env, INSTANCE, "默认流程", "MAIN_FLOW", "").await;

        let r = list(&env, &[("Type", "SUB_FLOW")]).await;
        assert_eq!(
            (names(&r), r["Data"]["TotalCount"].clone()),
            (vec!["Transfer".to_string()], json!(1))
        );
        let r = list(
            &env,
            &[
                ("Type", "MAIN_FLOW"),
                ("OrderByField", "name"),
                ("SortOrder", "ASC"),
            ],
        )
        .await;
        assert_eq!(names(&r), ["Welcome", "默认流程"]);

        // Name or description, ignoring ASCII case.
        let r = list(
            &env,
            &[
                ("SearchPattern", "welcome"),
                ("OrderByField", "name"),
                ("SortOrder", "ASC"),
            ],
        )
        .await;
        assert_eq!(names(&r), ["Transfer", "Welcome"]);
        assert_eq!(r["Data"]["TotalCount"], 2);
        let r = list(&env, &[("SearchPattern", "默认")]).await;
        assert_eq!(names(&r), ["默认流程"]);
        // Wildcards are literal.
        let r = list(&env, &[("SearchPattern", "0%")]).await;
        assert_eq!(names(&r), ["Survey"]);
        let r = list(&env, &[("SearchPattern", "_")]).await;
        assert_eq!(names(&r), Vec::<String>::new());
        // Filters combine.
        let r = list(&env, &[("SearchPattern", "welcome"), ("Type", "MAIN_FLOW")]).await;
        assert_eq!(names(&r), ["Welcome"]);
        // Empty means no filtering.
        let r = list(&env, &[("SearchPattern", ""), ("Type", "")]).await;
        assert_eq!(r["Data"]["TotalCount"], 4);
    }

    #[tokio::test]
    async fn parameter_errors() {
        let env = env().await;
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("PageSize", "10")], "Parameter.Null"),
            (&[("PageNumber", "1")], "Parameter.Null"),
            (
                &[("PageNumber", "0"), ("PageSize", "10")],
                "Parameter.Minimum",
            ),
            (
                &[("PageNumber", "1"), ("PageSize", "101")],
                "Parameter.Maximum",
            ),
            (
                &[("PageNumber", "x"), ("PageSize", "10")],
                "InvalidParameter",
            ),
            (
                &[("PageNumber", "1"), ("PageSize", "10"), ("Type", "MAIN")],
                "Parameter.Enumeration",
            ),
            (
                &[
                    ("PageNumber", "1"),
                    ("PageSize", "10"),
                    ("SortOrder", "asc"),
                ],
                "Parameter.Enumeration",
            ),
            (
                &[
                    ("PageNumber", "1"),
                    ("PageSize", "10"),
                    ("OrderByField", "id"),
                ],
                "Parameter.Enumeration",
            ),
        ];
        for (pairs, code) in cases {
            let e = call(&env, SPEC, INSTANCE, pairs).await.unwrap_err();
            assert_eq!(e.code, *code, "{pairs:?}");
        }
        let long = "x".repeat(65);
        let e = call(
            &env,
            SPEC,
            INSTANCE,
            &[
                ("PageNumber", "1"),
                ("PageSize", "10"),
                ("SearchPattern", &long),
            ],
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, "Parameter.Maximum");
        let e = call(
            &env,
            SPEC,
            INSTANCE,
            &[
                ("PageNumber", "1"),
                ("PageSize", "10"),
                ("OrderByField", "id"),
            ],
        )
        .await
        .unwrap_err();
        assert!(
            e.message.contains("[updatedTime, createdTime, name]"),
            "{}",
            e.message
        );
    }
}
