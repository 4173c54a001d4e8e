//! RPC parameters from the query string and the form body.
//!
//! Input: a request in the framing of `ccgate_fuzz::parse_request` (method and path, raw
//! query, headers, body). Exercises `RpcRequest::new` and its accessors, `rpc_v1`
//! (`collect_params`, `string_to_sign`), `percent` (`form_decode_pairs`, `rfc3986`,
//! `rfc3986_path`) and `ccgate_plugin_sdk::Params` (`required`, `repeat_list`, ...).
//!
//! Properties:
//! * `form_decode_pairs` equals an independent decoder (`oracle_form_decode`);
//! * `RpcRequest::params` is the query then the form body (only for a non-empty
//!   `application/x-www-form-urlencoded` body), a later value winning;
//! * `take_action_params` is `params` minus the common parameters, and empties `params`;
//! * `wants_xml` and `param_or_header` follow their documented rules;
//! * `rfc3986` output is unreserved characters and upper-case `%XX` only and decodes back to
//!   the input; `rfc3986_path` the same with `/` kept;
//! * the RPC v1 string to sign is deterministic, ASCII, starts with `METHOD&%2F&`, and
//!   decoding it gives back exactly the signed parameters (all but `Signature`);
//! * `Params::repeat_list` / `required_repeat_list` / `sent_repeat_list` / `required` agree
//!   with a reference built from the same map, in both error styles.
#![no_main]

use std::collections::BTreeMap;

use ccgate_fuzz::{is_rfc3986_encoded, oracle_form_decode, parse_request, percent_decode};
use ccgate_gateway::auth::signing::percent::{form_decode_pairs, rfc3986, rfc3986_path};
use ccgate_gateway::auth::signing::rpc_v1;
use ccgate_gateway::dialect::aliyun::request::{COMMON_PARAMETERS, RpcRequest};
use ccgate_plugin_sdk::{ErrorStyle, Params};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let req = parse_request(data);

    // The form decoder against the oracle, on the query and on the raw body.
    let query = form_decode_pairs(&req.raw_query);
    assert_eq!(
        query,
        oracle_form_decode(req.raw_query.as_bytes()),
        "query decoding"
    );
    let body_text = String::from_utf8_lossy(&req.body);
    let body_pairs = form_decode_pairs(&body_text);
    assert_eq!(
        body_pairs,
        oracle_form_decode(body_text.as_bytes()),
        "body decoding"
    );

    // RpcRequest: merge rules.
    let mut r = RpcRequest::new(
        &req.method,
        &req.path,
        &req.raw_query,
        req.headers.clone(),
        req.body.clone(),
    );
    assert_eq!(r.method, req.method.to_ascii_uppercase());
    assert_eq!(r.path, req.path);
    assert_eq!(r.query, query);
    let lower: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    assert_eq!(r.headers, lower);
    let is_form = lower.iter().any(|(k, v)| {
        k == "content-type"
            && v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
    });
    let form = if is_form && !req.body.is_empty() {
        body_pairs.clone()
    } else {
        Vec::new()
    };
    assert_eq!(r.form, form);
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in query.iter().chain(form.iter()) {
        expected.insert(k.clone(), v.clone());
    }
    assert_eq!(r.params, expected, "merged parameters");

    // Accessors.
    assert_eq!(
        r.wants_xml(),
        expected
            .get("Format")
            .is_some_and(|f| f.eq_ignore_ascii_case("xml"))
    );
    for (param, header) in [("Action", "x-acs-action"), ("Version", "x-acs-version")] {
        let want = match expected.get(param) {
            Some(v) => Some(v.as_str()),
            None => lower
                .iter()
                .find(|(k, _)| k == header)
                .map(|(_, v)| v.as_str()),
        }
        .filter(|v| !v.is_empty());
        assert_eq!(r.param_or_header(param, header), want, "{param}");
    }
    let action = r.take_action_params();
    assert!(r.params.is_empty());
    let mut want_action = expected.clone();
    want_action.retain(|k, _| !COMMON_PARAMETERS.contains(&k.as_str()));
    assert_eq!(action, want_action);

    // Percent encodings round trip.
    for (k, v) in query.iter().chain(body_pairs.iter()).take(64) {
        for s in [k, v] {
            let e = rfc3986(s);
            assert!(is_rfc3986_encoded(&e, b""), "rfc3986({s:?}) = {e:?}");
            assert_eq!(percent_decode(&e).as_deref(), Some(s.as_str()));
        }
    }
    let p = rfc3986_path(&req.path);
    assert!(
        is_rfc3986_encoded(&p, b"/"),
        "rfc3986_path({:?}) = {p:?}",
        req.path
    );
    let want_path = if req.path.is_empty() {
        "/"
    } else {
        req.path.as_str()
    };
    assert_eq!(percent_decode(&p).as_deref(), Some(want_path));

    // RPC v1: the parameter map and the string to sign.
    let form_body = is_form.then_some(body_text.as_ref());
    match rpc_v1::collect_params(&req.raw_query, form_body) {
        Ok(params) => {
            let all: Vec<_> = query
                .iter()
                .chain(form_body.map(|_| &body_pairs).into_iter().flatten())
                .collect();
            assert_eq!(params.len(), all.len(), "no duplicate was reported");
            for (k, v) in all {
                assert_eq!(params.get(k), Some(v));
            }
            let sts = rpc_v1::string_to_sign(&r.method, &params);
            assert_eq!(
                sts,
                rpc_v1::string_to_sign(&r.method, &params),
                "deterministic"
            );
            let prefix = format!("{}&%2F&", r.method);
            let rest = sts
                .strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("{sts:?} does not start with {prefix:?}"));
            assert!(is_rfc3986_encoded(rest, b""), "string to sign {rest:?}");
            let canonical = percent_decode(rest).expect("canonical query is UTF-8");
            let mut decoded = BTreeMap::new();
            for pair in canonical.split('&').filter(|_| !canonical.is_empty()) {
                let (k, v) = pair.split_once('=').expect("k=v");
                assert!(!v.contains('='), "'=' inside a value is encoded");
                let k = percent_decode(k).expect("key is UTF-8");
                let v = percent_decode(v).expect("value is UTF-8");
                assert!(decoded.insert(k, v).is_none(), "a key appears once");
            }
            let mut signed = params.clone();
            signed.remove(rpc_v1::SIGNATURE_PARAM);
            assert_eq!(
                decoded, signed,
                "string to sign decodes to the signed parameters"
            );
            let sig = rpc_v1::sign(rpc_v1::SignatureMethod::HmacSha1, "testSecret", &sts);
            assert!(rpc_v1::verify(
                rpc_v1::SignatureMethod::HmacSha1,
                "testSecret",
                &sts,
                &sig
            ));
            if let Some(given) = params.get(rpc_v1::SIGNATURE_PARAM) {
                let _ =
                    rpc_v1::verify(rpc_v1::SignatureMethod::HmacSha1, "testSecret", &sts, given);
            }
        }
        Err(e) => {
            assert!(e.starts_with("duplicate parameter "), "{e}");
            let mut seen = std::collections::BTreeSet::new();
            let dup = query
                .iter()
                .chain(form_body.map(|_| &body_pairs).into_iter().flatten())
                .any(|(k, _)| !seen.insert(k));
            assert!(dup, "an error without a duplicate: {e}");
        }
    }

    // Params, as a plugin sees the action parameters.
    let mut names: Vec<&str> = vec!["InstanceId", "SkillGroupId", "UserRamId", "Number"];
    for k in action.keys() {
        if let Some((head, _)) = k.rsplit_once('.') {
            names.push(head);
        }
        if let Some((head, _)) = k.split_once('.') {
            names.push(head);
        }
        names.push(k);
    }
    names.truncate(64);
    for style in [ErrorStyle::Legacy, ErrorStyle::V2020] {
        let params = Params::new(action.clone(), style);
        assert_eq!(params.all(), &action);
        for name in &names {
            check_params(&params, &action, name, style);
        }
    }
});

fn check_params(params: &Params, map: &BTreeMap<String, String>, name: &str, style: ErrorStyle) {
    let missing = match style {
        ErrorStyle::Legacy => "MissingParameter",
        ErrorStyle::V2020 => "Parameter.Null",
    };
    match (params.required(name), map.get(name)) {
        (Err(e), None) => assert_eq!(e.code, missing),
        (Err(e), Some(v)) => {
            assert!(v.trim().is_empty());
            assert_eq!(e.code, "Parameter.Empty");
        }
        (Ok(got), Some(v)) => {
            assert_eq!(got, v);
            assert!(!v.trim().is_empty());
        }
        (Ok(_), None) => panic!("required({name}) found an absent parameter"),
    }
    assert_eq!(
        params.optional(name),
        map.get(name).map(String::as_str).filter(|v| !v.is_empty())
    );

    // Reference repeat list: every `name.N`; any N that is not a canonical u32 (digits only, no
    // leading zero: `01` and `+1` would name item 1 twice) or is 0 is an error.
    let prefix = format!("{name}.");
    let members: Vec<(&String, &String)> =
        map.iter().filter(|(k, _)| k.starts_with(&prefix)).collect();
    let mut reference: Result<Vec<(u32, &String)>, ()> = Ok(Vec::new());
    for (k, v) in &members {
        let index = &k[prefix.len()..];
        let canonical = index.bytes().all(|b| b.is_ascii_digit()) && !index.starts_with('0');
        match index.parse::<u32>().ok().filter(|_| canonical || index == "0") {
            Some(0) | None => {
                reference = Err(());
                break;
            }
            Some(n) => {
                if let Ok(items) = &mut reference {
                    if !v.is_empty() {
                        items.push((n, v));
                    }
                }
            }
        }
    }
    let reference = reference.map(|mut items| {
        items.sort_by_key(|(n, _)| *n);
        items
            .into_iter()
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    });
    let got = params.repeat_list(name);
    match (&got, &reference) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "repeat_list({name})"),
        (Err(e), Err(())) => assert!(
            e.code == "InvalidParameter" || e.code == "Parameter.Minimum",
            "{}",
            e.code
        ),
        _ => panic!("repeat_list({name}) = {got:?}, reference {reference:?}"),
    }
    assert_eq!(params.sent_repeat_list(name), !members.is_empty());
    match params.required_repeat_list(name) {
        Ok(items) => assert_eq!(Ok(&items), reference.as_ref()),
        Err(e) => {
            if let Ok(items) = &reference {
                assert!(items.is_empty());
                assert_eq!(e.code, missing);
            }
        }
    }
}
