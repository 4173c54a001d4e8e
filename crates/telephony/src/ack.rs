//! The ACK of a 2xx, sent by the controller itself.
//!
//! RFC 3725 needs ACKs that carry an SDP answer and are sent late: Flow IV's ACK to the second
//! leg waits for the first leg's answer to a re-INVITE. rsipstack ACKs a 2xx on its own only with
//! an empty body, so the engine runs its endpoint with `auto_ack_2xx = false` and sends every
//! 2xx ACK here (RFC 3261 §13.2.2.4). The ACK is then left in the endpoint's table of finished
//! transactions under the INVITE's transaction key, where the endpoint finds it when the peer
//! retransmits its 2xx (because our ACK was lost) and sends it again; the entry is dropped after
//! 64·T1 (32 s), when the peer has given up retransmitting (RFC 3261 §13.3.1.4).

use std::time::Duration;

use rsipstack::sip::{Header, Request, Response, SipMessage};
use rsipstack::transaction::endpoint::EndpointInnerRef;
use rsipstack::transaction::key::{TransactionKey, TransactionRole};
use rsipstack::transport::SipAddr;

/// How long the ACK stays ready for retransmitted 2xx: 64·T1 (RFC 3261 §17.1.1.2).
const KEEP_FOR: Duration = Duration::from_secs(32);

/// Builds the ACK for `resp` (a 2xx to `invite`, or to a re-INVITE of the dialog `invite` made),
/// with `body` as its SDP answer if given, sends it, and keeps it for retransmitted 2xx.
///
/// `dialog_2xx` is the 2xx that created the dialog: when `resp` answers a re-INVITE its route
/// set is the dialog's (RFC 3261 §12.2), not whatever `resp` carries.
///
/// Errors: a message when the ACK could not be built or sent.
pub async fn send(
    endpoint: &EndpointInnerRef,
    invite: &Request,
    resp: &Response,
    dialog_2xx: Option<&Response>,
    body: Option<Vec<u8>>,
) -> Result<(), String> {
    let shaped;
    let for_route = match dialog_2xx {
        Some(first) => {
            let mut r = resp.clone();
            r.headers.retain(|h| !matches!(h, Header::RecordRoute(_)));
            for h in first.headers.iter() {
                if let Header::RecordRoute(_) = h {
                    r.headers.push(h.clone());
                }
            }
            shaped = r;
            &shaped
        }
        None => resp,
    };
    let mut ack = endpoint
        .make_ack(invite, for_route)
        .map_err(|e| format!("ACK: {e}"))?;
    if let Some(body) = body {
        ack.headers
            .unique_push(Header::ContentType("application/sdp".into()));
        ack.headers
            .unique_push(Header::ContentLength((body.len() as u32).into()));
        ack.body = body;
    }
    let dest = SipAddr::try_from(&ack.destination()).map_err(|e| format!("ACK target: {e}"))?;
    let (conn, addr) = endpoint
        .transport_layer
        .lookup(&dest, None)
        .await
        .map_err(|e| format!("ACK transport: {e}"))?;
    conn.send(SipMessage::Request(ack.clone()), Some(&addr))
        .await
        .map_err(|e| format!("ACK send: {e}"))?;
    if let Ok(key) = TransactionKey::from_response(resp, TransactionRole::Client) {
        endpoint
            .finished_transactions
            .insert(key.clone(), Some(SipMessage::Request(ack)));
        let endpoint = endpoint.clone();
        tokio::spawn(async move {
            tokio::time::sleep(KEEP_FOR).await;
            endpoint.finished_transactions.remove(&key);
        });
    }
    Ok(())
}
