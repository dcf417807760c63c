//! Shynet's edge collector: a thin Cloudflare Worker shell around [`edge`] (plain Rust) and the
//! shared `beacon` crate.
//!
//! * `fetch`: the `/ingress/…` routes (page views, custom events, the scripts) and Plausible's
//!   `POST /api/event` ([`plausible`], translated into those routes), answered at the
//!   edge with the aggregator's exact bytes; accepted beacons are reduced (geography from `request.cf`, salted visitor hash, raw IP
//!   dropped unless collected) and sent to the `BEACONS` queue, one message each.
//! * `queue`: groups a message batch into signed batches (`beacon::edge_protocol`: a MAC over method,
//!   path, time, a fresh random nonce and the body, so a captured request cannot be replayed
//!   or pointed at another endpoint) POSTed to the
//!   aggregator; acks on 2xx; retries with a growing delay when the aggregator says nothing was
//!   applied (Cloudflare moves a message to the dead-letter queue after the configured
//!   retries); re-enqueues the beacons with the batch id as a fence when the outcome is
//!   unknown, so a lost acknowledgement never doubles a beacon, however it is regrouped.
//! * Service settings and salts come from the aggregator's signed config endpoint, cached in
//!   the isolate for at most `CONFIG_TTL_SECS` (≤ 60); when the aggregator cannot be reached
//!   the last good config keeps serving.
//!
//! Bindings (see `wrangler.toml` at the repository root): vars `AGGREGATOR_URL` (https, see
//! [`edge::checked_aggregator_url`]), `ALLOW_INSECURE_AGGREGATOR`, `CONFIG_TTL_SECS`,
//! `IP_HEADERS`, `RETRY_BASE_SECS`, `RETRY_MAX_SECS`, `DROPS_FLUSH_SECS`; secret `SHYNET_EDGE_SECRET`; queue
//! producer `BEACONS`.

mod cached_config;
mod delivery;
pub mod drops;
pub mod edge;
pub mod plausible;

use beacon::edge_protocol::{
    batch_id, EdgeBatch, EdgeDrop, QueuedBeacon, QueuedDrops, MAX_BATCH_BEACONS, MAX_BATCH_BYTES,
};
use beacon::route::{error_reply, Reply};
use beacon::wire::Geo;
use cached_config::{config, settings};
use delivery::{deliver, refence, retry_delay, Delivery, Item};
use edge::RequestFacts;
use std::collections::HashMap;
use worker::*;

pub use cached_config::MAX_CONFIG_TTL_SECS;

/// Converts a shared [`Reply`] into the runtime's response, built directly: `worker::Response`
/// would make a second `Headers` object and copy the body once more on the way out.
fn to_response(r: Reply) -> Result<web_sys::Response> {
    let headers = web_sys::Headers::new()?;
    for (name, value) in &r.headers {
        headers.append(name, value)?;
    }
    let init = web_sys::ResponseInit::new();
    init.set_status(r.status);
    init.set_headers(&headers);
    let resp = if r.body.is_empty() {
        web_sys::Response::new_with_opt_str_and_init(None, &init)?
    } else {
        let body = js_sys::Uint8Array::from(&r.body[..]);
        web_sys::Response::new_with_opt_js_u8_array_and_init(Some(&body), &init)?
    };
    Ok(resp)
}

/// `request.cf`, read raw: `worker::Cf`'s getters unwrap and would panic on a missing field,
/// and local runtimes fill only some of them. Read only for beacons that are queued: the
/// first read makes the runtime build the whole object.
fn geo_of(req: &web_sys::Request) -> Geo {
    let Ok(cf) = js_sys::Reflect::get(req, &"cf".into()) else {
        return Geo::default();
    };
    if !cf.is_object() {
        return Geo::default();
    }
    // Only the fields we keep cross the JS boundary (the whole object is large in production).
    let mut fields = serde_json::Map::new();
    for key in edge::CF_FIELDS {
        let Ok(v) = js_sys::Reflect::get(&cf, &(*key).into()) else {
            continue;
        };
        if let Some(s) = v.as_string() {
            fields.insert((*key).to_owned(), serde_json::Value::String(s));
        } else if let Some(n) = v.as_f64().and_then(serde_json::Number::from_f64) {
            fields.insert((*key).to_owned(), serde_json::Value::Number(n));
        }
    }
    edge::geo_from_cf(&serde_json::Value::Object(fields))
}

/// Sends one message to the `BEACONS` queue, optionally delayed, as its JSON text. A text
/// message crosses into the runtime as one string; a JSON-typed one would be parsed into a JS
/// object here and serialised again by the runtime, and the consumer would undo both. (And
/// `Queue::send(&T)` would turn maps into JS `Map`s that reach the consumer empty.)
pub(crate) async fn enqueue<T: serde::Serialize>(
    env: &Env,
    message: &T,
    delay: Option<u32>,
) -> Result<()> {
    let json = serde_json::to_string(message)?;
    let mut builder = RawMessageBuilder::new(json.into());
    if let Some(d) = delay {
        builder = builder.delay_seconds(d);
    }
    env.queue("BEACONS")?
        .send_raw(builder.build_with_content_type(QueueContentType::Text))
        .await
}

/// A queue message's JSON text. Text messages are sent that way; JSON-typed messages (queued
/// by an earlier version of the worker and still waiting during an upgrade) are serialised
/// back, so they are delivered too.
fn message_text(body: &wasm_bindgen::JsValue) -> Option<String> {
    body.as_string().or_else(|| {
        js_sys::JSON::stringify(body)
            .ok()
            .and_then(|s| s.as_string())
    })
}

/// The request body, for POSTs.
async fn body_of(req: &web_sys::Request) -> Result<Vec<u8>> {
    let buf = js_sys::futures::JsFuture::from(req.array_buffer()?).await?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

/// Reads the body of a POST (413 when its declared length is over the limit, 400 when it
/// cannot be read); an empty body for other methods.
async fn limited_body(req: &web_sys::Request) -> std::result::Result<Vec<u8>, Reply> {
    let too_large = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .is_some_and(|n| n > beacon::limits::MAX_BODY_BYTES);
    if too_large {
        return Err(error_reply(
            413,
            &beacon::payload::PayloadError::TooLarge.to_string(),
        ));
    }
    if req.method() != "POST" {
        return Ok(Vec::new());
    }
    body_of(req)
        .await
        .map_err(|_| error_reply(400, "could not read the request body"))
}

async fn ingress(
    req: &web_sys::Request,
    env: &Env,
    tail: &str,
    query: Option<&str>,
) -> Result<web_sys::Response> {
    let body = match limited_body(req).await {
        Ok(b) => b,
        Err(r) => return to_response(r),
    };
    to_response(ingress_reply(req, env, &req.method(), tail, query, &body).await?)
}

/// `POST /api/event`: Plausible's body, recorded through [`ingress_reply`].
async fn plausible_event(req: &web_sys::Request, env: &Env) -> Result<web_sys::Response> {
    let method = req.method();
    if method == "OPTIONS" {
        return to_response(beacon::route::preflight_reply().with_cors("*"));
    }
    if method != "POST" {
        return to_response(plausible::error(405, "use POST"));
    }
    let body = match limited_body(req).await {
        Ok(b) => b,
        Err(r) => return to_response(plausible::answer(r)),
    };
    let (tail, ours) = match plausible::to_ingress(&body) {
        Ok(x) => x,
        Err(r) => return to_response(r),
    };
    let reply = ingress_reply(req, env, "POST", &tail, None, &ours).await?;
    to_response(plausible::answer(reply))
}

/// The ingress flow for a request whose method, path tail and body are given (so
/// `/api/event` can hand in the request it was translated into).
async fn ingress_reply(
    req: &web_sys::Request,
    env: &Env,
    method: &str,
    tail: &str,
    query: Option<&str>,
    body: &[u8],
) -> Result<Reply> {
    let settings = settings(env);
    // Only the headers the flow reads cross the JS boundary.
    let mut headers = HashMap::new();
    let wanted = edge::REQUEST_HEADERS
        .iter()
        .copied()
        .chain(settings.ip_headers.iter().map(String::as_str));
    let request_headers = req.headers();
    for name in wanted {
        if let Ok(Some(v)) = request_headers.get(name) {
            headers.insert(name.to_owned(), v);
        }
    }
    let now_ms = Date::now().as_millis();
    let service = tail
        .split('/')
        .next()
        .and_then(|s| uuid::Uuid::parse_str(s).ok());
    let Some(cfg) = config(env, now_ms, service).await else {
        return Ok(error_reply(
            503,
            "edge configuration unavailable; retry shortly",
        ));
    };
    let facts = RequestFacts {
        method,
        tail,
        query,
        headers: &headers,
        body,
        ip_headers: &settings.ip_headers,
        now_ms: now_ms as i64,
    };
    let mut out = edge::handle(&facts, &cfg);
    if let Some((svc, kind)) = out.report {
        drops::count(svc, kind, now_ms);
    }
    send_drops(env, settings.drops_flush_ms, now_ms).await;
    if let Some(b) = &mut out.beacon {
        b.geo = geo_of(req);
        if let Err(e) = enqueue(env, b, None).await {
            console_error!("queue send failed: {e}");
            drops::count(b.service, beacon::dropped::DropKind::Overload, now_ms);
            let mut r = error_reply(503, "ingest queue unavailable; retry shortly");
            r.headers.push(("retry-after", "1".into()));
            if let Some(origin) = &out.allow_origin {
                r = r.with_cors(origin);
            }
            return Ok(r);
        }
    }
    Ok(out.reply)
}

/// Queues the isolate's drop counters when they are due (see [`drops`]); put back on failure.
async fn send_drops(env: &Env, flush_ms: u64, now_ms: u64) {
    if let Some(d) = drops::take_due(now_ms, flush_ms) {
        let msg = QueuedDrops { drops: d };
        if let Err(e) = enqueue(env, &msg, None).await {
            console_warn!("drop counters not queued ({e}); kept for the next try");
            drops::put_back(msg.drops);
        }
    }
}

/// Delivers each drop-counter message as a batch of its own (no beacons; its batch id from the
/// message id, so a redelivery counts nothing twice); acks it when applied, retries it
/// otherwise. Returns whether all were applied.
async fn deliver_drops(
    env: &Env,
    messages: Vec<(RawMessage, String, Vec<EdgeDrop>)>,
    now_ms: u64,
) -> bool {
    let mut all = true;
    for (message, id, drops) in messages {
        let signed = EdgeBatch {
            batch_id: batch_id(&[id.as_str()]),
            beacons: Vec::new(),
            fences: Vec::new(),
            message_ids: Vec::new(),
            drops,
        };
        match deliver(env, &signed).await {
            Delivery::Applied => message.ack(),
            Delivery::NotApplied(why) | Delivery::Unknown(why) => {
                console_warn!("drop counters {id} not delivered ({why}); retrying");
                message.retry_with_options(
                    &QueueRetryOptionsBuilder::new()
                        .with_delay_seconds(retry_delay(env, &message, now_ms))
                        .build(),
                );
                all = false;
            }
        }
    }
    all
}

/// Takes the runtime's request as is: converting it to a `worker::Request` would read every
/// request's `cf` object and URL, which most answers never need.
#[event(fetch)]
async fn fetch(req: web_sys::Request, env: Env, _ctx: Context) -> Result<web_sys::Response> {
    let url = req.url();
    let path = edge::path_of(&url);
    if path == "/api/event" {
        return plausible_event(&req, &env).await;
    }
    match path.strip_prefix("/ingress/") {
        Some(tail) => ingress(&req, &env, tail, edge::query_of(&url)).await,
        None => to_response(error_reply(404, "not found")),
    }
}

#[event(queue)]
async fn queue(batch: MessageBatch<serde_json::Value>, env: Env, _ctx: Context) -> Result<()> {
    let now_ms = Date::now().as_millis();
    let mut items = Vec::new();
    let mut drop_messages = Vec::new();
    let mut all_parsed = true;
    for message in batch.raw_iter() {
        let id = message.id();
        let parsed = message_text(&message.body()).and_then(|s| {
            serde_json::from_str::<QueuedBeacon>(&s)
                .ok()
                .map(|q| (q, s.len()))
        });
        let counters = || {
            message_text(&message.body()).and_then(|s| serde_json::from_str::<QueuedDrops>(&s).ok())
        };
        match parsed {
            Some((queued, bytes)) => items.push(Item {
                message,
                id,
                queued,
                bytes,
            }),
            None => match counters() {
                Some(q) => drop_messages.push((message, id, q.drops)),
                None => {
                    // Never silently dropped: retried until it lands in the dead-letter queue.
                    console_error!(
                        "queue message {id} is not a beacon; left for the dead-letter queue"
                    );
                    all_parsed = false;
                    message.retry();
                }
            },
        }
    }
    // Same messages → same chunks → same batch ids, whatever the delivery order.
    items.sort_by(|a, b| a.id.cmp(&b.id));
    // Acknowledged at the end: with one call for the whole batch when everything was applied
    // (the common case), instead of one call per message.
    let mut applied = Vec::new();
    let mut all_applied = all_parsed;
    if !drop_messages.is_empty() && !deliver_drops(&env, drop_messages, now_ms).await {
        all_applied = false;
    }
    let mut start = 0;
    while start < items.len() {
        let mut end = start;
        let mut bytes = 64;
        while end < items.len()
            && end - start < MAX_BATCH_BEACONS
            && (end == start || bytes + items[end].bytes < MAX_BATCH_BYTES)
        {
            bytes += items[end].bytes + 1;
            end += 1;
        }
        let chunk = &items[start..end];
        start = end;
        let ids: Vec<&str> = chunk.iter().map(|i| i.id.as_str()).collect();
        let any_fences = chunk.iter().any(|i| !i.queued.fences.is_empty());
        let signed = EdgeBatch {
            batch_id: batch_id(&ids),
            beacons: chunk.iter().map(|i| i.queued.beacon.clone()).collect(),
            fences: if any_fences {
                chunk.iter().map(|i| i.queued.fences.clone()).collect()
            } else {
                Vec::new()
            },
            // Each beacon's first message id, so a redelivery in another grouping (after
            // this invocation died before acknowledging) is still recognised.
            message_ids: chunk
                .iter()
                .map(|i| i.queued.origin.clone().unwrap_or_else(|| i.id.clone()))
                .collect(),
            drops: Vec::new(),
        };
        match deliver(&env, &signed).await {
            Delivery::Applied => {
                applied.push(chunk);
                continue;
            }
            Delivery::NotApplied(why) => {
                console_warn!("batch of {} refused ({why}); retrying", chunk.len());
                for i in chunk {
                    i.message.retry_with_options(
                        &QueueRetryOptionsBuilder::new()
                            .with_delay_seconds(retry_delay(&env, &i.message, now_ms))
                            .build(),
                    );
                }
            }
            Delivery::Unknown(why) => {
                console_warn!(
                    "batch {} of {} has an unknown outcome ({why}); re-sending fenced",
                    signed.batch_id,
                    chunk.len()
                );
                refence(&env, chunk, &signed.batch_id, now_ms).await;
            }
        }
        all_applied = false;
    }
    if all_applied {
        batch.ack_all();
    } else {
        applied
            .iter()
            .flat_map(|c| c.iter())
            .for_each(|i| i.message.ack());
    }
    Ok(())
}
