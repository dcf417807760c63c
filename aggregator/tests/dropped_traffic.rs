//! The dropped-traffic report against the real app and Postgres: beacons refused or dropped
//! for DNT, GPC, robots, origins, archived services and invalid bodies are counted per
//! service, day and reason, written in one row per cell (never one write per beacon), and shown
//! in the API and on the manage page.

mod common;
mod dashboard_support;

use dashboard_support::{owner_with_service, Dash};
use serde_json::Value;
use std::collections::BTreeMap;
use uuid::Uuid;

const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

async fn beacon(d: &Dash, svc: Uuid, headers: &[(&str, &str)], body: &str) -> u16 {
    let mut r = d
        .http
        .post(d.url(&format!("/ingress/{svc}/script.js")))
        .header("content-type", "text/plain;charset=UTF-8")
        .body(body.to_owned());
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.send().await.unwrap().status().as_u16()
}

fn page() -> String {
    common::page(&Uuid::new_v4().to_string(), "https://site.example/").to_string()
}

async fn stored(d: &Dash, svc: Uuid) -> BTreeMap<String, i64> {
    let c = d.pool.get().await.unwrap();
    c.query(
        "SELECT reason, count FROM dropped_beacons WHERE service_id = $1",
        &[&svc],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

#[tokio::test]
async fn drops_are_counted_per_reason_and_shown_to_the_owner() {
    let (d, owner, svc, _) = owner_with_service("Filtered").await;
    let (archived, _) = d.service(&owner, None, "Old").await;
    {
        let c = d.pool.get().await.unwrap();
        c.execute(
            "UPDATE services SET respect_dnt = true, ignore_robots = true,
                    origins = 'https://site.example' WHERE id = $1",
            &[&svc],
        )
        .await
        .unwrap();
        c.execute(
            "UPDATE services SET status = 'AR' WHERE id = $1",
            &[&archived],
        )
        .await
        .unwrap();
    }
    let ok_origin = ("origin", "https://site.example");
    let ua = ("user-agent", BROWSER);
    for _ in 0..3 {
        assert_eq!(
            beacon(&d, svc, &[ok_origin, ua, ("dnt", "1")], &page()).await,
            200
        );
    }
    assert_eq!(
        beacon(&d, svc, &[ok_origin, ua, ("sec-gpc", "1")], &page()).await,
        200
    );
    for _ in 0..2 {
        let bot = ("user-agent", GOOGLEBOT);
        assert_eq!(beacon(&d, svc, &[ok_origin, bot], &page()).await, 200);
    }
    let evil = ("origin", "https://evil.example");
    assert_eq!(beacon(&d, svc, &[evil, ua], &page()).await, 403);
    // A flood of junk: counted in memory, one row in the end.
    for _ in 0..50 {
        assert_eq!(beacon(&d, svc, &[ok_origin, ua], "not json").await, 400);
    }
    assert_eq!(beacon(&d, archived, &[ua], &page()).await, 404);
    // A stored beacon and an unknown service count nothing.
    assert_eq!(beacon(&d, svc, &[ok_origin, ua], &page()).await, 200);
    assert_eq!(beacon(&d, Uuid::new_v4(), &[ua], &page()).await, 404);

    assert!(
        stored(&d, svc).await.is_empty(),
        "nothing is written per beacon"
    );
    let cells = d.app.flush_drops().await.unwrap();
    assert_eq!(cells, 6, "one upsert row per (service, day, reason)");
    let want: BTreeMap<String, i64> = [
        ("dnt", 3),
        ("gpc", 1),
        ("bot", 2),
        ("origin", 1),
        ("invalid", 50),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(stored(&d, svc).await, want);
    assert_eq!(
        stored(&d, archived).await,
        [("archived".to_owned(), 1)].into_iter().collect()
    );
    // A second flush adds to the same rows.
    assert_eq!(
        beacon(&d, svc, &[ok_origin, ua, ("dnt", "1")], &page()).await,
        200
    );
    d.app.flush_drops().await.unwrap();
    assert_eq!(stored(&d, svc).await["dnt"], 4);

    // The API, for the window's days.
    let token = format!("Token {}", owner.api);
    let v: Value = d
        .api(Some(&token), &format!("?uuid={svc}"))
        .await
        .json()
        .await
        .unwrap();
    let rows = v["services"][0]["dropped"].as_array().unwrap();
    let today = chrono::Utc::now().date_naive().to_string();
    let api: BTreeMap<String, i64> = rows
        .iter()
        .inspect(|r| assert_eq!(r["day"], today.as_str()))
        .map(|r| {
            (
                r["reason"].as_str().unwrap().to_owned(),
                r["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(api["dnt"], 4);
    assert_eq!(api["invalid"], 50);
    // The manage page.
    let html = d
        .get(&owner, &format!("/dashboard/service/{svc}/manage/"))
        .await
        .text()
        .await
        .unwrap();
    for (reason, label, n) in [
        ("dnt", "Do Not Track", "4"),
        ("invalid", "Invalid beacons", "50"),
        ("origin", "Origin not allowed", "1"),
    ] {
        let row =
            format!("<tr data-reason=\"{reason}\"><td>{label}</td><td class=\"num\">{n}</td></tr>");
        assert!(html.contains(&row), "{row}");
    }
    // Deleting the service deletes its counters.
    d.post(
        &owner,
        &format!("/dashboard/service/{svc}/delete/"),
        &[],
        true,
    )
    .await;
    assert!(stored(&d, svc).await.is_empty());
}
