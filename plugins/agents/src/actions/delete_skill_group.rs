//! 2017-07-05 DeleteSkillGroup (seed 004 §8.2 删除技能组): deletes a skill group. "如果该技能组中仍
//! 有座席，则座席首先会被移出技能组，然后技能组被删除": its members are removed from it first, and its
//! outbound-number bindings with them, all in one transaction.
//!
//! Request ([`crate::api::delete_skill_group::Request`]): `InstanceId`, `SkillGroupId`.
//! Response: the envelope only.
//! Errors: `MissingParameter` / `Parameter.Empty`; 404 `NotExists.SkillGroupId` (unknown, of
//! another instance, or outside the caller's view).

use ccgate_plugin_sdk::ApiResult;

use super::visible_group;
use crate::api::Ctx;
use crate::api::delete_skill_group::{Request, Response};
use crate::api::errors;
use crate::storage::groups;

/// Serves DeleteSkillGroup.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let group = visible_group(ctx, &req.skill_group_id).await?;
    let txn = ccgate_plugin_sdk::storage::begin_write(&ctx.db).await?;
    if !groups::delete(&txn, &group.id).await? {
        // Deleted concurrently.
        return Err(errors::not_exists_skill_group_id(&req.skill_group_id));
    }
    txn.commit().await?;
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

    use crate::storage::{skill_group_number, skill_level};
    use crate::testutil::{Harness, INSTANCE, NUM_BI, OTHER_INSTANCE};

    #[tokio::test]
    async fn deletes_the_group_its_memberships_and_numbers_in_one_go() {
        let h = Harness::with_numbers().await;
        let a = h.add_user(INSTANCE, "alice", &["agent"]).await;
        let b = h.add_user(INSTANCE, "bob", &["agent"]).await;
        let gone = h
            .create_group(
                "Gone",
                &[
                    ("UserId.1", &a),
                    ("SkillLevel.1", "3"),
                    ("UserId.2", &b),
                    ("SkillLevel.2", "4"),
                    ("OutboundPhoneNumberId.1", NUM_BI),
                ],
            )
            .await;
        let kept = h
            .create_group("Kept", &[("UserId.1", &a), ("SkillLevel.1", "7")])
            .await;

        h.call("DeleteSkillGroup", &[("SkillGroupId", &gone)])
            .await
            .unwrap();

        let db = &h.env.db;
        let left = skill_level::Entity::find()
            .filter(skill_level::Column::SkillGroupId.eq(&gone))
            .count(db)
            .await
            .unwrap();
        assert_eq!(left, 0);
        let bound = skill_group_number::Entity::find()
            .filter(skill_group_number::Column::SkillGroupId.eq(&gone))
            .count(db)
            .await
            .unwrap();
        assert_eq!(bound, 0);
        // The other group keeps its member; the users still exist.
        let v = h
            .call("ListSkillGroupsOfUser", &[("UserId", &a)])
            .await
            .unwrap();
        let groups: Vec<&str> = v["SkillLevels"]["SkillLevel"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["Skill"]["SkillGroupId"].as_str().unwrap())
            .collect();
        assert_eq!(groups, vec![kept.as_str()]);

        let e = h
            .call("DeleteSkillGroup", &[("SkillGroupId", &gone)])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.SkillGroupId"));
    }

    #[tokio::test]
    async fn groups_of_other_instances_are_not_found() {
        let h = Harness::new().await;
        let v = h
            .call_in(OTHER_INSTANCE, "CreateSkillGroup", &[("Name", "Theirs")])
            .await
            .unwrap();
        let theirs = v["SkillGroupId"].as_str().unwrap();
        let e = h
            .call("DeleteSkillGroup", &[("SkillGroupId", theirs)])
            .await
            .unwrap_err();
        assert_eq!(e.code, "NotExists.SkillGroupId");
        assert!(e.message.contains(theirs));
        let e = h.call("DeleteSkillGroup", &[]).await.unwrap_err();
        assert_eq!(e.code, "MissingParameter");
        // Still there for its own instance.
        h.call_in(
            OTHER_INSTANCE,
            "DeleteSkillGroup",
            &[("SkillGroupId", theirs)],
        )
        .await
        .unwrap();
    }
}
