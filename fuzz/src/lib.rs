//! Helpers shared by the fuzz targets: a readable framing of an HTTP request in the fuzz
//! input (so the seed corpus is made of real requests that a person can read and edit) and
//! small independent oracles the targets compare the gateway's parsers with.
//!
//! Request framing (bytes; everything before the body is read as lossy UTF-8):
//!
//! ```text
//! METHOD PATH\n          first line; without a space the whole line is the method, path "/"
//! RAW_QUERY\n            the query string without '?', exactly as on the wire
//! name: value\n          zero or more header lines, split at the first ':', one leading
//! ...                    space of the value dropped
//! \n                     an empty line ends the headers
//! BODY                   the rest, raw bytes
//! ```
//!
//! Missing parts are empty. Targets that also need a header value to parse (ACS3, Huawei C2)
//! take it from one more line in front of the request.

/// One request decoded from the framing above.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub raw_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Splits off the first line (without its `\n`; a trailing `\r` is kept) and the rest.
pub fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// Decodes a request from the framing described in the crate docs. Never fails.
pub fn parse_request(data: &[u8]) -> Request {
    let (first, rest) = split_line(data);
    let first = String::from_utf8_lossy(first);
    let (method, path) = match first.split_once(' ') {
        Some((m, p)) => (m.to_owned(), p.to_owned()),
        None => (first.into_owned(), "/".to_owned()),
    };
    let (query, mut rest) = split_line(rest);
    let raw_query = String::from_utf8_lossy(query).into_owned();
    let mut headers = Vec::new();
    while !rest.is_empty() {
        let (line, tail) = split_line(rest);
        rest = tail;
        if line.is_empty() {
            break;
        }
        let line = String::from_utf8_lossy(line);
        let (name, value) = line.split_once(':').unwrap_or((&line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        headers.push((name.to_owned(), value.to_owned()));
    }
    Request {
        method,
        path,
        raw_query,
        headers,
        body: rest.to_vec(),
    }
}

/// An independent `application/x-www-form-urlencoded` decoder, the oracle for
/// `percent::form_decode_pairs`: split on `&`, skip empty segments, split each at its first
/// `=`, `+` → space, `%XX` decoded (a malformed escape kept literally), the bytes read as
/// lossy UTF-8 (invalid sequences → U+FFFD).
pub fn oracle_form_decode(raw: &[u8]) -> Vec<(String, String)> {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    fn decode(s: &[u8]) -> String {
        let mut out = Vec::with_capacity(s.len());
        let mut i = 0;
        while i < s.len() {
            match s[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < s.len() => match (hex(s[i + 1]), hex(s[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(h * 16 + l);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                },
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    raw.split(|&b| b == b'&')
        .filter(|seg| !seg.is_empty())
        .map(|seg| match seg.iter().position(|&b| b == b'=') {
            Some(i) => (decode(&seg[..i]), decode(&seg[i + 1..])),
            None => (decode(seg), String::new()),
        })
        .collect()
}

/// True when `s` consists only of RFC 3986 unreserved characters and `%XX` escapes with
/// upper-case hex digits (plus the extra literal bytes in `also`).
pub fn is_rfc3986_encoded(s: &str, also: &[u8]) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => i += 1,
            b'%' => {
                let ok = |c: u8| c.is_ascii_digit() || (b'A'..=b'F').contains(&c);
                if i + 2 >= b.len() {
                    return false;
                }
                if !(ok(b[i + 1]) && ok(b[i + 2])) {
                    return false;
                }
                i += 3;
            }
            c if also.contains(&c) => i += 1,
            _ => return false,
        }
    }
    true
}

/// Percent-decodes `s` (no `+` handling) and reads it as UTF-8; `None` when it is not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// The characters XML 1.0 cannot carry at all (production `Char`): controls other than
/// tab, LF and CR, surrogates (impossible in a Rust `str`) and U+FFFE / U+FFFF.
pub fn xml10_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// A little byte reader for targets that build structured values from raw bytes.
pub struct Bytes<'a> {
    data: &'a [u8],
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// One byte, 0 when exhausted.
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// A string of up to 255 bytes (length prefix, lossy UTF-8).
    pub fn string(&mut self) -> String {
        let n = (self.byte() as usize).min(self.data.len());
        let (s, rest) = self.data.split_at(n);
        self.data = rest;
        String::from_utf8_lossy(s).into_owned()
    }
}
