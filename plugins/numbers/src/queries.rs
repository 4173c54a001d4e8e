//! The queries numbers offers other plugins (specs: `plugins/numbers/api/queries/`; generated
//! types and dispatch: [`crate::api::queries`]; docs/plugin-contracts.md).

use ccgate_plugin_sdk::{ApiError, ApiResult};

use crate::api::Ctx;
use crate::api::queries::by_contact_flow::{Args, ContactFlows, Output, PhoneNumbers};
use crate::api::queries::{by_ids, inbound, outbound};
use crate::rules;
use crate::storage::{NUMBER_MAX, phone_numbers, skill_groups_of};

/// `by_ids`: the numbers of `args.instance_id` with ids `args.phone_number_ids`, ordered by
/// `Number`; unknown ids (and other instances' numbers) are absent. The agents domain validates
/// and renders the outbound numbers of skill groups with it. One SQL query per
/// [`crate::storage::IN_LIST_MAX`] ids; none for an empty list.
///
/// Errors: 500 on storage failures.
pub async fn by_ids(ctx: &Ctx<'_>, args: by_ids::Args) -> ApiResult<by_ids::Output> {
    let mut ids = args.phone_number_ids;
    ids.sort();
    ids.dedup();
    let mut rows = phone_numbers::of_instance_by_ids(&ctx.db, &args.instance_id, &ids).await?;
    rows.sort_by(|a, b| a.number.cmp(&b.number));
    Ok(by_ids::Output {
        phone_numbers: rows
            .into_iter()
            .map(|n| by_ids::PhoneNumbers {
                is400: rules::is_400(&n.number),
                allow_outbound: rules::allow_outbound(&n.usage),
                phone_number_id: n.id,
                instance_id: n.instance_id,
                number: n.number,
                phone_number_description: n.description,
                test_only: false,
                remaining_time: 0,
                usage: n.usage,
                trunks: 1,
                active: n.active,
            })
            .collect(),
    })
}

/// `outbound`: the active numbers of `args.instance_id` that can call out (usage `Outbound` or
/// `Bidirection`, not a 400 number: `rules`), ordered by `Number`; with `args.number`
/// non-empty only that number, when it qualifies. The calls domain picks and checks caller ids
/// with it. One SQL query (index `instance_id, number`).
///
/// Errors: 500 on storage failures.
pub async fn outbound(ctx: &Ctx<'_>, args: outbound::Args) -> ApiResult<outbound::Output> {
    // The usage rule in SQL and a LIMIT: the rows read are bounded by `Limit`, not by the
    // instance's numbers (a 400 number can only be Inbound, so the LIMIT loses nothing to the
    // is_400 check below; it stays as a guard).
    let number = Some(args.number.as_str()).filter(|n| !n.is_empty());
    let limit = args.limit.clamp(1, 100) as u64;
    let rows = phone_numbers::outbound_limited(&ctx.db, &args.instance_id, number, limit).await?;
    Ok(outbound::Output {
        phone_numbers: rows
            .into_iter()
            .filter(|n| rules::allow_outbound(&n.usage) && !rules::is_400(&n.number))
            .map(|n| outbound::PhoneNumbers {
                phone_number_id: n.id,
                number: n.number,
                usage: n.usage,
            })
            .collect(),
    })
}

/// `inbound`: the number an inbound call dialled, in any instance: active, usage `Inbound` or
/// `Bidirection` ([`rules::allow_inbound`]), matched as stored or with its leading `+` toggled
/// (the stored form wins when both exist), with its contact flow and skill groups (binding
/// order). Not found (all fields empty): anything else, including text that is not a number.
/// Two indexed point reads: `uq_numbers_phone_numbers_number`, then the primary key of
/// `numbers_skill_groups` (`phone_number_id, ...`).
///
/// Errors: 500 on storage failures.
pub async fn inbound(ctx: &Ctx<'_>, args: inbound::Args) -> ApiResult<inbound::Output> {
    let wanted = args.number.trim();
    let digits = wanted.strip_prefix('+').unwrap_or(wanted);
    let plausible = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && wanted.len() <= NUMBER_MAX as usize;
    if !plausible {
        return Ok(inbound::Output::default());
    }
    let toggled = if wanted.starts_with('+') {
        digits.to_string()
    } else {
        format!("+{digits}")
    };
    let rows = phone_numbers::active_by_numbers(&ctx.db, vec![wanted.to_string(), toggled]).await?;
    let Some(n) = rows
        .into_iter()
        .filter(|n| rules::allow_inbound(&n.usage))
        .min_by_key(|n| n.number != wanted)
    else {
        return Ok(inbound::Output::default());
    };
    let mut groups = skill_groups_of(&ctx.db, std::slice::from_ref(&n.id)).await?;
    Ok(inbound::Output {
        found: true,
        skill_group_ids: groups.remove(&n.id).unwrap_or_default(),
        instance_id: n.instance_id,
        phone_number_id: n.id,
        number: n.number,
        usage: n.usage,
        contact_flow_id: n.contact_flow_id.unwrap_or_default(),
    })
}

/// Most `ContactFlowIds` one `by_contact_flow` call may name: the largest page of 2020
/// ListContactFlows (`PageSize` 1-100), so a page of flows is one call. The spec
/// (`plugins/numbers/api/queries/by_contact_flow.toml`) documents the same bound; callers
/// with more flows (2017 ListContactFlows lists them all) split them over several calls.
pub const BY_CONTACT_FLOW_MAX_IDS: usize = 100;

/// `by_contact_flow`: the numbers of `args.instance_id` bound to the flows
/// `args.contact_flow_ids`, for the flows domain's 2017 `PhoneNumbers.PhoneNumber[]` and 2020
/// `NumberList`: one entry per flow (ordered by `ContactFlowId`) with its numbers ordered by
/// `Number`; flows with no number are absent, and so are numbers bound to other flows or in
/// other instances. One SQL query over `idx_numbers_phone_numbers_instance_flow`
/// ([`phone_numbers::of_flows`]), whose rows are only the answer's numbers: its cost follows the flows
/// asked about and their numbers, never the instance's other numbers. No query for an empty
/// list.
///
/// Errors: 500 `InternalError` (logged) for more than [`BY_CONTACT_FLOW_MAX_IDS`] ids (a caller
/// bug) and on storage failures.
pub async fn by_contact_flow(ctx: &Ctx<'_>, args: Args) -> ApiResult<Output> {
    if args.contact_flow_ids.len() > BY_CONTACT_FLOW_MAX_IDS {
        tracing::error!(
            ids = args.contact_flow_ids.len(),
            max = BY_CONTACT_FLOW_MAX_IDS,
            "numbers.by_contact_flow asked about too many contact flows"
        );
        return Err(ApiError::internal());
    }
    let mut ids = args.contact_flow_ids;
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Output::default());
    }
    let rows = phone_numbers::of_flows(&ctx.db, &args.instance_id, ids).await?;
    let mut out: Vec<ContactFlows> = Vec::new();
    for n in rows {
        let Some(flow_id) = n.contact_flow_id.clone() else {
            continue;
        };
        let item = PhoneNumbers {
            phone_number_id: n.id,
            instance_id: n.instance_id,
            number: n.number,
            phone_number_description: n.description,
            test_only: false,
            remaining_time: 0,
            allow_outbound: rules::allow_outbound(&n.usage),
            usage: n.usage,
            trunks: 1,
        };
        match out.last_mut() {
            Some(last) if last.contact_flow_id == flow_id => last.phone_numbers.push(item),
            _ => out.push(ContactFlows {
                contact_flow_id: flow_id,
                phone_numbers: vec![item],
            }),
        }
    }
    Ok(Output { contact_flows: out })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::{Value, json};

    use crate::api::{add_phone_number, modify_phone_number};
    use crate::testutil::{FLOW_A, FLOW_B, Harness, INSTANCE, OTHER_INSTANCE};

    /// The numbers of flow `id` in a `by_contact_flow` answer.
    fn of<'a>(v: &'a Value, id: &str) -> &'a Vec<Value> {
        v["ContactFlows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["ContactFlowId"] == id)
            .unwrap_or_else(|| panic!("no flow {id} in {v}"))["PhoneNumbers"]
            .as_array()
            .unwrap()
    }

    #[tokio::test]
    async fn groups_numbers_by_flow_ordered_by_number() {
        let h = Harness::new().await;
        let b = h.add("02160664656", "Bidirection", Some(FLOW_A)).await;
        let a = h.add("01086394552", "Inbound", Some(FLOW_A)).await;
        let c = h.add("053168962496", "Outbound", Some(FLOW_B)).await;
        h.add("05923293251", "Outbound", None).await;
        h.add_in(OTHER_INSTANCE, "13912345678", "Inbound", Some(FLOW_A))
            .await;

        let ctx = h.ctx(add_phone_number::SPEC, INSTANCE);
        let v = h
            .numbers
            .query(
                &ctx,
                "by_contact_flow",
                json!({"InstanceId": INSTANCE, "ContactFlowIds": [FLOW_B, FLOW_A, FLOW_A]}),
            )
            .await
            .unwrap();
        assert_eq!(v["ContactFlows"].as_array().unwrap().len(), 2, "{v}");
        // Ordered by ContactFlowId whatever the order asked in.
        assert_eq!(v["ContactFlows"][0]["ContactFlowId"], FLOW_A);
        let ids_a: Vec<&str> = of(&v, FLOW_A)
            .iter()
            .map(|x| x["PhoneNumberId"].as_str().unwrap())
            .collect();
        assert_eq!(ids_a, vec![a.as_str(), b.as_str()]);
        assert_eq!(
            of(&v, FLOW_B)[0],
            json!({
                "PhoneNumberId": c,
                "InstanceId": INSTANCE,
                "Number": "053168962496",
                "PhoneNumberDescription": "",
                "TestOnly": false,
                "RemainingTime": 0,
                "AllowOutbound": true,
                "Usage": "Outbound",
                "Trunks": 1,
            })
        );
        assert_eq!(of(&v, FLOW_A)[0]["AllowOutbound"], json!(false));

        // The other instance's flow A has only its own number.
        let v = h
            .numbers
            .query(
                &ctx,
                "by_contact_flow",
                json!({"InstanceId": OTHER_INSTANCE, "ContactFlowIds": [FLOW_A, FLOW_B]}),
            )
            .await
            .unwrap();
        assert_eq!(v["ContactFlows"].as_array().unwrap().len(), 1, "{v}");
        assert_eq!(of(&v, FLOW_A)[0]["Number"], "13912345678");
        assert_eq!(of(&v, FLOW_A)[0]["InstanceId"], OTHER_INSTANCE);
    }

    #[tokio::test]
    async fn only_the_flows_asked_about_are_read() {
        use ccgate_plugin_sdk::sea_orm::{ConnectionTrait, DbBackend, QueryTrait, Statement};

        let h = Harness::new().await;
        let a = h.add("01086394552", "Inbound", Some(FLOW_A)).await;
        h.add("053168962496", "Outbound", Some(FLOW_B)).await;
        h.add("053168962497", "Outbound", Some(FLOW_B)).await;
        h.add("05923293251", "Outbound", None).await;
        h.add_in(OTHER_INSTANCE, "13912345678", "Inbound", Some(FLOW_A))
            .await;
        let ctx = h.ctx(add_phone_number::SPEC, INSTANCE);
        let v = h
            .numbers
            .query(
                &ctx,
                "by_contact_flow",
                json!({"InstanceId": INSTANCE, "ContactFlowIds": [FLOW_A]}),
            )
            .await
            .unwrap();
        // Flow B's numbers (bound, same instance) and the other instance's flow A number are
        // not in the answer.
        assert_eq!(v["ContactFlows"].as_array().unwrap().len(), 1, "{v}");
        let ids: Vec<&str> = of(&v, FLOW_A)
            .iter()
            .map(|x| x["PhoneNumberId"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![a.as_str()]);
        // A flow without numbers: nothing.
        let v = h
            .numbers
            .query(
                &ctx,
                "by_contact_flow",
                json!({"InstanceId": INSTANCE, "ContactFlowIds": ["flow-unbound"]}),
            )
            .await
            .unwrap();
        assert_eq!(v, json!({"ContactFlows": []}));

        // Nor are they read: the statement names the instance and the flows asked about, and
        // SQLite answers it from the (instance_id, contact_flow_id, number) index without a
        // sort (no scan of the instance's numbers, no temp B-tree).
        use crate::storage::phone_numbers::bound_to_flows;
        let select = bound_to_flows(INSTANCE, vec![FLOW_A.to_string()]);
        let sql = select.clone().build(DbBackend::Sqlite).to_string();
        assert!(
            sql.contains(r#""instance_id" = 'ccc-test' AND "numbers_phone_numbers"."contact_flow_id" IN ('flow-a')"#),
            "{sql}"
        );
        let plan_of = |ids: Vec<String>| {
            let stmt = bound_to_flows(INSTANCE, ids).build(DbBackend::Sqlite);
            let explain = Statement::from_sql_and_values(
                DbBackend::Sqlite,
                format!("EXPLAIN QUERY PLAN {}", stmt.sql),
                stmt.values.map(|v| v.0).unwrap_or_default(),
            );
            let db = &h.env.db;
            async move {
                db.query_all_raw(explain)
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.try_get::<String>("", "detail").unwrap())
                    .collect::<Vec<_>>()
                    .join("; ")
            }
        };
        for ids in [
            vec![FLOW_A.to_string()],
            vec![FLOW_A.to_string(), FLOW_B.to_string()],
        ] {
            let plan = plan_of(ids).await;
            assert!(
                plan.contains(
                    "USING INDEX idx_numbers_phone_numbers_instance_flow (instance_id=? AND contact_flow_id=?)"
                ),
                "{plan}"
            );
            assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        }
    }

    #[tokio::test]
    async fn at_most_100_flows_per_call() {
        let h = Harness::new().await;
        let a = h.add("01086394552", "Inbound", Some(FLOW_A)).await;
        let ctx = h.ctx(add_phone_number::SPEC, INSTANCE);
        let mut ids: Vec<String> = (1..super::BY_CONTACT_FLOW_MAX_IDS)
            .map(|i| format!("flow-{i}"))
            .collect();
        ids.push(FLOW_A.to_string());
        assert_eq!(ids.len(), 100);
        let v = h
            .numbers
            .query(
                &ctx,
                "by_contact_flow",
                json!({"InstanceId": INSTANCE, "ContactFlowIds": ids}),
            )
            .await
            .unwrap();
        assert_eq!(of(&v, FLOW_A)[0]["PhoneNumberId"], json!(a));
        ids.push("flow-101".to_string());
        let e = h
            .numbers
            .query(
                &ctx,
                "by_contact_flow",
                json!({"InstanceId": INSTANCE, "ContactFlowIds": ids}),
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (500, "InternalError"));
    }

    #[tokio::test]
    async fn unbinding_removes_a_number_from_the_answer() {
        let h = Harness::new().await;
        let id = h.add("02160664656", "Bidirection", Some(FLOW_A)).await;
        h.call(
            modify_phone_number::SPEC,
            &[
                ("PhoneNumberId", &id),
                ("Usage", "Bidirection"),
                ("ContactFlowId", ""),
            ],
        )
        .await
        .unwrap();
        let ctx = h.ctx(add_phone_number::SPEC, INSTANCE);
        let v = h
            .numbers
            .query(
                &ctx,
                "by_contact_flow",
                json!({"InstanceId": INSTANCE, "ContactFlowIds": [FLOW_A]}),
            )
            .await
            .unwrap();
        assert_eq!(v, json!({"ContactFlows": []}));
    }

    #[tokio::test]
    async fn by_ids_answers_the_known_numbers_of_the_instance() {
        let h = Harness::new().await;
        let out = h.add("053168962496", "Outbound", None).await;
        let inbound = h.add("02160664656", "Inbound", None).await;
        let toll = h.add("4001234567", "Inbound", None).await;
        let theirs = h
            .add_in(OTHER_INSTANCE, "13912345678", "Bidirection", None)
            .await;
        let ctx = h.ctx(add_phone_number::SPEC, INSTANCE);
        let v = h
            .numbers
            .query(
                &ctx,
                "by_ids",
                json!({"InstanceId": INSTANCE, "PhoneNumberIds": [out, inbound, toll, out, theirs, "nope"]}),
            )
            .await
            .unwrap();
        let list = v["PhoneNumbers"].as_array().unwrap();
        let ids: Vec<&str> = list
            .iter()
            .map(|n| n["PhoneNumberId"].as_str().unwrap())
            .collect();
        // Ordered by Number; the other instance's number and the unknown id are absent.
        assert_eq!(ids, vec![inbound.as_str(), out.as_str(), toll.as_str()]);
        assert_eq!(
            list[1],
            json!({
                "PhoneNumberId": out,
                "InstanceId": INSTANCE,
                "Number": "053168962496",
                "PhoneNumberDescription": "",
                "TestOnly": false,
                "RemainingTime": 0,
                "AllowOutbound": true,
                "Usage": "Outbound",
                "Trunks": 1,
                "Active": true,
                "Is400": false,
            })
        );
        assert_eq!(list[0]["AllowOutbound"], json!(false));
        assert_eq!(list[2]["Is400"], json!(true));
        let v = h
            .numbers
            .query(
                &ctx,
                "by_ids",
                json!({"InstanceId": INSTANCE, "PhoneNumberIds": []}),
            )
            .await
            .unwrap();
        assert_eq!(v, json!({"PhoneNumbers": []}));
    }

    #[tokio::test]
    async fn bad_args_and_unknown_queries_are_caller_bugs() {
        let h = Harness::new().await;
        let ctx = h.ctx(add_phone_number::SPEC, INSTANCE);
        for bad in [
            // The contract before ContactFlowIds: every number of the instances.
            json!({"InstanceIds": [INSTANCE]}),
            json!({"InstanceId": INSTANCE}),
            json!({"ContactFlowIds": [FLOW_A]}),
            json!({"InstanceId": INSTANCE, "ContactFlowIds": "x"}),
            json!({}),
            json!({"InstanceId": INSTANCE, "ContactFlowIds": [1]}),
        ] {
            let e = h
                .numbers
                .query(&ctx, "by_contact_flow", bad)
                .await
                .unwrap_err();
            assert_eq!((e.status, e.code.as_ref()), (500, "InternalError"));
        }
        let v = h
            .numbers
            .query(
                &ctx,
                "by_contact_flow",
                json!({"InstanceId": INSTANCE, "ContactFlowIds": []}),
            )
            .await
            .unwrap();
        assert_eq!(v, json!({"ContactFlows": []}));
        let e = h.numbers.query(&ctx, "nope", json!({})).await.unwrap_err();
        assert_eq!(e.status, 500);
    }

    #[tokio::test]
    async fn inbound_finds_a_number_of_any_instance_with_its_bindings() {
        use ccgate_plugin_sdk::sea_orm::sea_query::Expr;
        use ccgate_plugin_sdk::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

        use crate::storage::phone_number;

        let h = Harness::with_agents().await;
        let queue = h.add("02160664656", "Inbound", None).await;
        h.call(
            modify_phone_number::SPEC,
            &[
                ("PhoneNumberId", &queue),
                ("Usage", "Inbound"),
                ("SkillGroupId.1", "sg-2"),
                ("SkillGroupId.2", "sg-1"),
            ],
        )
        .await
        .unwrap();
        let flow = h
            .add_in(
                OTHER_INSTANCE,
                "+8613912345678",
                "Bidirection",
                Some(FLOW_A),
            )
            .await;
        h.add("053168962496", "Outbound", None).await;
        let off = h.add("02160664657", "Inbound", None).await;
        phone_number::Entity::update_many()
            .col_expr(phone_number::Column::Active, Expr::value(false))
            .filter(phone_number::Column::Id.eq(&off))
            .exec(&h.env.db)
            .await
            .unwrap();
        // A system context: no instance.
        let mut ctx = h.ctx(add_phone_number::SPEC, INSTANCE);
        ctx.instance_id = None;
        let ask = |n: &str| h.numbers.query(&ctx, "inbound", json!({"Number": n}));
        assert_eq!(
            ask("02160664656").await.unwrap(),
            json!({
                "Found": true,
                "InstanceId": INSTANCE,
                "PhoneNumberId": queue,
                "Number": "02160664656",
                "Usage": "Inbound",
                "SkillGroupIds": ["sg-2", "sg-1"],
                "ContactFlowId": "",
            })
        );
        // Stored with +, called without it.
        let v = ask("8613912345678").await.unwrap();
        assert_eq!(
            (&v["InstanceId"], &v["PhoneNumberId"], &v["ContactFlowId"]),
            (&json!(OTHER_INSTANCE), &json!(flow), &json!(FLOW_A))
        );
        assert_eq!(v["SkillGroupIds"], json!([]));
        // Outbound-only, inactive, unknown and malformed numbers are not found.
        for n in [
            "053168962496",
            "02160664657",
            "01000000000",
            "",
            "sip:x",
            "+",
        ] {
            let v = ask(n).await.unwrap();
            assert_eq!(v["Found"], json!(false), "{n}: {v}");
            assert_eq!(v["InstanceId"], json!(""), "{n}: {v}");
        }
    }

    #[tokio::test]
    async fn outbound_answers_the_instances_outbound_numbers() {
        let h = Harness::new().await;
        let out = h.add("053168962496", "Outbound", None).await;
        h.add("02160664656", "Inbound", None).await;
        let both = h.add("02160664657", "Bidirection", None).await;
        h.add("4001234567", "Inbound", None).await;
        h.add_in(OTHER_INSTANCE, "13912345678", "Bidirection", None)
            .await;
        let ctx = h.ctx(add_phone_number::SPEC, INSTANCE);
        let ids = |v: &Value| -> Vec<String> {
            v["PhoneNumbers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["PhoneNumberId"].as_str().unwrap().to_string())
                .collect()
        };
        let all = h
            .numbers
            .query(
                &ctx,
                "outbound",
                json!({"InstanceId": INSTANCE, "Number": "", "Limit": 100}),
            )
            .await
            .unwrap();
        assert_eq!(ids(&all), vec![both.clone(), out.clone()]);
        // A caller id needs one number: one row is read, the first by Number.
        let first = h
            .numbers
            .query(
                &ctx,
                "outbound",
                json!({"InstanceId": INSTANCE, "Number": "", "Limit": 1}),
            )
            .await
            .unwrap();
        assert_eq!(ids(&first), vec![both.clone()]);
        let one = h
            .numbers
            .query(
                &ctx,
                "outbound",
                json!({"InstanceId": INSTANCE, "Number": "053168962496", "Limit": 1}),
            )
            .await
            .unwrap();
        assert_eq!(ids(&one), vec![out]);
        for number in ["02160664656", "4001234567", "13912345678"] {
            let none = h
                .numbers
                .query(
                    &ctx,
                    "outbound",
                    json!({"InstanceId": INSTANCE, "Number": number, "Limit": 1}),
                )
                .await
                .unwrap();
            assert!(ids(&none).is_empty(), "{number}: {none}");
        }
    }
}
