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

/// The JSON success body, byte for byte `serde_json::to_vec(&success_body(..))`, written in
/// one pass: the common fields, then the reply serialized straight after them (a typed reply
/// is serialized once, a shared one copied as rendered, [`Reply::write_json`]).
///
/// A reply with a field named like a common field takes the map path (then the common field's
/// place and the reply's value win, as in [`success_body`]).
pub fn success_json(request_id: &str, envelope: Envelope, reply: Reply) -> Vec<u8> {
    if COMMON.iter().any(|k| reply.has_field(k)) {
        return serde_json::to_vec(&success_body(request_id, envelope, reply)).unwrap_or_default();
    }
    let mut out = Vec::with_capacity(256);
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
    // The reply's object `{...}` goes on in place: its `{` becomes the separating `,` and its
    // `}` closes the whole body; an empty `{}` is dropped.
    let at = out.len();
    reply.write_json(&mut out);
    if out.len() - at <= 2 || out.get(at) != Some(&b'{') {
        out.truncate(at);
        out.push(b'}');
    } else {
        out[at] = b',';
    }
    out
}

/// The XML success body under `<{action}Response>`, byte for byte
/// `xml::render(root, &success_body(..))`.
///
/// The reply is written in one pass ([`super::xml_ser::render_typed`]): a typed reply straight
/// from its struct, without building its JSON tree. A reply that pass cannot write exactly
/// (one of its fields named like a common field, a map key that is not a string, ...) takes
/// the JSON tree path instead.
pub fn success_xml(request_id: &str, envelope: Envelope, reply: Reply, action: &str) -> String {
    let root = format!("{action}Response");
    let mut leading = Vec::with_capacity(COMMON.len());
    leading.push(("RequestId", json!(request_id)));
    if envelope.success {
        leading.push(("Success", json!(true)));
    }
    if envelope.code {
        leading.push(("Code", json!("OK")));
    }
    if envelope.message {
        leading.push(("Message", json!("")));
    }
    if envelope.http_status_code {
        leading.push(("HttpStatusCode", json!(200)));
    }
    match reply.with_body(|body| super::xml_ser::render_typed(&root, &leading, body)) {
        Ok(xml) => xml,
        Err(e) => {
            tracing::debug!(action, error = %e, "XML reply takes the JSON tree path");
            super::xml::render(&root, &success_body(request_id, envelope, reply))
        }
    }
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
        return HttpResponse::Ok()
            .content_type(XML)
            .body(success_xml(request_id, envelope, reply, action));
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
    let mut resp = respond(
        err.status,
        xml,
        "Error",
        &error_body(request_id, host_id, err),
    );
    if let Some(ms) = err.retry_after_ms {
        // The official SDKs raise a ThrottlingException carrying it (milliseconds).
        resp.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("x-acs-retry-after"),
            actix_web::http::header::HeaderValue::from(ms.max(1)),
        );
    }
    resp
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::SharedReply;

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
    fn typed_replies_are_written_in_one_pass_byte_for_byte() {
        #[derive(serde::Serialize)]
        struct Body {
            #[serde(rename = "Data")]
            data: Vec<u8>,
            #[serde(rename = "Name", skip_serializing_if = "Option::is_none")]
            name: Option<String>,
        }
        impl ccgate_plugin_sdk::ResponseBody for Body {
            const FIELDS: &'static [&'static str] = &["Data", "Name"];
        }
        for envelope in [Envelope::V2017, Envelope::V2020, Envelope::NONE] {
            for name in [None, Some("a\"<b>".to_string())] {
                let typed = Reply::typed(Body {
                    data: vec![1, 2],
                    name: name.clone(),
                });
                let map = Reply::from_json(
                    serde_json::to_value(Body {
                        data: vec![1, 2],
                        name,
                    })
                    .unwrap(),
                );
                assert_eq!(
                    success_json("R\"1", envelope, typed),
                    serde_json::to_vec(&success_body("R\"1", envelope, map)).unwrap()
                );
            }
        }
        let empty = Reply::typed(ccgate_plugin_sdk::Empty {});
        assert_eq!(
            success_json("R", Envelope::V2017, empty),
            br#"{"RequestId":"R","Success":true,"Code":"OK","Message":"","HttpStatusCode":200}"#
        );
    }

    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Flows {
        total_count: u32,
        contact_flows: FlowList,
        next_token: Option<String>,
    }

    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct FlowList {
        contact_flow: Vec<Flow>,
    }

    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Flow {
        name: String,
        version: f64,
        tags: Vec<String>,
    }

    impl ccgate_plugin_sdk::ResponseBody for Flows {
        const FIELDS: &'static [&'static str] = &["TotalCount", "ContactFlows", "NextToken"];
    }

    /// Names a common field: takes the JSON tree path.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Overriding {
        data: u8,
        message: &'static str,
    }

    impl ccgate_plugin_sdk::ResponseBody for Overriding {
        const FIELDS: &'static [&'static str] = &["Data", "Message"];
    }

    #[test]
    fn typed_xml_replies_match_the_json_tree_path() {
        let flows = || Flows {
            total_count: 2,
            contact_flows: FlowList {
                contact_flow: vec![
                    Flow {
                        name: "a<b&\u{1}".into(),
                        version: 1.0,
                        tags: vec!["x".into(), "y".into()],
                    },
                    Flow {
                        name: "默认".into(),
                        version: 0.1,
                        tags: vec![],
                    },
                ],
            },
            next_token: None,
        };
        let overriding = || Overriding {
            data: 1,
            message: "hi",
        };
        for envelope in [Envelope::V2017, Envelope::V2020, Envelope::NONE] {
            let typed = Reply::typed(flows());
            let old = super::super::xml::render(
                "ListFlowsResponse",
                &success_body("R<1>", envelope, typed.clone()),
            );
            assert_eq!(
                success_xml("R<1>", envelope, typed.clone(), "ListFlows"),
                old
            );
            // The same fields as a map, and rendered once and shared.
            let fields = Reply::from_json(typed.clone().into_value());
            assert_eq!(
                success_xml("R<1>", envelope, fields.clone(), "ListFlows"),
                old
            );
            let shared = Reply::from(SharedReply::new(fields));
            assert_eq!(success_xml("R<1>", envelope, shared, "ListFlows"), old);

            let typed = Reply::typed(overriding());
            let old = super::super::xml::render(
                "GetResponse",
                &success_body("R", envelope, typed.clone()),
            );
            assert_eq!(success_xml("R", envelope, typed, "Get"), old);
        }
        let xml = success_xml("R", Envelope::V2017, Reply::typed(flows()), "ListFlows");
        assert!(
            xml.starts_with(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListFlowsResponse><RequestId>R</RequestId>\
                 <Success>true</Success><Code>OK</Code><Message></Message><HttpStatusCode>200</HttpStatusCode>\
                 <TotalCount>2</TotalCount><ContactFlows><ContactFlow><Name>a&lt;b&amp;\u{fffd}</Name>"
            ),
            "{xml}"
        );
        let xml = success_xml("R", Envelope::V2017, Reply::typed(overriding()), "Get");
        assert!(xml.contains("<Message>hi</Message><HttpStatusCode>200</HttpStatusCode><Data>1</Data></GetResponse>"), "{xml}");
    }

    #[test]
    fn error_body_has_the_fields_the_sdks_read() {
        let b = error_body("R", "ccgate", &ApiError::instance_not_found("x"));
        assert_eq!(b["Code"], "NotExists.InstanceId");
        assert_eq!(b["Message"], "The specified instance x does not exist.");
        assert_eq!(b["RequestId"], "R");
    }
}
