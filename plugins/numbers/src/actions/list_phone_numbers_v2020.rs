//! 2020-07-01 ListPhoneNumbers (seed 002 获取号码列表): a page of the instance's numbers.
//!
//! Request ([`crate::api::list_phone_numbers_v2020::Request`]): `InstanceId`; `SearchPattern`
//! (substring of the number; empty = no filter); `Usage` (Outbound | Inbound | Bidirection;
//! empty = no filter); `Active` (boolean, `True` / `False` accepted; empty = no filter);
//! `PageNumber`, `PageSize` (required, 1-100).
//!
//! Response ([`crate::api::list_phone_numbers_v2020::Response`]): `Data = {PageNumber, PageSize,
//! TotalCount, List}`, ordered by number; each item has exactly `Active, CreateTime (epoch ms as
//! a string), UserId, Tags, City, InstanceId, Usage, ContactFlowName, Provider, Number,
//! ContactFlowId, Province, SkillGroups[{DisplayName, InstanceId, Name, SkillGroupId}]` (see
//! [`crate::render`] for the constant ones).
//!
//! Filtering, ordering and paging run in SQL: `WHERE instance_id = ? [AND ...] ORDER BY number
//! LIMIT <size> OFFSET ?` ([`phone_numbers::page`], [`storage::page`]), read off the index
//! `(instance_id, number)` (or `(instance_id, usage, number)` with a `Usage` filter) without
//! sorting; `number` is unique (index `uq_numbers_phone_numbers_number`), so the order is total
//! without a tie-breaker. `LIMIT` is a literal (SQLite re-prepares a cached statement whose
//! bound `LIMIT` changes, since the limit is plan-relevant; a bound `OFFSET` is not) and
//! `OFFSET` a bound value, so there is one prepared statement per filter shape and page size.
//! `TotalCount` is `offset + rows` when the page is neither full nor past the end, else, without
//! filters, the instance's count maintained by the writes (one primary-key read of
//! `numbers_instance_counts`, [`crate::storage::instance_counts`]) and, with filters, one
//! `SELECT COUNT(*)` over the same index ([`phone_numbers::count`]). The page's skill groups
//! come in one query, their names in one `agents`/`skill_groups` call and its flow names in one
//! `flows`/`get` call ([`crate::related::load`]).
//!
//! Pages are cached by the generated dispatch (`list_cache = "serve"` in the spec; key =
//! instance, its write generation and the parsed request) and counts here ([`crate::cache`]).
//! Every write action of this plugin and of the flows plugin (whose `get` query gives the flow
//! names) invalidates its instance at once; other replicas' writes show within the TTL
//! (`[plugins.numbers] list_cache_ttl_ms`, 1 s), or at once with `[cluster]`. What a write
//! costs the readers after it is in [`crate::cache`] ("What a write costs readers").
//!
//! Errors (seed 002): `Parameter.Null` / `Parameter.Empty` (PageNumber, PageSize),
//! `Parameter.Enumeration` (Usage), `Parameter.Minimum` / `Parameter.Maximum` (paging),
//! `InvalidParameter` (not an integer / boolean); `NotExists.InstanceId` comes from the gateway.

use std::time::Instant;

use ccgate_plugin_sdk::cache::HasListCache;
use ccgate_plugin_sdk::{ApiResult, PageRequest, storage};

use crate::api::Ctx;
use crate::api::list_phone_numbers_v2020::{Data, Request, Response};
use crate::cache::{CachedCount, CountKey, ListFilter};
use crate::related;
use crate::storage::phone_numbers;

/// Serves 2020 ListPhoneNumbers. The page cache is the generated dispatch's (the spec says
/// `list_cache = "serve"`); this handler reuses a cached `TotalCount` of the same filters when
/// one is younger than the TTL, and then ages the page from that count (`data_read_at`); else
/// it reads the count ([`phone_numbers::count`]: the maintained count without filters, a
/// `COUNT(*)` with them) and caches it. An unfiltered page tells the cache which numbers it
/// lists (`shows_items`), so a ModifyPhoneNumber of another number keeps it.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    // Both are validated to 1..=100 by the request parser.
    let page = PageRequest {
        number: u64::try_from(req.page_number).unwrap_or(1),
        size: u64::try_from(req.page_size).unwrap_or(1),
    };
    let state = ctx.state();
    // The generation is read before the database (see ccgate_plugin_sdk::cache).
    let key = CountKey {
        instance: ctx.instance().to_string(),
        generation: state.list_cache().generation(ctx.instance()),
        filter: ListFilter {
            pattern: req.search_pattern,
            usage: req.usage.map(|u| u.as_str()),
            active: req.active,
        },
    };
    let known = state.counts.get(&key);
    let started = Instant::now();
    let rows = phone_numbers::page(&ctx.db, ctx.instance(), &key.filter, page).await?;
    if key.filter.is_none() {
        // ModifyPhoneNumber changes one number in place (`changed_item_only`): an unfiltered
        // page that does not list it stays cached. A filtered one may gain or lose it (Usage).
        ctx.shows_items(rows.iter().map(|n| n.id.as_str()));
    }
    let total = match (storage::total_from_page(page, rows.len()), known) {
        (Some(total), _) => total,
        (None, Some(c)) => {
            ctx.data_read_at(c.born);
            c.total
        }
        (None, None) => {
            let total = phone_numbers::count(&ctx.db, ctx.instance(), &key.filter).await?;
            state.counts.put(
                key,
                CachedCount {
                    born: started,
                    total,
                },
            );
            total
        }
    };
    let renderer = related::load(ctx, &rows).await?;
    Ok(Response {
        data: Data {
            page_number: i64::try_from(page.number).unwrap_or(i64::MAX),
            page_size: i64::try_from(page.size).unwrap_or(i64::MAX),
            total_count: i64::try_from(total).unwrap_or(i64::MAX),
            list: rows
                .iter()
                .map(|n| renderer.list_item_2020_typed(n))
                .collect(),
        },
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::sea_orm::{ActiveModelTrait, EntityTrait, Set};
    use ccgate_plugin_sdk::serde_json::{Value, json};

    use crate::api::list_phone_numbers_v2020::SPEC;
    use crate::api::{add_bulk_phone_numbers, modify_phone_number};
    use crate::storage::phone_number;
    use crate::testutil::{FLOW_A, FLOW_B, Harness, INSTANCE, OTHER_INSTANCE, keys, names};

    fn numbers(v: &Value) -> Vec<String> {
        v["Data"]["List"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["Number"].as_str().unwrap().to_string())
            .collect()
    }

    async fn page(h: &Harness, extra: &[(&str, &str)]) -> Value {
        let mut pairs = vec![("PageNumber", "1"), ("PageSize", "100")];
        pairs.extend_from_slice(extra);
        h.call(SPEC, &pairs).await.unwrap()
    }

    async fn seed(h: &Harness) {
        h.add("053168962496", "Bidirection", Some(FLOW_A)).await;
        h.add("02160664656", "Inbound", Some(FLOW_B)).await;
        h.add("13912345678", "Outbound", None).await;
        h.add("01086394552", "Outbound", None).await;
        h.add_in(OTHER_INSTANCE, "02160660000", "Outbound", None)
            .await;
    }

    #[tokio::test]
    async fn item_shape_is_exact() {
        let h = Harness::new().await;
        let v = h
            .call(
                add_bulk_phone_numbers::SPEC,
                &[
                    ("PhoneNumber.1", "053168962496"),
                    ("Usage", "Bidirection"),
                    ("ContactFlowId", FLOW_A),
                    ("SkillGroupId.1", "skillgroup@ccc-test"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(
            v["PhoneNumbers"]["PhoneNumber"].as_array().unwrap().len(),
            1
        );
        let v = page(&h, &[]).await;
        assert_eq!(keys(&v), names(&["Data"]));
        assert_eq!(
            keys(&v["Data"]),
            names(&["PageNumber", "PageSize", "TotalCount", "List"])
        );
        let item = &v["Data"]["List"][0];
        assert_eq!(
            keys(item),
            names(&[
                "Active",
                "CreateTime",
                "UserId",
                "Tags",
                "City",
                "InstanceId",
                "Usage",
                "ContactFlowName",
                "Provider",
                "Number",
                "ContactFlowId",
                "Province",
                "SkillGroups",
            ])
        );
        let create_time = item["CreateTime"].as_str().unwrap();
        assert!(create_time.parse::<i64>().unwrap() > 1_600_000_000_000);
        assert_eq!(
            item,
            &json!({
                "Active": true,
                "CreateTime": create_time,
                "UserId": "",
                "Tags": "",
                "City": "济南",
                "InstanceId": INSTANCE,
                "Usage": "Bidirection",
                "ContactFlowName": "Welcome",
                "Provider": "",
                "Number": "053168962496",
                "ContactFlowId": FLOW_A,
                "Province": "山东",
                "SkillGroups": [{
                    "DisplayName": "skillgroup@ccc-test",
                    "InstanceId": INSTANCE,
                    "Name": "skillgroup@ccc-test",
                    "SkillGroupId": "skillgroup@ccc-test",
                }],
            })
        );
        assert_eq!(v["Data"]["PageNumber"], 1);
        assert_eq!(v["Data"]["PageSize"], 100);
        assert_eq!(v["Data"]["TotalCount"], 1);
    }

    #[tokio::test]
    async fn filters_and_total_count() {
        let h = Harness::new().await;
        seed(&h).await;
        let v = page(&h, &[]).await;
        assert_eq!(v["Data"]["TotalCount"], 4);
        assert_eq!(
            numbers(&v),
            vec!["01086394552", "02160664656", "053168962496", "13912345678"]
        );

        let v = page(&h, &[("SearchPattern", "6066")]).await;
        assert_eq!(numbers(&v), vec!["02160664656"], "other instance excluded");
        assert_eq!(v["Data"]["TotalCount"], 1);

        let v = page(&h, &[("Usage", "Outbound")]).await;
        assert_eq!(numbers(&v), vec!["01086394552", "13912345678"]);
        assert_eq!(v["Data"]["TotalCount"], 2);

        let v = page(&h, &[("Usage", "Outbound"), ("SearchPattern", "139")]).await;
        assert_eq!(numbers(&v), vec!["13912345678"]);

        let v = page(&h, &[("Usage", ""), ("SearchPattern", ""), ("Active", "")]).await;
        assert_eq!(v["Data"]["TotalCount"], 4, "empty means no filtering");

        // LIKE wildcards in the pattern are literal.
        let v = page(&h, &[("SearchPattern", "%")]).await;
        assert_eq!(v["Data"]["TotalCount"], 0);
        let v = page(&h, &[("SearchPattern", "0_0")]).await;
        assert_eq!(v["Data"]["TotalCount"], 0);

        // Active: deactivate one number directly (no API sets it yet).
        let row = phone_number::Entity::find()
            .all(&h.env.db)
            .await
            .unwrap()
            .into_iter()
            .find(|n| n.number == "13912345678")
            .unwrap();
        let mut am: phone_number::ActiveModel = row.into();
        am.active = Set(false);
        am.update(&h.env.db).await.unwrap();
        let v = page(&h, &[("Active", "False")]).await;
        assert_eq!(numbers(&v), vec!["13912345678"]);
        assert_eq!(v["Data"]["List"][0]["Active"], false);
        let v = page(&h, &[("Active", "true")]).await;
        assert_eq!(v["Data"]["TotalCount"], 3);
    }

    #[tokio::test]
    async fn paging_in_sql_with_total() {
        let h = Harness::new().await;
        let list: Vec<(String, String)> = (0..25)
            .map(|i| (format!("PhoneNumber.{}", i + 1), format!("0216066{i:04}")))
            .collect();
        let mut pairs: Vec<(&str, &str)> =
            list.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        pairs.push(("Usage", "Inbound"));
        h.call(add_bulk_phone_numbers::SPEC, &pairs).await.unwrap();

        let v = h
            .call(SPEC, &[("PageNumber", "3"), ("PageSize", "10")])
            .await
            .unwrap();
        assert_eq!(v["Data"]["TotalCount"], 25);
        assert_eq!(v["Data"]["PageNumber"], 3);
        assert_eq!(v["Data"]["PageSize"], 10);
        assert_eq!(
            numbers(&v),
            (20..25)
                .map(|i| format!("0216066{i:04}"))
                .collect::<Vec<_>>()
        );
        let v = h
            .call(SPEC, &[("PageNumber", "4"), ("PageSize", "10")])
            .await
            .unwrap();
        assert_eq!(v["Data"]["TotalCount"], 25);
        assert_eq!(v["Data"]["List"], json!([]));
    }

    #[tokio::test]
    async fn one_flows_call_per_page_and_names_resolved() {
        let h = Harness::new().await;
        seed(&h).await;
        let before = h.flow_calls();
        let v = page(&h, &[]).await;
        assert_eq!(h.flow_calls(), before + 1);
        let names: Vec<&str> = v["Data"]["List"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["ContactFlowName"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["", "Sales", "Welcome", ""]);
        // Flows disabled: ids stay, names are empty.
        let v = h
            .call_flows_disabled(SPEC, &[("PageNumber", "1"), ("PageSize", "10")])
            .await
            .unwrap();
        assert_eq!(v["Data"]["List"][1]["ContactFlowId"], FLOW_B);
        assert_eq!(v["Data"]["List"][1]["ContactFlowName"], "");
    }

    #[tokio::test]
    async fn skill_groups_follow_modify() {
        let h = Harness::new().await;
        let id = h.add("02160664656", "Inbound", None).await;
        h.call(
            modify_phone_number::SPEC,
            &[
                ("PhoneNumberId", &id),
                ("Usage", "Bidirection"),
                ("SkillGroupId.1", "b@ccc-test"),
                ("SkillGroupId.2", "a@ccc-test"),
            ],
        )
        .await
        .unwrap();
        let v = page(&h, &[]).await;
        let ids: Vec<&str> = v["Data"]["List"][0]["SkillGroups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["SkillGroupId"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec!["b@ccc-test", "a@ccc-test"]);
        assert_eq!(v["Data"]["List"][0]["Usage"], "Bidirection");
    }

    #[tokio::test]
    async fn documented_errors() {
        let h = Harness::new().await;
        let e = h.call(SPEC, &[("PageSize", "10")]).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "Parameter.Null"));
        assert!(e.message.contains("PageNumber"));
        let e = h.call(SPEC, &[("PageNumber", "1")]).await.unwrap_err();
        assert_eq!(e.code, "Parameter.Null");
        let e = h
            .call(SPEC, &[("PageNumber", ""), ("PageSize", "10")])
            .await
            .unwrap_err();
        assert_eq!(e.code, "Parameter.Empty");
        for (n, s, code) in [
            ("0", "10", "Parameter.Minimum"),
            ("101", "10", "Parameter.Maximum"),
            ("1", "0", "Parameter.Minimum"),
            ("1", "101", "Parameter.Maximum"),
            ("x", "10", "InvalidParameter"),
        ] {
            let e = h
                .call(SPEC, &[("PageNumber", n), ("PageSize", s)])
                .await
                .unwrap_err();
            assert_eq!((e.status, e.code.as_ref()), (400, code), "{n}/{s}");
        }
        let e = h
            .call(
                SPEC,
                &[("PageNumber", "1"), ("PageSize", "10"), ("Usage", "Both")],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "Parameter.Enumeration"));
        assert_eq!(
            e.message,
            "The parameter Usage must be one of the value of enumeration [Outbound, Inbound, Bidirection]."
        );
        let e = h
            .call(
                SPEC,
                &[("PageNumber", "1"), ("PageSize", "10"), ("Active", "yes")],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
    }

    /// Issue 15: without filters, `TotalCount` is the maintained count, read from
    /// `numbers_instance_counts`, not counted: a wrong value set there by hand is what the
    /// list reports. Filtered lists still count, and a short page still tells its own total.
    #[tokio::test]
    async fn unfiltered_total_count_is_read_not_counted() {
        use crate::storage::instance_count;

        let h = Harness::new().await;
        seed(&h).await;
        instance_count::ActiveModel {
            instance_id: Set(INSTANCE.to_string()),
            total: Set(1234),
        }
        .update(&h.env.db)
        .await
        .unwrap();
        let v = h
            .call(SPEC, &[("PageNumber", "1"), ("PageSize", "2")])
            .await
            .unwrap();
        assert_eq!(numbers(&v), vec!["01086394552", "02160664656"]);
        assert_eq!(v["Data"]["TotalCount"], 1234, "read from the table");
        // Past the end: the count too.
        let v = h
            .call(SPEC, &[("PageNumber", "9"), ("PageSize", "2")])
            .await
            .unwrap();
        assert_eq!(v["Data"]["TotalCount"], 1234);
        // Empty filters are no filters.
        let v = h
            .call(
                SPEC,
                &[
                    ("PageNumber", "2"),
                    ("PageSize", "2"),
                    ("SearchPattern", ""),
                    ("Usage", ""),
                ],
            )
            .await
            .unwrap();
        assert_eq!(v["Data"]["TotalCount"], 1234);
        // A short page tells its total without a count.
        assert_eq!(page(&h, &[]).await["Data"]["TotalCount"], 4);
        // With a filter: `COUNT(*)`.
        for filter in [
            ("SearchPattern", "1"),
            ("Usage", "Outbound"),
            ("Active", "true"),
        ] {
            let v = h
                .call(SPEC, &[("PageNumber", "1"), ("PageSize", "1"), filter])
                .await
                .unwrap();
            let expected = if filter.0 == "Usage" { 2 } else { 4 };
            assert_eq!(v["Data"]["TotalCount"], expected, "{filter:?}");
        }
        // An instance that never had a number: no row, 0.
        let v = h
            .call_in(SPEC, "ccc-empty", &[("PageNumber", "2"), ("PageSize", "1")])
            .await
            .unwrap();
        assert_eq!(v["Data"]["TotalCount"], 0);
        // The next write moves the stored value, and the list shows it at once.
        h.add("13900000000", "Inbound", None).await;
        let v = h
            .call(SPEC, &[("PageNumber", "1"), ("PageSize", "2")])
            .await
            .unwrap();
        assert_eq!(v["Data"]["TotalCount"], 1235);
    }

    /// Issue 9: 25,000 `%` (escaped to 50,000) exceeded SQLite's LIKE pattern limit: 500.
    #[tokio::test]
    async fn search_patterns_are_bounded() {
        let h = Harness::new().await;
        let long = "%".repeat(25_000);
        let e = h
            .call(SPEC, &[("SearchPattern", long.as_str())])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "Parameter.Maximum"));
        let at_limit = "%".repeat(32);
        let v = page(&h, &[("SearchPattern", at_limit.as_str())]).await;
        assert_eq!(v["Data"]["TotalCount"], 0);
    }

    #[tokio::test]
    async fn skill_group_names_come_from_agents() {
        let h = Harness::with_agents().await;
        h.call(
            add_bulk_phone_numbers::SPEC,
            &[
                ("PhoneNumber.1", "053168962496"),
                ("Usage", "Bidirection"),
                ("SkillGroupId.1", "sg-2"),
            ],
        )
        .await
        .unwrap();
        let v = page(&h, &[]).await;
        assert_eq!(
            v["Data"]["List"][0]["SkillGroups"],
            json!([{
                "DisplayName": "Support",
                "InstanceId": INSTANCE,
                "Name": "Support",
                "SkillGroupId": format!("Support@{INSTANCE}"),
            }])
        );
    }
}
