//! The little SDP handling 3PCC needs (RFC 3725 §4.3, §4.4; RFC 4566 for the syntax). The
//! controller never looks at codecs: it forwards one party's SDP to the other and keeps its
//! own `o=` line consistent towards each party.

/// Whether an SDP body has at least one media (`m=`) line.
pub fn has_media(sdp: &[u8]) -> bool {
    String::from_utf8_lossy(sdp)
        .lines()
        .any(|l| l.trim_start().starts_with("m="))
}

/// The `m=` lines of an SDP body (for logs and tests).
pub fn media_lines(sdp: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(sdp)
        .lines()
        .filter(|l| l.starts_with("m="))
        .map(|l| l.trim().to_string())
        .collect()
}

/// The controller's own `o=` line towards one party: RFC 3725 §4.4 says the version
/// increments by one with every new SDP sent to that party and nothing else in it changes.
#[derive(Debug, Clone)]
pub struct Origin {
    user: String,
    session_id: String,
    version: u64,
    host: String,
}

/// `sdp` with every media stream's direction set to `dir` (`inactive`, `sendonly`…): the
/// existing direction attributes are dropped and `a=<dir>` follows each `m=` line
/// (RFC 3264 §8.4, RFC 4566 §6).
pub fn with_direction(sdp: &[u8], dir: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(sdp);
    let mut out = String::with_capacity(text.len() + 32);
    for line in text.lines() {
        if matches!(
            line.trim(),
            "a=sendrecv" | "a=sendonly" | "a=recvonly" | "a=inactive"
        ) {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
        if line.starts_with("m=") {
            out.push_str("a=");
            out.push_str(dir);
            out.push_str("\r\n");
        }
    }
    out.into_bytes()
}

impl Origin {
    /// Continues the `o=` line of `sdp` (the last SDP the party received, someone else's):
    /// same user, session id and address, the version grows from there. Falls back to a new
    /// origin on `host` when `sdp` has no parsable `o=` line.
    pub fn adopt(sdp: &[u8], host: &str) -> Self {
        let text = String::from_utf8_lossy(sdp);
        let parsed = text.lines().find(|l| l.starts_with("o=")).and_then(|l| {
            let f: Vec<&str> = l.trim_start_matches("o=").split_whitespace().collect();
            (f.len() >= 6).then(|| {
                Some(Self {
                    user: f[0].to_string(),
                    session_id: f[1].to_string(),
                    version: f[2].parse().ok()?,
                    host: f[5].to_string(),
                })
            })?
        });
        parsed.unwrap_or_else(|| Self::new(host))
    }

    /// A new origin for one party, session id random.
    pub fn new(host: &str) -> Self {
        Self {
            user: "ccgate".into(),
            session_id: (u64::from(rand::random::<u32>()) + 1).to_string(),
            version: 0,
            host: host.to_string(),
        }
    }

    fn next_line(&mut self) -> String {
        self.version += 1;
        format!(
            "o={} {} {} IN IP4 {}",
            self.user, self.session_id, self.version, self.host
        )
    }

    /// Flow IV's first offer: a session with no media lines (RFC 3725 §4.4, §11).
    pub fn no_media_offer(&mut self) -> Vec<u8> {
        let o = self.next_line();
        format!(
            "v=0\r\n{o}\r\ns=ccgate\r\nc=IN IP4 {}\r\nt=0 0\r\n",
            self.host
        )
        .into_bytes()
    }

    /// `sdp` (the other party's) with its `o=` line replaced by ours, version bumped
    /// (RFC 3725 §4.4: "offer2'").
    pub fn rewrite(&mut self, sdp: &[u8]) -> Vec<u8> {
        let o = self.next_line();
        let text = String::from_utf8_lossy(sdp);
        let mut out = String::with_capacity(text.len() + 16);
        for line in text.lines() {
            if line.starts_with("o=") {
                out.push_str(&o);
            } else {
                out.push_str(line);
            }
            out.push_str("\r\n");
        }
        out.into_bytes()
    }

    /// Flow III's black-hole answer to `offer` (RFC 3725 §4.3): the same media lines, port 0
    /// is not allowed (it would reject the stream), so port 9 (discard) on `c=IN IP4 0.0.0.0`
    /// with the first payload type of each stream.
    pub fn black_hole_answer(&mut self, offer: &[u8]) -> Vec<u8> {
        let o = self.next_line();
        let mut out = format!("v=0\r\n{o}\r\ns=ccgate\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n");
        for m in media_lines(offer) {
            let parts: Vec<&str> = m.trim_start_matches("m=").split_whitespace().collect();
            if parts.len() >= 4 {
                out.push_str(&format!(
                    "m={} 9 {} {}\r\na=inactive\r\n",
                    parts[0], parts[2], parts[3]
                ));
            }
        }
        out.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=customer 1000 1 IN IP4 127.0.0.1\r\ns=customer-phone\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 37000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n";

    #[test]
    fn the_origin_version_grows_by_one_and_nothing_else_changes() {
        let mut o = Origin::new("127.0.0.1");
        let first = String::from_utf8(o.no_media_offer()).unwrap();
        assert!(!has_media(first.as_bytes()));
        let second = String::from_utf8(o.rewrite(OFFER.as_bytes())).unwrap();
        let o1 = first.lines().find(|l| l.starts_with("o=")).unwrap();
        let o2 = second.lines().find(|l| l.starts_with("o=")).unwrap();
        let (a, b): (Vec<&str>, Vec<&str>) = (o1.split(' ').collect(), o2.split(' ').collect());
        assert_eq!(a[1], b[1], "session id kept");
        assert_eq!(
            a[2].parse::<u64>().unwrap() + 1,
            b[2].parse::<u64>().unwrap()
        );
        assert!(second.contains("m=audio 37000 RTP/AVP 0 8 101"));
        assert!(second.contains("s=customer-phone"));
    }

    #[test]
    fn an_adopted_origin_continues_the_other_partys_line() {
        let mut o = Origin::adopt(OFFER.as_bytes(), "10.0.0.1");
        let next = String::from_utf8(o.rewrite(b"v=0\r\no=x 1 1 IN IP4 1.2.3.4\r\n")).unwrap();
        assert!(
            next.contains("o=customer 1000 2 IN IP4 127.0.0.1"),
            "{next}"
        );
        let held = String::from_utf8(with_direction(OFFER.as_bytes(), "inactive")).unwrap();
        assert!(
            held.contains("m=audio 37000 RTP/AVP 0 8 101\r\na=inactive\r\n"),
            "{held}"
        );
        assert_eq!(held.matches("a=inactive").count(), 1);
    }

    #[test]
    fn a_black_hole_answer_keeps_the_streams_and_sends_nowhere() {
        let mut o = Origin::new("127.0.0.1");
        let bh = String::from_utf8(o.black_hole_answer(OFFER.as_bytes())).unwrap();
        assert!(bh.contains("c=IN IP4 0.0.0.0"));
        assert_eq!(media_lines(bh.as_bytes()), vec!["m=audio 9 RTP/AVP 0"]);
    }
}
