//! The connection stream under actix-http, so that the refusals actix-http writes by itself
//! reach clients in the dialect's envelope (issue 9: about 220 responses per fuzz run were
//! actix's empty 400s and 431s).
//!
//! actix-http's HTTP/1 dispatcher answers a request head it cannot parse (a control character
//! in a header value, a URI over 65,534 bytes), one that is too large (over 128 KiB or 96
//! headers) or one that does not arrive within the head timeout with a fixed, bodiless response
//! (`400`, `431`, `408`; actix-http 3.20 `h1/dispatcher.rs`), written straight to the socket
//! with no hook to change it. [`EnvelopeIo`] wraps the connection's stream (the TCP stream, or
//! the TLS stream over it when `[server] tls_cert` is set: the bytes seen here are always plain
//! HTTP): when the dispatcher writes exactly such a response — a bodiless 400/408/431/500 head,
//! the last bytes of its write buffer; the application never sends one, since every refusal of
//! ours has a body — it sends an error envelope instead: Alibaba's JSON `{RequestId, HostId,
//! Code, Message, Recommend}`, or a path dialect's (Huawei cc-management `{retCode, message}`,
//! CC-iSales `{resultCode, resultDesc, returnCode, returnDesc}`) when the request line's path
//! starts with one of its prefixes ([`crate::dialect::for_path`]; no route table here, only the
//! bytes of the request line). Everything else passes through untouched.
//!
//! The stream also holds the connection's [`Slot`] in the per-address count, given back when
//! actix-http drops the connection.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use actix_web::rt::net::TcpStream;
use ccgate_plugin_sdk::{ApiError, Dialect};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::connections::Slot;
use crate::dialect;
use crate::dialect::aliyun::envelope;
use crate::request_id::new_request_id;

/// A connection whose actix-generated refusals are rewritten into envelopes: over `S`, a
/// [`TcpStream`] (plain HTTP, the default) or a TLS stream (HTTPS; [`super::server`]).
pub struct EnvelopeIo<S = TcpStream> {
    io: S,
    host_id: Arc<str>,
    /// The path dialect of the newest request line read (`None`: Alibaba).
    dialect: Option<Dialect>,
    /// A rewritten response not yet fully written, and how much of it was.
    pending: Option<(Vec<u8>, usize)>,
    slot: Option<Slot>,
}

impl<S> EnvelopeIo<S> {
    /// Wraps `io`; `host_id` is the `HostId` of Alibaba envelopes, `slot` the connection's
    /// place in the per-address count (given back when this is dropped).
    pub fn new(io: S, host_id: Arc<str>, slot: Option<Slot>) -> Self {
        Self {
            io,
            host_id,
            dialect: None,
            pending: None,
            slot,
        }
    }

    /// The connection's place in the per-address count.
    pub fn slot(&self) -> Option<&Slot> {
        self.slot.as_ref()
    }
}

impl<S: AsyncWrite + Unpin> EnvelopeIo<S> {
    /// Writes what is left of `pending`.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, done)) = &mut self.pending {
            if *done == bytes.len() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &bytes[*done..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *done += n;
        }
        Poll::Ready(Ok(()))
    }
}

/// Where actix's own bodiless refusal starts in `buf` and its status, when `buf` ends with one.
pub fn synthetic_refusal(buf: &[u8]) -> Option<(usize, u16)> {
    if !buf.ends_with(b"\r\n\r\n") {
        return None;
    }
    let start = buf.windows(7).rposition(|w| w == b"HTTP/1.")?;
    let mut headers = [httparse::EMPTY_HEADER; 4];
    let mut resp = httparse::Response::new(&mut headers);
    let Ok(httparse::Status::Complete(n)) = resp.parse(&buf[start..]) else {
        return None;
    };
    let code = resp.code?;
    let only_framing = resp.headers.iter().all(|h| {
        if h.name.eq_ignore_ascii_case("content-length") {
            h.value == b"0"
        } else {
            h.name.eq_ignore_ascii_case("connection") || h.name.eq_ignore_ascii_case("date")
        }
    });
    (start + n == buf.len() && only_framing && matches!(code, 400 | 408 | 431 | 500))
        .then_some((start, code))
}

/// The envelope answering actix's refusal `status`, in path dialect `dialect` (Alibaba's
/// when `None`).
pub fn refusal_response(status: u16, dialect: Option<Dialect>, host_id: &str) -> Vec<u8> {
    let err = match status {
        408 => ApiError::new(
            408,
            "RequestTimeout",
            "The request head was not received in time.",
        ),
        431 => ApiError::new(
            431,
            "RequestHeaderFieldsTooLarge",
            "The request head is too large: at most 96 headers and 128 KiB.",
        ),
        400 => ApiError::new(
            400,
            "InvalidRequest.Malformed",
            "The request head is malformed: a control character in a header, an invalid request line, a URI longer than 65534 bytes or conflicting framing headers.",
        ),
        _ => ApiError::internal(),
    };
    let plain = ApiError::new(status, status.to_string(), err.message.clone());
    let (content_type, body) = match dialect.and_then(|d| dialect::error_parts(d, &plain)) {
        Some(parts) => parts,
        None => (
            envelope::JSON,
            serde_json::to_string(&envelope::error_body(&new_request_id(), host_id, &err))
                .unwrap_or_default(),
        ),
    };
    let reason = actix_web::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The path dialect a request line starting `bytes` names (`Some(None)`: Alibaba), or `None`
/// when `bytes` does not start a request line.
fn path_dialect(bytes: &[u8]) -> Option<Option<Dialect>> {
    let space = bytes.iter().take(16).position(|b| *b == b' ')?;
    if space == 0 || !bytes[..space].iter().all(u8::is_ascii_uppercase) {
        return None;
    }
    let rest = &bytes[space + 1..];
    // The prefixes are ASCII: the path up to the first byte that cannot be part of one.
    let end = rest
        .iter()
        .position(|b| !b.is_ascii_graphic() || *b == b'?')
        .unwrap_or(rest.len());
    let path = std::str::from_utf8(&rest[..end]).unwrap_or_default();
    Some(dialect::for_path(path))
}

impl<S: AsyncRead + Unpin> AsyncRead for EnvelopeIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.io).poll_read(cx, buf))?;
        if let Some(dialect) = path_dialect(&buf.filled()[before..]) {
            this.dialect = dialect;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for EnvelopeIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        if let Some((start, status)) = synthetic_refusal(buf) {
            let mut out = buf[..start].to_vec();
            out.extend_from_slice(&refusal_response(status, this.dialect, &this.host_id));
            this.pending = Some((out, 0));
            // Written now where the socket takes it (the dispatcher closes right after);
            // otherwise by the flush or shutdown that follows.
            if let Poll::Ready(Err(e)) = this.poll_pending(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_actix_bodiless_refusals() {
        let bad = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\ndate: Fri, 04 Dec 2026 21:00:00 GMT\r\n\r\n";
        assert_eq!(synthetic_refusal(bad), Some((0, 400)));
        let mut after_response = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}".to_vec();
        after_response.extend_from_slice(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n",
        );
        assert_eq!(synthetic_refusal(&after_response), Some((40, 431)));
        // Ours always carry a body and a content type.
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(synthetic_refusal(ours), None);
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(synthetic_refusal(ok), None);
        assert_eq!(
            synthetic_refusal(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 5\r\n\r\n"),
            None
        );
    }

    #[test]
    fn refusals_are_envelopes_of_the_path_dialect() {
        let text = String::from_utf8(refusal_response(431, None, "ccgate")).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            "{head}"
        );
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["Code"], "RequestHeaderFieldsTooLarge");
        assert_eq!(v["HostId"], "ccgate");
        assert_eq!(v["RequestId"].as_str().unwrap().len(), 36);
        let huawei = Some(Dialect::HuaweiCcManagement);
        let text = String::from_utf8(refusal_response(400, huawei, "ccgate")).unwrap();
        let body = text.split_once("\r\n\r\n").unwrap().1;
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["retCode"], "400");
        let isales = Some(Dialect::HuaweiIsales);
        let text = String::from_utf8(refusal_response(431, isales, "ccgate")).unwrap();
        let body = text.split_once("\r\n\r\n").unwrap().1;
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            (&v["resultCode"], &v["returnCode"]),
            (&"431".into(), &"431".into())
        );
        assert_eq!(
            path_dialect(b"POST /apiaccess/rest/x HTTP/1.1"),
            Some(huawei)
        );
        assert_eq!(
            path_dialect(b"GET /rest/isales/v1/openapi/campaigns/1?a=b HTTP/1.1"),
            Some(isales)
        );
        assert_eq!(path_dialect(b"GET /rest/cmsapp/x HTTP/1.1"), Some(huawei));
        assert_eq!(path_dialect(b"GET /?Action=x HTTP/1.1"), Some(None));
        assert_eq!(path_dialect(b"\x16\x03\x01 tls"), None);
    }
}
