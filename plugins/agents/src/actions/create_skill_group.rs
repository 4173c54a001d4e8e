//! 2017-07-05 CreateSkillGroup (seed 004 §8.1 创建技能组): creates a skill group, optionally with
//! outbound numbers and member agents.
//!
//! Request ([`crate::api::create_skill_group::Request`]): `InstanceId`, `Name` (required, at most
//! 128 characters, unique in the instance), `Description` (at most 255), `RoutingStrategy` (at
//! most 32, stored as given), `AllowPrivateOutboundNumber` (default false),
//! `OutboundPhoneNumberId.N` (numbers of the instance in the numbers plugin that allow outbound
//! calls, Usage `Outbound` or `Bidirection`; repeated ids count once), `UserId.N` with
//! `SkillLevel.N` (one level 1-10 per user, "数量需要保持一致"; users of the instance, each once).
//!
//! The group, its members and its numbers are written in one transaction.
//!
//! Response: `SkillGroupId` (a new UUID).
//! Errors: `MissingParameter` / `Parameter.Empty` (InstanceId, Name); `Parameter.Maximum`
//! (lengths, more than 100 ids); `InvalidParameter` (counts of UserId.N and
//! SkillLevel.N that differ, a level outside 1-10, a user listed twice, a number that does not
//! allow outbound calls, any number while the numbers plugin is disabled); 404
//! `NotExists.UserId`, `NotExists.PhoneNumberId` (unknown or of another instance); 409
//! `Conflict.SkillGroupName`.

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::sea_orm::{ActiveModelTrait, Set};

use super::members;
use crate::api::Ctx;
use crate::api::create_skill_group::{Request, Response};
use crate::api::errors;
use crate::numbers;
use crate::storage::{self, groups, skill_group};

/// Serves CreateSkillGroup.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    // The parser refused a blank name (Parameter.Empty); names are stored trimmed.
    let name = req.name.trim();
    let members = members(ctx, &req.user_id, &req.skill_level).await?;
    let wanted = numbers::distinct(&req.outbound_phone_number_id);
    let numbers = numbers::require_outbound(ctx, &wanted, false).await?;
    if groups::name_taken(&ctx.db, ctx.instance(), name, None).await? {
        return Err(errors::conflict_skill_group_name(name));
    }

    let now = ctx.now_ms();
    let id = uuid::Uuid::new_v4().to_string();
    let txn = ccgate_plugin_sdk::storage::begin_write(&ctx.db).await?;
    let inserted = skill_group::ActiveModel {
        id: Set(id.clone()),
        instance_id: Set(ctx.instance().to_string()),
        name: Set(name.to_string()),
        description: Set(req.description.unwrap_or_default()),
        routing_strategy: Set(req.routing_strategy.unwrap_or_default()),
        allow_private_outbound_number: Set(req.allow_private_outbound_number.unwrap_or(false)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(_) => {}
        // Another request created the name between the check and the insert.
        Err(e) if storage::is_unique_violation(&e) => {
            return Err(errors::conflict_skill_group_name(name));
        }
        Err(e) => return Err(e.into()),
    }
    groups::replace_members(&txn, ctx.instance(), &id, &members).await?;
    groups::replace_numbers(&txn, ctx.instance(), &id, &numbers).await?;
    txn.commit().await?;
    Ok(Response { skill_group_id: id })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::json;

    use crate::testutil::{
        Harness, INSTANCE, NUM_400, NUM_BI, NUM_IN, NUM_OTHER, NUM_OUT, OTHER_INSTANCE,
    };

    fn group<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
        v["SkillGroups"]["SkillGroup"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["SkillGroupId"] == id)
            .unwrap_or_else(|| panic!("no group {id} in {v}"))
    }

    #[tokio::test]
    async fn creates_a_group_with_members_and_numbers() {
        let h = Harness::with_numbers().await;
        let a = h.add_user(INSTANCE, "alice", &["agent"]).await;
        let b = h.add_user(INSTANCE, "bob", &["agent"]).await;
        let v = h
            .call(
                "CreateSkillGroup",
                &[
                    ("Name", "售前技能组"),
                    ("Description", "售前坐席使用"),
                    ("RoutingStrategy", "default"),
                    ("AllowPrivateOutboundNumber", "true"),
                    ("OutboundPhoneNumberId.1", NUM_BI),
                    ("OutboundPhoneNumberId.2", NUM_OUT),
                    ("OutboundPhoneNumberId.3", NUM_BI),
                    ("UserId.1", &a),
                    ("SkillLevel.1", "5"),
                    ("UserId.2", &b),
                    ("SkillLevel.2", "9"),
                ],
            )
            .await
            .unwrap();
        let id = v["SkillGroupId"].as_str().unwrap();
        assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 4);

        let list = h
            .call("ListSkillGroups", &[("InstanceId", INSTANCE)])
            .await
            .unwrap();
        let g = group(&list, id);
        assert_eq!(g["SkillGroupName"], "售前技能组");
        assert_eq!(g["SkillGroupDescription"], "售前坐席使用");
        assert_eq!(g["RoutingStrategy"], "default");
        assert_eq!(g["UserCount"], 2);
        let numbers: Vec<&str> = g["OutboundPhoneNumbers"]["PhoneNumber"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["PhoneNumberId"].as_str().unwrap())
            .collect();
        assert_eq!(numbers, vec![NUM_BI, NUM_OUT]);

        let of_b = h
            .call("ListSkillGroupsOfUser", &[("UserId", &b)])
            .await
            .unwrap();
        assert_eq!(of_b["SkillLevels"]["SkillLevel"][0]["Level"], 9);
    }

    #[tokio::test]
    async fn a_group_needs_nothing_but_a_name() {
        let h = Harness::new().await;
        let id = h.create_group("Plain", &[]).await;
        let list = h.call("ListSkillGroups", &[]).await.unwrap();
        let g = group(&list, &id);
        assert_eq!(g["UserCount"], 0);
        assert_eq!(g["RoutingStrategy"], "");
        assert_eq!(g["OutboundPhoneNumbers"], json!({"PhoneNumber": []}));
    }

    #[tokio::test]
    async fn names_are_unique_per_instance() {
        let h = Harness::new().await;
        h.create_group("Sales", &[]).await;
        let e = h
            .call("CreateSkillGroup", &[("Name", " Sales ")])
            .await
            .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (409, "Conflict.SkillGroupName")
        );
        assert!(e.message.contains("Sales"), "{}", e.message);
        // The same name in another instance is another group.
        h.call_in(OTHER_INSTANCE, "CreateSkillGroup", &[("Name", "Sales")])
            .await
            .unwrap();
        let e = h
            .call("CreateSkillGroup", &[("Name", "  ")])
            .await
            .unwrap_err();
        assert_eq!(e.code, "Parameter.Empty");
    }

    #[tokio::test]
    async fn parameters_are_checked() {
        let h = Harness::with_numbers().await;
        let e = h.call("CreateSkillGroup", &[]).await.unwrap_err();
        assert_eq!(e.code, "MissingParameter");
        let long = "x".repeat(129);
        let e = h
            .call("CreateSkillGroup", &[("Name", &long)])
            .await
            .unwrap_err();
        assert_eq!(e.code, "Parameter.Maximum");
        let e = h
            .call("CreateSkillGroup", &[("Name", "G"), ("SkillLevel.1", "x")])
            .await
            .unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
    }

    #[tokio::test]
    async fn members_are_validated() {
        let h = Harness::new().await;
        let a = h.add_user(INSTANCE, "alice", &["agent"]).await;
        let stranger = h.add_user(OTHER_INSTANCE, "stranger", &["agent"]).await;
        // (extra parameters, expected code, what the message names)
        type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
        let cases: Vec<Case> = vec![
            (vec![("UserId.1", &a)], "InvalidParameter", "SkillLevel.N"),
            (
                vec![("SkillLevel.1", "5")],
                "InvalidParameter",
                "SkillLevel.N",
            ),
            (
                vec![("UserId.1", &a), ("SkillLevel.1", "0")],
                "InvalidParameter",
                "SkillLevel.1",
            ),
            (
                vec![("UserId.1", &a), ("SkillLevel.1", "11")],
                "InvalidParameter",
                "SkillLevel.1",
            ),
            (
                vec![
                    ("UserId.1", &a),
                    ("SkillLevel.1", "1"),
                    ("UserId.2", &a),
                    ("SkillLevel.2", "2"),
                ],
                "InvalidParameter",
                "UserId.2",
            ),
            (
                vec![("UserId.1", "nobody"), ("SkillLevel.1", "3")],
                "NotExists.UserId",
                "nobody",
            ),
            (
                vec![("UserId.1", &stranger), ("SkillLevel.1", "3")],
                "NotExists.UserId",
                &stranger,
            ),
        ];
        for (pairs, code, named) in cases {
            let mut all = vec![("Name", "G")];
            all.extend(pairs);
            let e = h.call("CreateSkillGroup", &all).await.unwrap_err();
            assert_eq!(e.code, code, "{all:?}: {}", e.message);
            assert!(e.message.contains(named), "{all:?}: {}", e.message);
        }
        // Nothing was created by the refused calls.
        let list = h.call("ListSkillGroups", &[]).await.unwrap();
        assert_eq!(list["SkillGroups"]["SkillGroup"], json!([]));
        // Levels 1 and 10 are the bounds.
        h.create_group("Bounds", &[("UserId.1", &a), ("SkillLevel.1", "10")])
            .await;
    }

    #[tokio::test]
    async fn numbers_must_exist_here_and_call_out() {
        let h = Harness::with_numbers().await;
        for (id, code) in [
            ("nope", "NotExists.PhoneNumberId"),
            (NUM_OTHER, "NotExists.PhoneNumberId"),
            (NUM_IN, "InvalidParameter"),
            (NUM_400, "InvalidParameter"),
        ] {
            let e = h
                .call(
                    "CreateSkillGroup",
                    &[("Name", "G"), ("OutboundPhoneNumberId.1", id)],
                )
                .await
                .unwrap_err();
            assert_eq!(e.code, code, "{id}: {}", e.message);
        }
        let e = h
            .call(
                "CreateSkillGroup",
                &[("Name", "G"), ("OutboundPhoneNumberId.1", NUM_IN)],
            )
            .await
            .unwrap_err();
        assert!(e.message.contains("Inbound"), "{}", e.message);
    }

    #[tokio::test]
    async fn numbers_cannot_be_bound_while_the_numbers_plugin_is_disabled() {
        let h = Harness::new().await;
        let e = h
            .call(
                "CreateSkillGroup",
                &[("Name", "G"), ("OutboundPhoneNumberId.1", NUM_BI)],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        assert!(
            e.message.contains("plugin numbers is disabled"),
            "{}",
            e.message
        );
    }
}
