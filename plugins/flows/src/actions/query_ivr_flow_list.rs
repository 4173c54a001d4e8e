//! Huawei cc-management `queryIVRFlowList` (seed 001; `shared/reference/huawei-aicc.md` §3.1):
//! all IVR flows of the caller's tenant space, i.e. of every instance of the account.
//!
//! The reply is the whole body: `{"result": [...], "retCode": "0", "message": "success"}`,
//! each item `{isLoad, accessCode, maxCallNum, description, id, flowFileName, flowType}`:
//! - `isLoad`: `1` when a version of the flow is published (in effect), else `0`;
//! - `accessCode`: the flow's route point (GetRoutePoint);
//! - `maxCallNum`: `null` (no per-flow concurrency limit; the seed's example is `null` too);
//! - `description`: the flow description;
//! - `id`: the flow's stable integer key;
//! - `flowFileName`: `<name>.json` (flows are stored as JSON definitions);
//! - `flowType`: `3`, "service type of the third-party IVR". The seed's other codes name
//!   Huawei script formats (1 GSL, 2 VoiceXML, 4 CCIVR VXML, 5 CCXML, 6 WaitScript) that these
//!   JSON activity graphs are not; to a Huawei client they are flows run by an IVR outside
//!   Huawei's engine, which is what code 3 means. (0, "unspecified", would hide that.)
//!
//! Items are in creation order. No request-body parameters are documented; any body is
//! accepted and ignored (huawei-aicc.md §3.1).

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::query_ivr_flow_list::{Request, Response, ResponseResult};
use crate::storage::contact_flows;

/// The `flowType` reported for every flow (see the module docs).
pub const FLOW_TYPE_THIRD_PARTY_IVR: i64 = 3;

/// Params: none (the body is ignored). Reply: the whole body, see the module docs.
/// Errors: 500 on storage failures.
pub async fn handle(ctx: &Ctx<'_>, _req: Request) -> ApiResult<Response> {
    let flows = contact_flows::of_instances(&ctx.db, ctx.account_instances.clone()).await?;
    let result = flows
        .into_iter()
        .map(|f| ResponseResult {
            is_load: i64::from(f.applied_version_id.is_some()),
            access_code: f.route_point,
            max_call_num: None,
            description: f.description,
            id: f.id,
            flow_file_name: format!("{}.json", f.name),
            flow_type: FLOW_TYPE_THIRD_PARTY_IVR,
        })
        .collect();
    Ok(Response {
        result,
        ret_code: "0".to_string(),
        message: "success".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use crate::api::publish_contact_flow_version::SPEC as PUBLISH;
    use crate::api::query_ivr_flow_list::SPEC;
    use crate::testutil::*;
    use serde_json::json;

    #[tokio::test]
    async fn lists_every_flow_of_the_account() {
        let env = env().await;
        let a = create(&env, INSTANCE, "Welcome", "Mainflow", "Exception handling").await;
        create(&env, OTHER_INSTANCE, "Other", "Subflow", "1015").await;
        create(&env, "ccc-foreign", "Foreign", "Mainflow", "").await;
        call(
            &env,
            PUBLISH,
            INSTANCE,
            &[("ContactFlowVersionId", &first_version_id(&a))],
        )
        .await
        .unwrap();

        let mut ctx = env.ctx(SPEC, INSTANCE);
        ctx.instance_id = None;
        ctx.account_instances = vec![INSTANCE.into(), OTHER_INSTANCE.into()];
        let body = call_with(&env, ctx, &[]).await.unwrap();
        assert_eq!(keys(&body), ["result", "retCode", "message"]);
        assert_eq!(body["retCode"], "0");
        assert_eq!(body["message"], "success");
        let result = body["result"].as_array().unwrap();
        assert_eq!(result.len(), 2, "{body}");
        assert_eq!(
            keys(&result[0]),
            [
                "isLoad",
                "accessCode",
                "maxCallNum",
                "description",
                "id",
                "flowFileName",
                "flowType"
            ]
        );
        assert_eq!(
            result[0],
            json!({
                "isLoad": 1, "accessCode": "80200001", "maxCallNum": null,
                "description": "Exception handling", "id": 1,
                "flowFileName": "Welcome.json", "flowType": 3
            })
        );
        assert_eq!(result[1]["isLoad"], 0);
        assert_eq!(result[1]["accessCode"], "80200001");
        assert_eq!(result[1]["id"], 2);
        assert_eq!(result[1]["flowFileName"], "Other.json");
    }

    #[tokio::test]
    async fn no_instances_no_flows() {
        let env = env().await;
        create_main(&env, INSTANCE, "A").await;
        let mut ctx = env.ctx(SPEC, INSTANCE);
        ctx.instance_id = None;
        ctx.account_instances = Vec::new();
        let body = call_with(&env, ctx, &[]).await.unwrap();
        assert_eq!(
            body,
            json!({"result": [], "retCode": "0", "message": "success"})
        );
    }
}
