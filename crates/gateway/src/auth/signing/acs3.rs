//! Alibaba Cloud `ACS3-HMAC-SHA256` and `ACS3-HMAC-SM3` (signature v3).
//!
//! The default of `alibabacloud-tea-openapi` (`signature_algorithm` unset), and SM3 with
//! `signature_algorithm='ACS3-HMAC-SM3'`. The signature travels in the header
//! `Authorization: ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<h1;h2;…>,Signature=<hex>`.
//!
//! Algorithm (`shared/reference/alibaba-sdk-wire.md`, "ACS3-HMAC-SHA256"):
//!
//! ```text
//! CanonicalRequest = METHOD \n
//!                    path (segments RFC 3986-encoded) \n
//!                    sorted query, enc(k)=enc(v) joined by & ("k=" for empty; "" if none) \n
//!                    for each h in SignedHeaders: h ":" trim(value) \n
//!                    \n
//!                    SignedHeaders \n
//!                    x-acs-content-sha256
//! StringToSign     = ALG "\n" hex(HASH(CanonicalRequest))
//! Signature        = hex(HMAC-HASH(key = AccessKeySecret, StringToSign))
//! ```
//!
//! The form body (if any) is **not** part of the canonical query: it is covered only by
//! `x-acs-content-sha256`, which the verifier must compare with [`content_sha256`] of
//! the raw body.

use hmac::Hmac;
use sha2::{Digest, Sha256};
use sm3::Sm3;

use super::percent::{rfc3986, rfc3986_path};
use super::{hmac_bytes, hmac_matches};

/// The header holding the hex hash of the body, which is the last canonical line.
pub const CONTENT_SHA256_HEADER: &str = "x-acs-content-sha256";

/// The ACS3 algorithm named at the start of the `Authorization` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Acs3Algorithm {
    /// `ACS3-HMAC-SHA256`: SHA-256 hashes, HMAC-SHA256 signature (SDK default).
    HmacSha256,
    /// `ACS3-HMAC-SM3`: SM3 hashes (also for `x-acs-content-sha256`), HMAC-SM3 signature.
    HmacSm3,
}

impl Acs3Algorithm {
    /// Parses an algorithm name.
    ///
    /// Input: `"ACS3-HMAC-SHA256"` or `"ACS3-HMAC-SM3"` (exact match). Output: the
    /// algorithm, or `None` (e.g. for `ACS3-RSA-SHA256`, which is not supported).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ACS3-HMAC-SHA256" => Some(Self::HmacSha256),
            "ACS3-HMAC-SM3" => Some(Self::HmacSm3),
            _ => None,
        }
    }

    /// The wire name: `"ACS3-HMAC-SHA256"` or `"ACS3-HMAC-SM3"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha256 => "ACS3-HMAC-SHA256",
            Self::HmacSm3 => "ACS3-HMAC-SM3",
        }
    }
}

/// A parsed ACS3 `Authorization` header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The algorithm word before the first space.
    pub algorithm: Acs3Algorithm,
    /// The `Credential=` value: the `AccessKeyId`.
    pub access_key_id: String,
    /// The `SignedHeaders=` value split on `;`, in the order sent (the SDK sends them
    /// lower-case and sorted). Never empty.
    pub signed_headers: Vec<String>,
    /// The `Signature=` value as sent (lower-case hex from the SDK).
    pub signature: String,
}

/// Parses an ACS3 `Authorization` header value.
///
/// Input: e.g. `ACS3-HMAC-SHA256 Credential=testAK,SignedHeaders=host;x-acs-date,Signature=ab12…`.
/// Surrounding whitespace, several spaces after the algorithm and spaces around the
/// commas are tolerated; the three fields may come in any order, each exactly once.
///
/// Output: the [`Authorization`] fields.
///
/// # Errors
///
/// `Err(message)` (human-readable) when the algorithm is unknown, a field is missing,
/// repeated, unknown or empty, or `SignedHeaders` has an empty name.
///
/// Source: `alibaba-sdk-wire.md` "ACS3-HMAC-SHA256" (header format).
pub fn parse_authorization(value: &str) -> Result<Authorization, String> {
    let value = value.trim();
    let (alg, rest) = value
        .split_once(|c: char| c.is_ascii_whitespace())
        .ok_or_else(|| "Authorization has no credential part".to_owned())?;
    let algorithm =
        Acs3Algorithm::parse(alg).ok_or_else(|| format!("unsupported algorithm {alg}"))?;

    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        let (name, val) = part
            .split_once('=')
            .ok_or_else(|| format!("malformed Authorization field {part:?}"))?;
        let slot = match name.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            other => return Err(format!("unknown Authorization field {other:?}")),
        };
        if slot.is_some() {
            return Err(format!("repeated Authorization field {name}"));
        }
        let val = val.trim();
        if val.is_empty() {
            return Err(format!("empty Authorization field {name}"));
        }
        *slot = Some(val.to_owned());
    }

    let access_key_id = credential.ok_or("Authorization lacks Credential")?;
    let signed_headers = signed_headers.ok_or("Authorization lacks SignedHeaders")?;
    let signature = signature.ok_or("Authorization lacks Signature")?;
    let signed_headers: Vec<String> = signed_headers
        .split(';')
        .map(|h| h.trim().to_owned())
        .collect();
    if signed_headers.iter().any(String::is_empty) {
        return Err("SignedHeaders contains an empty name".to_owned());
    }
    Ok(Authorization {
        algorithm,
        access_key_id,
        signed_headers,
        signature,
    })
}

/// Builds the canonical query line: pairs RFC 3986-encoded (key and value), sorted by
/// encoded key then encoded value, `k=v` joined by `&` (`k=` for an empty value, `""`
/// when there are no pairs).
fn canonical_query(query: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (rfc3986(k), rfc3986(v)))
        .collect();
    encoded.sort();
    encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonical value of one signed header: every received value of that name
/// (case-insensitive), each trimmed, sorted, joined by `,`; `""` when absent.
fn canonical_header_value(headers: &[(String, String)], name: &str) -> String {
    let mut values: Vec<&str> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .collect();
    values.sort_unstable();
    values.join(",")
}

/// Builds the ACS3 canonical request.
///
/// Inputs:
/// * `method`: the HTTP method as received (`"POST"`).
/// * `path`: the **percent-decoded** request path (`"/"` for every CCC call); each segment
///   is RFC 3986-encoded, `/` kept.
/// * `query`: the form-decoded query pairs (see [`super::percent::form_decode_pairs`]),
///   duplicates allowed. Keys and values are RFC 3986-encoded, sorted by encoded key then
///   encoded value, `k=v` joined by `&` (`k=` for an empty value; empty line if none).
///   The form body is not included here.
/// * `headers`: all request headers as received (`(name, value)`, any name case, repeated
///   names allowed).
/// * `signed_headers`: the list from [`Authorization::signed_headers`], in its order. For
///   each name one line `lower(name):value` is written, where value = every received value
///   of that name (case-insensitive), each trimmed, sorted, joined by `,` (empty if the
///   header is missing, which then fails verification).
/// * `content_sha256`: the `x-acs-content-sha256` header value (the caller must check it
///   equals [`content_sha256`] of the raw body).
///
/// Output: `METHOD\nPATH\nQUERY\nh1:v1\n…hN:vN\n\nh1;…;hN\nCONTENT_SHA256` (no trailing
/// newline).
///
/// Source: `alibaba-sdk-wire.md` "ACS3-HMAC-SHA256"; tea-openapi
/// `_get_canonicalized_headers` (trim, sorted repeated values joined by `,`).
pub fn canonical_request(
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    signed_headers: &[String],
    content_sha256: &str,
) -> String {
    let mut out = String::new();
    out.push_str(method);
    out.push('\n');
    out.push_str(&rfc3986_path(path));
    out.push('\n');
    out.push_str(&canonical_query(query));
    out.push('\n');
    for name in signed_headers {
        out.push_str(&name.to_ascii_lowercase());
        out.push(':');
        out.push_str(&canonical_header_value(headers, name));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(content_sha256);
    out
}

fn hash_hex(alg: Acs3Algorithm, data: &[u8]) -> String {
    match alg {
        Acs3Algorithm::HmacSha256 => hex::encode(Sha256::digest(data)),
        Acs3Algorithm::HmacSm3 => hex::encode(Sm3::digest(data)),
    }
}

/// Builds the ACS3 string to sign.
///
/// Inputs: the algorithm and the output of [`canonical_request`] (hashed as UTF-8).
/// Output: `"<ALG>\n" + lower-hex(HASH(canonical_request))`, HASH being SHA-256 or SM3;
/// no trailing newline.
///
/// Source: `alibaba-sdk-wire.md` "ACS3-HMAC-SHA256".
pub fn string_to_sign(alg: Acs3Algorithm, canonical_request: &str) -> String {
    format!(
        "{}\n{}",
        alg.as_str(),
        hash_hex(alg, canonical_request.as_bytes())
    )
}

/// Computes the ACS3 signature.
///
/// Inputs: the algorithm, the `AccessKeySecret` (used as the HMAC key as is, UTF-8, **no**
/// trailing `&` unlike RPC v1) and the output of [`string_to_sign`].
/// Output: lower-case hex of HMAC-SHA256 / HMAC-SM3 (64 characters), the `Signature=`
/// value of the `Authorization` header.
///
/// Source: `alibaba-sdk-wire.md` "ACS3-HMAC-SHA256".
pub fn sign(alg: Acs3Algorithm, secret: &str, string_to_sign: &str) -> String {
    let (key, msg) = (secret.as_bytes(), string_to_sign.as_bytes());
    hex::encode(match alg {
        Acs3Algorithm::HmacSha256 => hmac_bytes::<Hmac<Sha256>>(key, msg),
        Acs3Algorithm::HmacSm3 => hmac_bytes::<Hmac<Sm3>>(key, msg),
    })
}

/// Checks a received ACS3 signature in constant time.
///
/// Inputs: as [`sign`], plus `signature`, the `Signature=` value (hex, either case).
/// Output: `true` when it equals [`sign`]`(alg, secret, string_to_sign)`, `false`
/// otherwise, including when it is not valid hex.
pub fn verify(alg: Acs3Algorithm, secret: &str, string_to_sign: &str, signature: &str) -> bool {
    let Ok(given) = hex::decode(signature) else {
        return false;
    };
    let (key, msg) = (secret.as_bytes(), string_to_sign.as_bytes());
    match alg {
        Acs3Algorithm::HmacSha256 => hmac_matches::<Hmac<Sha256>>(key, msg, &given),
        Acs3Algorithm::HmacSm3 => hmac_matches::<Hmac<Sm3>>(key, msg, &given),
    }
}

/// Hashes a raw request body for `x-acs-content-sha256`.
///
/// Input: the body bytes exactly as received (not decoded). Output: lower-case hex of
/// SHA-256 (`ACS3-HMAC-SHA256`) or SM3 (`ACS3-HMAC-SM3`; the header keeps its
/// `sha256` name). Empty body with SHA-256:
/// `e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`.
///
/// Source: `alibaba-sdk-wire.md` "Family B" (headers) and "ACS3-HMAC-SHA256".
pub fn content_sha256(alg: Acs3Algorithm, body: &[u8]) -> String {
    hash_hex(alg, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn parse_authorization_variants() {
        let a = parse_authorization(
            "ACS3-HMAC-SHA256 Credential=testAK,SignedHeaders=host;x-acs-date,Signature=abc",
        )
        .unwrap();
        assert_eq!(a.algorithm, Acs3Algorithm::HmacSha256);
        assert_eq!(a.access_key_id, "testAK");
        assert_eq!(a.signed_headers, vec!["host", "x-acs-date"]);
        assert_eq!(a.signature, "abc");

        let b = parse_authorization(
            "  ACS3-HMAC-SM3  Credential=AK, SignedHeaders=host , Signature=00 ",
        )
        .unwrap();
        assert_eq!(b.algorithm, Acs3Algorithm::HmacSm3);
        assert_eq!(b.access_key_id, "AK");
        assert_eq!(b.signed_headers, vec!["host"]);
        assert_eq!(b.signature, "00");
    }

    #[test]
    fn parse_authorization_errors() {
        for bad in [
            "",
            "ACS3-HMAC-SHA256",
            "ACS3-RSA-SHA256 Credential=a,SignedHeaders=host,Signature=00",
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host",
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=",
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;;x,Signature=00",
            "ACS3-HMAC-SHA256 Credential=a,Credential=b,SignedHeaders=host,Signature=00",
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=00,Extra=1",
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature",
            "Bearer xyz",
        ] {
            assert!(parse_authorization(bad).is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn canonical_request_layout() {
        let query = pairs(&[("b", "2"), ("a", "x y"), ("a", ""), ("E", "*")]);
        let headers = pairs(&[
            ("Host", " h:1 "),
            ("X-Acs-Multi", "b"),
            ("x-acs-multi", " a"),
            ("Accept-Encoding", "identity"),
        ]);
        let signed = vec![
            "host".to_owned(),
            "x-acs-missing".to_owned(),
            "x-acs-multi".to_owned(),
        ];
        let c = canonical_request("POST", "/p q/", &query, &headers, &signed, "HASH");
        assert_eq!(
            c,
            "POST\n/p%20q/\nE=%2A&a=&a=x%20y&b=2\nhost:h:1\nx-acs-missing:\nx-acs-multi:a,b\n\nhost;x-acs-missing;x-acs-multi\nHASH"
        );
    }

    #[test]
    fn empty_query_line_is_kept() {
        let c = canonical_request("GET", "/", &[], &[], &["host".to_owned()], "H");
        assert_eq!(c, "GET\n/\n\nhost:\n\nhost\nH");
    }

    #[test]
    fn hashes() {
        assert_eq!(
            content_sha256(Acs3Algorithm::HmacSha256, b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // GB/T 32905-2016 example: SM3("abc").
        assert_eq!(
            content_sha256(Acs3Algorithm::HmacSm3, b"abc"),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        let s = string_to_sign(Acs3Algorithm::HmacSha256, "");
        assert_eq!(
            s,
            "ACS3-HMAC-SHA256\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn sign_and_verify_round_trip() {
        for alg in [Acs3Algorithm::HmacSha256, Acs3Algorithm::HmacSm3] {
            let sig = sign(alg, "k", "msg");
            assert_eq!(sig.len(), 64);
            assert_eq!(sig, sig.to_ascii_lowercase());
            assert!(verify(alg, "k", "msg", &sig));
            assert!(verify(alg, "k", "msg", &sig.to_ascii_uppercase()));
            assert!(!verify(alg, "k&", "msg", &sig));
            assert!(!verify(alg, "k", "msg2", &sig));
            assert!(!verify(alg, "k", "msg", "zz"));
        }
        assert_ne!(
            sign(Acs3Algorithm::HmacSha256, "k", "m"),
            sign(Acs3Algorithm::HmacSm3, "k", "m")
        );
    }
}
