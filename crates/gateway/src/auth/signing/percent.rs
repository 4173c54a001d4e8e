//! Percent encodings shared by the signature algorithms.
//!
//! * [`rfc3986`] is the "percent-encode everything but the unreserved set" encoding used
//!   by Alibaba RPC v1 (`alibaba-sdk-wire.md`, "RPC signature v1", step 3), by ACS3 for
//!   query keys/values and path segments, and by Huawei C2 `Normalize`
//!   (`huawei-aicc.md` §4.1).
//! * [`form_decode_pairs`] decodes what the Python SDKs put on the wire (query strings and
//!   form bodies built with `urllib.parse.urlencode`, so `+` means space).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Every byte except the RFC 3986 unreserved characters `A-Z a-z 0-9 - _ . ~`.
const RFC3986_RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Same set, but `/` is also kept literal (for URI paths).
const RFC3986_PATH: &AsciiSet = &RFC3986_RESERVED.remove(b'/');

/// Percent-encodes `s` as RFC 3986 requires for signing.
///
/// Input: any string; its UTF-8 bytes are encoded. Output: `A-Z a-z 0-9 - _ . ~` are kept
/// literally and every other byte becomes `%XX` with **upper-case** hex, so space → `%20`
/// (never `+`), `*` → `%2A`, `~` → `~`, `/` → `%2F`, `+` → `%2B`, `:` → `%3A`,
/// `中` → `%E4%B8%AD`.
///
/// Source: `alibaba-sdk-wire.md` "RPC signature v1" step 3; identical to Huawei
/// `PathUtils.normalize` (`huawei-aicc.md` §4.1).
pub fn rfc3986(s: &str) -> String {
    rfc3986_display(s).to_string()
}

/// [`rfc3986`] as a `Display` value, to write into a buffer without an intermediate string.
pub fn rfc3986_display(s: &str) -> impl std::fmt::Display + '_ {
    utf8_percent_encode(s, RFC3986_RESERVED)
}

/// Percent-encodes a URI path like [`rfc3986`] but keeps every `/` literal, i.e. each
/// segment is encoded separately.
///
/// Input: the **decoded** path (e.g. `/a b/c`). Output: e.g. `/a%20b/c`. An empty input
/// yields `/`. Source: `alibaba-sdk-wire.md` "ACS3-HMAC-SHA256" (path line of the
/// canonical request: "segments RFC 3986-encoded").
pub fn rfc3986_path(path: &str) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    utf8_percent_encode(path, RFC3986_PATH).to_string()
}

/// Decodes an `application/x-www-form-urlencoded` string or a raw query string.
///
/// Input: the raw text after `?` (without the `?`) or a form body. Segments are split on
/// `&`; empty segments are skipped; each segment is split at its first `=` (a segment
/// without `=` gives an empty value). In keys and values `+` becomes a space and `%XX`
/// is decoded; the resulting bytes are read as UTF-8, invalid sequences being replaced
/// lossily with U+FFFD; a malformed `%` escape is kept literally.
///
/// Output: the `(key, value)` pairs in wire order, duplicates kept, empty values kept
/// (`SignatureType=` gives `("SignatureType", "")`).
///
/// Source: `alibaba-sdk-wire.md` "RPC signature v1" step 1 (form-decoding, `+` → space,
/// empty values kept).
pub fn form_decode_pairs(raw: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3986_keeps_only_unreserved() {
        assert_eq!(rfc3986("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(
            rfc3986("a b*c/d+e:f&g=h%"),
            "a%20b%2Ac%2Fd%2Be%3Af%26g%3Dh%25"
        );
        assert_eq!(rfc3986("中文"), "%E4%B8%AD%E6%96%87");
        assert_eq!(rfc3986(""), "");
        assert_eq!(rfc3986("{\"}"), "%7B%22%7D");
    }

    #[test]
    fn path_keeps_slashes() {
        assert_eq!(rfc3986_path("/"), "/");
        assert_eq!(rfc3986_path(""), "/");
        assert_eq!(rfc3986_path("/a b/c*d/"), "/a%20b/c%2Ad/");
    }

    #[test]
    fn form_decoding() {
        let pairs = form_decode_pairs("a=1&&b=x+y%2Bz&SignatureType=&c&a=2&=v&k=%E4%B8%AD");
        let expect: Vec<(String, String)> = [
            ("a", "1"),
            ("b", "x y+z"),
            ("SignatureType", ""),
            ("c", ""),
            ("a", "2"),
            ("", "v"),
            ("k", "中"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(pairs, expect);
    }

    #[test]
    fn form_decoding_is_lossy_and_tolerant() {
        assert!(form_decode_pairs("").is_empty());
        assert!(form_decode_pairs("&&").is_empty());
        assert_eq!(
            form_decode_pairs("a=%FF%zz=b"),
            vec![("a".to_owned(), "\u{FFFD}%zz=b".to_owned())]
        );
    }
}
