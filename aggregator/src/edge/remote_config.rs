//! `GET /ingest/v1/config`: what the edge worker needs to apply the per-service rules and hash
//! visitors, signed like a batch (method `GET`, path [`beacon::edge_protocol::CONFIG_PATH`], empty
//! body; its nonce is claimed like a batch's, so a captured config request is not answered
//! twice). The edge caches it for at most a minute, so a settings change reaches every edge
//! within that.
//!
//! Salts: today's; yesterday's while a session may still span midnight; tomorrow's during the
//! last [`TOMORROW_LEAD_MS`] of the day, so an edge whose copy was fetched at 23:59 already
//! holds the salt it needs at 00:00. No salt here outlives the rotation rule of
//! [`crate::salts`].

use super::api::EdgeApi;
use super::auth;
use super::reply::{error, json, unavailable};
use crate::metrics::IngestMetrics;
use crate::services::ServiceStatus;
use beacon::edge_protocol::{EdgeConfig, EdgeService, SignedRequest, WireSalt};
use beacon::visitor::DAY_MS;
use std::sync::Arc;
use std::time::{Duration, Instant};
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response as WarpResponse;
use warp::Filter;

/// How long before midnight tomorrow's salt is handed out (well over the edge's 60 s cache).
pub const TOMORROW_LEAD_MS: i64 = 10 * 60 * 1000;

/// How long a built config is reused: every isolate of every edge location asks once a
/// minute, and this bounds the service reloads that causes to one per second per process,
/// while adding at most a second to how fast a settings change reaches the edge.
pub const CONFIG_MEMO: Duration = Duration::from_secs(1);

impl EdgeApi {
    fn memoized_config(&self) -> Option<Arc<EdgeConfig>> {
        let memo = self.config_memo.lock().ok()?;
        memo.as_ref()
            .filter(|(at, _)| at.elapsed() < CONFIG_MEMO)
            .map(|(_, cfg)| cfg.clone())
    }

    fn memoize_config(&self, cfg: EdgeConfig) {
        if let Ok(mut memo) = self.config_memo.lock() {
            *memo = Some((Instant::now(), Arc::new(cfg)));
        }
    }
}

/// The config filter.
pub fn route(
    api: Arc<EdgeApi>,
) -> impl Filter<Extract = (WarpResponse,), Error = warp::Rejection> + Clone {
    warp::path!("ingest" / "v1" / "config")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(warp::any().map(move || api.clone()))
        .then(|headers: HeaderMap, api: Arc<EdgeApi>| async move {
            let Some(secret) = api.secret.as_deref() else {
                return error(StatusCode::NOT_FOUND, "edge ingest is not enabled");
            };
            let sig = match auth::header(&headers) {
                Ok(s) => s,
                Err(refused) => return refused.respond(&api),
            };
            let req = SignedRequest::config();
            if let Err(refused) = auth::authenticate(&api, secret, &sig, &req).await {
                return refused.respond(&api);
            }
            if let Some(cfg) = api.memoized_config() {
                IngestMetrics::inc(&api.metrics.configs_served);
                return json(&*cfg);
            }
            match build(&api, chrono::Utc::now().timestamp_millis()).await {
                Ok(cfg) => {
                    IngestMetrics::inc(&api.metrics.configs_served);
                    let resp = json(&cfg);
                    api.memoize_config(cfg);
                    resp
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot build the edge config");
                    unavailable("database unavailable; retry shortly")
                }
            }
        })
}

/// The config document at `now_ms`: fresh service settings (reloaded from Postgres, which
/// also refreshes this process's cache) and the salts the edge may need.
pub async fn build(api: &EdgeApi, now_ms: i64) -> anyhow::Result<EdgeConfig> {
    let ingest = &api.ingest;
    ingest.services.refresh().await?;
    let block_all_ips = ingest.enricher.block_all_ips;
    let mut services: Vec<EdgeService> = ingest
        .services
        .snapshot()
        .iter()
        .map(|s| EdgeService {
            id: s.id,
            active: s.status == ServiceStatus::Active,
            origins: s.origins.to_string(),
            respect_dnt: s.respect_dnt,
            ignore_robots: s.ignore_robots,
            collect_ips: s.collect_ips && !block_all_ips,
            ignored_ips: s.ignored_ips.to_canonical_string(),
            script_inject: s.script_inject.clone(),
        })
        .collect();
    services.sort_by_key(|s| s.id);
    let pair = ingest.enricher.salts.for_time(now_ms).await?;
    let mut salts = vec![WireSalt::from_salt(&pair.current)];
    if let Some(p) = &pair.previous {
        salts.push(WireSalt::from_salt(p));
    }
    if DAY_MS - now_ms.rem_euclid(DAY_MS) <= TOMORROW_LEAD_MS {
        let tomorrow = ingest
            .enricher
            .salts
            .for_time(now_ms - now_ms.rem_euclid(DAY_MS) + DAY_MS)
            .await?;
        salts.push(WireSalt::from_salt(&tomorrow.current));
    }
    Ok(EdgeConfig {
        protocol: beacon::edge_protocol::PROTOCOL_VERSION,
        generated_ms: now_ms,
        session_timeout_ms: (api.session_timeout_secs * 1000.0) as i64,
        heartbeat_ms: ingest.heartbeat_ms,
        services,
        salts,
    })
}
