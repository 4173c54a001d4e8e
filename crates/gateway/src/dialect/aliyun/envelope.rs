//! Alibaba success and error envelopes, JSON or XML.
//!
//! Success: `RequestId`, then the action's common fields (per [`Envelope`]), then the
//! action's own fields. Error: HTTP status + `{RequestId, HostId, Code, Message, Recommend}`
//! (`shared/reference/sdk-error-behaviour.txt`: both SDK families read `Code`, `Message`,
//! `RequestId` from such a body).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use ccgate_plugin_sdk::{ApiError, Envelope, Reply, SharedReply};
use serde_json::{Map, Value, json};

/// `Content-Type` of JSON answers.
pub const JSON: &str = "application/json;charset=utf-8";
/// `Content-Type` of XML answers (the exact value the tea SDK recognises for XML errors).
pub const XML: &str = "text/xml;charset=utf-8";

/// The common fields of a success body, in order (`RequestId` first).
const COMMON: [&str; 5] = ["RequestId", "Success", "Code", "Message", "HttpStatusCode"];

/// The success body for `action`.
pub fn success_body(request_id: &str, envelope: Envelope, reply: Reply) -> Map<String, Value> {
    let fields = reply.into_fields();
    let mut m = Map::with_capacity(fields.len() + 5);
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
    for (k, v) in fields {
        m.insert(k, v);
    }
    m
}

/// The JSON success body, byte for byte `serde_json::to_vec(&success_body(..))`.
///
/// A pre-rendered reply ([`ccgate_plugin_sdk::SharedReply`], e.g. a cached page) is spliced in
/// as rendered, without copying or serializing its fields again, unless one of its fields is
/// named like a common field (then the common field's place and the reply's value win, as in
/// [`success_body`]).
pub fn success_json(request_id: &str, envelope: Envelope, reply: Reply) -> Vec<u8> {
    let splice = reply
        .shared()
        .is_some_and(|s| !COMMON.iter().any(|k| s.has_field(k)));
    if !splice {
        return serde_json::to_vec(&success_body(request_id, envelope, reply)).unwrap_or_default();
    }
    let rendered = reply.shared().map(SharedReply::json).unwrap_or("{}");
    let inner = rendered
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .unwrap_or_default();
    let mut out = Vec::with_capacity(100 + inner.len());
    out.extend_from_slice(b"{\"RequestId\":");
    let _ = serde_json::to_writer(&mut out, request_id);
    if envelope.success {
        out.extend_from_slice(b",\"Success\":true");
    }
    if envelope.code {
        out.extend_from_slice(b",\"Code\":\"OK\"");
    }
    if envelope.message {
        out.extend_from_slice(b",\"Message\":\"\"");
    }
    if envelope.http_status_code {
        out.extend_from_slice(b",\"HttpStatusCode\":200");
    }
    if !inner.is_empty() {
        out.push(b',');
        out.extend_from_slice(inner.as_bytes());
    }
    out.push(b'}');
    out
}

/// The success response: JSON, or XML under `<{action}Response>` when `xml`.
pub fn success_response(
    request_id: &str,
    envelope: Envelope,
    reply: Reply,
    xml: bool,
    action: &str,
) -> HttpResponse {
    if xml {
        let body = success_body(request_id, envelope, reply);
        return respond(200, true, &format!("{action}Response"), &body);
    }
    HttpResponse::Ok()
        .content_type(JSON)
        .body(success_json(request_id, envelope, reply))
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
    fn shared_replies_are_spliced_byte_for_byte() {
        let reply = Reply::empty().with(
            "Data",
            json!({"PageNumber": 1, "List": [{"Number": "138", "Name": "a\"<b>"}]}),
        );
        for envelope in [Envelope::V2017, Envelope::V2020, Envelope::NONE] {
            let shared = Reply::from(SharedReply::new(reply.clone()));
            assert!(shared.shared().is_some());
            let expected =
                serde_json::to_vec(&success_body("R\"1", envelope, reply.clone())).unwrap();
            assert_eq!(success_json("R\"1", envelope, shared), expected);
            assert_eq!(success_json("R\"1", envelope, reply.clone()), expected);
        }
        // Empty replies, and replies that name a common field, take the map path.
        let empty = Reply::from(SharedReply::new(Reply::empty()));
        assert_eq!(
            success_json("R", Envelope::V2020, empty),
            br#"{"RequestId":"R","Code":"OK","Message":"","HttpStatusCode":200}"#
        );
        let overriding = Reply::empty()
            .with("Data", json!(1))
            .with("Message", json!("hi"));
        assert_eq!(
            success_json(
                "R",
                Envelope::V2020,
                Reply::from(SharedReply::new(overriding.clone()))
            ),
            serde_json::to_vec(&success_body("R", Envelope::V2020, overriding)).unwrap()
        );
    }

    #[test]
    fn error_body_has_the_fields_the_sdks_read() {
        let b = error_body("R", "ccgate", &ApiError::instance_not_found("x"));
        assert_eq!(b["Code"], "NotExists.InstanceId");
        assert_eq!(b["Message"], "The specified instance x does not exist.");
        assert_eq!(b["RequestId"], "R");
    }
}
