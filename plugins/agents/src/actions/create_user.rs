//! 2017-07-05 CreateUser (seed 004 §9.1 新增客服): creates a user of the instance.
//!
//! Request ([`crate::api::create_user::Request`]): `DisplayName`, `Email`, `LoginName`,
//! `RoleId.N` (required); `Phone`, `PrivateOutboundNumberId`, `SkillGroupId.N` with
//! `SkillLevel.N` (1-10, paired by index, same count) optional.
//! Response: `UserId`, the new user's UUID.
//!
//! What it does, in one transaction: the login name must be free in the instance; the user gets
//! a fresh UUID, a generated RamId (16 digits) and the next extension of the instance (8001,
//! 8002, ...); its roles and memberships are stored. Roles are resolved through the roles plugin
//! (`roles.resolve`) before the transaction. No e-mail is sent (the seed's Alibaba sends the
//! login URL and password; ccgate users sign in with tokens, `ccgate token issue`).
//!
//! `PrivateOutboundNumberId` is stored as given: the numbers plugin offers no query to check
//! a number id yet (documented `NotExists.PhoneNumberId` is reserved for that check).
//!
//! Errors: parameter errors of the spec; `InvalidParameter` (LoginName with `@`/spaces, Email
//! without `@`, SkillLevel count not the SkillGroupId count, a skill group named twice, roles
//! plugin disabled); 404 `NotExists.RoleId`, `NotExists.SkillGroupId`; 409 `Conflict.LoginName`.

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::storage::begin_write;

use crate::api::Ctx;
use crate::api::create_user::{Request, Response};
use crate::roles;
use crate::user_writes::{self, NewUser};

/// Serves CreateUser.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    user_writes::check_login("LoginName", &req.login_name)?;
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
    user_writes::check_groups(&txn, ctx.instance(), &skills).await?;
    let user = user_writes::insert_user(
        &txn,
        ctx.instance(),
        NewUser {
            ram_id: user_writes::new_ram_id(),
            login_name: req.login_name,
            display_name: req.display_name,
            email: req.email,
            phone: req.phone.unwrap_or_default(),
            private_outbound_number_id: req.private_outbound_number_id,
            roles: role_names,
            skills,
        },
        ctx.now_ms(),
    )
    .await?;
    txn.commit().await?;
    Ok(Response { user_id: user.id })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::sea_orm::{ConnectionTrait, EntityTrait};
    use ccgate_plugin_sdk::serde_json::json;

    use crate::storage::user;
    use crate::testutil::{Harness, INSTANCE, OTHER_INSTANCE, role_id};

    #[tokio::test]
    async fn creates_a_user_with_roles_groups_extension_and_ram_id() {
        let h = Harness::with_roles().await;
        let g1 = h.add_group("support").await;
        let g2 = h.add_group("sales").await;
        let leader = role_id(INSTANCE, "skill-group-leader");
        let v = h
            .call(
                "CreateUser",
                &[
                    ("LoginName", "wangming2"),
                    ("DisplayName", "王明"),
                    ("Email", "18866668888@163.com"),
                    ("Phone", "18866668888"),
                    ("RoleId.1", &leader),
                    ("RoleId.2", &role_id(INSTANCE, "agent")),
                    ("RoleId.3", &leader),
                    ("PrivateOutboundNumberId", "num-1"),
                    ("SkillGroupId.1", &g1),
                    ("SkillLevel.1", "4"),
                    ("SkillGroupId.2", &g2),
                    ("SkillLevel.2", "9"),
                ],
            )
            .await
            .unwrap();
        let id = v["UserId"].as_str().unwrap().to_string();
        assert_eq!(v.as_object().unwrap().len(), 1, "{v}");
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        let row = user::Entity::find_by_id(id.clone())
            .one(&h.env.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.extension, "8001");
        assert_eq!(row.ram_id.len(), 16);
        assert!(row.ram_id.chars().all(|c| c.is_ascii_digit()));
        assert_ne!(row.ram_id.as_bytes()[0], b'0');
        assert_eq!(row.private_outbound_number_id.as_deref(), Some("num-1"));

        let u = h.get_user(&id).await;
        assert_eq!(
            u["Detail"],
            json!({"Department": "", "DisplayName": "王明", "Email": "18866668888@163.com",
                   "LoginName": "wangming2", "Phone": "18866668888"})
        );
        assert_eq!(u["RamId"], row.ram_id.as_str());
        let roles: Vec<&str> = u["Roles"]["Role"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["RoleName"].as_str().unwrap())
            .collect();
        assert_eq!(
            roles,
            vec!["SKILL_GROUP_ADMIN", "AGENT"],
            "duplicates kept once"
        );
        let levels: Vec<(i64, &str)> = u["SkillLevels"]["SkillLevel"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["Level"].as_i64().unwrap(),
                    l["Skill"]["SkillGroupName"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(levels, vec![(9, "sales"), (4, "support")], "highest first");

        // Extensions count up per instance; RamIds differ.
        let second = h.create_user("second", &[]).await;
        let row2 = user::Entity::find_by_id(second)
            .one(&h.env.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row2.extension, "8002");
        assert_ne!(row2.ram_id, row.ram_id);
        assert_eq!(row2.phone, "");
        assert_eq!(row2.private_outbound_number_id, None);
        let other = h
            .env
            .call(
                Harness::spec("2017-07-05", "CreateUser"),
                OTHER_INSTANCE,
                &[
                    ("LoginName", "wangming2"),
                    ("DisplayName", "x"),
                    ("Email", "x@y"),
                    ("RoleId.1", &role_id(OTHER_INSTANCE, "agent")),
                ],
            )
            .await
            .unwrap();
        let row3 = user::Entity::find_by_id(other["UserId"].as_str().unwrap().to_string())
            .one(&h.env.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (row3.extension.as_str(), row3.instance_id.as_str()),
            ("8001", OTHER_INSTANCE),
            "login names and extensions are per instance"
        );
    }

    #[tokio::test]
    async fn parameter_errors() {
        let h = Harness::with_roles().await;
        let agent = role_id(INSTANCE, "agent");
        let base = |extra: &[(&'static str, &'static str)]| {
            let mut v: Vec<(&str, String)> = vec![
                ("LoginName", "li".into()),
                ("DisplayName", "Li".into()),
                ("Email", "li@example.com".into()),
                ("RoleId.1", agent.clone()),
            ];
            for (k, val) in extra {
                v.retain(|(kk, _)| kk != k);
                v.push((k, val.to_string()));
            }
            v
        };
        async fn call(h: &Harness, v: Vec<(&str, String)>) -> ccgate_plugin_sdk::ApiError {
            let pairs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
            h.call("CreateUser", &pairs).await.unwrap_err()
        }
        let mut no_login = base(&[]);
        no_login.retain(|(k, _)| *k != "LoginName");
        let e = call(&h, no_login).await;
        assert_eq!((e.status, e.code.as_ref()), (400, "MissingParameter"));
        assert!(e.message.contains("LoginName"), "{}", e.message);
        let mut no_role = base(&[]);
        no_role.retain(|(k, _)| *k != "RoleId.1");
        let e = call(&h, no_role).await;
        assert_eq!(e.code, "MissingParameter");
        assert!(e.message.contains("RoleId"), "{}", e.message);
        let e = call(&h, base(&[("DisplayName", " ")])).await;
        assert_eq!(e.code, "Parameter.Empty");
        let e = call(&h, base(&[("LoginName", "li@ccc-test")])).await;
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        assert!(e.message.contains("LoginName"), "{}", e.message);
        let e = call(&h, base(&[("LoginName", "li si")])).await;
        assert_eq!(e.code, "InvalidParameter");
        let e = call(&h, base(&[("Email", "nobody")])).await;
        assert_eq!(e.code, "InvalidParameter");
        assert!(e.message.contains("Email"), "{}", e.message);
        let long = "x".repeat(129);
        let mut v = base(&[]);
        v.retain(|(k, _)| *k != "LoginName");
        v.push(("LoginName", long));
        let e = call(&h, v).await;
        assert_eq!((e.status, e.code.as_ref()), (400, "Parameter.Maximum"));
        let e = call(&h, base(&[("SkillGroupId.1", "g"), ("SkillLevel.1", "11")])).await;
        assert_eq!(e.code, "Parameter.Maximum");
        let e = call(&h, base(&[("SkillGroupId.1", "g"), ("SkillLevel.1", "0")])).await;
        assert_eq!((e.status, e.code.as_ref()), (400, "Parameter.Minimum"));
        let e = call(&h, base(&[("SkillGroupId.1", "g"), ("SkillLevel.1", "x")])).await;
        assert_eq!(e.code, "InvalidParameter");
        // Counts must match.
        let e = call(&h, base(&[("SkillGroupId.1", "g")])).await;
        assert_eq!(e.code, "InvalidParameter");
        assert!(e.message.contains("SkillLevel"), "{}", e.message);
        let e = call(&h, base(&[("SkillLevel.1", "3")])).await;
        assert_eq!(e.code, "InvalidParameter");
        let e = call(
            &h,
            base(&[
                ("SkillGroupId.1", "g"),
                ("SkillLevel.1", "3"),
                ("SkillGroupId.2", "g"),
                ("SkillLevel.2", "4"),
            ]),
        )
        .await;
        assert_eq!(e.code, "InvalidParameter");
        assert!(e.message.contains("twice"), "{}", e.message);
        assert_eq!(h.rows("agents_users").await, 0);
    }

    #[tokio::test]
    async fn unknown_roles_groups_and_taken_login_names() {
        let h = Harness::with_roles().await;
        let g = h.add_group("support").await;
        let foreign = h.add_group_in(OTHER_INSTANCE, "foreign").await;
        let agent = role_id(INSTANCE, "agent");
        let pairs = |role: &str, group: &str| {
            vec![
                ("LoginName".to_string(), "li".to_string()),
                ("DisplayName".into(), "Li".into()),
                ("Email".into(), "li@example.com".into()),
                ("RoleId.1".into(), role.to_string()),
                ("SkillGroupId.1".into(), group.to_string()),
                ("SkillLevel.1".into(), "5".into()),
            ]
        };
        async fn call(
            h: &Harness,
            v: Vec<(String, String)>,
        ) -> ccgate_plugin_sdk::ApiResult<ccgate_plugin_sdk::serde_json::Value> {
            let pairs: Vec<(&str, &str)> =
                v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            h.call("CreateUser", &pairs).await
        }
        let e = call(&h, pairs("nope", &g)).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.RoleId"));
        assert!(e.message.contains("nope"), "{}", e.message);
        // Another instance's role id is no role of this one.
        let e = call(&h, pairs(&role_id(OTHER_INSTANCE, "agent"), &g))
            .await
            .unwrap_err();
        assert_eq!(e.code, "NotExists.RoleId");
        let e = call(&h, pairs(&agent, "sg-missing")).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.SkillGroupId"));
        assert!(e.message.contains("sg-missing"), "{}", e.message);
        let e = call(&h, pairs(&agent, &foreign)).await.unwrap_err();
        assert_eq!(e.code, "NotExists.SkillGroupId");
        assert_eq!(h.rows("agents_users").await, 0);

        call(&h, pairs(&agent, &g)).await.unwrap();
        let e = call(&h, pairs(&agent, &g)).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (409, "Conflict.LoginName"));
        assert!(e.message.contains("li"), "{}", e.message);
        // Login names compare exactly.
        let mut upper = pairs(&agent, &g);
        upper[0].1 = "Li".into();
        call(&h, upper).await.unwrap();
        assert_eq!(h.rows("agents_users").await, 2);
    }

    #[tokio::test]
    async fn without_the_roles_plugin_role_ids_cannot_be_checked() {
        let h = Harness::new().await;
        let e = h
            .call(
                "CreateUser",
                &[
                    ("LoginName", "li"),
                    ("DisplayName", "Li"),
                    ("Email", "li@example.com"),
                    ("RoleId.1", &role_id(INSTANCE, "agent")),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        assert!(e.message.contains("roles plugin"), "{}", e.message);
    }

    /// A failure after the user row was written (here: the memberships) leaves nothing: no
    /// user, no roles, and the extension counter is not consumed.
    #[tokio::test]
    async fn a_failing_create_leaves_nothing() {
        let h = Harness::with_roles().await;
        let g = h.add_group("support").await;
        h.env
            .db
            .execute_unprepared(
                "CREATE TRIGGER fail_levels BEFORE INSERT ON agents_skill_levels \
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
            )
            .await
            .unwrap();
        let e = h
            .call(
                "CreateUser",
                &[
                    ("LoginName", "li"),
                    ("DisplayName", "Li"),
                    ("Email", "li@example.com"),
                    ("RoleId.1", &role_id(INSTANCE, "agent")),
                    ("SkillGroupId.1", &g),
                    ("SkillLevel.1", "5"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(e.status, 500, "{e:?}");
        assert_eq!(h.rows("agents_users").await, 0);
        assert_eq!(h.rows("agents_user_roles").await, 0);
        assert_eq!(h.rows("agents_skill_levels").await, 0);
        h.env
            .db
            .execute_unprepared("DROP TRIGGER fail_levels")
            .await
            .unwrap();
        let id = h.create_user("li", &[]).await;
        let row = user::Entity::find_by_id(id)
            .one(&h.env.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            row.extension, "8001",
            "the failed create consumed no extension"
        );
    }

    #[tokio::test]
    async fn the_private_outbound_number_must_be_an_outbound_number_of_the_instance() {
        use crate::testutil::{NUM_BI, NUM_IN, NUM_OTHER, fake_numbers, roles_plugin};
        let h = Harness::with(vec![roles_plugin(), std::sync::Arc::new(fake_numbers())]).await;
        let agent = role_id(INSTANCE, "agent");
        let create = |login: &'static str, number: &'static str| {
            let agent = agent.clone();
            let h = &h;
            async move {
                h.call(
                    "CreateUser",
                    &[
                        ("LoginName", login),
                        ("DisplayName", login),
                        ("Email", "x@example.com"),
                        ("RoleId.1", &agent),
                        ("PrivateOutboundNumberId", number),
                    ],
                )
                .await
            }
        };
        let e = create("u1", "num-nope").await.unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (404, "NotExists.PhoneNumberId")
        );
        let e = create("u2", NUM_OTHER).await.unwrap_err();
        assert_eq!(
            e.code.as_ref(),
            "NotExists.PhoneNumberId",
            "another instance's number"
        );
        let e = create("u3", NUM_IN).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        assert!(e.message.contains("outbound"), "{}", e.message);
        create("u4", NUM_BI).await.unwrap();
        assert_eq!(
            h.rows("agents_users").await,
            1,
            "only the valid user was created"
        );
    }
}
