//! Security properties not covered by `dashboard_web.rs` (which has the dashboard's permission
//! matrix, CSRF, login throttling, reset-token reuse and expiry):
//!
//! - the routes outside the dashboard's table (ingress, edge batch/config, health) are listed
//!   here with their guard, and a scan of the router's source fails when one is added unlisted;
//! - session fixation: a session id planted before login never becomes the logged-in session;
//! - edge requests: a captured, valid batch or config request replayed outside the ±5 min
//!   window is refused, and so is a replay inside it (its nonce was used), a signature made for
//!   one endpoint or method does not open another, a re-signed timestamp or a modified body
//!   does not verify, and a legitimate re-send (new nonce) of an applied batch is acknowledged
//!   without being applied twice;
//! - deleting a service deletes every row of every table keyed by `service_id`.

mod common;
mod dashboard_support;

use aggregator::config::{EdgeSecret, IngestArgs};
use beacon::edge_protocol::{
    self, BatchReceipt, EdgeBatch, SignedRequest, NONCE_BYTES, SIGNATURE_HEADER,
};
use beacon::wire::{Beacon, Tracker, VisitorKey};
use common::{spawn_app, Opts, Svc};
use dashboard_support::{set_cookie, spawn, Who};
use std::collections::BTreeSet;
use std::path::Path;

/// Every route the aggregator serves besides the dashboard's `ROUTES` table, with its guard.
const NON_DASHBOARD_ROUTES: &[(&str, &str)] = &[
    (
        "ingress",
        "public by design: beacons and the tracker, per-service origin checks",
    ),
    (
        "ingest/v1/batch",
        "HMAC over method, path, time, nonce and body; ±5 min; nonce once; 404 without a secret",
    ),
    (
        "ingest/v1/config",
        "HMAC over method, path, time and nonce; ±5 min; nonce once; 404 without a secret",
    ),
    (
        "api/event",
        "public by design: Plausible-compatible events through the ingress rules (tests/plausible_events.rs)",
    ),
    ("healthz", "public: status and queue depth, no secrets"),
    (
        "metrics",
        "admin listener only (--metrics-listen, default 127.0.0.1:9091), never the public one (tests/metrics_listener.rs)",
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Route prefixes declared with `warp::path("…")` or `warp::path!("…" / …)` in the aggregator.
fn declared_routes() -> BTreeSet<String> {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut found = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, _) in text.match_indices("warp::path") {
            let rest = &text[i + "warp::path".len()..];
            let args = if let Some(r) = rest.strip_prefix("!(") {
                r
            } else if let Some(r) = rest.strip_prefix('(') {
                r
            } else {
                continue;
            };
            let Some(end) = args.find(')') else { continue };
            let segs: Vec<String> = args[..end]
                .split('/')
                .map(|s| s.trim().trim_matches('"').to_owned())
                .filter(|s| !s.is_empty())
                .collect();
            if !segs.is_empty() {
                found.insert(segs.join("/"));
            }
        }
    }
    found
}

#[test]
fn every_non_dashboard_route_is_listed_with_its_guard() {
    let declared = declared_routes();
    let listed: BTreeSet<String> = NON_DASHBOARD_ROUTES
        .iter()
        .map(|(p, _)| p.to_string())
        .collect();
    assert_eq!(
        declared, listed,
        "a route was added or removed: list it in NON_DASHBOARD_ROUTES with its guard and test it"
    );
}

const SECRET: &str = "security-edge-secret-0123456789";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn nonce() -> [u8; NONCE_BYTES] {
    uuid::Uuid::new_v4().into_bytes()
}

/// The edge's signature of `req` at `t`, with a fresh nonce.
fn sign(secret: &[u8], req: &SignedRequest<'_>, t: i64) -> String {
    edge_protocol::sign(secret, req, t, &nonce())
}

#[tokio::test]
async fn non_dashboard_routes_enforce_their_guards() {
    // Without an edge secret the edge endpoints do not exist.
    let plain = spawn_app(Opts::default()).await;
    for (method, path) in [("POST", "/ingest/v1/batch"), ("GET", "/ingest/v1/config")] {
        let r = plain
            .http
            .request(method.parse().unwrap(), format!("{}{path}", plain.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{method} {path} without an edge secret");
    }
    // With one, nothing passes without a valid signature.
    let t = spawn_app(Opts {
        ingest: IngestArgs {
            edge_secret: Some(EdgeSecret(SECRET.into())),
            ..IngestArgs::default()
        },
        ..Opts::default()
    })
    .await;
    let body = br#"{"batch_id":"x","beacons":[]}"#;
    let wrong = sign(b"not-the-secret-at-all", &SignedRequest::batch(body), now());
    let wrong_config = sign(b"not-the-secret-at-all", &SignedRequest::config(), now());
    for (sig, config_sig) in [
        (None, None),
        (Some("t=1,v1=00".to_owned()), Some("t=1,v1=00".to_owned())),
        (Some(wrong), Some(wrong_config)),
    ] {
        let mut r = t
            .http
            .post(format!("{}/ingest/v1/batch", t.base))
            .body(&body[..]);
        let mut g = t.http.get(format!("{}/ingest/v1/config", t.base));
        if let (Some(s), Some(c)) = (&sig, &config_sig) {
            r = r.header(SIGNATURE_HEADER, s);
            g = g.header(SIGNATURE_HEADER, c);
        }
        let (r, g) = (r.send().await.unwrap(), g.send().await.unwrap());
        assert!(
            matches!(r.status().as_u16(), 400 | 401),
            "batch with {sig:?}"
        );
        assert!(
            matches!(g.status().as_u16(), 400 | 401),
            "config with {config_sig:?}"
        );
    }
    // Health is public and tells nothing secret.
    for q in ["", "?format=json", "?probe=liveness"] {
        let r = t
            .http
            .get(format!("{}/healthz{q}", t.base))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "healthz{q}");
        let text = r.text().await.unwrap();
        assert!(!text.contains(SECRET), "healthz{q} leaks the edge secret");
        assert!(!text.contains("password"), "healthz{q}: {text}");
    }
    // Ingress is public but refuses unknown services.
    let r = t
        .http
        .get(format!(
            "{}/ingress/{}/script.js",
            t.base,
            uuid::Uuid::new_v4()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_planted_session_id_never_becomes_the_logged_in_session() {
    let d = spawn(Default::default()).await;
    let victim = d.user("victim@example.com", false).await;
    // The attacker plants a well-formed session id in the victim's browser, then the victim
    // logs in.
    let planted = dashboard::auth::token::new_token();
    let anon = Who::anonymous();
    let browser = Who {
        cookie: format!("{}; shynet_session={planted}", anon.cookie),
        ..anon
    };
    let r = d
        .post(
            &browser,
            "/accounts/login/",
            &[
                ("email", &victim.email),
                ("password", dashboard_support::PASSWORD),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    let issued = set_cookie(&r, "shynet_session").expect("login sets a session cookie");
    assert_ne!(issued, planted, "the session id rotates at login");
    let as_attacker = Who {
        cookie: format!("shynet_session={planted}"),
        ..Who::anonymous()
    };
    assert_eq!(
        d.get(&as_attacker, "/dashboard/").await.status(),
        302,
        "the planted id is not logged in"
    );
    let as_victim = Who {
        cookie: format!("shynet_session={issued}"),
        ..Who::anonymous()
    };
    let page = d.get(&as_victim, "/dashboard/").await;
    assert_eq!(page.status(), 200);
    // Logging in again from a logged-in browser (with its session's form token) issues yet
    // another id.
    let csrf = dashboard_support::csrf_in(&page.text().await.unwrap()).expect("a form token");
    let again = d
        .post(
            &Who {
                csrf,
                ..as_victim.clone()
            },
            "/accounts/login/",
            &[
                ("email", &victim.email),
                ("password", dashboard_support::PASSWORD),
            ],
            true,
        )
        .await;
    assert_eq!(again.status(), 303, "the second login succeeds");
    let next =
        set_cookie(&again, "shynet_session").expect("the second login sets a session cookie");
    assert_ne!(next, issued, "a second login does not keep the old id");
}

fn one_beacon(svc: uuid::Uuid) -> Beacon {
    Beacon {
        service: svc,
        time_ms: chrono::Utc::now().timestamp_millis(),
        tracker: Tracker::Pixel,
        identifier: String::new(),
        idempotency: None,
        location: "https://site.example/replayed".into(),
        referrer: String::new(),
        load_time: None,
        user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0".into(),
        visitor: VisitorKey([9; 16]),
        previous_visitor: None,
        ip: None,
        geo: Default::default(),
        event: None,
    }
}

fn edge_app_opts() -> Opts {
    Opts {
        ingest: IngestArgs {
            edge_secret: Some(EdgeSecret(SECRET.into())),
            ..IngestArgs::default()
        },
        ..Opts::default()
    }
}

#[tokio::test]
async fn edge_batch_replays_inside_or_outside_the_window_are_refused() {
    let t = spawn_app(edge_app_opts()).await;
    let svc = t.service(Svc::default()).await;
    let batch = EdgeBatch {
        batch_id: edge_protocol::batch_id(&["m1"]),
        beacons: vec![one_beacon(svc)],
        fences: vec![],
        message_ids: vec![],
        drops: vec![],
    };
    let body = serde_json::to_vec(&batch).unwrap();
    let send = |sig: String, body: Vec<u8>| {
        let http = t.http.clone();
        let url = format!("{}/ingest/v1/batch", t.base);
        async move {
            http.post(url)
                .header(SIGNATURE_HEADER, sig)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    // Captured more than 5 minutes ago (or dated in the future): refused, nothing applied.
    for skew in [-301, 301, -86_400] {
        let r = send(
            sign(
                SECRET.as_bytes(),
                &SignedRequest::batch(&body),
                now() + skew,
            ),
            body.clone(),
        )
        .await;
        assert_eq!(r.status(), 401, "skew {skew}");
    }
    assert_eq!(t.hits(svc).await, 0);
    // A fresh delivery applies; replaying the exact request inside the window is refused.
    let sig = sign(SECRET.as_bytes(), &SignedRequest::batch(&body), now());
    let first: BatchReceipt = send(sig.clone(), body.clone()).await.json().await.unwrap();
    assert!(first.applied);
    let replay = send(sig.clone(), body.clone()).await;
    assert_eq!(replay.status(), 401);
    assert!(replay.text().await.unwrap().contains("nonce already used"));
    // The edge re-sending the same batch (a queue redelivery) signs it anew: acknowledged,
    // not applied twice.
    let again = sign(SECRET.as_bytes(), &SignedRequest::batch(&body), now());
    let again: BatchReceipt = send(again, body.clone()).await.json().await.unwrap();
    assert!(!again.applied);
    // The captured signature does not cover another body or another timestamp.
    let mut other = batch.clone();
    other.batch_id = edge_protocol::batch_id(&["m2"]);
    let r = send(sig.clone(), serde_json::to_vec(&other).unwrap()).await;
    assert_eq!(r.status(), 401);
    let forged = sig.replacen("t=", &format!("t={}", 1), 1);
    assert_eq!(send(forged, body.clone()).await.status(), 401);
    assert_eq!(t.hits(svc).await, 1, "applied exactly once");
}

#[tokio::test]
async fn a_config_signature_opens_one_config_request_and_nothing_else() {
    let t = spawn_app(edge_app_opts()).await;
    let svc = t.service(Svc::default()).await;
    let get = |sig: &str| {
        t.http
            .get(format!("{}/ingest/v1/config", t.base))
            .header(SIGNATURE_HEADER, sig)
            .send()
    };
    let post = |sig: &str, body: Vec<u8>| {
        t.http
            .post(format!("{}/ingest/v1/batch", t.base))
            .header(SIGNATURE_HEADER, sig)
            .body(body)
            .send()
    };
    let captured = sign(SECRET.as_bytes(), &SignedRequest::config(), now());
    assert_eq!(get(&captured).await.unwrap().status(), 200);
    // Replayed inside the window: refused, though it would only fetch the config again.
    let r = get(&captured).await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("nonce already used"));
    // An unused config signature is no batch signature: POST with an empty body, or with one.
    let unused = sign(SECRET.as_bytes(), &SignedRequest::config(), now());
    assert_eq!(post(&unused, Vec::new()).await.unwrap().status(), 401);
    let batch = serde_json::to_vec(&EdgeBatch {
        batch_id: "cross".into(),
        beacons: vec![one_beacon(svc)],
        fences: vec![],
        message_ids: vec![],
        drops: vec![],
    })
    .unwrap();
    assert_eq!(post(&unused, batch.clone()).await.unwrap().status(), 401);
    // A signature made for another path or method (a tampered path) opens neither endpoint.
    for (method, path) in [
        ("GET", "/ingest/v1/other"),
        ("POST", edge_protocol::CONFIG_PATH),
        ("GET", edge_protocol::BATCH_PATH),
    ] {
        let req = SignedRequest {
            method,
            path,
            body: b"",
        };
        let s = sign(SECRET.as_bytes(), &req, now());
        assert_eq!(get(&s).await.unwrap().status(), 401, "{method} {path}");
        assert_eq!(
            post(&s, Vec::new()).await.unwrap().status(),
            401,
            "{method} {path}"
        );
    }
    // The untouched unused signature still opens the config: the refusals above were the
    // binding, not a burned nonce.
    assert_eq!(get(&unused).await.unwrap().status(), 200);
    assert_eq!(t.hits(svc).await, 0);
}

#[tokio::test]
async fn deleting_a_service_deletes_every_row_keyed_by_it() {
    let t = spawn_app(Opts::default()).await;
    let svc = t.service(Svc::default()).await;
    let c = t.pool.get().await.unwrap();
    // Every table with a service_id column must be emptied by the delete.
    let tables: BTreeSet<String> = c
        .query(
            "SELECT DISTINCT c.relname FROM pg_attribute a
             JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE a.attname = 'service_id' AND NOT a.attisdropped AND n.nspname = 'public'
               AND c.relkind IN ('r', 'p') AND NOT c.relispartition",
            &[],
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.get(0))
        .collect();
    let covered: BTreeSet<String> = models::services::SERVICE_DATA_TABLES
        .iter()
        .map(|s| s.to_string())
        // Foreign keys ON DELETE CASCADE.
        .chain(
            [
                "collaborators",
                "goals",
                "share_links",
                "service_alerts",
                "notify_optins",
                "notify_sent",
                "notify_outbox",
            ]
            .map(String::from),
        )
        .collect();
    assert_eq!(
        tables, covered,
        "a table keyed by service_id is not deleted with its service"
    );
    // And with data in them: a beacon, then rollups.
    let r = t
        .http
        .get(format!("{}/ingress/{svc}/pixel.gif", t.base))
        .header("x-forwarded-for", "198.51.100.4")
        .header("referer", "https://site.example/")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // And a custom event with an idempotency token (events and event_tokens).
    let r = t
        .http
        .post(format!("{}/ingress/{svc}/event", t.base))
        .header("x-forwarded-for", "198.51.100.4")
        .body(r#"{"name":"Signup","idempotency":"tok","location":"https://site.example/"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut tries = 0;
    while t.hits(svc).await == 0
        || t.count(
            "SELECT count(*) FROM event_tokens WHERE service_id = $1",
            svc,
        )
        .await
            == 0
    {
        tries += 1;
        assert!(tries < 100, "the beacon was written");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    c.execute(
        "INSERT INTO rollup_dirty (service_id, hour) VALUES ($1, date_trunc('hour', now()))",
        &[&svc],
    )
    .await
    .unwrap();
    let mut client = t.pool.get().await.unwrap();
    models::services::delete(&mut client, svc).await.unwrap();
    for table in &tables {
        let n: i64 = c
            .query_one(
                &format!("SELECT count(*) FROM {table} WHERE service_id = $1"),
                &[&svc],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 0, "{table} still holds rows of the deleted service");
    }
}
