//! Signature test vectors: the raw requests captured from the official Alibaba Cloud
//! Python SDKs (`shared/reference/sdk-captured-requests.json`, secret `testSecret`).
//!
//! Every signed request (RPC v1 `Signature` query parameter or ACS3 `Authorization`
//! header) is re-verified from its raw query, headers and body; intermediate strings are
//! also compared with the canonical requests / strings to sign recorded in
//! `sdk-captured-requests.txt`. The Huawei `auth-v2` vectors (`huawei-aicc.md` §4.3) live
//! in `huawei_c2::tests`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use super::acs3::{self, Acs3Algorithm};
use super::percent::form_decode_pairs;
use super::rpc_v1::{self, SignatureMethod};

/// Signed captures in the file (7 ACS3-HMAC-SHA256 + 1 ACS3-HMAC-SM3 + 10 RPC v1).
const EXPECTED_SIGNED: usize = 18;
/// Bearer-token captures (no signature).
const EXPECTED_BEARER: usize = 2;

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference")
}

/// One captured request.
#[derive(Debug, Clone)]
struct Captured {
    /// 1-based position, as numbered in the `.txt` file.
    number: usize,
    label: String,
    method: String,
    path: String,
    raw_query: String,
    headers: Vec<(String, String)>,
    body: String,
    secret: String,
}

impl Captured {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn is_form_body(&self) -> bool {
        self.header("content-type")
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
    }
}

fn load_captured() -> Vec<Captured> {
    let path = reference_dir().join("sdk-captured-requests.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).expect("captured requests are JSON");
    let default_secret = doc["secret"].as_str().unwrap_or("testSecret").to_owned();
    let str_field = |r: &Value, k: &str| -> String {
        r[k].as_str()
            .unwrap_or_else(|| panic!("field {k} missing in {r}"))
            .to_owned()
    };
    doc["requests"]
        .as_array()
        .expect("`requests` array")
        .iter()
        .enumerate()
        .map(|(i, r)| Captured {
            number: i + 1,
            label: str_field(r, "label"),
            method: str_field(r, "method"),
            path: str_field(r, "path"),
            raw_query: str_field(r, "raw_query"),
            headers: r["headers"]
                .as_array()
                .expect("headers array")
                .iter()
                .map(|h| {
                    (
                        h[0].as_str().expect("header name").to_owned(),
                        h[1].as_str().expect("header value").to_owned(),
                    )
                })
                .collect(),
            body: str_field(r, "body"),
            secret: r["secret"]
                .as_str()
                .map_or_else(|| default_secret.clone(), str::to_owned),
        })
        .collect()
}

/// The recorded intermediate strings of one capture in `sdk-captured-requests.txt`.
#[derive(Debug, Default)]
struct Recorded {
    label: String,
    canonical_request: Option<String>,
    string_to_sign: Option<String>,
}

/// Text between `<title> (between the markers):\n>>>\n` and `\n<<<`.
fn between_markers(block: &str, title: &str) -> Option<String> {
    let start_tag = format!("{title} (between the markers):\n>>>\n");
    let start = block.find(&start_tag)? + start_tag.len();
    let len = block[start..].find("\n<<<")?;
    Some(block[start..start + len].to_owned())
}

/// Parses `sdk-captured-requests.txt` into its numbered blocks (`[N] label`).
fn load_recorded() -> BTreeMap<usize, Recorded> {
    let path = reference_dir().join("sdk-captured-requests.txt");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .replace("\r\n", "\n");
    let mut out = BTreeMap::new();
    for block in text.split("\n====") {
        let block = block.trim_start_matches('=').trim_start_matches('\n');
        let Some(rest) = block.strip_prefix('[') else {
            continue;
        };
        let Some((num, after)) = rest.split_once("] ") else {
            continue;
        };
        let Ok(number) = num.parse::<usize>() else {
            continue;
        };
        out.insert(
            number,
            Recorded {
                label: after.lines().next().unwrap_or_default().to_owned(),
                canonical_request: between_markers(block, "canonical request"),
                string_to_sign: between_markers(block, "string to sign"),
            },
        );
    }
    out
}

/// RPC v1 inputs rebuilt from a capture: method, parameters, string to sign, sent signature.
fn rpc_parts(c: &Captured) -> (SignatureMethod, BTreeMap<String, String>, String, String) {
    let body = c.is_form_body().then_some(c.body.as_str());
    let params = rpc_v1::collect_params(&c.raw_query, body).expect("no duplicate parameters");
    let method = SignatureMethod::parse(&params["SignatureMethod"]).expect("known method");
    let sts = rpc_v1::string_to_sign(&c.method, &params);
    let sent = params[rpc_v1::SIGNATURE_PARAM].clone();
    (method, params, sts, sent)
}

/// Recomputes the ACS3 signature of a capture (with optionally altered pieces).
fn acs3_signature(
    c: &Captured,
    method: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    body: &[u8],
) -> (acs3::Authorization, String, String, String) {
    let auth = acs3::parse_authorization(c.header("authorization").expect("Authorization"))
        .expect("valid Authorization");
    let content = acs3::content_sha256(auth.algorithm, body);
    let canonical = acs3::canonical_request(
        method,
        &c.path,
        query,
        headers,
        &auth.signed_headers,
        &content,
    );
    let sts = acs3::string_to_sign(auth.algorithm, &canonical);
    let sig = acs3::sign(auth.algorithm, &c.secret, &sts);
    (auth, canonical, sts, sig)
}

fn acs3_signature_of(c: &Captured) -> String {
    acs3_signature(
        c,
        &c.method,
        &form_decode_pairs(&c.raw_query),
        &c.headers,
        c.body.as_bytes(),
    )
    .3
}

#[test]
fn every_captured_signature_verifies() {
    let captured = load_captured();
    let recorded = load_recorded();
    assert_eq!(captured.len(), 20, "capture file changed");
    let (mut rpc, mut sha256, mut sm3, mut bearer) = (0, 0, 0, 0);

    for c in &captured {
        let rec = recorded
            .get(&c.number)
            .unwrap_or_else(|| panic!("[{}] missing in the .txt file", c.number));
        assert_eq!(rec.label, c.label, "[{}] .txt and .json disagree", c.number);
        let query = form_decode_pairs(&c.raw_query);

        if let Some(authz) = c.header("authorization") {
            let (auth, canonical, sts, sig) =
                acs3_signature(c, &c.method, &query, &c.headers, c.body.as_bytes());
            assert_eq!(auth.access_key_id, "testAK", "[{}]", c.number);
            assert!(authz.contains(&auth.signature));
            // The body hash header must match the body.
            assert_eq!(
                c.header(acs3::CONTENT_SHA256_HEADER),
                Some(acs3::content_sha256(auth.algorithm, c.body.as_bytes()).as_str()),
                "[{}] {}: x-acs-content-sha256 does not match the body",
                c.number,
                c.label
            );
            assert_eq!(
                rec.canonical_request.as_deref(),
                Some(canonical.as_str()),
                "[{}] {}: canonical request",
                c.number,
                c.label
            );
            assert_eq!(
                rec.string_to_sign.as_deref(),
                Some(sts.as_str()),
                "[{}] {}: string to sign",
                c.number,
                c.label
            );
            assert_eq!(sig, auth.signature, "[{}] {}", c.number, c.label);
            assert!(acs3::verify(
                auth.algorithm,
                &c.secret,
                &sts,
                &auth.signature
            ));
            match auth.algorithm {
                Acs3Algorithm::HmacSha256 => sha256 += 1,
                Acs3Algorithm::HmacSm3 => sm3 += 1,
            }
        } else if query.iter().any(|(k, _)| k == rpc_v1::SIGNATURE_PARAM) {
            let (method, _, sts, sent) = rpc_parts(c);
            assert_eq!(
                rec.string_to_sign.as_deref(),
                Some(sts.as_str()),
                "[{}] {}: string to sign",
                c.number,
                c.label
            );
            assert_eq!(
                rpc_v1::sign(method, &c.secret, &sts),
                sent,
                "[{}] {}",
                c.number,
                c.label
            );
            assert!(rpc_v1::verify(method, &c.secret, &sts, &sent));
            rpc += 1;
        } else {
            // Bearer: recognisable by SignatureType=BEARERTOKEN, with a token and no
            // AccessKeyId.
            assert!(
                query
                    .iter()
                    .any(|(k, v)| k == "SignatureType" && v == "BEARERTOKEN"),
                "[{}] {}: unsigned request that is not a bearer request",
                c.number,
                c.label
            );
            let token = c
                .header("x-acs-bearer-token")
                .map(str::to_owned)
                .or_else(|| {
                    query
                        .iter()
                        .find(|(k, _)| k == "BearerToken")
                        .map(|(_, v)| v.clone())
                });
            assert_eq!(token.as_deref(), Some("my-bearer-token"), "[{}]", c.number);
            assert!(!query.iter().any(|(k, _)| k == "AccessKeyId"));
            bearer += 1;
        }
    }

    assert_eq!((sha256, sm3, rpc), (7, 1, 10));
    assert_eq!(sha256 + sm3 + rpc, EXPECTED_SIGNED);
    assert_eq!(bearer, EXPECTED_BEARER);
}

fn signed_rpc() -> Vec<Captured> {
    let v: Vec<Captured> = load_captured()
        .into_iter()
        .filter(|c| {
            c.header("authorization").is_none()
                && form_decode_pairs(&c.raw_query)
                    .iter()
                    .any(|(k, _)| k == rpc_v1::SIGNATURE_PARAM)
        })
        .collect();
    assert_eq!(v.len(), 10);
    v
}

fn signed_acs3() -> Vec<Captured> {
    let v: Vec<Captured> = load_captured()
        .into_iter()
        .filter(|c| c.header("authorization").is_some())
        .collect();
    assert_eq!(v.len(), 8);
    v
}

#[test]
fn rpc_tampering_changes_the_signature() {
    for c in signed_rpc() {
        let (method, params, sts, sent) = rpc_parts(&c);
        let resign = |p: &BTreeMap<String, String>, http_method: &str, secret: &str| {
            rpc_v1::sign(method, secret, &rpc_v1::string_to_sign(http_method, p))
        };
        assert_eq!(resign(&params, &c.method, &c.secret), sent);

        // Every parameter (but Signature) is covered: change each value in turn.
        for key in params
            .keys()
            .filter(|k| k.as_str() != rpc_v1::SIGNATURE_PARAM)
        {
            let mut p = params.clone();
            p.get_mut(key).unwrap().push('x');
            assert_ne!(
                resign(&p, &c.method, &c.secret),
                sent,
                "[{}] {key}",
                c.number
            );
        }
        // An added parameter, an added empty parameter, a removed one.
        let mut p = params.clone();
        p.insert("Extra".into(), "1".into());
        assert_ne!(resign(&p, &c.method, &c.secret), sent);
        let mut p = params.clone();
        p.insert("Extra".into(), String::new());
        assert_ne!(resign(&p, &c.method, &c.secret), sent);
        let mut p = params.clone();
        p.remove("SignatureNonce");
        assert_ne!(resign(&p, &c.method, &c.secret), sent);
        // The Signature value itself is not signed.
        let mut p = params.clone();
        p.insert(rpc_v1::SIGNATURE_PARAM.into(), "other".into());
        assert_eq!(resign(&p, &c.method, &c.secret), sent);
        // Method, secret, hash.
        let other_method = if c.method == "GET" { "POST" } else { "GET" };
        assert_ne!(resign(&params, other_method, &c.secret), sent);
        assert_ne!(resign(&params, &c.method, "testSecreT"), sent);
        assert!(!rpc_v1::verify(method, "wrong", &sts, &sent));
        assert_ne!(
            rpc_v1::sign(SignatureMethod::HmacSha256, &c.secret, &sts),
            sent
        );
    }
}

#[test]
fn rpc_form_body_is_signed() {
    let with_body: Vec<Captured> = signed_rpc()
        .into_iter()
        .filter(|c| c.is_form_body() && !c.body.is_empty())
        .collect();
    assert_eq!(with_body.len(), 2);
    for c in with_body {
        let (_, _, _, sent) = rpc_parts(&c);
        // Dropping the body breaks the signature.
        let params = rpc_v1::collect_params(&c.raw_query, None).unwrap();
        let method = SignatureMethod::parse(&params["SignatureMethod"]).unwrap();
        let sts = rpc_v1::string_to_sign(&c.method, &params);
        assert!(!rpc_v1::verify(method, &c.secret, &sts, &sent));
        // A tampered body breaks it too.
        let body = format!("{}x", c.body);
        let params = rpc_v1::collect_params(&c.raw_query, Some(&body)).unwrap();
        let sts = rpc_v1::string_to_sign(&c.method, &params);
        assert!(!rpc_v1::verify(method, &c.secret, &sts, &sent));
    }
}

#[test]
fn acs3_tampering_changes_the_signature() {
    for c in signed_acs3() {
        let query = form_decode_pairs(&c.raw_query);
        let auth = acs3::parse_authorization(c.header("authorization").unwrap()).unwrap();
        let sent = auth.signature.clone();
        let body = c.body.as_bytes();
        let sig = |m: &str, q: &[(String, String)], h: &[(String, String)], b: &[u8]| {
            acs3_signature(&c, m, q, h, b).3
        };
        assert_eq!(sig(&c.method, &query, &c.headers, body), sent);

        // Each signed header value.
        for name in &auth.signed_headers {
            let headers: Vec<(String, String)> = c
                .headers
                .iter()
                .map(|(n, v)| {
                    let v = if n.eq_ignore_ascii_case(name) {
                        format!("{v}x")
                    } else {
                        v.clone()
                    };
                    (n.clone(), v)
                })
                .collect();
            assert_ne!(
                sig(&c.method, &query, &headers, body),
                sent,
                "[{}] {name}",
                c.number
            );
            // A missing signed header.
            let headers: Vec<(String, String)> = c
                .headers
                .iter()
                .filter(|(n, _)| !n.eq_ignore_ascii_case(name))
                .cloned()
                .collect();
            assert_ne!(
                sig(&c.method, &query, &headers, body),
                sent,
                "[{}] {name}",
                c.number
            );
        }
        // Each query value, an added and a removed query parameter.
        for i in 0..query.len() {
            let mut q = query.clone();
            q[i].1.push('x');
            assert_ne!(sig(&c.method, &q, &c.headers, body), sent);
        }
        let mut q = query.clone();
        q.push(("Extra".into(), String::new()));
        assert_ne!(sig(&c.method, &q, &c.headers, body), sent);
        assert_ne!(sig(&c.method, &query[1..], &c.headers, body), sent);
        // The body (via its hash), the method, the path, the secret.
        let mut b = body.to_vec();
        b.push(b'x');
        assert_ne!(
            c.header(acs3::CONTENT_SHA256_HEADER),
            Some(acs3::content_sha256(auth.algorithm, &b).as_str())
        );
        assert_ne!(sig(&c.method, &query, &c.headers, &b), sent);
        let other_method = if c.method == "GET" { "POST" } else { "GET" };
        assert_ne!(sig(other_method, &query, &c.headers, body), sent);
        let mut moved = c.clone();
        moved.path = "/x".into();
        assert_ne!(acs3_signature_of(&moved), sent);
        let ss = acs3_signature(&c, &c.method, &query, &c.headers, body).2;
        assert!(!acs3::verify(auth.algorithm, "wrong", &ss, &sent));
        // Keyed like RPC v1 (secret + "&") it must not match.
        assert_ne!(
            acs3::sign(auth.algorithm, &format!("{}&", c.secret), &ss),
            sent
        );
    }
}

#[test]
fn acs3_tolerates_unsigned_headers_case_and_whitespace() {
    for c in signed_acs3() {
        let query = form_decode_pairs(&c.raw_query);
        let auth = acs3::parse_authorization(c.header("authorization").unwrap()).unwrap();
        // Upper-cased names, padded values, reordered and extra unsigned headers.
        let mut headers: Vec<(String, String)> = c
            .headers
            .iter()
            .rev()
            .map(|(n, v)| (n.to_ascii_uppercase(), format!(" \t{v} ")))
            .collect();
        headers.push(("X-Forwarded-For".into(), "10.0.0.1".into()));
        headers.push(("Accept-Encoding".into(), "gzip".into()));
        assert_eq!(
            acs3_signature(&c, &c.method, &query, &headers, c.body.as_bytes()).3,
            auth.signature,
            "[{}]",
            c.number
        );
        // Query order on the wire does not matter.
        let mut q = query.clone();
        q.reverse();
        assert_eq!(
            acs3_signature(&c, &c.method, &q, &c.headers, c.body.as_bytes()).3,
            auth.signature
        );
        // A duplicated signed header does (values are joined with ",").
        let mut headers = c.headers.clone();
        headers.push(("host".into(), "evil".into()));
        assert_ne!(
            acs3_signature(&c, &c.method, &query, &headers, c.body.as_bytes()).3,
            auth.signature
        );
    }
}

#[test]
fn acs3_form_body_is_not_in_the_canonical_query() {
    let with_body: Vec<Captured> = signed_acs3()
        .into_iter()
        .filter(|c| !c.body.is_empty())
        .collect();
    assert_eq!(with_body.len(), 2);
    for c in with_body {
        let (_, canonical, _, _) = acs3_signature(
            &c,
            &c.method,
            &form_decode_pairs(&c.raw_query),
            &c.headers,
            c.body.as_bytes(),
        );
        let query_line = canonical.lines().nth(2).unwrap();
        for (k, _) in form_decode_pairs(&c.body) {
            assert!(
                !query_line.contains(&format!("{k}=")),
                "{k} in {query_line}"
            );
        }
    }
}
