//! Alibaba Cloud RPC signature v1 (`SignatureVersion=1.0`).
//!
//! Sent by `aliyun-python-sdk-core` (`AcsClient`, 2017-07-05 and 2020-07-01 typed requests)
//! and by `alibabacloud-tea-openapi` with `Config.signature_algorithm='v2'`. The signature
//! travels in the `Signature` query parameter; no header is signed.
//!
//! Algorithm (`shared/reference/alibaba-sdk-wire.md`, "RPC signature v1"):
//!
//! 1. P = every query parameter plus every `x-www-form-urlencoded` body parameter,
//!    form-decoded, minus `Signature`; empty values are kept.
//! 2. Sort by decoded key (byte order).
//! 3. `canonical = join("&", rfc3986(k) "=" rfc3986(v))`.
//! 4. `StringToSign = METHOD "&" rfc3986("/") "&" rfc3986(canonical)`.
//! 5. `Signature = base64(HMAC(key = AccessKeySecret + "&", StringToSign))`.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::Hmac;
use sha1::Sha1;
use sha2::Sha256;

use std::fmt::Write as _;

use super::percent::{form_decode_pairs, rfc3986_display};
use super::{hmac_bytes, hmac_matches};

/// The parameter that carries the signature; it is never part of the string to sign.
pub const SIGNATURE_PARAM: &str = "Signature";

/// HMAC hash named by the `SignatureMethod` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureMethod {
    /// `HMAC-SHA1`: the only method the Python SDKs send.
    HmacSha1,
    /// `HMAC-SHA256`: accepted by the reference service, sent by no Python SDK.
    HmacSha256,
}

impl SignatureMethod {
    /// Parses the `SignatureMethod` query value.
    ///
    /// Input: the decoded value, matched exactly (`"HMAC-SHA1"` or `"HMAC-SHA256"`).
    /// Output: the method, or `None` for anything else (including other spellings).
    /// Source: `alibaba-sdk-wire.md` "RPC signature v1" step 5.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "HMAC-SHA1" => Some(Self::HmacSha1),
            "HMAC-SHA256" => Some(Self::HmacSha256),
            _ => None,
        }
    }

    /// The wire name: `"HMAC-SHA1"` or `"HMAC-SHA256"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha1 => "HMAC-SHA1",
            Self::HmacSha256 => "HMAC-SHA256",
        }
    }
}

/// Merges the form-decoded query string and optional form body into the parameter map
/// that [`string_to_sign`] expects.
///
/// Inputs: `raw_query` is the raw query string (without `?`); `form_body` is the raw
/// `application/x-www-form-urlencoded` body, if the request has one (pass `None` for
/// other content types). Both are decoded with [`form_decode_pairs`] (`+` → space).
///
/// Output: all parameters keyed by decoded name (including `Signature`, which
/// [`string_to_sign`] skips).
///
/// # Errors
///
/// `Err("duplicate parameter <name>")` when a name appears twice (in the query, the body
/// or both): the SDKs never send one, and a duplicate would make the signed value
/// ambiguous.
///
/// Source: `alibaba-sdk-wire.md` "RPC signature v1" step 1.
pub fn collect_params(
    raw_query: &str,
    form_body: Option<&str>,
) -> Result<BTreeMap<String, String>, String> {
    let mut params = BTreeMap::new();
    let body_pairs = form_body.map(form_decode_pairs).unwrap_or_default();
    for (k, v) in form_decode_pairs(raw_query).into_iter().chain(body_pairs) {
        if params.contains_key(&k) {
            return Err(format!("duplicate parameter {k}"));
        }
        params.insert(k, v);
    }
    Ok(params)
}

/// Builds the RPC v1 string to sign.
///
/// Inputs: `method` is the HTTP method exactly as it goes into the string (the SDKs use
/// upper case, e.g. `"POST"`); `params` holds **all** decoded query and form-body
/// parameters (see [`collect_params`]); the key `Signature` is skipped, every other key
/// is kept even with an empty value. Keys are ordered by the map (byte order of the
/// decoded key).
///
/// Output: `METHOD&%2F&` followed by the RFC 3986 encoding of
/// `rfc3986(k1)=rfc3986(v1)&rfc3986(k2)=rfc3986(v2)...` (so the inner `=`/`&` appear as
/// `%3D`/`%26` and inner escapes are encoded twice, e.g. space → `%2520`).
///
/// Source: `alibaba-sdk-wire.md` "RPC signature v1" steps 2-4.
pub fn string_to_sign(method: &str, params: &BTreeMap<String, String>) -> String {
    // Written into two buffers (no string per parameter): this runs on every v1 request.
    let mut canonical = String::with_capacity(512);
    for (i, (k, v)) in params
        .iter()
        .filter(|(k, _)| k.as_str() != SIGNATURE_PARAM)
        .enumerate()
    {
        if i > 0 {
            canonical.push('&');
        }
        let _ = write!(canonical, "{}={}", rfc3986_display(k), rfc3986_display(v));
    }
    let mut out = String::with_capacity(method.len() + 6 + canonical.len() * 3 / 2);
    let _ = write!(
        out,
        "{method}&{}&{}",
        rfc3986_display("/"),
        rfc3986_display(&canonical)
    );
    out
}

/// Computes the RPC v1 signature.
///
/// Inputs: the hash named by `SignatureMethod`, the `AccessKeySecret` and the output of
/// [`string_to_sign`]. The HMAC key is the UTF-8 of `secret + "&"`, the message the UTF-8
/// of `string_to_sign`.
///
/// Output: standard base64 (with `+`, `/` and `=` padding) of the raw HMAC, i.e. the
/// decoded value of the `Signature` parameter (28 characters for SHA-1, 44 for SHA-256).
///
/// Source: `alibaba-sdk-wire.md` "RPC signature v1" step 5.
pub fn sign(method: SignatureMethod, secret: &str, string_to_sign: &str) -> String {
    let key = format!("{secret}&");
    let raw = match method {
        SignatureMethod::HmacSha1 => {
            hmac_bytes::<Hmac<Sha1>>(key.as_bytes(), string_to_sign.as_bytes())
        }
        SignatureMethod::HmacSha256 => {
            hmac_bytes::<Hmac<Sha256>>(key.as_bytes(), string_to_sign.as_bytes())
        }
    };
    BASE64.encode(raw)
}

/// Checks a received `Signature` value in constant time.
///
/// Inputs: as [`sign`], plus `signature`, the decoded `Signature` parameter (standard
/// base64). Output: `true` when it equals [`sign`]`(method, secret, string_to_sign)`;
/// `false` otherwise, including when it is not valid base64.
pub fn verify(
    method: SignatureMethod,
    secret: &str,
    string_to_sign: &str,
    signature: &str,
) -> bool {
    let Ok(given) = BASE64.decode(signature.as_bytes()) else {
        return false;
    };
    let key = format!("{secret}&");
    let (key, msg) = (key.as_bytes(), string_to_sign.as_bytes());
    match method {
        SignatureMethod::HmacSha1 => hmac_matches::<Hmac<Sha1>>(key, msg, &given),
        SignatureMethod::HmacSha256 => hmac_matches::<Hmac<Sha256>>(key, msg, &given),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_method() {
        assert_eq!(
            SignatureMethod::parse("HMAC-SHA1"),
            Some(SignatureMethod::HmacSha1)
        );
        assert_eq!(
            SignatureMethod::parse("HMAC-SHA256"),
            Some(SignatureMethod::HmacSha256)
        );
        assert_eq!(SignatureMethod::parse("hmac-sha1"), None);
        assert_eq!(SignatureMethod::parse(""), None);
        assert_eq!(SignatureMethod::HmacSha256.as_str(), "HMAC-SHA256");
    }

    #[test]
    fn string_to_sign_shape() {
        let params = collect_params("b=x+y&a=&Signature=zzz", Some("c=%2A")).unwrap();
        assert_eq!(
            string_to_sign("GET", &params),
            "GET&%2F&a%3D%26b%3Dx%2520y%26c%3D%252A"
        );
    }

    #[test]
    fn duplicates_are_rejected() {
        assert!(collect_params("a=1&a=2", None).is_err());
        assert!(collect_params("a=1", Some("a=2")).is_err());
    }

    #[test]
    fn sign_and_verify_round_trip() {
        for m in [SignatureMethod::HmacSha1, SignatureMethod::HmacSha256] {
            let sig = sign(m, "s", "GET&%2F&a%3D1");
            assert!(verify(m, "s", "GET&%2F&a%3D1", &sig));
            assert!(!verify(m, "t", "GET&%2F&a%3D1", &sig));
            assert!(!verify(m, "s", "GET&%2F&a%3D2", &sig));
            assert!(!verify(m, "s", "GET&%2F&a%3D1", "not base64!"));
        }
        assert_eq!(sign(SignatureMethod::HmacSha1, "s", "x").len(), 28);
        assert_eq!(sign(SignatureMethod::HmacSha256, "s", "x").len(), 44);
    }
}
