//! 2017-07-05 ModifyPhoneNumber (seed 004 §6.3 修改电话): changes a number's usage, contact flow
//! and skill groups.
//!
//! Request ([`crate::api::modify_phone_number::Request`]): `InstanceId`, `PhoneNumberId`
//! (required), `Usage` (required), `ContactFlowId` (optional), `SkillGroupId.N` (optional), plus
//! which of the last two were sent at all (the spec marks them `empty_clears`).
//!
//! Omitted versus empty (the seed does not say; its example sends only `Usage` and still shows
//! the flow and the skill group in the response, so omission keeps bindings):
//! - `ContactFlowId` omitted: the bound flow is kept; sent empty (`ContactFlowId=`): the flow is
//!   unbound; sent with an id: that flow (which must exist) is bound.
//! - `SkillGroupId.N` omitted (no `SkillGroupId.*` parameter at all): skill groups are kept;
//!   sent with only empty values (`SkillGroupId.1=`): all are unbound; sent with ids: the list
//!   replaces the current one, in the given order.
//!
//! Response ([`crate::api::modify_phone_number::Response`]): `PhoneNumber` as in §6.1 plus
//! `SkillGroups {SkillGroup: [{SkillGroupId, SkillGroupName}]}`.
//! Errors: `MissingParameter` / `Parameter.Empty`; `Parameter.Enumeration` (Usage);
//! `InvalidParameter` (a 400 number with a Usage other than Inbound; ContactFlowId while the
//! flows plugin is disabled); 404 `NotExists.PhoneNumberId`, `NotExists.ContactFlowId`,
//! `NotExists.SkillGroupId` (a skill group the agents plugin does not know; with that plugin
//! disabled the ids are stored unchecked and named by their id, `crate::agents`).

use ccgate_plugin_sdk::ApiResult;

use super::{number_not_found, skill_group_ids};
use crate::api::Ctx;
use crate::api::modify_phone_number::{Request, Response};
use crate::storage;
use crate::storage::phone_numbers::{self, Modification};
use crate::{agents, flows, related, rules};

/// Serves ModifyPhoneNumber: the number and its skill groups change in one transaction
/// ([`phone_numbers::modify`]).
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let id = req.phone_number_id.as_str();
    let usage = req.usage.as_str();
    // The spec marks both bindings `empty_clears`: `None` = omitted (keep), `Some(None)` /
    // `Some([])` = sent empty (clear).
    let flow: Option<Option<String>> = req
        .contact_flow_id
        .map(|flow_id| flow_id.map(|f| f.trim().to_string()));
    let groups: Option<Vec<String>> = req.skill_group_id.map(skill_group_ids);

    let existing = storage::find_in_instance(&ctx.db, ctx.instance(), id)
        .await?
        .ok_or_else(|| number_not_found(id))?;
    rules::check_usage(&existing.number, usage)?;
    if let Some(Some(flow_id)) = &flow {
        flows::require_flow(ctx, flow_id).await?;
    }
    if let Some(groups) = &groups {
        agents::require_groups(ctx, groups).await?;
    }

    let change = Modification {
        usage,
        contact_flow_id: flow,
        skill_group_ids: groups.as_deref(),
        now_ms: ctx.now_ms(),
    };
    let model = phone_numbers::modify(&ctx.db, ctx.instance(), existing, change)
        .await?
        .ok_or_else(|| number_not_found(id))?;
    // Committed. The number keeps its place in the unfiltered lists and the instance's count:
    // cached pages that do not list it stay (`Cx::changed_item_only`).
    ctx.changed_item_only(&model.id);

    let renderer = related::load(ctx, std::slice::from_ref(&model)).await?;
    Ok(Response {
        phone_number: renderer.phone_number(&model),
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::{Value, json};

    use crate::api::add_bulk_phone_numbers;
    use crate::api::modify_phone_number::SPEC;
    use crate::testutil::{FLOW_A, FLOW_B, Harness, OTHER_INSTANCE, keys, names};

    async fn bulk_one(h: &Harness) -> String {
        let v = h
            .call(
                add_bulk_phone_numbers::SPEC,
                &[
                    ("PhoneNumber.1", "02160664656"),
                    ("Usage", "Inbound"),
                    ("ContactFlowId", FLOW_A),
                    ("SkillGroupId.1", "sg-1"),
                ],
            )
            .await
            .unwrap();
        v["PhoneNumbers"]["PhoneNumber"][0]["PhoneNumberId"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn group_ids(v: &Value) -> Vec<String> {
        v["PhoneNumber"]["SkillGroups"]["SkillGroup"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["SkillGroupId"].as_str().unwrap().to_string())
            .collect()
    }

    #[tokio::test]
    async fn omitted_bindings_are_kept() {
        let h = Harness::new().await;
        let id = bulk_one(&h).await;
        let v = h
            .call(SPEC, &[("PhoneNumberId", &id), ("Usage", "Bidirection")])
            .await
            .unwrap();
        let n = &v["PhoneNumber"];
        assert_eq!(
            keys(n),
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
        assert_eq!(n["Usage"], "Bidirection");
        assert_eq!(n["AllowOutbound"], true);
        assert_eq!(n["ContactFlow"]["ContactFlowId"], FLOW_A);
        assert_eq!(group_ids(&v), vec!["sg-1"]);
    }

    #[tokio::test]
    async fn sent_bindings_replace_and_empty_ones_clear() {
        let h = Harness::new().await;
        let id = bulk_one(&h).await;
        let v = h
            .call(
                SPEC,
                &[
                    ("PhoneNumberId", &id),
                    ("Usage", "Outbound"),
                    ("ContactFlowId", FLOW_B),
                    ("SkillGroupId.1", "sg-3"),
                    ("SkillGroupId.2", "sg-2"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(v["PhoneNumber"]["ContactFlow"]["ContactFlowName"], "Sales");
        assert_eq!(group_ids(&v), vec!["sg-3", "sg-2"]);

        let v = h
            .call(
                SPEC,
                &[
                    ("PhoneNumberId", &id),
                    ("Usage", "Inbound"),
                    ("ContactFlowId", ""),
                    ("SkillGroupId.1", ""),
                ],
            )
            .await
            .unwrap();
        assert!(
            v["PhoneNumber"].get("ContactFlow").is_none(),
            "{}",
            v["PhoneNumber"]
        );
        assert_eq!(v["PhoneNumber"]["SkillGroups"], json!({"SkillGroup": []}));
        assert_eq!(v["PhoneNumber"]["AllowOutbound"], false);
    }

    #[tokio::test]
    async fn errors() {
        let h = Harness::new().await;
        let id = bulk_one(&h).await;
        let e = h.call(SPEC, &[("Usage", "Inbound")]).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "MissingParameter"));
        let e = h.call(SPEC, &[("PhoneNumberId", &id)]).await.unwrap_err();
        assert_eq!(e.code, "MissingParameter");
        let e = h
            .call(SPEC, &[("PhoneNumberId", &id), ("Usage", "inbound")])
            .await
            .unwrap_err();
        assert_eq!(e.code, "Parameter.Enumeration");
        let e = h
            .call(SPEC, &[("PhoneNumberId", "nope"), ("Usage", "Inbound")])
            .await
            .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (404, "NotExists.PhoneNumberId")
        );
        let e = h
            .call_in(
                SPEC,
                OTHER_INSTANCE,
                &[("PhoneNumberId", &id), ("Usage", "Inbound")],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, "NotExists.PhoneNumberId");
        let e = h
            .call(
                SPEC,
                &[
                    ("PhoneNumberId", &id),
                    ("Usage", "Inbound"),
                    ("ContactFlowId", "missing"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (404, "NotExists.ContactFlowId")
        );
        // The failed calls changed nothing.
        let v = h
            .call(SPEC, &[("PhoneNumberId", &id), ("Usage", "Inbound")])
            .await
            .unwrap();
        assert_eq!(v["PhoneNumber"]["ContactFlow"]["ContactFlowId"], FLOW_A);
    }

    #[tokio::test]
    async fn four_hundred_numbers_stay_inbound() {
        let h = Harness::new().await;
        let id = h.add("4008001234", "Inbound", None).await;
        let e = h
            .call(SPEC, &[("PhoneNumberId", &id), ("Usage", "Outbound")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        assert!(
            e.message
                .contains("400 numbers can only be used for Inbound")
        );
    }

    #[tokio::test]
    async fn flows_disabled_rejects_a_flow_but_allows_the_rest() {
        let h = Harness::without_flows().await;
        let id = h.add("02160664656", "Inbound", None).await;
        let e = h
            .call(
                SPEC,
                &[
                    ("PhoneNumberId", &id),
                    ("Usage", "Inbound"),
                    ("ContactFlowId", FLOW_A),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        let v = h
            .call(
                SPEC,
                &[
                    ("PhoneNumberId", &id),
                    ("Usage", "Outbound"),
                    ("SkillGroupId.1", "sg-1"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(group_ids(&v), vec!["sg-1"]);
        assert!(
            v["PhoneNumber"].get("ContactFlow").is_none(),
            "{}",
            v["PhoneNumber"]
        );
    }

    /// Issue 9: 250,000 ids ran a quadratic de-duplication for 44 s on an HTTP worker.
    #[tokio::test]
    async fn skill_group_lists_are_bounded() {
        let h = Harness::new().await;
        let id = h.add("02160664656", "Inbound", None).await;
        let ids: Vec<(String, String)> = (1..=101)
            .map(|i| (format!("SkillGroupId.{i}"), format!("sg-{}", i % 7)))
            .collect();
        let mut pairs: Vec<(&str, &str)> =
            ids.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        pairs.push(("PhoneNumberId", &id));
        pairs.push(("Usage", "Inbound"));
        let e = h.call(SPEC, &pairs).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "Parameter.Maximum"));
        // 100 ids with repeats keep the first of each, in order.
        pairs.retain(|(k, _)| *k != "SkillGroupId.101");
        let v = h.call(SPEC, &pairs).await.unwrap();
        let groups: Vec<&str> = v["PhoneNumber"]["SkillGroups"]["SkillGroup"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["SkillGroupId"].as_str().unwrap())
            .collect();
        assert_eq!(
            groups,
            ["sg-1", "sg-2", "sg-3", "sg-4", "sg-5", "sg-6", "sg-0"]
        );
    }

    #[tokio::test]
    async fn skill_groups_must_exist_in_agents_and_are_named_by_it() {
        let h = Harness::with_agents().await;
        let id = bulk_one(&h).await;
        let v = h
            .call(
                SPEC,
                &[
                    ("PhoneNumberId", &id),
                    ("Usage", "Inbound"),
                    ("SkillGroupId.1", "sg-2"),
                    ("SkillGroupId.2", "sg-1"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(
            v["PhoneNumber"]["SkillGroups"],
            json!({"SkillGroup": [
                {"SkillGroupId": "sg-2", "SkillGroupName": "Support"},
                {"SkillGroupId": "sg-1", "SkillGroupName": "Sales"},
            ]})
        );
        // Unknown ids and another instance's groups are refused; nothing changes.
        for bad in ["sg-9", "sg-other"] {
            let e = h
                .call(
                    SPEC,
                    &[
                        ("PhoneNumberId", &id),
                        ("Usage", "Inbound"),
                        ("SkillGroupId.1", "sg-1"),
                        ("SkillGroupId.2", bad),
                    ],
                )
                .await
                .unwrap_err();
            assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.SkillGroupId"));
            assert!(e.message.contains(bad), "{}", e.message);
        }
        let v = h
            .call(SPEC, &[("PhoneNumberId", &id), ("Usage", "Inbound")])
            .await
            .unwrap();
        assert_eq!(group_ids(&v), vec!["sg-2", "sg-1"]);
    }
}
