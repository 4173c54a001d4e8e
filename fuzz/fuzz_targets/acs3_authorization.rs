//! ACS3 `Authorization` header and canonical request.
//!
//! Input: the `Authorization` value on the first line, then a request in the framing of
//! `ccgate_fuzz::parse_request` (method and path, raw query, headers, body).
//!
//! Properties:
//! * `parse_authorization` never panics; what it accepts has a non-empty, trimmed credential
//!   and signature without `,`, non-empty trimmed header names without `,` or `;`;
//! * parse → render → parse round trips (rendering in the SDK's layout);
//! * the canonical request is deterministic, does not depend on the order of the query pairs
//!   or of the headers (both are sorted), ends with the content hash, and has exactly
//!   `signed headers + 5` line breaks when no input that goes in unencoded holds one;
//! * the string to sign is `ALG\n` + 64 lower-case hex digits;
//! * `sign` → `verify` accepts (either hex case), and `verify` of the header's own signature
//!   equals comparing the decoded bytes with `sign`'s;
//! * the requests captured from the official SDKs (seed corpus) verify with their secret.
#![no_main]

use ccgate_fuzz::{parse_request, split_line};
use ccgate_gateway::auth::signing::acs3::{
    self, Acs3Algorithm, Authorization, CONTENT_SHA256_HEADER, canonical_request,
    parse_authorization,
};
use ccgate_gateway::auth::signing::percent::form_decode_pairs;
use libfuzzer_sys::fuzz_target;

/// The secret of `shared/reference/sdk-captured-requests.json`.
const SECRET: &str = "testSecret";

/// Seed files that are requests captured from the official SDKs, unchanged: their signature
/// must verify (a known-answer check of the canonical request).
const CAPTURED: [&[u8]; 4] = [
    include_bytes!("../corpus/acs3_authorization/seed-sha256-list-contact-flows"),
    include_bytes!("../corpus/acs3_authorization/seed-sha256-query-and-form"),
    include_bytes!("../corpus/acs3_authorization/seed-sha256-sts-token"),
    include_bytes!("../corpus/acs3_authorization/seed-sm3-list-contact-flows"),
];

fn render(a: &Authorization) -> String {
    format!(
        "{} Credential={},SignedHeaders={},Signature={}",
        a.algorithm.as_str(),
        a.access_key_id,
        a.signed_headers.join(";"),
        a.signature
    )
}

fn is_lower_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fuzz_target!(|data: &[u8]| {
    let (auth_line, rest) = split_line(data);
    let auth_value = String::from_utf8_lossy(auth_line);
    let req = parse_request(rest);

    let parsed = parse_authorization(&auth_value);
    let (alg, signed_headers, given_sig) = match &parsed {
        Ok(a) => {
            for field in [&a.access_key_id, &a.signature] {
                assert!(!field.is_empty());
                assert_eq!(field.trim(), field.as_str());
                assert!(!field.contains(','));
            }
            assert!(!a.signed_headers.is_empty());
            for h in &a.signed_headers {
                assert!(!h.is_empty());
                assert_eq!(h.trim(), h.as_str());
                assert!(!h.contains(',') && !h.contains(';'));
            }
            let again = render(a);
            assert_eq!(
                parse_authorization(&again).as_ref(),
                Ok(a),
                "round trip through {again:?}"
            );
            (
                a.algorithm,
                a.signed_headers.clone(),
                Some(a.signature.clone()),
            )
        }
        Err(e) => {
            assert!(!e.is_empty());
            // Still build a canonical request, signing every received header name.
            let alg = if data.first().is_some_and(|b| b & 1 == 1) {
                Acs3Algorithm::HmacSm3
            } else {
                Acs3Algorithm::HmacSha256
            };
            let names = req
                .headers
                .iter()
                .map(|(k, _)| k.to_ascii_lowercase())
                .filter(|k| !k.is_empty())
                .collect();
            (alg, names, None)
        }
    };

    let query = form_decode_pairs(&req.raw_query);
    let content = req
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(CONTENT_SHA256_HEADER))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| acs3::content_sha256(alg, &req.body));
    let canonical = canonical_request(
        &req.method,
        &req.path,
        &query,
        &req.headers,
        &signed_headers,
        &content,
    );
    assert_eq!(
        canonical,
        canonical_request(
            &req.method,
            &req.path,
            &query,
            &req.headers,
            &signed_headers,
            &content
        ),
        "deterministic"
    );
    let mut query_rev = query.clone();
    query_rev.reverse();
    let mut headers_rev = req.headers.clone();
    headers_rev.reverse();
    assert_eq!(
        canonical,
        canonical_request(
            &req.method,
            &req.path,
            &query_rev,
            &headers_rev,
            &signed_headers,
            &content
        ),
        "independent of query and header order"
    );
    assert!(canonical.starts_with(&format!("{}\n", req.method)));
    assert!(canonical.ends_with(&format!("\n{}\n{content}", signed_headers.join(";"))));
    let raw_has_newline = req.method.contains('\n')
        || content.contains('\n')
        || signed_headers.iter().any(|h| h.contains('\n'))
        || req.headers.iter().any(|(_, v)| v.contains('\n'));
    if !raw_has_newline {
        assert_eq!(
            canonical.matches('\n').count(),
            signed_headers.len() + 5,
            "line structure of {canonical:?}"
        );
    }

    let sts = acs3::string_to_sign(alg, &canonical);
    let (head, hash) = sts.split_once('\n').expect("two lines");
    assert_eq!(head, alg.as_str());
    assert!(is_lower_hex64(hash), "{hash:?}");
    assert!(is_lower_hex64(&acs3::content_sha256(alg, &req.body)));

    let sig = acs3::sign(alg, SECRET, &sts);
    assert!(is_lower_hex64(&sig));
    assert!(acs3::verify(alg, SECRET, &sts, &sig));
    assert!(acs3::verify(alg, SECRET, &sts, &sig.to_ascii_uppercase()));
    if let Some(given) = given_sig {
        let same = hex_decode(&given).is_some_and(|g| Some(g) == hex_decode(&sig));
        assert_eq!(
            acs3::verify(alg, SECRET, &sts, &given),
            same,
            "verify({given:?})"
        );
        if CAPTURED.contains(&data) {
            assert!(
                same,
                "a captured SDK request verifies; canonical request {canonical:?}"
            );
        }
    }
});

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    // Strict: ASCII hex digits only (`u8::from_str_radix` would also take a `+`).
    if s.len() % 2 != 0 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    s.as_bytes()
        .chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
        .collect()
}
