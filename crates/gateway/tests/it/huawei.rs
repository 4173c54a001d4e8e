//! Huawei C1: tokenByAkSk with an AccessKey pair, then a Bearer-authenticated operation that
//! spans the tenant's instances.

use actix_web::test::TestRequest;
use serde_json::json;

use super::common::{HUAWEI_PATH, app};

#[actix_web::test]
async fn token_then_operation() {
    let t = app(900).await;
    let (status, body) = t
        .json(
            TestRequest::post()
                .uri("/apigovernance/api/oauth/tokenByAkSk")
                .insert_header(("X-Token-Expire", "120"))
                .set_json(json!({"app_key": "testAK", "app_secret": "testSecret"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ApplyType"], "Bearer");
    assert_eq!(body["Expires"], "120");
    assert!(body["CreateTime"].is_string());
    let token = body["AccessToken"].as_str().unwrap().to_string();

    let (status, body) = t
        .json(
            TestRequest::post()
                .uri(HUAWEI_PATH)
                .insert_header(("Authorization", format!("Bearer {token}")))
                .insert_header(("X-APP-Key", "testAK"))
                .set_json(json!({"pageNum": 1})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["retCode"], "0");
    assert_eq!(
        body["result"],
        json!(["inst-1"]),
        "only the tenant's own instances"
    );
    assert_eq!(body["body"]["pageNum"], 1);

    let (status, _) = t
        .json(
            TestRequest::post()
                .uri(HUAWEI_PATH)
                .insert_header(("Authorization", format!("Bearer {token}")))
                .insert_header(("X-APP-Key", "someone-else")),
        )
        .await;
    assert_eq!(status, 403);
}

#[actix_web::test]
async fn bad_credentials_and_tokens() {
    let t = app(900).await;
    let (status, body) = t
        .json(
            TestRequest::post()
                .uri("/apigovernance/api/oauth/tokenByAkSk")
                .set_json(json!({"app_key": "testAK", "app_secret": "wrong"})),
        )
        .await;
    assert_eq!((status, body["retCode"].as_str().unwrap()), (403, "403"));
    let (status, _) = t
        .json(
            TestRequest::post()
                .uri("/apigovernance/api/oauth/tokenByAkSk")
                .insert_header(("X-Token-Expire", "999999"))
                .set_json(json!({"app_key": "testAK", "app_secret": "testSecret"})),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = t.json(TestRequest::post().uri(HUAWEI_PATH)).await;
    assert_eq!(status, 403);
    let (status, _) = t
        .json(
            TestRequest::post()
                .uri(HUAWEI_PATH)
                .insert_header(("Authorization", "Bearer forged")),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = t
        .json(TestRequest::post().uri("/apiaccess/rest/cc-management/v1/nothing"))
        .await;
    assert_eq!(status, 404);
}

/// A specified Huawei operation that nothing serves (CC-iSales queryCampaigns) is matched by
/// its route template and authenticated in its own dialect (C2) before the 501 (tests/it/
/// dialects.rs has the signed case); an unknown path under its prefix is a 404 in the iSales
/// shape.
#[actix_web::test]
async fn specified_operations_without_a_handler_are_authenticated_first() {
    let t = app(900).await;
    let (status, body) = t
        .json(TestRequest::get().uri("/rest/isales/v1/openapi/campaigns/vdn-1"))
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["resultCode"], "401");
    assert_eq!(body["returnCode"], "401");
    let (status, body) = t
        .json(TestRequest::get().uri("/rest/isales/v1/openapi/nothing-here"))
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["resultCode"], "404");
}
