//! 2017-07-05 CommitContactFlowVersionModification: saves a new definition (`Content`) and
//! canvas (`Canvas`) into a contact flow version.
//!
//! Seed 004 lists it only in the overview (line 136, BEARERTOKEN/AK). Parameters are those the
//! official SDK sends (`sdk-actions-2017.txt`: `InstanceId`, `ContactFlowVersionId` in the
//! query, `Content` and `Canvas` in the body). The response shape follows the official SDK
//! models: `ContactFlowVersion {ContactFlowVersionId, Version, ContactFlowVersionDescription,
//! Canvas, Content, LastModified, LastModifiedBy, LockedBy, Status}`
//! (aliyun/aliyun-openapi-java-sdk `CommitContactFlowVersionModificationResponseUnmarshaller`;
//! aliyun/alibabacloud-csharp-sdk `ccc-20170705` `CommitContactFlowVersionModificationResponseBody`).
//!
//! Versions that were published are immutable, because the running flow was compiled from
//! them (seed 004 §4.3). So:
//! - a `Draft` version is updated in place;
//! - a `Published` or `Archived` version is not touched: the modification goes into the
//!   flow's draft, which is created (new id, new label) when the flow has none.
//!
//! Either way the reply is the version that now holds the modification. A version locked by
//! another principal (`LockedBy`, seed 004 §4.2) cannot be changed.

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::commit_contact_flow_version_modification::{Request, Response};
use crate::flow_type::FlowType;
use crate::storage;
use crate::storage::contact_flow_versions::{self, Modification};
use crate::{definition, render};

/// Params: `ContactFlowVersionId` (required), `Content` (required, at most 1,000,000
/// characters, checked by [`definition::check`] for the flow's type), `Canvas` (optional, at
/// most 1,000,000 characters; when absent the version keeps its canvas).
///
/// Reply: `{"ContactFlowVersion": {...}}`, the version written (see the module docs), with
/// `Canvas` and `Content`.
///
/// Errors: `MissingParameter` / `Parameter.Empty`, `Parameter.Maximum`; 404
/// `NotExists.ContactFlowVersionId`; 400 `InvalidParameter` (Content, naming the bad
/// activity); 409 `Conflict.LockedBy` when another principal holds the lock.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let version_id = req.contact_flow_version_id.as_str();
    let content = req.content.raw.as_str();
    let canvas = req.canvas.as_deref();
    let who = storage::principal_name(ctx.principal.display_name());

    let target = storage::find_version(&ctx.db, ctx.instance(), version_id).await?;
    storage::ensure_unlocked(&target, &who)?;
    let flow = storage::find_flow(&ctx.db, ctx.instance(), &target.contact_flow_id).await?;
    definition::check(content, FlowType::from_stored(&flow.flow_type))?;

    let written = contact_flow_versions::commit_modification(
        &ctx.db,
        flow,
        target,
        Modification {
            content,
            canvas,
            who: &who,
            now_ms: ctx.now_ms(),
        },
    )
    .await?;

    Ok(Response {
        contact_flow_version: render::version_2017(&written, true),
    })
}

#[cfg(test)]
mod tests {
    use crate::api::commit_contact_flow_version_modification::SPEC;
    use crate::api::publish_contact_flow_version::SPEC as PUBLISH;
    use crate::definition::DEFAULT_DEFINITION;
    use crate::storage::contact_flow_version;
    use crate::testutil::*;
    use ccgate_plugin_sdk::sea_orm::{
        ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
    };

    const EDITED: &str = r#"{"activities":[{"type":"INCOMING_CALL","id":"s","name":"开始","events":[{"event":"complete","next":"h"}]},{"type":"HANGUP","id":"h","name":"挂机","events":[]}],"description":"edited"}"#;

    #[tokio::test]
    async fn a_draft_is_updated_in_place() {
        let env = env().await;
        let created = create(&env, INSTANCE, "A", "Mainflow", "").await;
        let vid = first_version_id(&created);
        let reply = call_as(
            &env,
            SPEC,
            INSTANCE,
            "alice",
            &[("ContactFlowVersionId", &vid), ("Content", EDITED)],
        )
        .await
        .unwrap();
        assert_eq!(keys(&reply), ["ContactFlowVersion"]);
        let v = &reply["ContactFlowVersion"];
        assert_eq!(
            keys(v),
            [
                "ContactFlowVersionId",
                "Version",
                "ContactFlowVersionDescription",
                "Canvas",
                "Content",
                "LastModified",
                "LastModifiedBy",
                "LockedBy",
                "Status"
            ]
        );
        assert_eq!(v["ContactFlowVersionId"], vid);
        assert_eq!(v["Content"], EDITED);
        assert_eq!(v["Canvas"], "{\"zoom\":1}", "Canvas kept when not sent");
        assert_eq!(v["LastModifiedBy"], "alice");
        assert_eq!(v["Status"], "Draft");
        let flow_id = created["ContactFlow"]["ContactFlowId"].as_str().unwrap();
        let listed = listed_2017(&env, INSTANCE, flow_id).await;
        assert_eq!(
            listed["Versions"]["ContactFlowVersion"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let reply = call(
            &env,
            SPEC,
            INSTANCE,
            &[
                ("ContactFlowVersionId", &vid),
                ("Content", EDITED),
                ("Canvas", "{}"),
            ],
        )
        .await
        .unwrap();
        assert_eq!(reply["ContactFlowVersion"]["Canvas"], "{}");
    }

    #[tokio::test]
    async fn a_published_version_is_never_rewritten() {
        let env = env().await;
        let created = create(&env, INSTANCE, "A", "Mainflow", "").await;
        let flow_id = created["ContactFlow"]["ContactFlowId"].as_str().unwrap();
        let v1 = first_version_id(&created);
        call(&env, PUBLISH, INSTANCE, &[("ContactFlowVersionId", &v1)])
            .await
            .unwrap();

        let reply = call(
            &env,
            SPEC,
            INSTANCE,
            &[("ContactFlowVersionId", &v1), ("Content", EDITED)],
        )
        .await
        .unwrap();
        let draft = &reply["ContactFlowVersion"];
        let v2 = draft["ContactFlowVersionId"].as_str().unwrap().to_string();
        assert_ne!(v2, v1);
        assert_eq!(draft["Status"], "Draft");
        assert_eq!(draft["Content"], EDITED);
        assert_eq!(draft["Canvas"], "{\"zoom\":1}", "canvas carried over");
        let label1 = created["ContactFlow"]["Versions"]["ContactFlowVersion"][0]["Version"]
            .as_str()
            .unwrap();
        assert!(draft["Version"].as_str().unwrap() > label1);

        // A second commit to the published version lands in the same draft.
        let again = call(
            &env,
            SPEC,
            INSTANCE,
            &[
                ("ContactFlowVersionId", &v1),
                ("Content", DEFAULT_DEFINITION),
            ],
        )
        .await
        .unwrap();
        assert_eq!(again["ContactFlowVersion"]["ContactFlowVersionId"], v2);

        let listed = listed_2017(&env, INSTANCE, flow_id).await;
        let versions = listed["Versions"]["ContactFlowVersion"].as_array().unwrap();
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[0]["ContactFlowVersionId"], v1);
        assert_eq!(versions[0]["Status"], "Published");
        let stored = contact_flow_version::Entity::find()
            .filter(contact_flow_version::Column::ContactFlowVersionId.eq(&v1))
            .one(&env.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.content, DEFAULT_DEFINITION);
    }

    #[tokio::test]
    async fn errors() {
        let env = env().await;
        let created = create(&env, INSTANCE, "A", "Mainflow", "").await;
        let vid = first_version_id(&created);

        let e = call(&env, SPEC, INSTANCE, &[("Content", EDITED)])
            .await
            .unwrap_err();
        assert_eq!(e.code, "MissingParameter");
        let e = call(&env, SPEC, INSTANCE, &[("ContactFlowVersionId", &vid)])
            .await
            .unwrap_err();
        assert_eq!(e.code, "MissingParameter");

        let e = call(
            &env,
            SPEC,
            INSTANCE,
            &[("ContactFlowVersionId", "nope"), ("Content", EDITED)],
        )
        .await
        .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (404, "NotExists.ContactFlowVersionId")
        );
        let e = call(
            &env,
            SPEC,
            OTHER_INSTANCE,
            &[("ContactFlowVersionId", &vid), ("Content", EDITED)],
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, "NotExists.ContactFlowVersionId");

        let bad = EDITED.replace("\"next\":\"h\"", "\"next\":\"gone\"");
        let e = call(
            &env,
            SPEC,
            INSTANCE,
            &[("ContactFlowVersionId", &vid), ("Content", &bad)],
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        assert!(
            e.message
                .contains("activity \"s\" (开始) event \"complete\" points at \"gone\""),
            "{}",
            e.message
        );
    }

    #[tokio::test]
    async fn a_version_locked_by_someone_else_cannot_be_changed() {
        let env = env().await;
        let created = create(&env, INSTANCE, "A", "Mainflow", "").await;
        let vid = first_version_id(&created);
        let stored = contact_flow_version::Entity::find()
            .filter(contact_flow_version::Column::ContactFlowVersionId.eq(&vid))
            .one(&env.db)
            .await
            .unwrap()
            .unwrap();
        let mut am = stored.into_active_model();
        am.locked_by = Set(Some("bob".into()));
        am.update(&env.db).await.unwrap();

        let e = call_as(
            &env,
            SPEC,
            INSTANCE,
            "alice",
            &[("ContactFlowVersionId", &vid), ("Content", EDITED)],
        )
        .await
        .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (409, "Conflict.LockedBy"));
        let reply = call_as(
            &env,
            SPEC,
            INSTANCE,
            "bob",
            &[("ContactFlowVersionId", &vid), ("Content", EDITED)],
        )
        .await
        .unwrap();
        assert_eq!(reply["ContactFlowVersion"]["LockedBy"], "bob");
        assert_eq!(reply["ContactFlowVersion"]["Content"], EDITED);
    }
}
