//! Public share links against the real app and Postgres: made on the manage page, read without
//! login (page and API), noised when they have an ε, protected by a password, revoked, refused
//! to collaborators and to bad input, and bounded so anonymous floods get 429.

mod common;
mod dashboard_support;

use dashboard_support::{owner_with_service, set_cookie, spawn, Dash, Who};
use serde_json::Value;
use uuid::Uuid;

/// Adds `n` sessions of two hits each (one page) yesterday at noon (UTC, the display zone),
/// marks that hour for re-rolling, and waits until yesterday's figures include them (the
/// maintenance pass may be running meanwhile).
async fn traffic(d: &Dash, svc: Uuid, n: i64) {
    let c = d.pool.get().await.unwrap();
    c.execute(
        "WITH s AS (
            INSERT INTO sessions (id, service_id, start_time, last_seen, browser, os, device_type,
                                  country, hit_count, is_bounce)
            SELECT gen_random_uuid(), $1, now() - interval '36 hours',
                   now() - interval '35 hours',
                   'Firefox', 'Linux', 'DESKTOP', 'FR', 2, false
            FROM generate_series(1, $2::bigint) RETURNING id)
         INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker, location)
         SELECT id, $1, g = 1, now() - interval '36 hours',
                now() - interval '35 hours', 'JS',
                'https://example.com/popular'
         FROM s, generate_series(1, 2) g",
        &[&svc, &n],
    )
    .await
    .unwrap();
    c.execute(
        "INSERT INTO rollup_dirty (service_id, hour)
         VALUES ($1, now() - interval '36 hours') ON CONFLICT DO NOTHING",
        &[&svc],
    )
    .await
    .unwrap();
    stats::rollup::rewind(&**c, chrono::Utc::now() - chrono::Duration::hours(48))
        .await
        .unwrap();
    // The UTC day 36 hours ago: complete, and ended at least 12 hours ago, whatever the time of
    // day the test runs at (shares release complete days only).
    let today = (chrono::Utc::now() - chrono::Duration::hours(36) + chrono::Duration::days(1))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let yesterday = stats::window::Window {
        start: today - chrono::Duration::days(1),
        end: today,
    };
    for _ in 0..300 {
        let s = stats::scalars_many(&**c, &[svc], &yesterday).await.unwrap();
        if s.get(&svc).is_some_and(|s| s.session_count == n) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("yesterday's traffic never showed in the figures");
}

async fn share_count(d: &Dash, svc: Uuid) -> i64 {
    let c = d.pool.get().await.unwrap();
    c.query_one(
        "SELECT count(*) FROM share_links WHERE service_id = $1",
        &[&svc],
    )
    .await
    .unwrap()
    .get(0)
}

/// Creates a link on the manage page; returns its path (`/share/{token}/`).
async fn create(d: &Dash, who: &Who, svc: Uuid, form: &[(&str, &str)]) -> String {
    let mut f = vec![("action", "create")];
    f.extend_from_slice(form);
    let r = d
        .post(who, &format!("/dashboard/service/{svc}/shares/"), &f, true)
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let i = html.find("/share/").expect("the new link is shown");
    let path: String = html[i..].split('"').next().unwrap().to_owned();
    assert_eq!(path.len(), "/share/".len() + 64 + 1, "{path}");
    path
}

async fn anon_get(d: &Dash, path: &str) -> reqwest::Response {
    d.get(&Who::anonymous(), path).await
}

#[tokio::test]
async fn exact_share_is_read_only_anonymous_and_revocable() {
    let (d, owner, svc, sid) = owner_with_service("Shared Site").await;
    let path = create(&d, &owner, svc, &[]).await;

    let r = anon_get(&d, &path).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-robots-tag"], "noindex, nofollow");
    // No Referer carrying the token to other sites.
    assert_eq!(r.headers()["referrer-policy"], "same-origin");
    let html = r.text().await.unwrap();
    assert!(html.contains("Shared Site"));
    assert!(html.contains("<meta name=\"robots\" content=\"noindex"));
    assert!(
        html.contains("https://example.com/about"),
        "pages are shown"
    );
    // No sessions, no links into the dashboard.
    assert!(!html.contains(&sid.to_string()));
    assert!(!html.contains("/sessions/"));
    assert!(!html.contains("Recent sessions"));
    assert!(!html.contains("noised"));

    let api: Value = anon_get(&d, &format!("{path}api/"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(api["session_count"], 1);
    assert_eq!(api["hit_count"], 2);
    assert_eq!(api["noised"], false);
    assert!(api.get("currently_online").is_none());
    assert!(!api.to_string().contains(&sid.to_string()));

    // A malformed date is a clear 400.
    let bad = anon_get(&d, &format!("{path}api/?startDate=yesterday")).await;
    assert_eq!(bad.status(), 400);

    // Revoked: 404 for the page and the API.
    let id: i64 = {
        let c = d.pool.get().await.unwrap();
        c.query_one("SELECT id FROM share_links WHERE service_id = $1", &[&svc])
            .await
            .unwrap()
            .get(0)
    };
    let manage = d
        .get(&owner, &format!("/dashboard/service/{svc}/manage/"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        manage.contains(&format!("#{id}")),
        "the manage page lists the link"
    );
    let r = d
        .post(
            &owner,
            &format!("/dashboard/service/{svc}/shares/"),
            &[("action", "revoke"), ("id", &id.to_string())],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(anon_get(&d, &path).await.status(), 404);
    assert_eq!(anon_get(&d, &format!("{path}api/")).await.status(), 404);
    // Only its hash is stored.
    let token = path.trim_start_matches("/share/").trim_end_matches('/');
    let c = d.pool.get().await.unwrap();
    let stored: i64 = c
        .query_one(
            "SELECT count(*) FROM share_links WHERE encode(token_hash, 'hex') = $1
                OR encode(token_hash, 'escape') LIKE '%' || $1 || '%'",
            &[&token],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 0, "the token itself is not stored");
}

#[tokio::test]
async fn private_share_noises_counts_the_same_way_on_every_reload() {
    let (d, owner, svc, _) = owner_with_service("Private Site").await;
    traffic(&d, svc, 400).await;
    let path = create(&d, &owner, svc, &[("epsilon", "0.5")]).await;

    let html = anon_get(&d, &path).await.text().await.unwrap();
    assert!(html.contains("id=\"dp-notice\""));
    assert!(html.contains("ε = 0.5"));
    let a: Value = anon_get(&d, &format!("{path}api/"))
        .await
        .json()
        .await
        .unwrap();
    let b: Value = anon_get(&d, &format!("{path}api/"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a, b, "reloading gives the same noise");
    assert_eq!(a["noised"], true);
    assert_eq!(a["epsilon"], 0.5);
    let sessions = a["session_count"].as_i64().unwrap_or_else(|| panic!("{a}"));
    // 400 true sessions yesterday (today's one is not released); the noise's standard
    // deviation at ε = 0.5 is about 2.8.
    assert!((sessions - 400).abs() < 60, "{sessions}");
    assert!(a["avg_session_duration"].is_null() && a["avg_load_time"].is_null());
    let hits = a["hit_count"].as_i64().unwrap();
    // serde_json parses floats to within one unit in the last place, so not `==`.
    let avg = a["avg_hits_per_session"].as_f64().unwrap();
    assert!((avg - hits as f64 / sessions as f64).abs() < 1e-9, "{avg}");
    // The single visit's rare page is withheld or noised; the popular page is released.
    let locs = a["locations"].as_array().unwrap();
    assert!(locs
        .iter()
        .any(|r| r["location"] == "https://example.com/popular"));
    // A second link on the same data draws other noise.
    let other = create(&d, &owner, svc, &[("epsilon", "0.5")]).await;
    let o: Value = anon_get(&d, &format!("{other}api/"))
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(o, a, "another link's noise differs");
}

#[tokio::test]
async fn password_share_asks_and_throttles() {
    let (d, owner, svc, _) = owner_with_service("Locked Site").await;
    let path = create(&d, &owner, svc, &[("password", "open sesame 42")]).await;
    let stored: String = {
        let c = d.pool.get().await.unwrap();
        c.query_one(
            "SELECT password_hash FROM share_links WHERE service_id = $1",
            &[&svc],
        )
        .await
        .unwrap()
        .get(0)
    };
    assert!(stored.starts_with("$argon2id$") && !stored.contains("sesame"));

    let anon = Who::anonymous();
    let form = d.get(&anon, &path).await.text().await.unwrap();
    assert!(form.contains("type=\"password\""));
    assert!(
        !form.contains("Locked Site"),
        "nothing shown before the password"
    );
    assert_eq!(anon_get(&d, &format!("{path}api/")).await.status(), 401);
    // Wrong, then right.
    let wrong = d
        .post(&anon, &path, &[("password", "nope nope")], true)
        .await;
    assert_eq!(wrong.status(), 401);
    let right = d
        .post(&anon, &path, &[("password", "open sesame 42")], true)
        .await;
    assert_eq!(right.status(), 303);
    let id: i64 = {
        let c = d.pool.get().await.unwrap();
        c.query_one("SELECT id FROM share_links WHERE service_id = $1", &[&svc])
            .await
            .unwrap()
            .get(0)
    };
    let unlock = set_cookie(&right, &format!("shynet_share{id}")).expect("unlock cookie");
    let mut viewer = anon.clone();
    viewer.cookie = format!("{}; shynet_share{id}={unlock}", anon.cookie);
    let page = d.get(&viewer, &path).await.text().await.unwrap();
    assert!(page.contains("Locked Site"));
    // The API takes the password in a header.
    let r = d
        .http
        .get(d.url(&format!("{path}api/")))
        .header("x-share-password", "open sesame 42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Guessing backs off like logins: the link's key allows a few failures, then 429.
    let mut throttled = false;
    for _ in 0..10 {
        let r = d
            .post(&anon, &path, &[("password", "guess guess")], true)
            .await;
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"));
            throttled = true;
            break;
        }
        assert_eq!(r.status(), 401);
    }
    assert!(throttled, "password guesses are throttled");
}

#[tokio::test]
async fn only_owners_and_admins_share_and_bad_input_changes_nothing() {
    let d = spawn(Default::default()).await;
    let owner = d.user("owner@example.com", false).await;
    let collab = d.user("collab@example.com", false).await;
    let (svc, _) = d.service(&owner, Some(&collab), "Team Site").await;
    let url = format!("/dashboard/service/{svc}/shares/");
    let r = d.post(&collab, &url, &[("action", "create")], true).await;
    assert_eq!(r.status(), 403);
    for (field, value, why) in [
        ("epsilon", "abc", "epsilon"),
        ("epsilon", "0", "between"),
        ("epsilon", "100", "between"),
        ("expires", "2001-01-01", "expiry"),
        ("expires", "31/12/2099", "expiry"),
        ("password", "short", "password"),
    ] {
        let r = d
            .post(&owner, &url, &[("action", "create"), (field, value)], true)
            .await;
        assert_eq!(r.status(), 400, "{field}={value}");
        let body = r.text().await.unwrap().to_lowercase();
        assert!(body.contains(why), "{field}={value}: {body}");
    }
    let r = d.post(&owner, &url, &[("action", "create")], false).await;
    assert_eq!(r.status(), 403, "CSRF is required");
    assert_eq!(share_count(&d, svc).await, 0);
    // Unknown service: 404, and a collaborator cannot revoke the owner's link.
    let path = create(&d, &owner, svc, &[]).await;
    let r = d
        .post(
            &owner,
            &format!("/dashboard/service/{}/shares/", Uuid::new_v4()),
            &[("action", "create")],
            true,
        )
        .await;
    assert_eq!(r.status(), 404);
    let r = d
        .post(&collab, &url, &[("action", "revoke"), ("id", "1")], true)
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(anon_get(&d, &path).await.status(), 200);
    assert_eq!(share_count(&d, svc).await, 1);
}

/// With every share permit held (as by slow anonymous share requests), another share request
/// is answered 429 at once, while owners' pages and ingest keep working.
#[tokio::test]
async fn share_answers_are_bounded() {
    let (d, owner, svc, _) = owner_with_service("Popular Share").await;
    let path = create(&d, &owner, svc, &[]).await;
    let gate = d.app.dashboard.share_gate().clone();
    let held = gate
        .clone()
        .acquire_many_owned(dashboard::state::MAX_CONCURRENT_SHARES as u32)
        .await
        .unwrap();
    for p in [path.clone(), format!("{path}api/")] {
        let r = anon_get(&d, &p).await;
        assert_eq!(r.status(), 429, "{p}");
        assert!(r.headers().contains_key("retry-after"));
    }
    assert_eq!(
        d.get(&owner, &format!("/dashboard/service/{svc}/"))
            .await
            .status(),
        200
    );
    let beacon = d
        .http
        .get(d.url(&format!("/ingress/{svc}/pixel.gif")))
        .header("referer", "https://example.com/")
        .send()
        .await
        .unwrap();
    assert_eq!(beacon.status(), 200);
    drop(held);
    assert_eq!(anon_get(&d, &path).await.status(), 200);
}
