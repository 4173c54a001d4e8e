//! 2017-07-05 ModifySkillGroupOutboundNumbers (seed 004 §8.8 修改技能组外呼号码): adds, removes or
//! resets the outbound numbers of a skill group.
//!
//! Request ([`crate::api::modify_skill_group_outbound_numbers::Request`]): `InstanceId`,
//! `SkillGroupId`, `OperationType` (1 新增 add the numbers to the current list, 2 删除 remove them
//! from it, 3 重置 replace the list with them; any other value is refused by the parser with
//! `Parameter.Enumeration`), `OutboundPhoneNumberId.N` (required; repeated ids count once).
//!
//! Numbers added (1) or reset to (3) must be numbers of the instance in the numbers plugin that
//! allow outbound calls (Usage `Outbound` or `Bidirection`); 400 numbers, which can only be
//! `Inbound`, are filtered out silently as the seed says ("传入的400号码，会被自动过滤"). Numbers
//! already bound are not bound twice; new ones are appended in the given order. Removal (2)
//! checks nothing: ids not bound are ignored, and a number since removed from the numbers plugin
//! can still be unbound. The list is read and written in one transaction.
//!
//! Response: the envelope only.
//! Errors: `MissingParameter` / `Parameter.Empty`; `Parameter.Enumeration` (OperationType);
//! `Parameter.Maximum`; `InvalidParameter` (a number that does not allow outbound calls, the
//! numbers plugin disabled for 1 and 3); 404 `NotExists.SkillGroupId`, `NotExists.PhoneNumberId`.

use std::collections::HashSet;

use ccgate_plugin_sdk::ApiResult;

use super::visible_group;
use crate::api::Ctx;
use crate::api::modify_skill_group_outbound_numbers::{Request, Response};
use crate::numbers;
use crate::storage::groups;

/// `OperationType` 1: add.
const ADD: i64 = 1;
/// `OperationType` 2: remove.
const REMOVE: i64 = 2;

/// Serves ModifySkillGroupOutboundNumbers.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let group = visible_group(ctx, &req.skill_group_id).await?;
    let given = numbers::distinct(&req.outbound_phone_number_id);
    let checked = if req.operation_type == REMOVE {
        given
    } else {
        numbers::require_outbound(ctx, &given, true).await?
    };

    let txn = ccgate_plugin_sdk::storage::begin_write(&ctx.db).await?;
    let current = groups::numbers_of(&txn, std::slice::from_ref(&group.id))
        .await?
        .remove(&group.id)
        .unwrap_or_default();
    let next: Vec<String> = match req.operation_type {
        ADD => {
            let have: HashSet<&String> = current.iter().collect();
            let added: Vec<String> = checked
                .iter()
                .filter(|id| !have.contains(id))
                .cloned()
                .collect();
            current.iter().cloned().chain(added).collect()
        }
        REMOVE => {
            let gone: HashSet<&String> = checked.iter().collect();
            current
                .iter()
                .filter(|id| !gone.contains(id))
                .cloned()
                .collect()
        }
        // 3, reset (the parser admits 1, 2 and 3 only).
        _ => checked,
    };
    if next != current {
        groups::replace_numbers(&txn, ctx.instance(), &group.id, &next).await?;
    }
    txn.commit().await?;
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use crate::testutil::{Harness, NUM_400, NUM_BI, NUM_IN, NUM_OTHER, NUM_OUT};

    async fn numbers_of(h: &Harness, g: &str) -> Vec<String> {
        let v = h.call("ListSkillGroups", &[]).await.unwrap();
        v["SkillGroups"]["SkillGroup"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["SkillGroupId"] == g)
            .unwrap()["OutboundPhoneNumbers"]["PhoneNumber"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["PhoneNumberId"].as_str().unwrap().to_string())
            .collect()
    }

    async fn op(h: &Harness, g: &str, op: &str, ids: &[&str]) -> ccgate_plugin_sdk::ApiResult<()> {
        let keys: Vec<String> = (1..=ids.len())
            .map(|i| format!("OutboundPhoneNumberId.{i}"))
            .collect();
        let mut pairs = vec![("SkillGroupId", g), ("OperationType", op)];
        pairs.extend(keys.iter().map(String::as_str).zip(ids.iter().copied()));
        h.call("ModifySkillGroupOutboundNumbers", &pairs)
            .await
            .map(|_| ())
    }

    #[tokio::test]
    async fn add_remove_and_reset() {
        let h = Harness::with_numbers().await;
        let g = h
            .create_group("G", &[("OutboundPhoneNumberId.1", NUM_BI)])
            .await;
        // Add: appended, no duplicates, 400 numbers filtered out.
        op(&h, &g, "1", &[NUM_OUT, NUM_BI, NUM_400]).await.unwrap();
        assert_eq!(numbers_of(&h, &g).await, vec![NUM_BI, NUM_OUT]);
        // Remove: unknown or unbound ids ignored.
        op(&h, &g, "2", &[NUM_BI, "never-bound"]).await.unwrap();
        assert_eq!(numbers_of(&h, &g).await, vec![NUM_OUT]);
        // Reset: exactly the given list.
        op(&h, &g, "3", &[NUM_BI, NUM_OUT]).await.unwrap();
        assert_eq!(numbers_of(&h, &g).await, vec![NUM_BI, NUM_OUT]);
        op(&h, &g, "3", &[NUM_400]).await.unwrap();
        assert!(numbers_of(&h, &g).await.is_empty());
    }

    #[tokio::test]
    async fn errors() {
        let h = Harness::with_numbers().await;
        let g = h
            .create_group("G", &[("OutboundPhoneNumberId.1", NUM_BI)])
            .await;
        for (o, ids, code) in [
            ("4", vec![NUM_OUT], "Parameter.Enumeration"),
            ("0", vec![NUM_OUT], "Parameter.Enumeration"),
            ("1", vec![], "MissingParameter"),
            ("1", vec!["nope"], "NotExists.PhoneNumberId"),
            ("3", vec![NUM_OTHER], "NotExists.PhoneNumberId"),
            ("1", vec![NUM_IN], "InvalidParameter"),
            ("3", vec![NUM_OUT, NUM_IN], "InvalidParameter"),
        ] {
            let e = op(&h, &g, o, &ids).await.unwrap_err();
            assert_eq!(e.code, code, "{o} {ids:?}: {}", e.message);
        }
        let e = op(&h, "nope", "1", &[NUM_OUT]).await.unwrap_err();
        assert_eq!(e.code, "NotExists.SkillGroupId");
        assert_eq!(
            numbers_of(&h, &g).await,
            vec![NUM_BI],
            "refused calls change nothing"
        );
    }

    #[tokio::test]
    async fn numbers_plugin_disabled() {
        let h = Harness::new().await;
        let g = h.create_group("G", &[]).await;
        let e = op(&h, &g, "1", &[NUM_OUT]).await.unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        // Removal needs no numbers plugin.
        op(&h, &g, "2", &[NUM_OUT]).await.unwrap();
    }
}
