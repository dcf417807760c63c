//! Signature checks shared by the edge endpoints, in the order that keeps an unauthenticated
//! caller cheap: the header's form and time window before any body is read
//! ([`header`]), then the MAC and the nonce once the body is in ([`authenticate`]).
//! Refusals carry their reason: none of them tells anything about the secret.

use super::{error, nonces, now_secs, unavailable, EdgeApi};
use crate::metrics::IngestMetrics;
use beacon::signing::{SignatureError, SignatureHeader, SignedRequest, SIGNATURE_HEADER};
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response as WarpResponse;

/// The request's signature header, parsed and inside the window; the refusal otherwise.
#[allow(clippy::result_large_err)]
pub(crate) fn header(api: &EdgeApi, headers: &HeaderMap) -> Result<SignatureHeader, WarpResponse> {
    let value = headers.get(SIGNATURE_HEADER).map(|v| v.to_str());
    let parsed = match value {
        None => Err(SignatureError::Missing),
        Some(Err(_)) => Err(SignatureError::Malformed),
        Some(Ok(v)) => SignatureHeader::parse(Some(v), now_secs()),
    };
    parsed.map_err(|e| refuse(api, &e))
}

/// The MAC over `req`, then the nonce's first use; the refusal otherwise (503 when the nonce
/// store is unreachable: the request may be fine, the edge retries).
pub(crate) async fn authenticate(
    api: &EdgeApi,
    secret: &[u8],
    sig: &SignatureHeader,
    req: &SignedRequest<'_>,
) -> Result<(), WarpResponse> {
    sig.verify(secret, req).map_err(|e| refuse(api, &e))?;
    match nonces::claim(&api.pool, &sig.nonce, sig.timestamp).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(refuse(api, &SignatureError::Replayed)),
        Err(e) => {
            static GATE: crate::shed_log::LogGate = crate::shed_log::LogGate::new();
            if GATE.allow() {
                tracing::warn!(error = %e, "cannot check an edge request's nonce (repeats within 10 s are not logged)");
            }
            Err(unavailable("database unavailable; retry shortly"))
        }
    }
}

/// 400 for a header that is not a signature at all, 401 for every other failure.
fn refuse(api: &EdgeApi, e: &SignatureError) -> WarpResponse {
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
