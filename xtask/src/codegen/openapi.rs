//! The OpenAPI 3.1 document of every specified action (served by the gateway at
//! `/openapi.json`).
//!
//! Alibaba RPC actions all share the path `/` and differ by the `Action` and `Version` query
//! parameters; OpenAPI keys operations by path, so each gets the path `/#Action=<A>&Version=<V>`
//! (the convention of APIs.guru's AWS Query-protocol documents): the fragment is never sent, so
//! a client built from the document requests `/` with the two parameters it declares.

use serde_json::{Map, Value, json};

use super::spec::{Param, Spec};
use super::tree::{Node, response_tree};

fn param_schema(p: &Param, value_type: &str) -> Value {
    let mut s = Map::new();
    match value_type {
        "integer" => {
            s.insert("type".into(), json!("integer"));
            s.insert("format".into(), json!("int32"));
        }
        "long" => {
            s.insert("type".into(), json!("integer"));
            s.insert("format".into(), json!("int64"));
        }
        "boolean" => {
            s.insert("type".into(), json!("boolean"));
        }
        "json-string" => {
            s.insert("type".into(), json!("string"));
            s.insert("contentMediaType".into(), json!("application/json"));
        }
        _ => {
            s.insert("type".into(), json!("string"));
        }
    }
    if let Some(m) = p.min {
        s.insert("minimum".into(), json!(m));
    }
    if let Some(m) = p.max {
        s.insert("maximum".into(), json!(m));
    }
    if let Some(m) = p.max_length {
        s.insert("maxLength".into(), json!(m));
    }
    if let Some(values) = &p.enumeration {
        s.insert(
            "enum".into(),
            values.iter().map(|v| toml_json(&v.value)).collect(),
        );
    }
    Value::Object(s)
}

fn toml_json(v: &toml::Value) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn schema_of(p: &Param) -> Value {
    let mut s = if p.ty == "repeat-list" {
        let mut s = json!({"type": "array", "items": param_schema(p, p.value_type())});
        if let Some(max) = p.max_items {
            s["maxItems"] = json!(max);
        }
        s
    } else {
        param_schema(p, &p.ty)
    };
    if let Some(d) = &p.default {
        s["default"] = toml_json(d);
    }
    s
}

fn describe(p: &Param) -> String {
    let mut d = p.description.clone().unwrap_or_default();
    if let Some(values) = &p.enumeration {
        let meanings: Vec<String> = values
            .iter()
            .map(|v| format!("`{}`: {}", toml_json(&v.value), v.meaning))
            .collect();
        d = format!("{d}\n\nValues: {}.", meanings.join("; "));
    }
    if p.ty == "repeat-list" {
        d = format!("Repeat list: sent as `{0}.1`, `{0}.2`, .... {d}", p.name);
    }
    if p.empty_clears == Some(true) {
        d = format!("{d}\n\nLeft out: the current value is kept; sent empty: it is cleared.");
    }
    d.trim().to_string()
}

fn node_schema(n: &Node) -> Value {
    let mut s = Map::new();
    let ty = if n.items.is_some() {
        "array"
    } else if !n.children.is_empty() {
        "object"
    } else {
        match n.ty.as_str() {
            "integer" | "long" => "integer",
            "float" => "number",
            "boolean" => "boolean",
            "object" => "object",
            "array" => "array",
            _ => "string",
        }
    };
    s.insert(
        "type".into(),
        if n.nullable {
            json!([ty, "null"])
        } else {
            json!(ty)
        },
    );
    if n.ty == "long" {
        s.insert("format".into(), json!("int64"));
    }
    if let Some(d) = &n.description {
        s.insert("description".into(), json!(d));
    }
    if let Some(items) = &n.items {
        s.insert("items".into(), node_schema(items));
    }
    if !n.children.is_empty() {
        let props: Map<String, Value> = n
            .children
            .iter()
            .map(|c| (c.name.clone(), node_schema(c)))
            .collect();
        s.insert("properties".into(), Value::Object(props));
    }
    Value::Object(s)
}

fn success_schema(spec: &Spec) -> Value {
    let envelope: &[(&str, &str, &str)] = &[
        (
            "RequestId",
            "string",
            "Unique ID of the request (a UUID, upper case).",
        ),
        ("Success", "boolean", "Always true on success."),
        ("Code", "string", "`OK` on success."),
        ("Message", "string", "Empty on success."),
        ("HttpStatusCode", "integer", "200 on success."),
    ];
    let mut root = response_tree("", &spec.response);
    let common = spec.envelope.iter().rev().filter_map(|name| {
        envelope
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(n, t, d)| Node {
                name: n.to_string(),
                ty: t.to_string(),
                description: Some(d.to_string()),
                ..Node::default()
            })
    });
    for node in common {
        root.children.insert(0, node);
    }
    node_schema(&root)
}

fn operation(spec: &Spec) -> Value {
    let mut params: Vec<Value> = Vec::new();
    if spec.is_rpc() {
        params.push(json!({"name": "Action", "in": "query", "required": true, "schema": {"type": "string", "const": spec.action}}));
        params.push(json!({"name": "Version", "in": "query", "required": true, "schema": {"type": "string", "const": spec.version}}));
    }
    let mut form = Map::new();
    let mut form_required: Vec<Value> = Vec::new();
    for p in &spec.param {
        let name = if p.ty == "repeat-list" {
            format!("{}.N", p.name)
        } else {
            p.name.clone()
        };
        match p.location.as_str() {
            "body" | "json" => {
                let mut s = schema_of(p);
                s["description"] = json!(describe(p));
                form.insert(name.clone(), s);
                if p.required {
                    form_required.push(json!(name));
                }
            }
            loc => {
                let mut o = json!({"name": name, "in": loc, "required": p.required || loc == "path", "description": describe(p), "schema": schema_of(p)});
                if let Some(e) = &p.example {
                    o["example"] = toml_json(e);
                }
                params.push(o);
            }
        }
    }
    let error_schema = if spec.is_rpc() {
        "#/components/schemas/AliyunError"
    } else {
        "#/components/schemas/HuaweiError"
    };
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        json!({"description": "Success.", "content": {"application/json": {"schema": success_schema(spec)}}}),
    );
    let mut by_status: std::collections::BTreeMap<u16, Vec<String>> = Default::default();
    for e in &spec.error {
        let line = match &e.code {
            Some(c) => format!("`{c}`: {}", e.message),
            None => e.message.clone(),
        };
        by_status.entry(e.status).or_default().push(line);
    }
    if !spec.implemented() {
        by_status
            .entry(501)
            .or_default()
            .push("`NotImplemented`: specified, not implemented by this build.".into());
    }
    for (status, lines) in by_status {
        responses.insert(
            status.to_string(),
            json!({"description": lines.join("\n\n"), "content": {"application/json": {"schema": {"$ref": error_schema}}}}),
        );
    }
    let security: Vec<Value> = spec
        .auth
        .iter()
        .map(|a| match a.as_str() {
            "ak" => json!({"AccessKey": []}),
            "bearer" => json!({"BearerToken": []}),
            "huawei-token" => json!({"HuaweiToken": []}),
            _ => json!({"HuaweiAuthV2": []}),
        })
        .collect();
    let mut op = json!({
        "operationId": format!("{}_{}", spec.action, spec.version.replace('-', "_")),
        "summary": format!("{} ({})", spec.action, spec.version),
        "description": spec.summary,
        "tags": [spec.plugin],
        "parameters": params,
        "responses": responses,
        "security": security,
        "x-ccgate-implemented": spec.implemented(),
        "x-ccgate-spec": spec.file,
    });
    if !form.is_empty() {
        let media = if spec.is_rpc() {
            "application/x-www-form-urlencoded"
        } else {
            "application/json"
        };
        op["requestBody"] = json!({"required": !form_required.is_empty(), "content": {media: {"schema": {"type": "object", "properties": form, "required": form_required}}}});
    }
    op
}

/// The whole document; `version` is the gateway's.
pub fn document(specs: &[Spec], version: &str) -> Value {
    let mut paths = Map::new();
    for s in specs {
        let (path, method) = match &s.http {
            Some(h) => (h.path.clone(), h.method.to_ascii_lowercase()),
            None => (
                format!("/#Action={}&Version={}", s.action, s.version),
                "post".into(),
            ),
        };
        let entry = paths.entry(path).or_insert_with(|| json!({}));
        entry[method] = operation(s);
    }
    let mut plugins: Vec<&str> = specs.iter().map(|s| s.plugin.as_str()).collect();
    plugins.dedup();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "ccgate",
            "version": version,
            "description": "Alibaba Cloud CCC (2017-07-05, 2020-07-01) and Huawei contact-center actions as ccgate specifies them (plugins/<plugin>/api/*.toml). RPC actions are served at `/` with `Action` and `Version` (query string or form body, GET or POST); `Format=XML` renders XML. `x-ccgate-implemented` says whether this build has a handler; the others answer 501 `NotImplemented`."
        },
        "servers": [{"url": "http://127.0.0.1:8080"}],
        "tags": plugins.iter().map(|p| json!({"name": p})).collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "securitySchemes": {
                "AccessKey": {"type": "apiKey", "in": "query", "name": "AccessKeyId", "description": "Alibaba Cloud signature: RPC signature v1 (`Signature`, `SignatureMethod=HMAC-SHA1`, `SignatureNonce`, `Timestamp` ...) or ACS3-HMAC-SHA256 / ACS3-HMAC-SM3 in the `Authorization` header."},
                "BearerToken": {"type": "apiKey", "in": "query", "name": "BearerToken", "description": "A token from `ccgate token issue`, sent with `SignatureType=BEARERTOKEN`."},
                "HuaweiToken": {"type": "http", "scheme": "bearer", "description": "AccessToken from `POST /apigovernance/api/oauth/tokenByAkSk`."},
                "HuaweiAuthV2": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "Huawei CC-iSales `auth-v2` request signature."}
            },
            "schemas": {
                "AliyunError": {"type": "object", "properties": {
                    "RequestId": {"type": "string"}, "HostId": {"type": "string"}, "Code": {"type": "string"},
                    "Message": {"type": "string"}, "Recommend": {"type": "string"}, "HttpStatusCode": {"type": "integer"}, "Success": {"type": "boolean"}
                }},
                "HuaweiError": {"type": "object", "properties": {"retCode": {"type": "string"}, "message": {"type": "string"}}}
            }
        }
    })
}
