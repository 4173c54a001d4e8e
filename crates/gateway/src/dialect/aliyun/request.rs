//! `RpcRequest`: one Alibaba RPC request, decoded once and shared by authentication and
//! parameter parsing.

use std::collections::BTreeMap;

use crate::auth::signing::percent::form_decode_pairs;

/// The common parameters of the Alibaba RPC protocol (../shared/reference/alibaba-sdk-wire.md,
/// "RPC signature v1"; seed 004 "公共参数"): routing, format and authentication. The gateway
/// consumes them; after authentication they are removed from what a plugin sees in its
/// `Params` (the action's own parameters, `RegionId` included). Plugins loaded as libraries
/// thus also do not carry them across the boundary on every call.
pub const COMMON_PARAMETERS: [&str; 12] = [
    "AccessKeyId",
    "Action",
    "BearerToken",
    "Format",
    "SecurityToken",
    "Signature",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureType",
    "SignatureVersion",
    "Timestamp",
    "Version",
];

/// A decoded RPC request.
#[derive(Debug, Clone, Default)]
pub struct RpcRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The request path (always `/` for the official SDKs).
    pub path: String,
    /// Query parameters, decoded, in wire order.
    pub query: Vec<(String, String)>,
    /// Form-body parameters, decoded, in wire order (empty unless the body is
    /// `application/x-www-form-urlencoded`).
    pub form: Vec<(String, String)>,
    /// Headers with lower-case names, in wire order.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
    /// Query and form parameters merged (a form value wins over a query value of the same name).
    pub params: BTreeMap<String, String>,
}

impl RpcRequest {
    /// Takes the action's parameters out of the request: [`RpcRequest::params`] without the
    /// [`COMMON_PARAMETERS`]. Call after authentication, which reads those.
    pub fn take_action_params(&mut self) -> BTreeMap<String, String> {
        let mut params = std::mem::take(&mut self.params);
        params.retain(|k, _| !COMMON_PARAMETERS.contains(&k.as_str()));
        params
    }

    /// Decodes a request. `headers` names may be in any case.
    pub fn new(
        method: &str,
        path: &str,
        raw_query: &str,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Self {
        // In place: header names from actix are lower case already.
        let mut headers = headers;
        for (k, _) in &mut headers {
            k.make_ascii_lowercase();
        }
        let query = form_decode_pairs(raw_query);
        let is_form = headers.iter().any(|(k, v)| {
            k == "content-type"
                && v.to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
        });
        let form = if is_form && !body.is_empty() {
            form_decode_pairs(&String::from_utf8_lossy(&body))
        } else {
            Vec::new()
        };
        let params = query.iter().chain(form.iter()).cloned().collect();
        Self {
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            query,
            form,
            headers,
            body,
            params,
        }
    }

    /// The first header named `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A parameter, or when absent the given header (e.g. `Action` / `x-acs-action`).
    pub fn param_or_header(&self, param: &str, header: &str) -> Option<&str> {
        self.params
            .get(param)
            .map(String::as_str)
            .or_else(|| self.header(header))
            .filter(|v| !v.is_empty())
    }

    /// True when the caller asked for XML (`Format=XML`, any case).
    pub fn wants_xml(&self) -> bool {
        self.params
            .get("Format")
            .is_some_and(|f| f.eq_ignore_ascii_case("xml"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugins_get_the_action_parameters_without_the_common_ones() {
        let mut r = RpcRequest::new(
            "GET",
            "/",
            "Action=ListPhoneNumbers&Version=2020-07-01&Format=JSON&RegionId=cn-shanghai\
             &AccessKeyId=AK&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&SignatureType=\
             &SignatureNonce=n1&Timestamp=2026-11-21T00%3A00%3A00Z&InstanceId=i-1&PageSize=20\
             &Signature=abc%3D",
            Vec::new(),
            Vec::new(),
        );
        assert_eq!(r.params.len(), 13);
        let params = r.take_action_params();
        assert_eq!(
            params.keys().map(String::as_str).collect::<Vec<_>>(),
            ["InstanceId", "PageSize", "RegionId"]
        );
        assert!(r.params.is_empty());
    }

    #[test]
    fn merges_query_and_form_body() {
        let r = RpcRequest::new(
            "post",
            "/",
            "Action=CreateContactFlow&Name=flow%20a%2Ab~c",
            vec![(
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            b"Content=%7B%22a%22%3A+%22b+c%22%7D".to_vec(),
        );
        assert_eq!(r.method, "POST");
        assert_eq!(r.params["Name"], "flow a*b~c");
        assert_eq!(r.params["Content"], "{\"a\": \"b c\"}");
        assert_eq!(
            r.param_or_header("Action", "x-acs-action"),
            Some("CreateContactFlow")
        );
    }

    #[test]
    fn action_from_headers_when_not_in_query() {
        let r = RpcRequest::new(
            "POST",
            "/",
            "InstanceId=x",
            vec![("x-acs-action".into(), "ListContactFlows".into())],
            vec![],
        );
        assert_eq!(
            r.param_or_header("Action", "x-acs-action"),
            Some("ListContactFlows")
        );
        assert!(!r.wants_xml());
    }
}
