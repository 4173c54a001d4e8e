//! 2017-07-05 GetUser (seed 004 §9.4 客服信息): one user with details, roles and skill levels.
//!
//! Request ([`crate::api::get_user::Request`]): `UserId`: the user's UUID (its login name,
//! `<login>@<instance>` and RamId are accepted too, as in every agents action).
//! Response: `User` ([`crate::api::shapes::InstanceUser`] without `Primary` and
//! `PrivateOutboundNumberId`, which §9.4 does not list; see [`crate::render`]).
//!
//! Errors: parameter errors of the spec; 404 `NotExists.UserId`.

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::errors;
use crate::api::get_user::{Request, Response};
use crate::storage::users;
use crate::user_render::{UserRenderer, Variant};

/// Serves GetUser.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let Some(u) = users::find(&ctx.db, ctx.instance(), &req.user_id).await? else {
        return Err(errors::not_exists_user_id(&req.user_id));
    };
    let r = UserRenderer::load(ctx, std::slice::from_ref(&u)).await?;
    Ok(Response {
        user: r.user(&u, Variant::GetUser),
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::json;

    use crate::testutil::{Harness, INSTANCE, role_id};

    #[tokio::test]
    async fn answers_the_seed_shape() {
        let h = Harness::with_roles().await;
        let g = h.add_group("售后技术支持技能组").await;
        let id = h
            .create_user(
                "user05",
                &[
                    ("PrivateOutboundNumberId", "num-1"),
                    ("SkillGroupId.1", &g),
                    ("SkillLevel.1", "4"),
                ],
            )
            .await;
        let v = h.call("GetUser", &[("UserId", &id)]).await.unwrap();
        let u = &v["User"];
        let keys: Vec<&str> = u.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            vec![
                "Detail",
                "InstanceId",
                "RamId",
                "Roles",
                "SkillLevels",
                "UserId"
            ],
            "no Primary, no PrivateOutboundNumberId (§9.4)"
        );
        assert_eq!(u["UserId"], id.as_str());
        assert_eq!(u["InstanceId"], INSTANCE);
        assert_eq!(
            u["Roles"],
            json!({"Role": [{"InstanceId": INSTANCE, "RoleDescription": "坐席",
                             "RoleId": role_id(INSTANCE, "agent"), "RoleName": "AGENT"}]})
        );
        let level = &u["SkillLevels"]["SkillLevel"][0];
        assert_eq!(level["Level"], 4);
        assert_eq!(
            level["Skill"],
            json!({"InstanceId": INSTANCE, "SkillGroupDescription": "售后技术支持技能组 description",
                   "SkillGroupId": g, "SkillGroupName": "售后技术支持技能组"})
        );
        assert!(level["SkillLevelId"].as_str().unwrap().len() > 8);
        // The login name and `<login>@<instance>` name the same user.
        assert_eq!(h.get_user("user05").await, *u);
        assert_eq!(h.get_user("user05@ccc-test").await, *u);
    }

    #[tokio::test]
    async fn unknown_and_missing_users() {
        let h = Harness::with_roles().await;
        let e = h
            .call("GetUser", &[("UserId", "nobody")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.UserId"));
        assert!(e.message.contains("nobody"), "{}", e.message);
        let e = h.call("GetUser", &[]).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "MissingParameter"));
        let e = h
            .call("GetUser", &[("UserId", &"x".repeat(65))])
            .await
            .unwrap_err();
        assert_eq!(e.code, "Parameter.Maximum");
    }
}
