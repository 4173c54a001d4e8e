//! Replays every request the official SDKs sent in `shared/reference/sdk-captured-requests.json`
//! (AccessKey testAK/testSecret) through the full HTTP path: signed ones must be accepted with
//! their parameters decoded as sent, bearer ones (a foreign token) refused as malformed, STS
//! ones refused as unsupported.

use actix_web::test::TestRequest;
use serde_json::Value;

use super::common::app;

fn captures() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/reference/sdk-captured-requests.json"
    );
    let text = std::fs::read_to_string(path).expect("shared/ beside the repository");
    let v: Value = serde_json::from_str(&text).unwrap();
    v["requests"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn every_captured_sdk_request_is_authenticated_as_the_sdk_expects() {
    // The captures are hours old: widen the replay window so only signatures are judged.
    let t = app(10 * 365 * 24 * 3600).await;
    let (mut accepted, mut bearer, mut sts) = (0, 0, 0);
    for c in captures() {
        let label = c["label"].as_str().unwrap();
        let method = c["method"].as_str().unwrap();
        let uri = format!(
            "{}?{}",
            c["path"].as_str().unwrap(),
            c["raw_query"].as_str().unwrap()
        );
        let mut req = if method == "GET" {
            TestRequest::get()
        } else {
            TestRequest::post()
        }
        .uri(&uri);
        for h in c["headers"].as_array().unwrap() {
            let (k, v) = (h[0].as_str().unwrap(), h[1].as_str().unwrap());
            if !k.eq_ignore_ascii_case("content-length") {
                req = req.insert_header((k, v));
            }
        }
        req = req.set_payload(c["body"].as_str().unwrap().to_string());
        let (status, body) = t.json(req).await;
        if label.contains("bearer") {
            assert_eq!(
                (status, body["Code"].as_str().unwrap()),
                (401, "InvalidBearerToken.Malformed"),
                "{label}"
            );
            bearer += 1;
        } else if label.contains("STS") || label.contains("Sts") {
            assert_eq!(body["Code"], "InvalidSecurityToken.Malformed", "{label}");
            sts += 1;
        } else {
            assert_eq!(status, 200, "{label}: {body}");
            assert_eq!(body["Caller"], "testAK", "{label}");
            assert_eq!(body["Params"]["InstanceId"], "inst-1", "{label}");
            if label.contains("special characters in values") {
                assert_eq!(body["Params"]["SearchPattern"], "a b*c~d/e+f&g=h%中文");
            }
            if label.contains("CreateContactFlow") {
                assert_eq!(body["Params"]["Name"], "flow a*b~c", "query");
                assert_eq!(body["Params"]["Canvas"], "<c d='e'/>", "form body");
            }
            accepted += 1;
        }
    }
    assert_eq!((accepted, bearer, sts), (15, 2, 3));
}
