//! Huawei AICC C2 `auth-v2` header and canonical request.
//!
//! Input: the `Authorization` value on the first line, then a request in the framing of
//! `ccgate_fuzz::parse_request` (method and path, raw query, headers, body).
//!
//! Properties:
//! * `huawei_c2::parse` never panics; what it accepts has non-empty segments, no `/` in the
//!   timestamp, header list or signature, and non-empty header names;
//! * parse → render → parse round trips;
//! * `sign` → `parse` gives back the access key, timestamp and headers it was given, and
//!   `verify` accepts it; `verify` of the header's own signature never panics;
//! * the canonical request is deterministic, does not depend on the order of the query pairs
//!   (nor on the order of the headers when their names are distinct), and has the documented
//!   line structure;
//! * the §4.3 vector of `huawei-aicc.md` (seed corpus) verifies with its secret key.
#![no_main]

use ccgate_fuzz::{parse_request, split_line};
use ccgate_gateway::auth::signing::huawei_c2::{self, AuthV2, canonical_request};
use ccgate_gateway::auth::signing::percent::form_decode_pairs;
use libfuzzer_sys::fuzz_target;

/// `huawei-aicc.md` §4.3.
const SK: &str = "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p";
const VECTORS: [(&str, &str); 2] = [
    (
        "GET\n/rest/isales/v1/openapi/campaigns/1\ncurPage=1&deviceType=0&name=&rowsPerPage=10&status=0\nhost\nhost:10.22.26.181%3A28080\n",
        "auth-v2/globalaktest/2024-01-01T00:00:00Z/host/e11dc831057c9f1ed79945217b86ea919e705dc8f714cf4c15ebbc3e8487dda0",
    ),
    (
        "POST\n/rest/cmsapp/v1/ping\nhost\nhost:10.22.26.181%3A28080\n%7B%22say%22%3A%22Hello%20world%21%22%7D",
        "auth-v2/globalaktest/2024-01-01T00:00:00Z/host/70b71078cd28e6bc80a1c7bbd681deeac7f5f856e5bb27d88b395f5a85b97998",
    ),
];

fn render(a: &AuthV2) -> String {
    format!(
        "{}/{}/{}/{}/{}",
        huawei_c2::PREFIX,
        a.access_key,
        a.timestamp,
        a.signed_headers.join(";"),
        a.signature
    )
}

fuzz_target!(|data: &[u8]| {
    let (auth_line, rest) = split_line(data);
    let auth_value = String::from_utf8_lossy(auth_line);
    let req = parse_request(rest);
    let body = String::from_utf8_lossy(&req.body);
    let query = form_decode_pairs(&req.raw_query);

    let parsed = huawei_c2::parse(&auth_value);
    let signed_headers: Vec<String> = match &parsed {
        Ok(a) => {
            assert!(!a.access_key.is_empty() && !a.timestamp.is_empty());
            assert!(!a.signature.is_empty() && !a.signed_headers.is_empty());
            for seg in [&a.timestamp, &a.signature] {
                assert!(!seg.contains('/'), "{seg:?}");
            }
            for h in &a.signed_headers {
                assert!(
                    !h.is_empty() && !h.contains('/') && !h.contains(';'),
                    "{h:?}"
                );
            }
            let again = render(a);
            assert_eq!(
                huawei_c2::parse(&again).as_ref(),
                Ok(a),
                "round trip via {again:?}"
            );
            a.signed_headers.clone()
        }
        Err(e) => {
            assert!(!e.is_empty());
            req.headers
                .iter()
                .map(|(k, _)| k.to_ascii_lowercase())
                .collect()
        }
    };

    let canonical = canonical_request(
        &req.method,
        &req.path,
        &query,
        &req.headers,
        &signed_headers,
        &body,
    );
    assert_eq!(
        canonical,
        canonical_request(
            &req.method,
            &req.path,
            &query,
            &req.headers,
            &signed_headers,
            &body
        ),
        "deterministic"
    );
    let mut query_rev = query.clone();
    query_rev.reverse();
    let mut headers_rev = req.headers.clone();
    headers_rev.reverse();
    let distinct_names = {
        let mut names: Vec<String> = req
            .headers
            .iter()
            .map(|(k, _)| k.to_ascii_lowercase())
            .collect();
        let n = names.len();
        names.sort();
        names.dedup();
        names.len() == n
    };
    let headers_for_rev = if distinct_names {
        &headers_rev
    } else {
        &req.headers
    };
    assert_eq!(
        canonical,
        canonical_request(
            &req.method,
            &req.path,
            &query_rev,
            headers_for_rev,
            &signed_headers,
            &body
        ),
        "independent of query order (and of header order for distinct names)"
    );
    let head = format!("{}\n{}\n", req.method, req.path);
    assert!(canonical.starts_with(&head));
    let raw_newline = req.method.contains('\n')
        || req.path.contains('\n')
        || signed_headers.iter().any(|h| h.contains('\n'));
    if !raw_newline {
        let lines = 3 + usize::from(!query.is_empty()) + signed_headers.len().max(1);
        assert_eq!(canonical.matches('\n').count(), lines, "{canonical:?}");
    }

    match &parsed {
        Ok(a) => {
            // Sign with the parsed fields, parse what sign wrote, verify it.
            let auth = huawei_c2::sign(
                SK,
                &a.access_key,
                &a.timestamp,
                &a.signed_headers,
                &canonical,
            );
            let back = huawei_c2::parse(&auth).unwrap_or_else(|e| panic!("{auth:?}: {e}"));
            assert_eq!(back.access_key, a.access_key);
            assert_eq!(back.timestamp, a.timestamp);
            assert_eq!(back.signed_headers, a.signed_headers);
            assert_eq!(back.signature.len(), 64);
            assert!(huawei_c2::verify(SK, &back, &canonical));
            let own = huawei_c2::verify(SK, a, &canonical);
            assert_eq!(
                own,
                a.signature.eq_ignore_ascii_case(&back.signature)
                    && a.signature.bytes().all(|b| b.is_ascii_hexdigit())
            );
            for (vec_canonical, vec_auth) in VECTORS {
                if canonical == vec_canonical && auth_value.trim() == vec_auth {
                    assert!(own, "the §4.3 vector verifies");
                    assert_eq!(auth, vec_auth);
                }
            }
        }
        Err(_) => {
            let _ = huawei_c2::sign(SK, "ak", "ts", &signed_headers, &canonical);
        }
    }
});
