//! 2017-07-05 ModifySkillGroup (seed 004 §8.3 修改技能组): changes a skill group's name,
//! description, routing strategy, outbound numbers and member agents ("修改技能组的名称、描述、外呼
//! 号码以及组内坐席").
//!
//! Request ([`crate::api::modify_skill_group::Request`]): `InstanceId`, `SkillGroupId`, `Name`
//! (required: the new name, unique in the instance); optional `Description`, `RoutingStrategy`,
//! `AllowPrivateOutboundNumber` (omitted: kept); `OutboundPhoneNumberId.N` (the seed's table
//! prints `OutboundPhoneNumber.N`, its example and the SDK send `OutboundPhoneNumberId.N`) and
//! `UserId.N` / `SkillLevel.N`, validated as in CreateSkillGroup.
//!
//! Lists replace, omission keeps (the seed does not say what an omitted list means; its example
//! sends the full new lists): `UserId.N` sent makes the group's members exactly those users with
//! those levels (members that stay keep their `SkillLevelId`, the others leave the group);
//! `OutboundPhoneNumberId.N` sent makes its numbers exactly those. Omitted, the members or the
//! numbers are kept: members are removed with RemoveUsersFromSkillGroup, numbers with
//! ModifySkillGroupOutboundNumbers. Everything changes in one transaction.
//!
//! Response: the envelope only.
//! Errors: those of CreateSkillGroup, plus 404 `NotExists.SkillGroupId` (unknown, of another
//! instance, or outside the caller's view).

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::sea_orm::{ActiveModelTrait, DbErr, Set};

use super::{members, visible_group};
use crate::api::Ctx;
use crate::api::errors;
use crate::api::modify_skill_group::{Request, Response};
use crate::numbers;
use crate::storage::{self, groups, skill_group};

/// Serves ModifySkillGroup.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let group = visible_group(ctx, &req.skill_group_id).await?;
    // The parser refused a blank name (Parameter.Empty); names are stored trimmed.
    let name = req.name.trim();
    let members = if req.user_id.is_empty() && req.skill_level.is_empty() {
        None
    } else {
        Some(members(ctx, &req.user_id, &req.skill_level).await?)
    };
    let numbers = if req.outbound_phone_number_id.is_empty() {
        None
    } else {
        let wanted = numbers::distinct(&req.outbound_phone_number_id);
        Some(numbers::require_outbound(ctx, &wanted, false).await?)
    };
    if groups::name_taken(&ctx.db, ctx.instance(), name, Some(&group.id)).await? {
        return Err(errors::conflict_skill_group_name(name));
    }

    let txn = ccgate_plugin_sdk::storage::begin_write(&ctx.db).await?;
    let id = group.id.clone();
    let mut am: skill_group::ActiveModel = group.into();
    am.name = Set(name.to_string());
    if let Some(d) = req.description {
        am.description = Set(d);
    }
    if let Some(r) = req.routing_strategy {
        am.routing_strategy = Set(r);
    }
    if let Some(a) = req.allow_private_outbound_number {
        am.allow_private_outbound_number = Set(a);
    }
    am.updated_at = Set(ctx.now_ms());
    match am.update(&txn).await {
        Ok(_) => {}
        Err(DbErr::RecordNotUpdated) => return Err(errors::not_exists_skill_group_id(&id)),
        Err(e) if storage::is_unique_violation(&e) => {
            return Err(errors::conflict_skill_group_name(name));
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(members) = &members {
        groups::replace_members(&txn, ctx.instance(), &id, members).await?;
    }
    if let Some(numbers) = &numbers {
        groups::replace_numbers(&txn, ctx.instance(), &id, numbers).await?;
    }
    txn.commit().await?;
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::Value;

    use crate::testutil::{Harness, INSTANCE, NUM_BI, NUM_IN, NUM_OUT, OTHER_INSTANCE};

    async fn the_group(h: &Harness, id: &str) -> Value {
        let v = h.call("ListSkillGroups", &[]).await.unwrap();
        v["SkillGroups"]["SkillGroup"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["SkillGroupId"] == id)
            .cloned()
            .unwrap()
    }

    /// (UserId, Level, SkillLevelId) of the members of `id`.
    async fn members(h: &Harness, id: &str) -> Vec<(String, i64, String)> {
        let v = h
            .call(
                "ListUsersOfSkillGroup",
                &[
                    ("SkillGroupId", id),
                    ("PageNumber", "1"),
                    ("PageSize", "100"),
                ],
            )
            .await
            .unwrap();
        let mut out: Vec<(String, i64, String)> = v["Users"]["List"]["User"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                let l = u["SkillLevels"]["SkillLevel"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|l| l["Skill"]["SkillGroupId"] == id)
                    .unwrap();
                (
                    u["UserId"].as_str().unwrap().to_string(),
                    l["Level"].as_i64().unwrap(),
                    l["SkillLevelId"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        out.sort();
        out
    }

    #[tokio::test]
    async fn renames_and_replaces_members_and_numbers() {
        let h = Harness::with_numbers().await;
        let a = h.add_user(INSTANCE, "alice", &["agent"]).await;
        let b = h.add_user(INSTANCE, "bob", &["agent"]).await;
        let c = h.add_user(INSTANCE, "carol", &["agent"]).await;
        let id = h
            .create_group(
                "Old",
                &[
                    ("Description", "old one"),
                    ("RoutingStrategy", "default"),
                    ("UserId.1", &a),
                    ("SkillLevel.1", "1"),
                    ("UserId.2", &b),
                    ("SkillLevel.2", "2"),
                    ("OutboundPhoneNumberId.1", NUM_BI),
                ],
            )
            .await;
        let before = members(&h, &id).await;
        let a_level_id = before.iter().find(|m| m.0 == a).unwrap().2.clone();

        h.call(
            "ModifySkillGroup",
            &[
                ("SkillGroupId", &id),
                ("Name", "售后技术支持技能组"),
                ("Description", "售后技术支持人员使用"),
                ("UserId.1", &a),
                ("SkillLevel.1", "5"),
                ("UserId.2", &c),
                ("SkillLevel.2", "9"),
                ("OutboundPhoneNumberId.1", NUM_OUT),
            ],
        )
        .await
        .unwrap();

        let g = the_group(&h, &id).await;
        assert_eq!(g["SkillGroupName"], "售后技术支持技能组");
        assert_eq!(g["SkillGroupDescription"], "售后技术支持人员使用");
        assert_eq!(g["RoutingStrategy"], "default", "omitted: kept");
        assert_eq!(g["UserCount"], 2);
        assert_eq!(
            g["OutboundPhoneNumbers"]["PhoneNumber"][0]["PhoneNumberId"],
            NUM_OUT
        );
        assert_eq!(
            g["OutboundPhoneNumbers"]["PhoneNumber"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let after = members(&h, &id).await;
        let ids: Vec<(&str, i64)> = after.iter().map(|m| (m.0.as_str(), m.1)).collect();
        let mut expected = vec![(a.as_str(), 5), (c.as_str(), 9)];
        expected.sort();
        assert_eq!(ids, expected);
        // Alice stayed: same membership, new level.
        assert_eq!(after.iter().find(|m| m.0 == a).unwrap().2, a_level_id);
    }

    #[tokio::test]
    async fn omitted_lists_are_kept() {
        let h = Harness::with_numbers().await;
        let a = h.add_user(INSTANCE, "alice", &["agent"]).await;
        let id = h
            .create_group(
                "G",
                &[
                    ("UserId.1", &a),
                    ("SkillLevel.1", "4"),
                    ("OutboundPhoneNumberId.1", NUM_BI),
                ],
            )
            .await;
        h.call("ModifySkillGroup", &[("SkillGroupId", &id), ("Name", "G2")])
            .await
            .unwrap();
        let g = the_group(&h, &id).await;
        assert_eq!(g["SkillGroupName"], "G2");
        assert_eq!(g["UserCount"], 1);
        assert_eq!(
            g["OutboundPhoneNumbers"]["PhoneNumber"][0]["PhoneNumberId"],
            NUM_BI
        );
        // Keeping its own name is no conflict.
        h.call("ModifySkillGroup", &[("SkillGroupId", &id), ("Name", "G2")])
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn errors() {
        let h = Harness::with_numbers().await;
        let a = h.add_user(INSTANCE, "alice", &["agent"]).await;
        let id = h.create_group("Mine", &[]).await;
        h.create_group("Taken", &[]).await;
        let v = h
            .call_in(OTHER_INSTANCE, "CreateSkillGroup", &[("Name", "Theirs")])
            .await
            .unwrap();
        let theirs = v["SkillGroupId"].as_str().unwrap().to_string();
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("SkillGroupId", &id)], "MissingParameter"),
            (
                vec![("SkillGroupId", "nope"), ("Name", "X")],
                "NotExists.SkillGroupId",
            ),
            (
                vec![("SkillGroupId", &theirs), ("Name", "X")],
                "NotExists.SkillGroupId",
            ),
            (
                vec![("SkillGroupId", &id), ("Name", "Taken")],
                "Conflict.SkillGroupName",
            ),
            (
                vec![("SkillGroupId", &id), ("Name", "X"), ("UserId.1", &a)],
                "InvalidParameter",
            ),
            (
                vec![
                    ("SkillGroupId", &id),
                    ("Name", "X"),
                    ("UserId.1", "ghost"),
                    ("SkillLevel.1", "3"),
                ],
                "NotExists.UserId",
            ),
            (
                vec![
                    ("SkillGroupId", &id),
                    ("Name", "X"),
                    ("OutboundPhoneNumberId.1", "nope"),
                ],
                "NotExists.PhoneNumberId",
            ),
            (
                vec![
                    ("SkillGroupId", &id),
                    ("Name", "X"),
                    ("OutboundPhoneNumberId.1", NUM_IN),
                ],
                "InvalidParameter",
            ),
        ];
        for (pairs, code) in cases {
            let e = h.call("ModifySkillGroup", &pairs).await.unwrap_err();
            assert_eq!(e.code, code, "{pairs:?}: {}", e.message);
        }
        // Nothing changed.
        assert_eq!(the_group(&h, &id).await["SkillGroupName"], "Mine");
    }
}
