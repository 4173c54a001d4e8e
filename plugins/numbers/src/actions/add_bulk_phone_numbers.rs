//! 2017-07-05 AddBulkPhoneNumbers (seed 004 §6.8 批量新增号码): binds several numbers to the
//! instance, optionally to a contact flow and to skill groups, with partial success.
//!
//! Request ([`crate::api::add_bulk_phone_numbers::Request`]): `InstanceId`, `PhoneNumber.N`
//! (required, at most 1000: the spec's `max_items`), `Usage` (required), `ContactFlowId` (optional),
//! `SkillGroupId.N` (optional; blanks and duplicates ignored).
//! Response ([`crate::api::add_bulk_phone_numbers::Response`], in the seed's order; the API's own
//! spelling "Userd" kept):
//! - `PhoneNumbers {PhoneNumber: [...]}`: the numbers added, in request order, each with
//!   `SkillGroups` and, when bound, `ContactFlow`;
//! - `FailedPhoneNumbers {FailedPhoneNumber: ["..."]}`: numbers that are not valid phone numbers
//!   (5-20 digits, optional `+`) and 400 numbers with a Usage other than Inbound;
//! - `ArrearagePhoneNumbers {ArrearagePhoneNumber: []}`: always empty (ccgate has no billing);
//! - `UserdPhoneNumbers {UserdPhoneNumber: ["..."]}`: numbers already bound to any instance,
//!   including a number repeated within the same request.
//!
//! The list items are strings (the numbers), as in the official SDK models.
//!
//! All inserts of one call happen in one transaction. Whole-request errors: missing or empty
//! parameters, `Parameter.Enumeration` (Usage), `Parameter.Maximum` (too many numbers or a skill
//! group id over 128 characters), `InvalidParameter` / 404 `NotExists.ContactFlowId` for the
//! flow, 404 `NotExists.SkillGroupId` for a skill group the agents plugin does not know (with
//! that plugin disabled the ids are stored unchecked, `crate::agents`), and 409 `Conflict.PhoneNumber` when a concurrent request binds one of the numbers
//! between the check and the commit (nothing is added then; retry).

use std::collections::HashSet;

use ccgate_plugin_sdk::ApiResult;

use super::{new_number, skill_group_ids};
use crate::api::Ctx;
use crate::api::add_bulk_phone_numbers::{
    ArrearagePhoneNumbers, FailedPhoneNumbers, PhoneNumbers, Request, Response, UserdPhoneNumbers,
};
use crate::api::errors;
use crate::storage::{self, phone_number, phone_numbers};
use crate::{agents, flows, related, rules};

/// Most skill-group bindings (numbers × skill groups) one call may create: the rows written
/// and the `SkillGroups` rendered per added number both grow with the product.
pub const MAX_BINDINGS: usize = 10_000;

/// Serves AddBulkPhoneNumbers.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let usage = req.usage.as_str();
    let flow_id = req.contact_flow_id.as_deref();
    let groups = skill_group_ids(req.skill_group_id);
    let bindings = req.phone_number.len() * groups.len();
    if bindings > MAX_BINDINGS {
        return Err(errors::parameter_maximum_msg(format!(
            "The parameters PhoneNumber.N and SkillGroupId.N make {bindings} bindings; at most {MAX_BINDINGS} are accepted in one call."
        )));
    }
    if let Some(id) = flow_id {
        flows::require_flow(ctx, id).await?;
    }
    agents::require_groups(ctx, &groups).await?;

    let mut failed: Vec<String> = Vec::new();
    let mut used: Vec<String> = Vec::new();
    let mut candidates: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::with_capacity(req.phone_number.len());
    for raw in &req.phone_number {
        let number = raw.trim().to_string();
        if rules::number_problem(raw).is_some() || rules::usage_problem(&number, usage).is_some() {
            failed.push(number);
        } else if !seen.insert(number.clone()) {
            used.push(number);
        } else {
            candidates.push(number);
        }
    }

    let now = ctx.now_ms();
    let rows: Vec<phone_number::Model> = candidates
        .iter()
        .map(|number| new_number(ctx.instance(), number, usage, flow_id, now))
        .collect();
    // Numbers already bound (to any instance) are skipped, in the same transaction.
    let added = match phone_numbers::insert_unless_taken(&ctx.db, ctx.instance(), rows, &groups)
        .await
    {
        Ok(inserted) => {
            used.extend(inserted.taken);
            inserted.added
        }
        Err(e) if storage::is_unique_violation(&e) => {
            return Err(errors::conflict_phone_number_msg(
                "One of the phone numbers was bound by a concurrent request; nothing was added. Retry the request.",
            ));
        }
        Err(e) => return Err(e.into()),
    };

    let renderer = related::load(ctx, &added).await?;
    Ok(Response {
        arrearage_phone_numbers: ArrearagePhoneNumbers::default(),
        failed_phone_numbers: FailedPhoneNumbers {
            failed_phone_number: failed,
        },
        phone_numbers: PhoneNumbers {
            phone_number: added.iter().map(|n| renderer.phone_number(n)).collect(),
        },
        userd_phone_numbers: UserdPhoneNumbers {
            userd_phone_number: used,
        },
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::json;

    use crate::api::add_bulk_phone_numbers::SPEC;
    use crate::api::list_phone_numbers;
    use crate::testutil::{FLOW_A, Harness, OTHER_INSTANCE, keys, names};

    #[tokio::test]
    async fn partial_success_lists() {
        let h = Harness::new().await;
        h.add("01086394552", "Inbound", None).await;
        h.add_in(OTHER_INSTANCE, "05923293251", "Inbound", None)
            .await;
        let v = h
            .call(
                SPEC,
                &[
                    ("PhoneNumber.1", "02160664656"),
                    ("PhoneNumber.2", "01086394552"),
                    ("PhoneNumber.3", "not-a-number"),
                    ("PhoneNumber.4", "05923293251"),
                    ("PhoneNumber.5", "4008001234"),
                    ("PhoneNumber.6", "053168962496"),
                    ("PhoneNumber.7", "02160664656"),
                    ("Usage", "Bidirection"),
                    ("ContactFlowId", FLOW_A),
                    ("SkillGroupId.1", "sg-1"),
                    ("SkillGroupId.2", "sg-2"),
                    ("SkillGroupId.3", "sg-1"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(
            keys(&v),
            names(&[
                "PhoneNumbers",
                "FailedPhoneNumbers",
                "ArrearagePhoneNumbers",
                "UserdPhoneNumbers"
            ])
        );
        assert_eq!(
            v["FailedPhoneNumbers"],
            json!({"FailedPhoneNumber": ["not-a-number", "4008001234"]})
        );
        assert_eq!(
            v["UserdPhoneNumbers"],
            json!({"UserdPhoneNumber": ["02160664656", "01086394552", "05923293251"]})
        );
        assert_eq!(
            v["ArrearagePhoneNumbers"],
            json!({"ArrearagePhoneNumber": []})
        );
        let added = v["PhoneNumbers"]["PhoneNumber"].as_array().unwrap();
        let numbers: Vec<&str> = added
            .iter()
            .map(|n| n["Number"].as_str().unwrap())
            .collect();
        assert_eq!(numbers, vec!["02160664656", "053168962496"]);
        let first = &added[0];
        assert_eq!(
            keys(first),
            names(&[
                "PhoneNumberId",
                "InstanceId",
                "Number",
                "PhoneNumberDescription",
                "TestOnly",
                "RemainingTime",
                "AllowOutbound",
                "Usage",
                "Trunks",
                "ContactFlow",
                "SkillGroups",
            ])
        );
        assert_eq!(
            first["SkillGroups"],
            json!({"SkillGroup": [
                {"SkillGroupName": "sg-1", "SkillGroupId": "sg-1"},
                {"SkillGroupName": "sg-2", "SkillGroupId": "sg-2"},
            ]})
        );
        assert_eq!(first["ContactFlow"]["ContactFlowId"], FLOW_A);
        assert_eq!(h.flow_calls(), 2, "one validation call, one render call");

        // The added numbers are stored with their bindings.
        let list = h
            .call(list_phone_numbers::SPEC, &[("OutboundOnly", "false")])
            .await
            .unwrap();
        assert_eq!(
            list["PhoneNumbers"]["PhoneNumber"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
    }

    #[tokio::test]
    async fn nothing_to_add_is_still_a_success() {
        let h = Harness::new().await;
        let v = h
            .call(SPEC, &[("PhoneNumber.1", "x"), ("Usage", "Inbound")])
            .await
            .unwrap();
        assert_eq!(v["PhoneNumbers"], json!({"PhoneNumber": []}));
        assert_eq!(v["FailedPhoneNumbers"], json!({"FailedPhoneNumber": ["x"]}));
    }

    #[tokio::test]
    async fn whole_request_errors() {
        let h = Harness::new().await;
        let e = h.call(SPEC, &[("Usage", "Inbound")]).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "MissingParameter"));
        assert!(e.message.contains("PhoneNumber.1"));
        let e = h
            .call(SPEC, &[("PhoneNumber.1", "02160664656")])
            .await
            .unwrap_err();
        assert_eq!(e.code, "MissingParameter");
        let e = h
            .call(SPEC, &[("PhoneNumber.1", "02160664656"), ("Usage", "In")])
            .await
            .unwrap_err();
        assert_eq!(e.code, "Parameter.Enumeration");
        let e = h
            .call(
                SPEC,
                &[
                    ("PhoneNumber.1", "02160664656"),
                    ("Usage", "Inbound"),
                    ("ContactFlowId", "missing-flow"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (404, "NotExists.ContactFlowId")
        );
        let long = "g".repeat(129);
        let e = h
            .call(
                SPEC,
                &[
                    ("PhoneNumber.1", "02160664656"),
                    ("Usage", "Inbound"),
                    ("SkillGroupId.1", &long),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, "Parameter.Maximum");
        let many: Vec<(String, String)> = (1..=1001)
            .map(|i| (format!("PhoneNumber.{i}"), format!("0216066{i:04}")))
            .collect();
        let mut pairs: Vec<(&str, &str)> =
            many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        pairs.push(("Usage", "Inbound"));
        let e = h.call(SPEC, &pairs).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "Parameter.Maximum"));
        // Nothing was added by the failed calls.
        let list = h
            .call(list_phone_numbers::SPEC, &[("OutboundOnly", "false")])
            .await
            .unwrap();
        assert_eq!(list["PhoneNumbers"]["PhoneNumber"], json!([]));
    }

    #[tokio::test]
    async fn four_hundred_numbers_are_accepted_as_inbound() {
        let h = Harness::new().await;
        let v = h
            .call(
                SPEC,
                &[
                    ("PhoneNumber.1", "4008001234"),
                    ("PhoneNumber.2", "02160664656"),
                    ("Usage", "Inbound"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(
            v["PhoneNumbers"]["PhoneNumber"].as_array().unwrap().len(),
            2
        );
        assert_eq!(v["FailedPhoneNumbers"], json!({"FailedPhoneNumber": []}));
        assert_eq!(v["UserdPhoneNumbers"], json!({"UserdPhoneNumber": []}));
    }

    /// Issue 9: 1,000 numbers × 20,000 skill groups built every row in memory and aborted the
    /// process; lists and their product are bounded before any work.
    #[tokio::test]
    async fn skill_groups_and_bindings_are_bounded_before_any_work() {
        let h = Harness::new().await;
        let numbers: Vec<(String, String)> = (1..=1000)
            .map(|i| (format!("PhoneNumber.{i}"), format!("0531{i:08}")))
            .collect();
        let groups = |n: usize| -> Vec<(String, String)> {
            (1..=n)
                .map(|i| (format!("SkillGroupId.{i}"), format!("sg-{i}")))
                .collect()
        };
        let call = |extra: Vec<(String, String)>| {
            let mut pairs: Vec<(String, String)> = numbers.clone();
            pairs.extend(extra);
            pairs.push(("Usage".into(), "Bidirection".into()));
            pairs
        };
        let pairs = call(groups(20_000));
        let e = h.call_owned(SPEC, &pairs).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "Parameter.Maximum"));
        assert!(e.message.contains("SkillGroupId.N"), "{}", e.message);
        let pairs = call(groups(100));
        let e = h.call_owned(SPEC, &pairs).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "Parameter.Maximum"));
        assert!(e.message.contains("100000 bindings"), "{}", e.message);
        // Nothing was written.
        let v = h
            .call(list_phone_numbers::SPEC, &[("OutboundOnly", "false")])
            .await
            .unwrap();
        assert_eq!(v["PhoneNumbers"]["PhoneNumber"], json!([]));
        // At the limit: 1,000 numbers × 10 groups.
        let pairs = call(groups(10));
        let v = h.call_owned(SPEC, &pairs).await.unwrap();
        let added = v["PhoneNumbers"]["PhoneNumber"].as_array().unwrap();
        assert_eq!(added.len(), 1000);
        assert_eq!(
            added[999]["SkillGroups"]["SkillGroup"]
                .as_array()
                .unwrap()
                .len(),
            10
        );
    }

    #[tokio::test]
    async fn unknown_skill_groups_are_refused_when_agents_is_enabled() {
        let h = Harness::with_agents().await;
        let e = h
            .call(
                SPEC,
                &[
                    ("PhoneNumber.1", "02160664656"),
                    ("Usage", "Inbound"),
                    ("SkillGroupId.1", "sg-1"),
                    ("SkillGroupId.2", "sg-nope"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.SkillGroupId"));
        assert!(e.message.contains("sg-nope"), "{}", e.message);
        let v = h
            .call(
                SPEC,
                &[
                    ("PhoneNumber.1", "02160664656"),
                    ("Usage", "Inbound"),
                    ("SkillGroupId.1", "sg-1"),
                ],
            )
            .await
            .unwrap();
        let added = &v["PhoneNumbers"]["PhoneNumber"];
        assert_eq!(
            added.as_array().unwrap().len(),
            1,
            "the refused call added nothing"
        );
        assert_eq!(
            added[0]["SkillGroups"],
            json!({"SkillGroup": [{"SkillGroupId": "sg-1", "SkillGroupName": "Sales"}]})
        );
    }
}
