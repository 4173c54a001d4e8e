//! 2017-07-05 GetRoutePoint (seed 004 §4.1, lines 1062-1131): the route point (an internal
//! 8-digit extension, e.g. `80206198`) of a contact flow.
//!
//! The route point is allocated when the flow is created (see
//! [`crate::storage::next_route_point`]), is unique within the instance and never changes.
//! `StatusCode` / `StatusDesc` are in the seed's field table with the example value "无"
//! (none) but absent from its JSON example; they are sent empty, like `Message`: this gateway
//! has no status to report beyond `Code`.

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::get_route_point::{Request, Response};
use crate::storage;

/// Params: `InstanceId` (checked by the gateway), `ContactFlowId` (required).
/// Reply: `{"RoutePoint": "80200001", "StatusCode": "", "StatusDesc": ""}`.
/// Errors: `MissingParameter` / `Parameter.Empty` for `ContactFlowId`; 404
/// `NotExists.ContactFlowId` when the instance has no such flow.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let flow = storage::find_flow(&ctx.db, ctx.instance(), &req.contact_flow_id).await?;
    Ok(Response {
        route_point: flow.route_point,
        status_code: String::new(),
        status_desc: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;

    #[tokio::test]
    async fn route_points_are_distinct_stable_8_digit_extensions() {
        let env = env().await;
        let a = create_main(&env, INSTANCE, "A").await;
        let b = create_main(&env, INSTANCE, "B").await;
        let rp = |id: String| {
            let env = &env;
            async move {
                call(
                    env,
                    crate::api::get_route_point::SPEC,
                    INSTANCE,
                    &[("ContactFlowId", &id)],
                )
                .await
                .unwrap()
            }
        };
        let ra = rp(a.clone()).await;
        assert_eq!(keys(&ra), ["RoutePoint", "StatusCode", "StatusDesc"]);
        let ra = ra["RoutePoint"].as_str().unwrap().to_string();
        let rb = rp(b).await["RoutePoint"].as_str().unwrap().to_string();
        assert_eq!(ra, "80200001");
        assert_eq!(rb, "80200002");
        assert_eq!(rp(a).await["RoutePoint"], ra);
        // Another instance counts on its own.
        let c = create_main(&env, OTHER_INSTANCE, "A").await;
        let rc = call(
            &env,
            crate::api::get_route_point::SPEC,
            OTHER_INSTANCE,
            &[("ContactFlowId", &c)],
        )
        .await
        .unwrap();
        assert_eq!(rc["RoutePoint"], "80200001");
    }

    #[tokio::test]
    async fn unknown_or_foreign_flows_do_not_exist() {
        let env = env().await;
        let other = create_main(&env, OTHER_INSTANCE, "A").await;
        for id in ["nope", other.as_str()] {
            let e = call(
                &env,
                crate::api::get_route_point::SPEC,
                INSTANCE,
                &[("ContactFlowId", id)],
            )
            .await
            .unwrap_err();
            assert_eq!(
                (e.status, e.code.as_ref()),
                (404, "NotExists.ContactFlowId")
            );
        }
        let e = call(&env, crate::api::get_route_point::SPEC, INSTANCE, &[])
            .await
            .unwrap_err();
        assert_eq!(e.code, "MissingParameter");
    }
}
