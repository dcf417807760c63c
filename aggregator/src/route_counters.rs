//! Requests per ingest route and outcome, for `/metrics`: how many each beacon route accepted,
//! refused (4xx: bad input, unknown service, origin), shed (503/429: queue full, overload) or
//! failed (other 5xx). Counted from the answer's status by a wrapper around the route tree, so
//! the handlers stay as they are and no route can be forgotten.
//!
//! A 2xx is "accepted" even when the beacon was then dropped on purpose (Do Not Track, an
//! ignored network, a robot): those answer 2xx by design and have counters of their own
//! (`shynet_ingest_dropped_*_total`). Tracker downloads and CORS preflights are not counted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use warp::http::{Method, StatusCode};

/// The beacon routes, as the `route` label names them.
pub const ROUTES: [&str; 6] = [
    "script",
    "pixel",
    "event",
    "event_gif",
    "plausible_event",
    "edge_batch",
];

/// The outcomes, as the `outcome` label names them.
pub const OUTCOMES: [&str; 4] = ["accepted", "refused", "shed", "error"];

/// Counters per (route, outcome).
#[derive(Debug, Default)]
pub struct RouteCounters {
    counts: [[AtomicU64; OUTCOMES.len()]; ROUTES.len()],
}

impl RouteCounters {
    /// Counts one answered request (anything that is not a beacon route is ignored).
    pub fn observe(&self, method: &Method, path: &str, status: StatusCode) {
        if let Some(r) = route_of(method, path) {
            self.counts[r][outcome_of(status)].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Every (route, outcome, count), in [`ROUTES`] × [`OUTCOMES`] order.
    pub fn snapshot(&self) -> Vec<(&'static str, &'static str, u64)> {
        let mut out = Vec::with_capacity(ROUTES.len() * OUTCOMES.len());
        for (r, row) in self.counts.iter().enumerate() {
            for (o, c) in row.iter().enumerate() {
                out.push((ROUTES[r], OUTCOMES[o], c.load(Ordering::Relaxed)));
            }
        }
        out
    }
}

/// The warp wrapper that feeds `counters`.
pub fn layer(
    counters: Arc<RouteCounters>,
) -> warp::log::Log<impl Fn(warp::log::Info<'_>) + Clone + Send + Sync + 'static> {
    warp::log::custom(move |info: warp::log::Info<'_>| {
        counters.observe(info.method(), info.path(), info.status());
    })
}

/// Index into [`ROUTES`] of a beacon request.
fn route_of(method: &Method, path: &str) -> Option<usize> {
    let get = method == Method::GET || method == Method::HEAD;
    let post = method == Method::POST;
    let name = if let Some(rest) = path.strip_prefix("/ingress/") {
        match (rest.rsplit('/').next()?, get, post) {
            ("script.js", _, true) => "script",
            ("pixel.gif", true, _) => "pixel",
            ("event", _, true) => "event",
            ("event.gif", true, _) => "event_gif",
            _ => return None,
        }
    } else if path == "/api/event" && post {
        "plausible_event"
    } else if path == "/ingest/v1/batch" && post {
        "edge_batch"
    } else {
        return None;
    };
    ROUTES.iter().position(|r| *r == name)
}

fn outcome_of(status: StatusCode) -> usize {
    let name = if status.is_success() {
        "accepted"
    } else if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
        "shed"
    } else if status.is_server_error() {
        "error"
    } else {
        "refused"
    };
    OUTCOMES.iter().position(|o| *o == name).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(c: &RouteCounters, route: &str, outcome: &str) -> u64 {
        c.snapshot()
            .into_iter()
            .find(|(r, o, _)| *r == route && *o == outcome)
            .map(|x| x.2)
            .unwrap()
    }

    #[test]
    fn routes_and_outcomes_from_method_path_and_status() {
        let c = RouteCounters::default();
        let id = "/ingress/0b0e0c0a-0000-4000-8000-000000000000";
        c.observe(&Method::POST, &format!("{id}/script.js"), StatusCode::OK);
        c.observe(
            &Method::POST,
            &format!("{id}/user-1/script.js"),
            StatusCode::OK,
        );
        c.observe(
            &Method::GET,
            &format!("{id}/pixel.gif"),
            StatusCode::SERVICE_UNAVAILABLE,
        );
        c.observe(&Method::POST, "/api/event", StatusCode::BAD_REQUEST);
        c.observe(
            &Method::POST,
            "/ingest/v1/batch",
            StatusCode::INTERNAL_SERVER_ERROR,
        );
        // Not beacons: the tracker download, a preflight, the dashboard.
        c.observe(&Method::GET, &format!("{id}/script.js"), StatusCode::OK);
        c.observe(
            &Method::OPTIONS,
            &format!("{id}/script.js"),
            StatusCode::NO_CONTENT,
        );
        c.observe(&Method::GET, "/dashboard/", StatusCode::OK);
        assert_eq!(count(&c, "script", "accepted"), 2);
        assert_eq!(count(&c, "pixel", "shed"), 1);
        assert_eq!(count(&c, "plausible_event", "refused"), 1);
        assert_eq!(count(&c, "edge_batch", "error"), 1);
        let total: u64 = c.snapshot().iter().map(|x| x.2).sum();
        assert_eq!(total, 5);
    }
}
