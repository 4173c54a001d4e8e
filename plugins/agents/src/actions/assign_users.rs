//! 2017-07-05 AssignUsers (seed 004 §9.6 导入客服): imports principals of the account's user
//! directory (the stand-in for RAM sub-users, `ccgate user add`) as users of the instance.
//!
//! Request ([`crate::api::assign_users::Request`]): `UserRamId.N` (required); `RoleId.N`,
//! `SkillGroupId.N` with `SkillLevel.N` (1-10, paired by index) optional; every imported user
//! gets the same roles and memberships. Without `RoleId.N` a user gets the agent role
//! (`roles.of_instance`'s `agent`; none when the roles plugin is disabled).
//! Response: the envelope only.
//!
//! Each user takes the principal's RamId, login name, display name, e-mail and phone (empty
//! when the directory has none), a fresh UUID and the next extension. All users or none: one
//! transaction.
//!
//! Errors: parameter errors of the spec; `InvalidParameter` (SkillLevel count, a group named
//! twice, a RamId named twice, a principal's login name with `@` or spaces, roles plugin
//! disabled while RoleId.N is sent); 404 `NotExists.RamId` (not in the caller's account
//! directory), `NotExists.RoleId`, `NotExists.SkillGroupId`; 409 `Conflict.User` (the principal
//! is already a user of the instance), `Conflict.LoginName` (another user has its login name).

use std::collections::HashSet;

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use ccgate_plugin_sdk::storage::begin_write;

use crate::api::Ctx;
use crate::api::assign_users::{Request, Response};
use crate::api::errors;
use crate::directory;
use crate::roles;
use crate::storage::user;
use crate::user_writes::{self, NewUser};

/// Serves AssignUsers.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let mut seen = HashSet::new();
    if let Some(dup) = req.user_ram_id.iter().find(|id| !seen.insert(id.as_str())) {
        return Err(errors::invalid_parameter(
            "UserRamId",
            format!("RamId {dup} is named twice"),
        ));
    }
    let skills = user_writes::pair_levels(&req.skill_group_id, &req.skill_level)?;
    let role_names = if req.role_id.is_empty() {
        roles::of_instance(ctx)
            .await?
            .into_iter()
            .filter(|r| r.name == ccgate_plugin_sdk::Role::Agent.as_str())
            .map(|r| r.name)
            .collect()
    } else {
        roles::resolve(ctx, "RoleId", &req.role_id).await?
    };
    let principals = directory::lookup(ctx, &req.user_ram_id).await?;
    if let Some(missing) = req
        .user_ram_id
        .iter()
        .find(|id| !principals.iter().any(|p| &p.ram_id == *id))
    {
        return Err(errors::not_exists_ram_id(missing));
    }
    for p in &principals {
        user_writes::check_login("UserRamId", &p.login_name)?;
    }
    let txn = begin_write(&ctx.db).await?;
    if let Some(existing) = user::Entity::find()
        .filter(user::Column::InstanceId.eq(ctx.instance()))
        .filter(user::Column::RamId.is_in(req.user_ram_id.iter().cloned()))
        .one(&txn)
        .await?
    {
        return Err(errors::conflict_user(&existing.ram_id));
    }
    user_writes::check_groups(&txn, ctx.instance(), &skills).await?;
    for p in principals {
        user_writes::insert_user(
            &txn,
            ctx.instance(),
            NewUser {
                ram_id: p.ram_id,
                login_name: p.login_name,
                display_name: p.display_name,
                email: p.email.unwrap_or_default(),
                phone: p.phone.unwrap_or_default(),
                private_outbound_number_id: None,
                roles: role_names.clone(),
                skills: skills.clone(),
            },
            ctx.now_ms(),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Response::default())
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::sea_orm::EntityTrait;

    use crate::storage::user;
    use crate::testutil::{Harness, INSTANCE, fake_directory, fake_roles, role_id};

    async fn harness() -> Harness {
        Harness::with(vec![
            fake_roles(),
            fake_directory(&[
                (
                    "1000000000000001",
                    "wang",
                    "王明",
                    Some("wang@example.com"),
                    Some("18866668888"),
                ),
                ("1000000000000002", "li", "Li", None, None),
                ("1000000000000003", "bad@login", "Bad", None, None),
            ]),
        ])
        .await
    }

    #[tokio::test]
    async fn imports_principals_with_roles_and_groups() {
        let h = harness().await;
        let g = h.add_group("support").await;
        let v = h
            .call(
                "AssignUsers",
                &[
                    ("UserRamId.1", "1000000000000001"),
                    ("UserRamId.2", "1000000000000002"),
                    ("RoleId.1", &role_id(INSTANCE, "skill-group-leader")),
                    ("SkillGroupId.1", &g),
                    ("SkillLevel.1", "6"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(v, ccgate_plugin_sdk::serde_json::json!({}));
        let mut rows = user::Entity::find().all(&h.env.db).await.unwrap();
        rows.sort_by(|a, b| a.ram_id.cmp(&b.ram_id));
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (
                rows[0].login_name.as_str(),
                rows[0].display_name.as_str(),
                rows[0].email.as_str(),
                rows[0].phone.as_str()
            ),
            ("wang", "王明", "wang@example.com", "18866668888")
        );
        assert_eq!((rows[1].email.as_str(), rows[1].phone.as_str()), ("", ""));
        let mut ext: Vec<&str> = rows.iter().map(|r| r.extension.as_str()).collect();
        ext.sort();
        assert_eq!(ext, vec!["8001", "8002"]);
        let u = h.get_user(&rows[0].id).await;
        assert_eq!(u["RamId"], "1000000000000001");
        assert_eq!(u["Roles"]["Role"][0]["RoleName"], "SKILL_GROUP_ADMIN");
        assert_eq!(u["SkillLevels"]["SkillLevel"][0]["Level"], 6);
        // Found by RamId too.
        assert_eq!(
            h.get_user("1000000000000002").await["Detail"]["LoginName"],
            "li"
        );
    }

    #[tokio::test]
    async fn without_role_ids_users_are_agents() {
        let h = harness().await;
        h.call("AssignUsers", &[("UserRamId.1", "1000000000000002")])
            .await
            .unwrap();
        let u = h.get_user("li").await;
        assert_eq!(u["Roles"]["Role"][0]["RoleName"], "AGENT");
        assert_eq!(u["Roles"]["Role"].as_array().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn errors_import_nobody() {
        let h = harness().await;
        let e = h
            .call(
                "AssignUsers",
                &[
                    ("UserRamId.1", "1000000000000001"),
                    ("UserRamId.2", "9999999999999999"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.RamId"));
        assert!(e.message.contains("9999999999999999"), "{}", e.message);
        let e = h
            .call(
                "AssignUsers",
                &[
                    ("UserRamId.1", "1000000000000001"),
                    ("UserRamId.2", "1000000000000001"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        let e = h
            .call("AssignUsers", &[("UserRamId.1", "1000000000000003")])
            .await
            .unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        let e = h
            .call(
                "AssignUsers",
                &[("UserRamId.1", "1000000000000001"), ("RoleId.1", "nope")],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.RoleId"));
        let e = h
            .call(
                "AssignUsers",
                &[
                    ("UserRamId.1", "1000000000000001"),
                    ("SkillGroupId.1", "missing"),
                    ("SkillLevel.1", "2"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.SkillGroupId"));
        let e = h.call("AssignUsers", &[]).await.unwrap_err();
        assert_eq!(e.code, "MissingParameter");
        assert_eq!(h.rows("agents_users").await, 0);

        // Already a user: Conflict.User, and the other principal is not imported either.
        h.call("AssignUsers", &[("UserRamId.1", "1000000000000001")])
            .await
            .unwrap();
        let e = h
            .call(
                "AssignUsers",
                &[
                    ("UserRamId.1", "1000000000000002"),
                    ("UserRamId.2", "1000000000000001"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (409, "Conflict.User"));
        assert!(e.message.contains("1000000000000001"), "{}", e.message);
        assert_eq!(h.rows("agents_users").await, 1);

        // A created user holding the principal's login name: Conflict.LoginName.
        h.create_user("li", &[]).await;
        let e = h
            .call("AssignUsers", &[("UserRamId.1", "1000000000000002")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (409, "Conflict.LoginName"));
        assert_eq!(h.rows("agents_users").await, 2);
    }
}
