//! 2017-07-05 ListSkillGroupsOfUser (seed 004 §8.5 坐席相关联技能组列表): the skill groups a user
//! belongs to, with the user's level in each and each group's outbound numbers.
//!
//! Request ([`crate::api::list_skill_groups_of_user::Request`]): `InstanceId`, `UserId` (the
//! user's UUID; its login name and `<login>@<instance>` are accepted too).
//! Response: `SkillLevels.SkillLevel[]`: `SkillLevelId`, `Level`, `Skill {InstanceId,
//! OutboundPhoneNumbers.PhoneNumber[] (shape OutboundPhoneNumber), RoutingStrategy,
//! SkillGroupDescription, SkillGroupId, SkillGroupName}`, highest level first, then by group
//! id. A skill-group leader or agent sees only memberships of groups in their view
//! ([`crate::access`]).
//! Errors: `MissingParameter` / `Parameter.Empty`; 404 `NotExists.UserId` (unknown, or a user of
//! another instance).

use ccgate_plugin_sdk::ApiResult;

use crate::access;
use crate::api::Ctx;
use crate::api::errors;
use crate::api::list_skill_groups_of_user::{
    OutboundPhoneNumbers, Request, Response, Skill, SkillLevel, SkillLevels,
};
use crate::numbers;
use crate::render;
use crate::storage::{groups, users};

/// Serves ListSkillGroupsOfUser.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let user = users::find(&ctx.db, ctx.instance(), &req.user_id)
        .await?
        .ok_or_else(|| errors::not_exists_user_id(&req.user_id))?;
    let visible = access::visible_groups(ctx);
    let mut memberships = users::memberships_of(&ctx.db, std::slice::from_ref(&user.id))
        .await?
        .remove(&user.id)
        .unwrap_or_default();
    memberships.retain(|m| access::can_see_group(visible.as_deref(), &m.skill_group_id));
    let group_ids: Vec<String> = memberships
        .iter()
        .map(|m| m.skill_group_id.clone())
        .collect();
    let found = users::skill_groups(&ctx.db, ctx.instance(), &group_ids).await?;
    let bound = groups::numbers_of(&ctx.db, &group_ids).await?;
    let all_numbers: Vec<String> = bound.values().flatten().cloned().collect();
    let known = numbers::get_numbers(ctx, &all_numbers).await?;
    let skill_level = memberships
        .iter()
        .filter_map(|m| {
            let g = found.get(&m.skill_group_id)?;
            let ids = bound.get(&g.id).map(Vec::as_slice).unwrap_or_default();
            Some(SkillLevel {
                level: i64::from(m.level),
                skill: Skill {
                    instance_id: g.instance_id.clone(),
                    outbound_phone_numbers: OutboundPhoneNumbers {
                        phone_number: render::outbound_numbers(ids, known.as_ref()),
                    },
                    routing_strategy: g.routing_strategy.clone(),
                    skill_group_description: g.description.clone(),
                    skill_group_id: g.id.clone(),
                    skill_group_name: g.name.clone(),
                },
                skill_level_id: m.id.clone(),
            })
        })
        .collect();
    Ok(Response {
        skill_levels: SkillLevels { skill_level },
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::json;

    use crate::testutil::{Harness, INSTANCE, NUM_BI, OTHER_INSTANCE};

    #[tokio::test]
    async fn lists_memberships_highest_level_first() {
        let h = Harness::with_numbers().await;
        let a = h.add_user(INSTANCE, "alice", &["agent"]).await;
        let low = h
            .create_group(
                "Low",
                &[
                    ("UserId.1", &a),
                    ("SkillLevel.1", "2"),
                    ("OutboundPhoneNumberId.1", NUM_BI),
                ],
            )
            .await;
        let high = h
            .create_group("High", &[("UserId.1", &a), ("SkillLevel.1", "8")])
            .await;
        h.create_group("Other", &[]).await;

        let v = h
            .call("ListSkillGroupsOfUser", &[("UserId", &a)])
            .await
            .unwrap();
        let levels = v["SkillLevels"]["SkillLevel"].as_array().unwrap();
        assert_eq!(levels.len(), 2);
        assert_eq!(levels[0]["Skill"]["SkillGroupId"], high.as_str());
        assert_eq!(levels[0]["Level"], 8);
        assert_eq!(
            levels[0]["Skill"]["OutboundPhoneNumbers"],
            json!({"PhoneNumber": []})
        );
        assert_eq!(levels[1]["Skill"]["SkillGroupId"], low.as_str());
        assert_eq!(levels[1]["Skill"]["SkillGroupName"], "Low");
        assert_eq!(levels[1]["Skill"]["InstanceId"], INSTANCE);
        assert_eq!(
            levels[1]["Skill"]["OutboundPhoneNumbers"]["PhoneNumber"][0]["Number"],
            "02160664656"
        );
        assert!(levels[1]["SkillLevelId"].as_str().unwrap().len() >= 32);

        // The login name names the same user.
        let by_login = h
            .call("ListSkillGroupsOfUser", &[("UserId", "alice")])
            .await
            .unwrap();
        assert_eq!(by_login, v);
    }

    #[tokio::test]
    async fn a_user_without_groups_has_an_empty_list_and_strangers_are_not_found() {
        let h = Harness::new().await;
        let a = h.add_user(INSTANCE, "alice", &["agent"]).await;
        let v = h
            .call("ListSkillGroupsOfUser", &[("UserId", &a)])
            .await
            .unwrap();
        assert_eq!(v["SkillLevels"], json!({"SkillLevel": []}));
        let stranger = h.add_user(OTHER_INSTANCE, "stranger", &["agent"]).await;
        for id in [stranger.as_str(), "nobody"] {
            let e = h
                .call("ListSkillGroupsOfUser", &[("UserId", id)])
                .await
                .unwrap_err();
            assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.UserId"));
        }
    }
}
