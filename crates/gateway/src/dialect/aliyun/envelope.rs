//! Alibaba success and error envelopes, JSON or XML.
//!
//! Success: `RequestId`, then the action's common fields (per [`Envelope`]), then the
//! action's own fields. Error: HTTP status + `{RequestId, HostId, Code, Message, Recommend}`
//! (`shared/reference/sdk-error-behaviour.txt`: both SDK families read `Code`, `Message`,
//! `RequestId` from such a body).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use ccgate_plugin_sdk::{ApiError, Envelope, Reply};
use serde_json::{Map, Value, json};

/// `Content-Type` of JSON answers.
pub const JSON: &str = "application/json;charset=utf-8";
/// `Content-Type` of XML answers (the exact value the tea SDK recognises for XML errors).
pub const XML: &str = "text/xml;charset=utf-8";

/// The success body for `action`.
pub fn success_body(request_id: &str, envelope: Envelope, reply: Reply) -> Map<String, Value> {
    let mut m = Map::with_capacity(reply.0.len() + 5);
    m.insert("RequestId".into(), json!(request_id));
    if envelope.success {
        m.insert("Success".into(), json!(true));
    }
    if envelope.code {
        m.insert("Code".into(), json!("OK"));
    }
    if envelope.message {
        m.insert("Message".into(), json!(""));
    }
    if envelope.http_status_code {
        m.insert("HttpStatusCode".into(), json!(200));
    }
    for (k, v) in reply.0 {
        m.insert(k, v);
    }
    m
}

/// The error body.
pub fn error_body(request_id: &str, host_id: &str, err: &ApiError) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("RequestId".into(), json!(request_id));
    m.insert("HostId".into(), json!(host_id));
    m.insert("Code".into(), json!(err.code));
    m.insert("Message".into(), json!(err.message));
    m.insert(
        "Recommend".into(),
        json!(format!(
            "https://api.aliyun.com/troubleshoot?q={}&product=CCC",
            err.code
        )),
    );
    m
}

/// Renders `body` as JSON, or as XML under `root` when `xml`.
pub fn respond(status: u16, xml: bool, root: &str, body: &Map<String, Value>) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if xml {
        HttpResponse::build(status)
            .content_type(XML)
            .body(super::xml::render(root, body))
    } else {
        HttpResponse::build(status)
            .content_type(JSON)
            .body(serde_json::to_vec(body).unwrap_or_default())
    }
}

/// A complete error response.
pub fn error_response(request_id: &str, host_id: &str, xml: bool, err: &ApiError) -> HttpResponse {
    respond(
        err.status,
        xml,
        "Error",
        &error_body(request_id, host_id, err),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_fields_follow_the_envelope() {
        let reply = Reply::empty().with("RoutePoint", json!("80206198"));
        let v2017 = success_body("R1", Envelope::V2017, reply.clone());
        assert_eq!(
            Value::Object(v2017).to_string(),
            r#"{"RequestId":"R1","Success":true,"Code":"OK","Message":"","HttpStatusCode":200,"RoutePoint":"80206198"}"#
        );
        let v2020 = success_body("R1", Envelope::V2020, reply);
        assert!(!v2020.contains_key("Success"));
    }

    #[test]
    fn error_body_has_the_fields_the_sdks_read() {
        let b = error_body("R", "ccgate", &ApiError::instance_not_found("x"));
        assert_eq!(b["Code"], "NotExists.InstanceId");
        assert_eq!(b["Message"], "The specified instance x does not exist.");
        assert_eq!(b["RequestId"], "R");
    }
}
