//! Huawei AICC C2 AK/SK request signature (`auth-v2`), used by CC-iSales, CC-CMS, CC-iKBS
//! and CC-FS.
//!
//! Algorithm (`shared/reference/huawei-aicc.md` §4.1, Java "HPS" demo S7/S8):
//!
//! ```text
//! authStringPrefix = "auth-v2/" AK "/" Timestamp "/" SignedHeaders
//! signingKey       = lowerhex(HMAC-SHA256(key = SK, msg = authStringPrefix))
//! signature        = lowerhex(HMAC-SHA256(key = signingKey (the 64-char hex string), msg = CanonicalRequest))
//! Authorization    = authStringPrefix "/" signature        (no scheme word)
//!
//! CanonicalRequest = METHOD "\n" URI "\n"
//!                    [ CanonicalQuery "\n" ]   -- only when there is at least one query parameter
//!                    SignedHeaders "\n"
//!                    CanonicalHeaders "\n"
//!                    [ Normalize(body) ]       -- only when the body is non-empty
//! ```
//!
//! `Normalize` is [`rfc3986`]; header **values** and the whole body are normalized too, and
//! the body is not hashed.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::percent::rfc3986;

/// The scheme marker that starts every C2 `Authorization` value.
pub const PREFIX: &str = "auth-v2";

/// A parsed C2 `Authorization` value `auth-v2/AK/TIMESTAMP/h1;h2/hexsig`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthV2 {
    /// The access key (2nd segment).
    pub access_key: String,
    /// The timestamp exactly as sent (3rd segment), e.g. `2024-01-01T00:00:00Z`; Java
    /// clients send whole seconds, some ports milliseconds. Not validated here.
    pub timestamp: String,
    /// The signed header names (4th segment split on `;`), as sent (clients send them
    /// lower-case and sorted). Never empty.
    pub signed_headers: Vec<String>,
    /// The signature (last segment) as sent; lower-case hex from the known clients.
    pub signature: String,
}

/// Parses a C2 `Authorization` header value.
///
/// Input: `auth-v2/AK/TIMESTAMP/h1;h2/hexsig` (surrounding whitespace ignored). The value
/// is split from the right, so the timestamp, header list and signature may not contain
/// `/` but the access key may.
///
/// Output: the [`AuthV2`] fields.
///
/// # Errors
///
/// `Err(message)` (human-readable) when the `auth-v2/` prefix is missing, there are fewer
/// than five segments, or a segment (or a signed header name) is empty.
///
/// Source: `huawei-aicc.md` §4.1 (`Authorization = authStringPrefix "/" signature`).
pub fn parse(value: &str) -> Result<AuthV2, String> {
    let rest = value
        .trim()
        .strip_prefix(PREFIX)
        .and_then(|r| r.strip_prefix('/'))
        .ok_or_else(|| "Authorization does not start with auth-v2/".to_owned())?;
    let mut parts = rest.rsplitn(4, '/');
    let signature = parts.next().unwrap_or_default();
    let (Some(headers), Some(timestamp), Some(access_key)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err("auth-v2 needs 5 '/'-separated segments".to_owned());
    };
    for (what, seg) in [
        ("access key", access_key),
        ("timestamp", timestamp),
        ("signed headers", headers),
        ("signature", signature),
    ] {
        if seg.is_empty() {
            return Err(format!("auth-v2 {what} is empty"));
        }
    }
    let signed_headers: Vec<String> = headers.split(';').map(str::to_owned).collect();
    if signed_headers.iter().any(String::is_empty) {
        return Err("auth-v2 signed headers contain an empty name".to_owned());
    }
    Ok(AuthV2 {
        access_key: access_key.to_owned(),
        timestamp: timestamp.to_owned(),
        signed_headers,
        signature: signature.to_owned(),
    })
}

/// The value of one signed header: every received value of that name
/// (case-insensitive), trimmed, joined by `,` in arrival order; `""` when absent.
fn header_value(headers: &[(String, String)], name: &str) -> String {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .collect::<Vec<_>>()
        .join(",")
}

/// Builds the C2 canonical request (Java demo variant).
///
/// Inputs:
/// * `method`: the HTTP method as received (`"GET"`, `"POST"`).
/// * `path`: the request path exactly as received (raw, not re-encoded), without the query.
/// * `query`: the decoded query pairs. When non-empty, one line of
///   `Normalize(k)=Normalize(v)` strings (`k=` for an empty value) sorted as whole strings
///   and joined by `&`; when empty, **no line at all** (the Java demo omits it).
/// * `headers`: all request headers as received (any name case; repeated names are
///   joined by `,` in arrival order, an \[INFERRED\] choice since no source shows it).
/// * `signed_headers`: the names from [`AuthV2::signed_headers`]; written joined by `;`
///   as given, and for each one an entry `Normalize(lower(name)):Normalize(trim(value))`
///   (a missing header gives an empty value); entries sorted as whole strings, joined by
///   `\n`, followed by `\n`.
/// * `body`: the request body text; when non-empty it is appended whole, normalized (not
///   hashed); when empty nothing follows the header block.
///
/// Output: the canonical request string (UTF-8).
///
/// Source: `huawei-aicc.md` §4.1; variants of other ports in §4.2.
pub fn canonical_request(
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    signed_headers: &[String],
    body: &str,
) -> String {
    let mut out = format!("{method}\n{path}\n");
    if !query.is_empty() {
        let mut pairs: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", rfc3986(k), rfc3986(v)))
            .collect();
        pairs.sort();
        out.push_str(&pairs.join("&"));
        out.push('\n');
    }
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    let mut entries: Vec<String> = signed_headers
        .iter()
        .map(|name| {
            format!(
                "{}:{}",
                rfc3986(&name.to_ascii_lowercase()),
                rfc3986(&header_value(headers, name))
            )
        })
        .collect();
    entries.sort();
    out.push_str(&entries.join("\n"));
    out.push('\n');
    if !body.is_empty() {
        out.push_str(&rfc3986(body));
    }
    out
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(msg);
    mac
}

/// `auth-v2/AK/TS/h1;h2`.
fn auth_prefix(access_key: &str, timestamp: &str, signed_headers: &[String]) -> String {
    format!(
        "{PREFIX}/{access_key}/{timestamp}/{}",
        signed_headers.join(";")
    )
}

/// The signing key: lower-case hex of `HMAC-SHA256(SK, authStringPrefix)`.
///
/// Inputs: the secret key and the first four Authorization segments. Output: the
/// 64-character hex string that keys the second HMAC (§4.3 vector 1:
/// `3f254eda…8864c`). Source: `huawei-aicc.md` §4.1.
pub fn signing_key(
    secret_key: &str,
    access_key: &str,
    timestamp: &str,
    signed_headers: &[String],
) -> String {
    let prefix = auth_prefix(access_key, timestamp, signed_headers);
    hex::encode(
        hmac_sha256(secret_key.as_bytes(), prefix.as_bytes())
            .finalize()
            .into_bytes(),
    )
}

/// Signs a canonical request and returns the whole `Authorization` value.
///
/// Inputs: the secret key (SK), access key (AK), timestamp string (sign with
/// `yyyy-MM-ddTHH:mm:ssZ` UTC), the signed header names (pass them lower-case and
/// sorted, as the Java clients do; they are used as given) and the output of
/// [`canonical_request`] built with the same names.
///
/// Output: `auth-v2/AK/TS/h1;h2/<64 lower-case hex>`, where the hex is
/// `HMAC-SHA256(key = signing_key(...) as its hex text, msg = canonical_request)`.
///
/// Source: `huawei-aicc.md` §4.1; checked against the §4.3 vectors.
pub fn sign(
    secret_key: &str,
    access_key: &str,
    timestamp: &str,
    signed_headers: &[String],
    canonical_request: &str,
) -> String {
    let key = signing_key(secret_key, access_key, timestamp, signed_headers);
    let sig = hmac_sha256(key.as_bytes(), canonical_request.as_bytes())
        .finalize()
        .into_bytes();
    format!(
        "{}/{}",
        auth_prefix(access_key, timestamp, signed_headers),
        hex::encode(sig)
    )
}

/// Checks a parsed `Authorization` value in constant time.
///
/// Inputs: the secret key for `auth.access_key`, the parsed value and the canonical
/// request rebuilt from the received request with `auth.signed_headers`.
/// Output: `true` when `auth.signature` (hex, either case) equals the signature [`sign`]
/// would produce; `false` otherwise, including when it is not valid hex.
pub fn verify(secret_key: &str, auth: &AuthV2, canonical_request: &str) -> bool {
    let Ok(given) = hex::decode(&auth.signature) else {
        return false;
    };
    let key = signing_key(
        secret_key,
        &auth.access_key,
        &auth.timestamp,
        &auth.signed_headers,
    );
    hmac_sha256(key.as_bytes(), canonical_request.as_bytes())
        .verify_slice(&given)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const AK: &str = "globalaktest";
    const SK: &str = "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p";
    const TS: &str = "2024-01-01T00:00:00Z";
    const HOST: &str = "10.22.26.181:28080";

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    /// huawei-aicc.md §4.3 vector 1: GET with query, signed `host`, no body.
    #[test]
    fn vector_1_get_with_query() {
        let query = super::super::percent::form_decode_pairs(
            "name=&status=0&deviceType=0&curPage=1&rowsPerPage=10",
        );
        let headers = pairs(&[("Host", HOST), ("Accept", "*/*")]);
        let signed = names(&["host"]);
        let canonical = canonical_request(
            "GET",
            "/rest/isales/v1/openapi/campaigns/1",
            &query,
            &headers,
            &signed,
            "",
        );
        assert_eq!(
            canonical,
            "GET\n/rest/isales/v1/openapi/campaigns/1\ncurPage=1&deviceType=0&name=&rowsPerPage=10&status=0\nhost\nhost:10.22.26.181%3A28080\n"
        );
        assert_eq!(
            signing_key(SK, AK, TS, &signed),
            "3f254eda63c537758c4152b2aa507cbc5dcbb87b6268da305c180fe45628864c"
        );
        let auth = sign(SK, AK, TS, &signed, &canonical);
        assert_eq!(
            auth,
            "auth-v2/globalaktest/2024-01-01T00:00:00Z/host/e11dc831057c9f1ed79945217b86ea919e705dc8f714cf4c15ebbc3e8487dda0"
        );
        let parsed = parse(&auth).unwrap();
        assert!(verify(SK, &parsed, &canonical));
        assert!(!verify("other", &parsed, &canonical));
    }

    /// huawei-aicc.md §4.3 vector 2: POST with JSON body, signed `host`, no query line.
    #[test]
    fn vector_2_post_with_body() {
        let headers = pairs(&[
            ("host", HOST),
            ("Content-Type", "application/json;charset=UTF-8"),
        ]);
        let signed = names(&["host"]);
        let canonical = canonical_request(
            "POST",
            "/rest/cmsapp/v1/ping",
            &[],
            &headers,
            &signed,
            r#"{"say":"Hello world!"}"#,
        );
        assert_eq!(
            canonical,
            "POST\n/rest/cmsapp/v1/ping\nhost\nhost:10.22.26.181%3A28080\n%7B%22say%22%3A%22Hello%20world%21%22%7D"
        );
        let auth = sign(SK, AK, TS, &signed, &canonical);
        assert_eq!(
            auth,
            "auth-v2/globalaktest/2024-01-01T00:00:00Z/host/70b71078cd28e6bc80a1c7bbd681deeac7f5f856e5bb27d88b395f5a85b97998"
        );
        let parsed = parse(&auth).unwrap();
        assert!(verify(SK, &parsed, &canonical));
        // Tampered body.
        let tampered = canonical_request(
            "POST",
            "/rest/cmsapp/v1/ping",
            &[],
            &headers,
            &signed,
            r#"{"say":"Hello world?"}"#,
        );
        assert!(!verify(SK, &parsed, &tampered));
    }

    /// huawei-aicc.md §4.3 vector 3: the same POST signing three headers.
    #[test]
    fn vector_3_three_signed_headers() {
        let headers = pairs(&[
            ("Host", HOST),
            ("Content-Type", "application/json;charset=UTF-8"),
            ("Content-Length", "22"),
        ]);
        let signed = names(&["content-length", "content-type", "host"]);
        let canonical = canonical_request(
            "POST",
            "/rest/cmsapp/v1/ping",
            &[],
            &headers,
            &signed,
            r#"{"say":"Hello world!"}"#,
        );
        assert_eq!(
            canonical,
            "POST\n/rest/cmsapp/v1/ping\ncontent-length;content-type;host\ncontent-length:22\ncontent-type:application%2Fjson%3Bcharset%3DUTF-8\nhost:10.22.26.181%3A28080\n%7B%22say%22%3A%22Hello%20world%21%22%7D"
        );
        assert_eq!(
            sign(SK, AK, TS, &signed, &canonical),
            "auth-v2/globalaktest/2024-01-01T00:00:00Z/content-length;content-type;host/9eb998a66264a8966f5d5cc9225cb67b3e1290f628d90dee6fb99b5302d3bb50"
        );
    }

    #[test]
    fn parse_ok_and_errors() {
        let a = parse(" auth-v2/a/k/2024-01-01T00:00:00.123Z/content-type;host/ABCDEF ").unwrap();
        assert_eq!(a.access_key, "a/k");
        assert_eq!(a.timestamp, "2024-01-01T00:00:00.123Z");
        assert_eq!(a.signed_headers, vec!["content-type", "host"]);
        assert_eq!(a.signature, "ABCDEF");
        for bad in [
            "",
            "auth-v2",
            "auth-v2/",
            "auth-v1/ak/ts/host/sig",
            "Bearer abc",
            "auth-v2/ak/ts/host",
            "auth-v2//ts/host/sig",
            "auth-v2/ak//host/sig",
            "auth-v2/ak/ts//sig",
            "auth-v2/ak/ts/host/",
            "auth-v2/ak/ts/host;;x/sig",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn query_pairs_sorted_as_whole_strings() {
        // "a-b=1" < "a=2" as whole strings ('-' < '='), although "a" < "a-b" as keys.
        let q = pairs(&[("a", "2"), ("a-b", "1"), ("z", "x y")]);
        let c = canonical_request(
            "GET",
            "/p",
            &q,
            &pairs(&[("host", "h")]),
            &names(&["host"]),
            "",
        );
        assert_eq!(c, "GET\n/p\na-b=1&a=2&z=x%20y\nhost\nhost:h\n");
    }
}
