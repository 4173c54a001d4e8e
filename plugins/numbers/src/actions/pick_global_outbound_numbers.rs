//! 2017-07-05 PickGlobalOutboundNumbers (seed 004 §6.7 按照被叫归属地自主选择号码): picks caller
//! numbers for a callee from the outbound numbers of the agent's skill groups.
//!
//! Request ([`crate::api::pick_global_outbound_numbers::Request`]): `InstanceId`, `CalleeNumber`
//! (required), `SkillGroupId.N` (required), `Count` (optional, 1-100, default 1), `IsVirtual` (optional boolean; validated, but ccgate has no
//! virtual numbers so it does not change the pick).
//!
//! Candidates: the instance's numbers bound to any of the skill groups (see ModifyPhoneNumber /
//! AddBulkPhoneNumbers `SkillGroupId.N`) that are active and outbound-capable (Usage Outbound or
//! Bidirection), each once. Order (§6.7): same province and city as the callee first, then same
//! province, then the rest at random ([`crate::picking`]). Up to `Count` pairs are returned; an
//! empty list when the groups have no outbound number.
//!
//! Response ([`crate::api::pick_global_outbound_numbers::Response`]): `DialNumberPairs
//! {DialNumberPair: [{Callee {City, Number, Province}, Caller {City, Number, Province}}]}` (the table's PascalCase shape; the seed's examples use a flat
//! lowerCamel array, the SDK models the wrapper).
//!
//! Errors: `MissingParameter` / `Parameter.Empty` (CalleeNumber, SkillGroupId.1);
//! `InvalidParameter` (CalleeNumber not a phone number, IsVirtual or Count not of their type);
//! `Parameter.Minimum` / `Parameter.Maximum` (Count).

use ccgate_plugin_sdk::ApiResult;

use super::skill_group_ids;
use crate::api::Ctx;
use crate::api::pick_global_outbound_numbers::{
    Callee, Caller, DialNumberPair, DialNumberPairs, Request, Response,
};
use crate::picking::{self, Candidate};
use crate::region;
use crate::rules;
use crate::storage::{self, phone_numbers};

/// Serves PickGlobalOutboundNumbers: one query for the bound numbers' ids, one per
/// [`storage::IN_LIST_MAX`] of them for the numbers.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let callee = rules::validate_number("CalleeNumber", &req.callee_number)?;
    let groups = skill_group_ids(req.skill_group_id);
    // `IsVirtual` is validated by the parser but changes nothing: ccgate has no virtual numbers.

    // Two index lookups rather than one `IN (subquery)`: PostgreSQL picked a nested loop for the
    // subquery form on freshly bulk-loaded tables (600 ms for 10,000 numbers before ANALYZE).
    let bound = storage::numbers_in_skill_groups(&ctx.db, ctx.instance(), groups).await?;
    // Primary-key lookups only; the other conditions are checked here, so the planner has no
    // other index to (mis)choose.
    let mut candidates: Vec<Candidate> = phone_numbers::by_ids(&ctx.db, &bound)
        .await?
        .into_iter()
        .filter(|n| n.instance_id == ctx.instance() && n.active && rules::allow_outbound(&n.usage))
        .map(|n| Candidate {
            number: n.number,
            province: n.province,
            city: n.city,
        })
        .collect();
    candidates.sort_by(|a, b| a.number.cmp(&b.number));

    let callee_region = region::lookup_or_empty(&callee);
    let callee = Callee {
        city: callee_region.city.to_string(),
        number: callee,
        province: callee_region.province.to_string(),
    };
    let pairs: Vec<DialNumberPair> =
        picking::rank(candidates, (callee_region.province, callee_region.city))
            .into_iter()
            .take(usize::try_from(req.count).unwrap_or(1))
            .map(|c| DialNumberPair {
                callee: callee.clone(),
                caller: Caller {
                    city: c.city,
                    number: c.number,
                    province: c.province,
                },
            })
            .collect();
    Ok(Response {
        dial_number_pairs: DialNumberPairs {
            dial_number_pair: pairs,
        },
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::{Value, json};

    use crate::api::add_bulk_phone_numbers;
    use crate::api::pick_global_outbound_numbers::SPEC;
    use crate::testutil::{Harness, OTHER_INSTANCE};

    async fn bind(h: &Harness, instance: &str, numbers: &[&str], usage: &str, group: &str) {
        let mut pairs: Vec<(String, String)> = numbers
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("PhoneNumber.{}", i + 1), n.to_string()))
            .collect();
        pairs.push(("Usage".into(), usage.into()));
        pairs.push(("SkillGroupId.1".into(), group.into()));
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let v = h
            .call_in(add_bulk_phone_numbers::SPEC, instance, &refs)
            .await
            .unwrap();
        assert_eq!(
            v["PhoneNumbers"]["PhoneNumber"].as_array().unwrap().len(),
            numbers.len()
        );
    }

    fn callers(v: &Value) -> Vec<String> {
        v["DialNumberPairs"]["DialNumberPair"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["Caller"]["Number"].as_str().unwrap().to_string())
            .collect()
    }

    #[tokio::test]
    async fn same_city_then_same_province_then_others() {
        let h = Harness::new().await;
        // sg-1: Beijing, Fuzhou (Fujian), Xiamen (Fujian), and an inbound-only Xiamen number.
        bind(
            &h,
            "ccc-test",
            &["01086394552", "059112345678", "05927654321"],
            "Outbound",
            "sg-1",
        )
        .await;
        bind(&h, "ccc-test", &["05920000001"], "Inbound", "sg-1").await;
        // sg-2: Shanghai. sg-3 (not asked for): another Xiamen number.
        bind(&h, "ccc-test", &["02160664656"], "Bidirection", "sg-2").await;
        bind(&h, "ccc-test", &["05920000002"], "Outbound", "sg-3").await;
        // Another instance's Xiamen number in a group of the same name.
        bind(&h, OTHER_INSTANCE, &["05920000003"], "Outbound", "sg-1").await;

        for _ in 0..5 {
            let v = h
                .call(
                    SPEC,
                    &[
                        ("CalleeNumber", "05923293251"),
                        ("SkillGroupId.1", "sg-1"),
                        ("SkillGroupId.2", "sg-2"),
                        ("Count", "4"),
                    ],
                )
                .await
                .unwrap();
            let got = callers(&v);
            assert_eq!(got.len(), 4, "{v}");
            assert_eq!(got[0], "05927654321");
            assert_eq!(got[1], "059112345678");
            let mut rest = got[2..].to_vec();
            rest.sort();
            assert_eq!(rest, vec!["01086394552", "02160664656"]);
        }

        let v = h
            .call(
                SPEC,
                &[("CalleeNumber", "05923293251"), ("SkillGroupId.1", "sg-1")],
            )
            .await
            .unwrap();
        assert_eq!(
            v,
            json!({"DialNumberPairs": {"DialNumberPair": [{
                "Caller": {"Number": "05927654321", "Province": "福建", "City": "厦门"},
                "Callee": {"Number": "05923293251", "Province": "福建", "City": "厦门"},
            }]}})
        );
    }

    #[tokio::test]
    async fn no_outbound_numbers_gives_an_empty_list() {
        let h = Harness::new().await;
        bind(&h, "ccc-test", &["05920000001"], "Inbound", "sg-1").await;
        let v = h
            .call(
                SPEC,
                &[
                    ("CalleeNumber", "05923293251"),
                    ("SkillGroupId.1", "sg-1"),
                    ("IsVirtual", "false"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(v, json!({"DialNumberPairs": {"DialNumberPair": []}}));
    }

    #[tokio::test]
    async fn errors() {
        let h = Harness::new().await;
        let e = h.call(SPEC, &[("SkillGroupId.1", "sg")]).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "MissingParameter"));
        assert!(e.message.contains("CalleeNumber"));
        let e = h
            .call(SPEC, &[("CalleeNumber", "05923293251")])
            .await
            .unwrap_err();
        assert_eq!(e.code, "MissingParameter");
        assert!(e.message.contains("SkillGroupId.1"));
        let base = [("CalleeNumber", "05923293251"), ("SkillGroupId.1", "sg")];
        for (count, code) in [
            ("0", "Parameter.Minimum"),
            ("101", "Parameter.Maximum"),
            ("two", "InvalidParameter"),
        ] {
            let mut pairs = base.to_vec();
            pairs.push(("Count", count));
            let e = h.call(SPEC, &pairs).await.unwrap_err();
            assert_eq!(e.code, code, "Count={count}");
        }
        let mut pairs = base.to_vec();
        pairs.push(("IsVirtual", "perhaps"));
        assert_eq!(
            h.call(SPEC, &pairs).await.unwrap_err().code,
            "InvalidParameter"
        );
        let e = h
            .call(
                SPEC,
                &[("CalleeNumber", "call-me"), ("SkillGroupId.1", "sg")],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        assert!(e.message.contains("call-me"));
    }
}
