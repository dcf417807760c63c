//! Signature checks shared by the edge endpoints, in the order that keeps an unauthenticated
//! caller cheap: the header's form and time window before any body is read
//! ([`header`]), then the MAC and the nonce once the body is in ([`authenticate`]).
//! Refusals carry their reason: none of them tells anything about the secret.

use super::api::EdgeApi;
use super::nonces;
use super::reply::{error, now_secs, unavailable};
use crate::metrics::IngestMetrics;
use beacon::edge_protocol::{SignatureError, SignatureHeader, SignedRequest, SIGNATURE_HEADER};
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response as WarpResponse;

/// Why an edge request was not let through.
#[derive(Debug)]
pub(crate) enum Refused {
    /// The signature is missing, malformed, stale, wrong or replayed.
    Signature(SignatureError),
    /// The nonce store (Postgres) could not be asked: the request may be fine.
    NonceStoreDown,
}

impl Refused {
    /// 400 for a header that is not a signature at all, 401 for every other signature
    /// failure, 503 when the nonce could not be checked (the edge retries).
    pub(crate) fn respond(self, api: &EdgeApi) -> WarpResponse {
        let e = match self {
            Refused::Signature(e) => e,
            Refused::NonceStoreDown => return unavailable("database unavailable; retry shortly"),
        };
        IngestMetrics::inc(&api.metrics.rejected_signature);
        static GATE: crate::shed_log::LogGate = crate::shed_log::LogGate::new();
        if GATE.allow() {
            tracing::warn!(reason = %e, "edge request refused (repeats within 10 s are counted in rejected_signature, not logged)");
        }
        let status = match e {
            SignatureError::Malformed => StatusCode::BAD_REQUEST,
            _ => StatusCode::UNAUTHORIZED,
        };
        error(status, &e.to_string())
    }
}

/// The request's signature header, parsed and inside the window.
pub(crate) fn header(headers: &HeaderMap) -> Result<SignatureHeader, Refused> {
    let parsed = match headers.get(SIGNATURE_HEADER).map(|v| v.to_str()) {
        None => Err(SignatureError::Missing),
        Some(Err(_)) => Err(SignatureError::Malformed),
        Some(Ok(v)) => SignatureHeader::parse(Some(v), now_secs()),
    };
    parsed.map_err(Refused::Signature)
}

/// The MAC over `req`, then the nonce's first use. The nonce is claimed only once the MAC
/// verified, so nobody without the secret can fill the table or burn the edge's nonces.
pub(crate) async fn authenticate(
    api: &EdgeApi,
    secret: &[u8],
    sig: &SignatureHeader,
    req: &SignedRequest<'_>,
) -> Result<(), Refused> {
    sig.verify(secret, req).map_err(Refused::Signature)?;
    match nonces::claim(&api.pool, &sig.nonce, sig.timestamp).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(Refused::Signature(SignatureError::Replayed)),
        Err(e) => {
            static GATE: crate::shed_log::LogGate = crate::shed_log::LogGate::new();
            if GATE.allow() {
                tracing::warn!(error = %e, "cannot check an edge request's nonce (repeats within 10 s are not logged)");
            }
            Err(Refused::NonceStoreDown)
        }
    }
}
