//! 2017-07-05 PublishContactFlowVersion (seed 004 §4.3, lines 1288-1357): makes a version the
//! one in effect. The reply is the envelope only; the outcome shows in ListContactFlows.
//!
//! The version becomes `Published` and the flow's `AppliedVersion`; the version published
//! before it (if any) becomes `Archived` (it stays listed and can be published again, which
//! is how a rollback is done). Publishing the version already in effect changes nothing.
//! `UseTianGong` ("publish through TianGong, callers should pass true") is accepted and
//! validated as a boolean; this gateway has a single publishing path, so its value does not
//! matter. Publishing is synchronous here. The version's definition was validated when it
//! was written, so it is not checked again.

use ccgate_plugin_sdk::{ApiResult, Empty};

use crate::api::Ctx;
use crate::api::publish_contact_flow_version::{Request, Response};
use crate::storage::contact_flow_version::STATUS_PUBLISHED;
use crate::storage::{self, contact_flow_versions};

/// Params: `ContactFlowVersionId` (required), `UseTianGong` (optional boolean, ignored).
/// Reply: empty (envelope only).
/// Errors: `MissingParameter` / `Parameter.Empty`; `InvalidParameter` (UseTianGong not a
/// boolean); 404 `NotExists.ContactFlowVersionId`; 409 `Conflict.LockedBy` when another
/// principal holds the version's lock.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let version_id = req.contact_flow_version_id.as_str();
    let who = storage::principal_name(ctx.principal.display_name());

    let target = storage::find_version(&ctx.db, ctx.instance(), version_id).await?;
    storage::ensure_unlocked(&target, &who)?;
    let flow = storage::find_flow(&ctx.db, ctx.instance(), &target.contact_flow_id).await?;
    if target.status == STATUS_PUBLISHED && flow.applied_version_id.as_deref() == Some(version_id) {
        return Ok(Empty {});
    }

    contact_flow_versions::publish(&ctx.db, flow, target, version_id, who, ctx.now_ms()).await?;
    Ok(Empty {})
}

#[cfg(test)]
mod tests {
    use crate::api::commit_contact_flow_version_modification::SPEC as COMMIT;
    use crate::api::publish_contact_flow_version::SPEC;
    use crate::definition::DEFAULT_DEFINITION;
    use crate::testutil::*;
    use serde_json::json;

    fn statuses(listed: &serde_json::Value) -> Vec<(String, String)> {
        listed["Versions"]["ContactFlowVersion"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["ContactFlowVersionId"].as_str().unwrap().to_string(),
                    v["Status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn publishing_switches_the_applied_version() {
        let env = env().await;
        let created = create(&env, INSTANCE, "A", "Mainflow", "").await;
        let flow_id = created["ContactFlow"]["ContactFlowId"].as_str().unwrap();
        let v1 = first_version_id(&created);

        let reply = call(
            &env,
            SPEC,
            INSTANCE,
            &[("ContactFlowVersionId", &v1), ("UseTianGong", "true")],
        )
        .await
        .unwrap();
        assert_eq!(reply, json!({}));
        let listed = listed_2017(&env, INSTANCE, flow_id).await;
        let label1 = listed["Versions"]["ContactFlowVersion"][0]["Version"].clone();
        assert_eq!(listed["AppliedVersion"], label1);
        assert_eq!(statuses(&listed), [(v1.clone(), "Published".to_string())]);

        // Edit (creates a draft), then publish the draft.
        let draft = call(
            &env,
            COMMIT,
            INSTANCE,
            &[
                ("ContactFlowVersionId", &v1),
                ("Content", DEFAULT_DEFINITION),
            ],
        )
        .await
        .unwrap();
        let v2 = draft["ContactFlowVersion"]["ContactFlowVersionId"]
            .as_str()
            .unwrap()
            .to_string();
        let listed = listed_2017(&env, INSTANCE, flow_id).await;
        assert_eq!(listed["AppliedVersion"], label1, "a draft is not in effect");
        call(&env, SPEC, INSTANCE, &[("ContactFlowVersionId", &v2)])
            .await
            .unwrap();
        let listed = listed_2017(&env, INSTANCE, flow_id).await;
        assert_eq!(
            listed["AppliedVersion"],
            draft["ContactFlowVersion"]["Version"]
        );
        assert_ne!(listed["AppliedVersion"], label1);
        assert_eq!(
            statuses(&listed),
            [
                (v1.clone(), "Archived".to_string()),
                (v2.clone(), "Published".to_string())
            ]
        );

        // Roll back to v1; publishing it twice is harmless.
        for _ in 0..2 {
            call(&env, SPEC, INSTANCE, &[("ContactFlowVersionId", &v1)])
                .await
                .unwrap();
        }
        let listed = listed_2017(&env, INSTANCE, flow_id).await;
        assert_eq!(listed["AppliedVersion"], label1);
        assert_eq!(
            statuses(&listed),
            [(v1, "Published".to_string()), (v2, "Archived".to_string())]
        );
    }

    #[tokio::test]
    async fn errors() {
        let env = env().await;
        let created = create(&env, INSTANCE, "A", "Mainflow", "").await;
        let v1 = first_version_id(&created);
        let e = call(&env, SPEC, INSTANCE, &[]).await.unwrap_err();
        assert_eq!(e.code, "MissingParameter");
        let e = call(&env, SPEC, INSTANCE, &[("ContactFlowVersionId", "nope")])
            .await
            .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (404, "NotExists.ContactFlowVersionId")
        );
        let e = call(&env, SPEC, OTHER_INSTANCE, &[("ContactFlowVersionId", &v1)])
            .await
            .unwrap_err();
        assert_eq!(e.code, "NotExists.ContactFlowVersionId");
        let e = call(
            &env,
            SPEC,
            INSTANCE,
            &[("ContactFlowVersionId", &v1), ("UseTianGong", "maybe")],
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        // Nothing was published by the failed calls.
        let flow_id = created["ContactFlow"]["ContactFlowId"].as_str().unwrap();
        assert_eq!(
            listed_2017(&env, INSTANCE, flow_id).await["AppliedVersion"],
            ""
        );
    }
}
