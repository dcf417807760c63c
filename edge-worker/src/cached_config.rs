//! The edge's copy of the aggregator's config (service settings and salts): fetched from the
//! signed config endpoint, cached in the isolate for at most [`MAX_CONFIG_TTL_SECS`], refreshed
//! early for an unknown service, and kept (the last good copy) while the aggregator is away.
//! Also the request signing both the config fetch and the batch delivery use.

use crate::drops;
use crate::edge::{self, Prepared};
use beacon::edge_protocol::{
    sign, EdgeConfig, SignedRequest, CONFIG_PATH, NONCE_BYTES, SIGNATURE_HEADER,
};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use worker::*;

/// Longest the config may be cached (seconds): the promise that a settings change reaches
/// every edge within a minute.
pub const MAX_CONFIG_TTL_SECS: u64 = 60;
/// After a failed refresh, the last good config is used this long before trying again, so an
/// aggregator outage does not add a slow fetch to every request.
pub(crate) const REFRESH_BACKOFF_MS: u64 = 5_000;
/// A request for a service the cached config does not know refreshes it when the copy is
/// older than this, so a service created a moment ago works at once while junk ids cause at
/// most one refresh per second per isolate.
pub(crate) const UNKNOWN_SERVICE_REFRESH_MS: u64 = 1_000;
/// A cold isolate (no config yet) tries again at most this often while the aggregator is
/// unreachable.
pub(crate) const COLD_BACKOFF_MS: u64 = 1_000;
/// How long a request waits for a config refresh before falling back to the last good copy.
pub(crate) const CONFIG_FETCH_TIMEOUT: Duration = Duration::from_millis(2_500);

pub(crate) struct Cached {
    pub(crate) prepared: Rc<Prepared>,
    pub(crate) fetched_ms: u64,
    pub(crate) retry_after_ms: u64,
}

thread_local! {
    /// The isolate's config cache (a Worker isolate runs one thread).
    static CONFIG: RefCell<Option<Cached>> = const { RefCell::new(None) };
    /// Before any config was loaded: no fetch before this time (ms) after a failure, so a
    /// cold isolate during an outage answers 503 at once instead of waiting on every request.
    static COLD_RETRY_AFTER_MS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// The vars and secret, once read.
    static SETTINGS: std::cell::OnceCell<Rc<Settings>> = const { std::cell::OnceCell::new() };
}

/// The worker's vars and secret, read once per isolate: they cannot change while an isolate
/// lives (a new deployment or secret starts new isolates), and each read crosses the JS
/// boundary several times.
pub(crate) struct Settings {
    /// `AGGREGATOR_URL` without a trailing `/`, or why it cannot be used (unset, or plain
    /// http to a non-local host without `ALLOW_INSECURE_AGGREGATOR=1`).
    pub(crate) aggregator_url: std::result::Result<String, &'static str>,
    /// `SHYNET_EDGE_SECRET`, if set and not empty.
    pub(crate) secret: Option<String>,
    /// `CONFIG_TTL_SECS` in ms, at most [`MAX_CONFIG_TTL_SECS`].
    pub(crate) config_ttl_ms: u64,
    /// `IP_HEADERS`, lower-case, in order.
    pub(crate) ip_headers: Vec<String>,
    /// `RETRY_BASE_SECS`.
    pub(crate) retry_base_secs: u64,
    /// `RETRY_MAX_SECS`.
    pub(crate) retry_max_secs: u64,
    /// `DROPS_FLUSH_SECS` in ms: how often an isolate queues its drop counters.
    pub(crate) drops_flush_ms: u64,
}

impl Settings {
    fn read(env: &Env) -> Settings {
        let var = |name: &str| env.var(name).ok().map(|v| v.to_string());
        let var_u64 = |name: &str, default: u64| {
            var(name)
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(default)
        };
        Settings {
            aggregator_url: var("AGGREGATOR_URL")
                .ok_or("AGGREGATOR_URL is not set")
                .and_then(|u| {
                    let insecure_ok =
                        var("ALLOW_INSECURE_AGGREGATOR").is_some_and(|v| v.trim() == "1");
                    edge::checked_aggregator_url(&u, insecure_ok)
                }),
            secret: env
                .secret("SHYNET_EDGE_SECRET")
                .ok()
                .map(|s| s.to_string())
                .filter(|s| !s.is_empty()),
            config_ttl_ms: var_u64("CONFIG_TTL_SECS", MAX_CONFIG_TTL_SECS).min(MAX_CONFIG_TTL_SECS)
                * 1000,
            ip_headers: var("IP_HEADERS")
                .unwrap_or_else(|| "cf-connecting-ip".into())
                .split(',')
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
            retry_base_secs: var_u64("RETRY_BASE_SECS", 5),
            retry_max_secs: var_u64("RETRY_MAX_SECS", 300),
            drops_flush_ms: var_u64("DROPS_FLUSH_SECS", drops::DEFAULT_FLUSH_SECS) * 1000,
        }
    }

    pub(crate) fn aggregator_url(&self, path: &str) -> std::result::Result<String, &'static str> {
        self.aggregator_url
            .as_ref()
            .map(|u| format!("{u}{path}"))
            .map_err(|e| *e)
    }
}

/// This isolate's [`Settings`].
pub(crate) fn settings(env: &Env) -> Rc<Settings> {
    SETTINGS.with(|s| s.get_or_init(|| Rc::new(Settings::read(env))).clone())
}

pub(crate) async fn with_timeout<F: std::future::Future>(f: F, d: Duration) -> Option<F::Output> {
    let f = std::pin::pin!(f);
    let delay = std::pin::pin!(Delay::from(d));
    match futures_util::future::select(f, delay).await {
        futures_util::future::Either::Left((out, _)) => Some(out),
        futures_util::future::Either::Right(_) => None,
    }
}

/// A fresh 128-bit nonce from the runtime's CSPRNG (`crypto.getRandomValues`), one per signed
/// request: the aggregator refuses a nonce it has seen.
pub(crate) fn nonce() -> std::result::Result<[u8; NONCE_BYTES], String> {
    use wasm_bindgen::JsCast;
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into())
        .map_err(|_| "no crypto in this runtime")?;
    let get = js_sys::Reflect::get(&crypto, &"getRandomValues".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or("no crypto.getRandomValues in this runtime")?;
    let buf = js_sys::Uint8Array::new_with_length(NONCE_BYTES as u32);
    get.call1(&crypto, &buf)
        .map_err(|_| "crypto.getRandomValues failed")?;
    let mut out = [0u8; NONCE_BYTES];
    buf.copy_to(&mut out);
    Ok(out)
}

/// The signature header value for `req`, now, with a fresh nonce.
pub(crate) fn signature(
    secret: &str,
    req: &SignedRequest<'_>,
) -> std::result::Result<String, String> {
    let now = (Date::now().as_millis() / 1000) as i64;
    Ok(sign(secret.as_bytes(), req, now, &nonce()?))
}

pub(crate) async fn fetch_config(env: &Env) -> std::result::Result<EdgeConfig, String> {
    let settings = settings(env);
    let url = settings.aggregator_url(CONFIG_PATH)?;
    let secret = settings
        .secret
        .as_deref()
        .ok_or("SHYNET_EDGE_SECRET is not set")?;
    let headers = Headers::new();
    headers
        .set(
            SIGNATURE_HEADER,
            &signature(secret, &SignedRequest::config())?,
        )
        .map_err(|e| e.to_string())?;
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let req = Request::new_with_init(&url, &init).map_err(|e| e.to_string())?;
    let mut resp = with_timeout(Fetch::Request(req).send(), CONFIG_FETCH_TIMEOUT)
        .await
        .ok_or("timed out")?
        .map_err(|e| e.to_string())?;
    if resp.status_code() != 200 {
        return Err(format!("aggregator answered {}", resp.status_code()));
    }
    resp.json::<EdgeConfig>().await.map_err(|e| e.to_string())
}

/// The config to serve this request with: cached while fresh, refreshed when older than the
/// TTL, the last good copy when the refresh fails. `None` only before any config was loaded.
pub(crate) async fn config(
    env: &Env,
    now_ms: u64,
    service: Option<uuid::Uuid>,
) -> Option<Rc<Prepared>> {
    let mut ttl_ms = settings(env).config_ttl_ms;
    let unknown = CONFIG.with(|c| {
        c.borrow()
            .as_ref()
            .is_some_and(|c| service.is_some_and(|id| !c.prepared.services.contains_key(&id)))
    });
    if unknown {
        ttl_ms = ttl_ms.min(UNKNOWN_SERVICE_REFRESH_MS);
    }
    let cached = CONFIG.with(|c| {
        c.borrow().as_ref().map(|c| {
            let fresh = now_ms.saturating_sub(c.fetched_ms) < ttl_ms;
            let backing_off = now_ms < c.retry_after_ms;
            (c.prepared.clone(), fresh || backing_off)
        })
    });
    if let Some((p, true)) = &cached {
        return Some(p.clone());
    }
    if cached.is_none() && now_ms < COLD_RETRY_AFTER_MS.with(|c| c.get()) {
        return None;
    }
    match fetch_config(env).await {
        Ok(cfg) => {
            let prepared = Rc::new(Prepared::new(cfg));
            CONFIG.with(|c| {
                *c.borrow_mut() = Some(Cached {
                    prepared: prepared.clone(),
                    fetched_ms: now_ms,
                    retry_after_ms: 0,
                })
            });
            Some(prepared)
        }
        Err(e) => {
            console_warn!("edge config refresh failed ({e}); using the last good copy if any");
            CONFIG.with(|c| {
                if let Some(c) = c.borrow_mut().as_mut() {
                    c.retry_after_ms = now_ms + REFRESH_BACKOFF_MS;
                }
            });
            if cached.is_none() {
                COLD_RETRY_AFTER_MS.with(|c| c.set(now_ms + COLD_BACKOFF_MS));
            }
            cached.map(|(p, _)| p)
        }
    }
}
