//! 2017-07-05 ModifySkillGroupOfUser (seed 004 §9.9 修改坐席从属的技能组): sets the skill groups
//! and roles of a user.
//!
//! Request ([`crate::api::modify_skill_group_of_user::Request`]): `UserId`, `RoleId.N`
//! (required); `SkillGroupId.N` with `SkillLevel.N` (1-10, paired by index) optional.
//! Response: the envelope only.
//!
//! The user's roles become `RoleId.N` and its memberships exactly the given pairs: a group not
//! named is left, a named one joined or its level changed (a membership that stays keeps its
//! SkillLevelId); no `SkillGroupId.N` at all leaves every group (the seed's example sends only
//! `RoleId.1` and `UserId`). One transaction.
//!
//! Errors: parameter errors of the spec; `InvalidParameter` (SkillLevel count, a group named
//! twice, roles plugin disabled); 404 `NotExists.UserId`, `NotExists.RoleId`,
//! `NotExists.SkillGroupId`.

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::sea_orm::{ActiveModelTrait, Set};
use ccgate_plugin_sdk::storage::begin_write;

use crate::api::Ctx;
use crate::api::errors;
use crate::api::modify_skill_group_of_user::{Request, Response};
use crate::roles;
use crate::storage::{user, users};
use crate::user_writes;

/// Serves ModifySkillGroupOfUser.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let skills = user_writes::pair_levels(&req.skill_group_id, &req.skill_level)?;
    let role_names = roles::resolve(ctx, "RoleId", &req.role_id).await?;
    let txn = begin_write(&ctx.db).await?;
    let Some(found) = users::find(&txn, ctx.instance(), &req.user_id).await? else {
        return Err(errors::not_exists_user_id(&req.user_id));
    };
    user_writes::check_groups(&txn, ctx.instance(), &skills).await?;
    let id = found.id.clone();
    let mut a: user::ActiveModel = found.into();
    a.updated_at = Set(ctx.now_ms());
    a.update(&txn).await?;
    user_writes::replace_roles(&txn, ctx.instance(), &id, &role_names).await?;
    user_writes::replace_memberships(&txn, ctx.instance(), &id, &skills).await?;
    txn.commit().await?;
    Ok(Response::default())
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::sea_orm::EntityTrait;

    use crate::storage::skill_level;
    use crate::testutil::{Harness, INSTANCE, role_id};

    #[tokio::test]
    async fn replaces_memberships_and_roles() {
        let h = Harness::with_roles().await;
        let g1 = h.add_group("g1").await;
        let g2 = h.add_group("g2").await;
        let g3 = h.add_group("g3").await;
        let id = h
            .create_user(
                "li",
                &[
                    ("SkillGroupId.1", &g1),
                    ("SkillLevel.1", "3"),
                    ("SkillGroupId.2", &g2),
                    ("SkillLevel.2", "3"),
                ],
            )
            .await;
        let g1_level = skill_level::Entity::find()
            .all(&h.env.db)
            .await
            .unwrap()
            .into_iter()
            .find(|m| m.skill_group_id == g1)
            .unwrap();
        let leader = role_id(INSTANCE, "skill-group-leader");
        let v = h
            .call(
                "ModifySkillGroupOfUser",
                &[
                    ("UserId", &id),
                    ("RoleId.1", &leader),
                    ("SkillGroupId.1", &g1),
                    ("SkillLevel.1", "10"),
                    ("SkillGroupId.2", &g3),
                    ("SkillLevel.2", "2"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(v, ccgate_plugin_sdk::serde_json::json!({}));
        let u = h.get_user(&id).await;
        let levels: Vec<(String, i64, String)> = u["SkillLevels"]["SkillLevel"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["Skill"]["SkillGroupName"].as_str().unwrap().to_string(),
                    l["Level"].as_i64().unwrap(),
                    l["SkillLevelId"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(levels.len(), 2);
        assert_eq!((levels[0].0.as_str(), levels[0].1), ("g1", 10));
        assert_eq!(levels[0].2, g1_level.id, "a kept membership keeps its id");
        assert_eq!((levels[1].0.as_str(), levels[1].1), ("g3", 2));
        assert_eq!(u["Roles"]["Role"][0]["RoleName"], "SKILL_GROUP_ADMIN");

        // As the seed's example: no SkillGroupId.N leaves every group.
        h.call(
            "ModifySkillGroupOfUser",
            &[("UserId", &id), ("RoleId.1", &role_id(INSTANCE, "agent"))],
        )
        .await
        .unwrap();
        let u = h.get_user(&id).await;
        assert_eq!(u["SkillLevels"]["SkillLevel"].as_array().unwrap().len(), 0);
        assert_eq!(u["Roles"]["Role"][0]["RoleName"], "AGENT");
    }

    #[tokio::test]
    async fn errors_change_nothing() {
        let h = Harness::with_roles().await;
        let g = h.add_group("g").await;
        let id = h
            .create_user("li", &[("SkillGroupId.1", &g), ("SkillLevel.1", "3")])
            .await;
        let agent = role_id(INSTANCE, "agent");
        for (pairs, status, code) in [
            (
                vec![("UserId", "nobody"), ("RoleId.1", agent.as_str())],
                404,
                "NotExists.UserId",
            ),
            (
                vec![("UserId", id.as_str()), ("RoleId.1", "nope")],
                404,
                "NotExists.RoleId",
            ),
            (
                vec![
                    ("UserId", id.as_str()),
                    ("RoleId.1", agent.as_str()),
                    ("SkillGroupId.1", "missing"),
                    ("SkillLevel.1", "1"),
                ],
                404,
                "NotExists.SkillGroupId",
            ),
            (
                vec![
                    ("UserId", id.as_str()),
                    ("RoleId.1", agent.as_str()),
                    ("SkillLevel.1", "1"),
                ],
                400,
                "InvalidParameter",
            ),
            (vec![("UserId", id.as_str())], 400, "MissingParameter"),
        ] {
            let e = h.call("ModifySkillGroupOfUser", &pairs).await.unwrap_err();
            assert_eq!((e.status, e.code.as_ref()), (status, code), "{pairs:?}");
        }
        assert_eq!(h.rows("agents_skill_levels").await, 1);
    }
}
