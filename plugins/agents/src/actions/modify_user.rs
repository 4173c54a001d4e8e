//! 2017-07-05 ModifyUser (seed 004 §9.3 修改客服): changes a user's data.
//!
//! Request ([`crate::api::modify_user::Request`]): `UserId`, `DisplayName`, `Email`, `Phone`,
//! `RoleId.N` (required); `PrivateOutboundNumberId`, `SkillGroupId.N` with `SkillLevel.N`
//! optional. Response: the envelope only.
//!
//! Display name, e-mail, phone and roles are replaced. `PrivateOutboundNumberId` is replaced
//! when sent and kept when absent (stored as given, see CreateUser). Skill groups: when
//! `SkillGroupId.N` is sent, the memberships become exactly those pairs (a membership that
//! stays keeps its SkillLevelId); when none is sent they are kept (ModifySkillGroupOfUser
//! empties them). The login name, RamId and extension never change. One transaction.
//!
//! Errors: parameter errors of the spec; `InvalidParameter` (Email, SkillLevel count, a group
//! named twice, roles plugin disabled); 404 `NotExists.UserId`, `NotExists.RoleId`,
//! `NotExists.SkillGroupId`.

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::sea_orm::{ActiveModelTrait, Set};
use ccgate_plugin_sdk::storage::begin_write;

use crate::api::Ctx;
use crate::api::errors;
use crate::api::modify_user::{Request, Response};
use crate::roles;
use crate::storage::{user, users};
use crate::user_writes;

/// Serves ModifyUser.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    user_writes::check_email(&req.email)?;
    let skills = user_writes::pair_levels(&req.skill_group_id, &req.skill_level)?;
    let role_names = roles::resolve(ctx, "RoleId", &req.role_id).await?;
    if let Some(n) = req
        .private_outbound_number_id
        .as_deref()
        .filter(|n| !n.is_empty())
    {
        crate::numbers::check_private(ctx, n).await?;
    }
    let txn = begin_write(&ctx.db).await?;
    let Some(found) = users::find(&txn, ctx.instance(), &req.user_id).await? else {
        return Err(errors::not_exists_user_id(&req.user_id));
    };
    user_writes::check_groups(&txn, ctx.instance(), &skills).await?;
    let id = found.id.clone();
    let mut a: user::ActiveModel = found.into();
    a.display_name = Set(req.display_name);
    a.email = Set(req.email);
    a.phone = Set(req.phone);
    if let Some(n) = req.private_outbound_number_id {
        a.private_outbound_number_id = Set(Some(n));
    }
    a.updated_at = Set(ctx.now_ms());
    a.update(&txn).await?;
    user_writes::replace_roles(&txn, ctx.instance(), &id, &role_names).await?;
    if !skills.is_empty() {
        user_writes::replace_memberships(&txn, ctx.instance(), &id, &skills).await?;
    }
    txn.commit().await?;
    Ok(Response::default())
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::sea_orm::EntityTrait;

    use crate::storage::{skill_level, user};
    use crate::testutil::{Harness, INSTANCE, role_id};

    fn base<'a>(id: &'a str, role: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![
            ("UserId", id),
            ("DisplayName", "New Name"),
            ("Email", "new@example.com"),
            ("Phone", "13900000000"),
            ("RoleId.1", role),
        ]
    }

    #[tokio::test]
    async fn replaces_details_roles_and_groups_when_sent() {
        let h = Harness::with_roles().await;
        let g1 = h.add_group("g1").await;
        let g2 = h.add_group("g2").await;
        let id = h
            .create_user(
                "li",
                &[
                    ("PrivateOutboundNumberId", "num-1"),
                    ("SkillGroupId.1", &g1),
                    ("SkillLevel.1", "3"),
                ],
            )
            .await;
        let before = skill_level::Entity::find().all(&h.env.db).await.unwrap();
        let admin = role_id(INSTANCE, "admin");
        let v = h.call("ModifyUser", &base(&id, &admin)).await.unwrap();
        assert_eq!(v, ccgate_plugin_sdk::serde_json::json!({}));
        let row = user::Entity::find_by_id(id.clone())
            .one(&h.env.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                row.display_name.as_str(),
                row.email.as_str(),
                row.phone.as_str()
            ),
            ("New Name", "new@example.com", "13900000000")
        );
        assert_eq!(row.login_name, "li", "never changes");
        assert_eq!(row.extension, "8001", "never changes");
        assert_eq!(
            row.private_outbound_number_id.as_deref(),
            Some("num-1"),
            "kept when absent"
        );
        let u = h.get_user(&id).await;
        assert_eq!(u["Roles"]["Role"][0]["RoleName"], "ADMIN");
        assert_eq!(u["Roles"]["Role"].as_array().unwrap().len(), 1);
        assert_eq!(
            skill_level::Entity::find().all(&h.env.db).await.unwrap(),
            before,
            "no SkillGroupId.N: memberships kept"
        );

        let mut pairs = base(&id, &admin);
        pairs.extend([
            ("PrivateOutboundNumberId", "num-2"),
            ("SkillGroupId.1", g1.as_str()),
            ("SkillLevel.1", "7"),
            ("SkillGroupId.2", g2.as_str()),
            ("SkillLevel.2", "1"),
        ]);
        h.call("ModifyUser", &pairs).await.unwrap();
        let after = skill_level::Entity::find().all(&h.env.db).await.unwrap();
        assert_eq!(after.len(), 2);
        let kept = after.iter().find(|m| m.skill_group_id == g1).unwrap();
        assert_eq!((kept.id.as_str(), kept.level), (before[0].id.as_str(), 7));
        let row = user::Entity::find_by_id(id.clone())
            .one(&h.env.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.private_outbound_number_id.as_deref(), Some("num-2"));
    }

    #[tokio::test]
    async fn errors_change_nothing() {
        let h = Harness::with_roles().await;
        let id = h.create_user("li", &[]).await;
        let agent = role_id(INSTANCE, "agent");
        let e = h
            .call("ModifyUser", &base("nobody", &agent))
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.UserId"));
        let e = h.call("ModifyUser", &base(&id, "nope")).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.RoleId"));
        let mut pairs = base(&id, &agent);
        pairs.extend([("SkillGroupId.1", "missing"), ("SkillLevel.1", "2")]);
        let e = h.call("ModifyUser", &pairs).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.SkillGroupId"));
        let mut pairs = base(&id, &agent);
        pairs.push(("SkillGroupId.1", "missing"));
        let e = h.call("ModifyUser", &pairs).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        let mut pairs = base(&id, &agent);
        pairs.retain(|(k, _)| *k != "Phone");
        let e = h.call("ModifyUser", &pairs).await.unwrap_err();
        assert_eq!(e.code, "MissingParameter");
        let mut pairs = base(&id, &agent);
        pairs[2] = ("Email", "bad");
        let e = h.call("ModifyUser", &pairs).await.unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        let u = h.get_user(&id).await;
        assert_eq!(u["Detail"]["DisplayName"], "Name li");
    }
}
