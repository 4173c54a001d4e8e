//! 2017-07-05 RemoveUsersFromSkillGroup (seed 004 §8.7 从技能组中删除坐席): removes users from a
//! skill group.
//!
//! Request ([`crate::api::remove_users_from_skill_group::Request`]): `InstanceId`,
//! `SkillGroupId`, `UserId.N` (required, at most 100; repeated ids count once).
//! Every id must name a user of the instance; a user that is not a member of the group is
//! skipped (the call is idempotent: the seed does not say, and a retry should not fail).
//! Response: the envelope only.
//! Errors: `MissingParameter` / `Parameter.Empty` (`UserId.1` included); `Parameter.Maximum`;
//! `InvalidParameter` (a blank `UserId.N`); 404 `NotExists.SkillGroupId` (unknown, of another
//! instance, or outside the caller's view), `NotExists.UserId` (no such user in the instance).

use std::collections::HashSet;

use ccgate_plugin_sdk::ApiResult;

use super::visible_group;
use crate::api::Ctx;
use crate::api::errors;
use crate::api::remove_users_from_skill_group::{Request, Response};
use crate::storage::{groups, users};

/// Serves RemoveUsersFromSkillGroup.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let group = visible_group(ctx, &req.skill_group_id).await?;
    let mut seen = HashSet::new();
    let mut ids = Vec::with_capacity(req.user_id.len());
    for (i, id) in req.user_id.iter().enumerate() {
        let id = id.trim();
        if id.is_empty() {
            return Err(errors::invalid_parameter(
                format!("UserId.{}", i + 1),
                "the user id is empty",
            ));
        }
        if seen.insert(id) {
            ids.push(id.to_string());
        }
    }
    let found = users::by_ids(&ctx.db, ctx.instance(), &ids).await?;
    if let Some(missing) = ids.iter().find(|id| !found.contains_key(*id)) {
        return Err(errors::not_exists_user_id(missing));
    }
    groups::remove_members(&ctx.db, &group.id, &ids).await?;
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use crate::testutil::{Harness, INSTANCE, OTHER_INSTANCE};

    async fn member_count(h: &Harness, g: &str) -> i64 {
        let v = h.call("ListSkillGroups", &[]).await.unwrap();
        v["SkillGroups"]["SkillGroup"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["SkillGroupId"] == g)
            .unwrap()["UserCount"]
            .as_i64()
            .unwrap()
    }

    #[tokio::test]
    async fn removes_the_listed_members_only() {
        let h = Harness::new().await;
        let a = h.add_user(INSTANCE, "alice", &["agent"]).await;
        let b = h.add_user(INSTANCE, "bob", &["agent"]).await;
        let c = h.add_user(INSTANCE, "carol", &["agent"]).await;
        let g = h
            .create_group(
                "G",
                &[
                    ("UserId.1", &a),
                    ("SkillLevel.1", "1"),
                    ("UserId.2", &b),
                    ("SkillLevel.2", "2"),
                    ("UserId.3", &c),
                    ("SkillLevel.3", "3"),
                ],
            )
            .await;
        let other = h
            .create_group("Other", &[("UserId.1", &a), ("SkillLevel.1", "1")])
            .await;
        h.call(
            "RemoveUsersFromSkillGroup",
            &[
                ("SkillGroupId", &g),
                ("UserId.1", &a),
                ("UserId.2", &b),
                ("UserId.3", &a),
            ],
        )
        .await
        .unwrap();
        assert_eq!(member_count(&h, &g).await, 1);
        assert_eq!(member_count(&h, &other).await, 1, "other groups untouched");
        // Again: no longer members, still fine.
        h.call(
            "RemoveUsersFromSkillGroup",
            &[("SkillGroupId", &g), ("UserId.1", &a)],
        )
        .await
        .unwrap();
        assert_eq!(member_count(&h, &g).await, 1);
    }

    #[tokio::test]
    async fn errors() {
        let h = Harness::new().await;
        let a = h.add_user(INSTANCE, "alice", &["agent"]).await;
        let stranger = h.add_user(OTHER_INSTANCE, "stranger", &["agent"]).await;
        let g = h
            .create_group("G", &[("UserId.1", &a), ("SkillLevel.1", "1")])
            .await;
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("SkillGroupId", &g)], "MissingParameter"),
            (
                vec![("SkillGroupId", "nope"), ("UserId.1", &a)],
                "NotExists.SkillGroupId",
            ),
            (
                vec![("SkillGroupId", &g), ("UserId.1", "ghost")],
                "NotExists.UserId",
            ),
            (
                vec![("SkillGroupId", &g), ("UserId.1", &stranger)],
                "NotExists.UserId",
            ),
            (
                vec![
                    ("SkillGroupId", &g),
                    ("UserId.1", &a),
                    ("UserId.2", "ghost"),
                ],
                "NotExists.UserId",
            ),
        ];
        for (pairs, code) in cases {
            let e = h
                .call("RemoveUsersFromSkillGroup", &pairs)
                .await
                .unwrap_err();
            assert_eq!(e.code, code, "{pairs:?}: {}", e.message);
        }
        assert_eq!(
            member_count(&h, &g).await,
            1,
            "a refused call removes nobody"
        );
    }
}
