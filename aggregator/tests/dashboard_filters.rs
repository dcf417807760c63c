//! Filters and saved segments over HTTP: the service page narrowed by `?f=` (row links that add
//! a filter, chips that remove one, the session and page lists following), bad filters answered
//! 400 with the reason on the page and in the API, the API's `filters` parameter and
//! `shynet stats --filter` giving the same figures, and segments saved and deleted only by those
//! who manage the service (CSRF-checked), shown to collaborators as quick links.

mod common;
mod dashboard_support;

use dashboard_support::{owner_with_service, spawn, Dash, Who};
use serde_json::Value;
use stats::filters::MAX_FILTERS;
use uuid::Uuid;

/// Adds a session from the US with Firefox and one page view of /blog/x.
async fn us_firefox(d: &Dash, svc: Uuid) {
    let c = d.pool.get().await.unwrap();
    let sid = Uuid::new_v4();
    c.execute(
        "INSERT INTO sessions (id, service_id, start_time, last_seen, browser, os, device_type,
                               country, as_org, hit_count, is_bounce)
         VALUES ($1, $2, now() - interval '2 hours', now() - interval '2 hours', 'Firefox',
                 'Linux', 'DESKTOP', 'US', 'Other Net', 1, true)",
        &[&sid, &svc],
    )
    .await
    .unwrap();
    c.execute(
        "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker,
                           location, referrer)
         VALUES ($1, $2, true, now() - interval '2 hours', now() - interval '2 hours', 'JS',
                 'https://example.com/blog/x', '')",
        &[&sid, &svc],
    )
    .await
    .unwrap();
    stats::rollup::rewind(&**c, chrono::Utc::now() - chrono::Duration::hours(4))
        .await
        .unwrap();
}

/// The page's HTML with the escapes handlebars puts into attributes undone.
async fn page(d: &Dash, who: &Who, path: &str) -> (u16, String) {
    let r = d.get(who, path).await;
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    (status, body.replace("&#x3D;", "=").replace("&amp;", "&"))
}

async fn api(d: &Dash, who: &Who, query: &str) -> (u16, Value) {
    let r = d.api(Some(&format!("Token {}", who.api)), query).await;
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn the_service_page_narrows_to_its_filters() {
    let (d, owner, svc, _) = owner_with_service("Site").await;
    us_firefox(&d, svc).await;
    let base = format!("/dashboard/service/{svc}/");

    let (s, all) = page(&d, &owner, &base).await;
    assert_eq!(s, 200);
    assert!(all.contains("Filter by United States") && all.contains("Filter by Germany"));
    // Every table row adds a filter on its key to this view.
    assert!(
        all.contains(&format!("href=\"{base}?f=country%3ADE\"")),
        "country row link"
    );
    assert!(all.contains(&format!("href=\"{base}?f=browser%3AFirefox\"")));
    assert!(all.contains(&format!(
        "href=\"{base}?f=page%3Ahttps%3A%2F%2Fexample.com%2Fblog%2Fx\""
    )));
    assert!(!all.contains("class=\"chip filter\""));

    let today = chrono::Utc::now().date_naive();
    let (from, to) = (today - chrono::Duration::days(2), today);
    let range = format!("startDate={from}&endDate={to}");
    let q = format!("?{range}&f=country%3ADE");
    let (s, de) = page(&d, &owner, &format!("{base}{q}")).await;
    assert_eq!(s, 200);
    assert!(!de.contains("Filter by United States"), "filtered out");
    assert!(de.contains("Filter by Germany"));
    assert!(de.contains("data-filter=\"country:DE\""), "chip");
    // The chip's link removes it and keeps the dates; other links keep the filter.
    assert!(de.contains(&format!("class=\"remove\" href=\"{base}?{range}\"")));
    assert!(de.contains(&format!("/sessions/?{range}&f=country%3ADE\"")));
    assert!(de.contains("<input type=\"hidden\" name=\"f\" value=\"country:DE\">"));
    assert!(de.contains(&format!("{base}?{range}&f=country%3ADE&f=browser%3AChrome")));
    // Two filters that no session meets together.
    let (s, none) = page(&d, &owner, &format!("{base}{q}&f=browser:Firefox")).await;
    assert_eq!(s, 200);
    assert!(!none.contains("Filter by Germany") && !none.contains("Filter by United States"));
    // The session list follows the filters.
    let (_, list) = page(
        &d,
        &owner,
        &format!("/dashboard/service/{svc}/sessions/{q}"),
    )
    .await;
    assert!(list.contains("Germany") && !list.contains("United States"));
    assert!(list.contains("1 sessions in this period"));
    let (_, pages) = page(
        &d,
        &owner,
        &format!("/dashboard/service/{svc}/locations/?f=browser:Firefox"),
    )
    .await;
    assert!(pages.contains("https://example.com/blog/x") && !pages.contains("/about"));
}

#[tokio::test]
async fn bad_filters_are_400_with_the_reason() {
    let (d, owner, svc, _) = owner_with_service("Site").await;
    let base = format!("/dashboard/service/{svc}/");
    let many = format!(
        "?{}",
        (0..=MAX_FILTERS)
            .map(|i| format!("f=city:c{i}"))
            .collect::<Vec<_>>()
            .join("&")
    );
    for (q, reason) in [
        ("?f=colour:red", "unknown filter field"),
        ("?f=country", "malformed filter"),
        ("?f=country~:D", "and referrers only"),
        (many.as_str(), "too many filters"),
    ] {
        let (s, body) = page(&d, &owner, &format!("{base}{q}")).await;
        assert_eq!(s, 400, "{q}");
        assert!(body.contains(reason), "{q}: {body}");
        let (s, body) = page(
            &d,
            &owner,
            &format!("/dashboard/service/{svc}/sessions/{q}"),
        )
        .await;
        assert_eq!(s, 400, "{q}");
        assert!(body.contains(reason));
        let api_q = q.replace("f=", "filters=");
        let (s, v) = api(
            &d,
            &owner,
            &format!("?uuid={svc}&{}", api_q.trim_start_matches('?')),
        )
        .await;
        assert_eq!(s, 400, "{api_q}");
        assert!(v["error"].as_str().unwrap().contains(reason), "{v}");
    }
}

#[tokio::test]
async fn api_and_cli_give_the_same_filtered_figures() {
    let (d, owner, svc, _) = owner_with_service("Site").await;
    us_firefox(&d, svc).await;
    // The American session sent a custom event.
    d.pool
        .get()
        .await
        .unwrap()
        .execute(
            "INSERT INTO events (service_id, session_id, session_start, start_time, name)
             SELECT service_id, id, start_time, start_time, 'signup' FROM sessions
             WHERE service_id = $1 AND country = 'US'",
            &[&svc],
        )
        .await
        .unwrap();
    let (s, all) = api(&d, &owner, &format!("?uuid={svc}")).await;
    assert_eq!(s, 200);
    assert_eq!(all["services"][0]["stats"]["session_count"], 2);
    let (s, v) = api(&d, &owner, &format!("?uuid={svc}&filters=browser:Firefox")).await;
    assert_eq!(s, 200);
    let st = &v["services"][0]["stats"];
    assert_eq!(v["filters"], serde_json::json!(["browser:Firefox"]));
    assert_eq!(
        (st["session_count"].as_i64(), st["hit_count"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        st["countries"],
        serde_json::json!([{"country": "US", "count": 1}])
    );
    // Events are those of the segment's sessions.
    assert_eq!(
        st["events"],
        serde_json::json!([{"key": "signup", "count": 1, "sessions": 1}])
    );
    let (_, de) = api(&d, &owner, &format!("?uuid={svc}&filters=country:DE")).await;
    assert_eq!(de["services"][0]["stats"]["events"], serde_json::json!([]));
    let (_, v2) = api(
        &d,
        &owner,
        &format!("?uuid={svc}&filters=browser:Firefox&filters=country:DE"),
    )
    .await;
    assert_eq!(v2["services"][0]["stats"]["session_count"], 0);
    let (_, v3) = api(&d, &owner, &format!("?uuid={svc}&filters=page~:/about")).await;
    let st3 = &v3["services"][0]["stats"];
    // Sessions with a matching page; only the matching page views.
    assert_eq!(
        (st3["session_count"].as_i64(), st3["hit_count"].as_i64()),
        (Some(1), Some(1))
    );

    let args = |f: &[&str]| aggregator::config::StatsArgs {
        service: svc,
        start: None,
        end: None,
        json: true,
        filter: f.iter().map(|s| s.to_string()).collect(),
        tracking: Default::default(),
    };
    let cli = aggregator::stats_cli::run(
        (&d.pool, &d.pool),
        &args(&["browser=Firefox"]),
        chrono_tz::UTC,
    )
    .await
    .unwrap();
    for k in [
        "session_count",
        "hit_count",
        "visitor_count",
        "bounce_rate_pct",
        "events",
    ] {
        assert_eq!(cli["stats"][k], st[k], "{k}");
    }
    // The CLI keys rows `key`, the API by the table's column.
    assert_eq!(
        cli["stats"]["countries"][0]["key"],
        st["countries"][0]["country"]
    );
    assert_eq!(
        cli["stats"]["countries"][0]["count"],
        st["countries"][0]["count"]
    );
    assert_eq!(cli["filters"], serde_json::json!(["browser=Firefox"]));
    let cli3 =
        aggregator::stats_cli::run((&d.pool, &d.pool), &args(&["page~=/about"]), chrono_tz::UTC)
            .await
            .unwrap();
    assert_eq!(cli3["stats"]["hit_count"], st3["hit_count"]);
    let err =
        aggregator::stats_cli::run((&d.pool, &d.pool), &args(&["colour=red"]), chrono_tz::UTC)
            .await
            .unwrap_err();
    assert!(
        format!("{err:#}").contains("unknown filter field"),
        "{err:#}"
    );
    assert!(aggregator::stats_cli::filters(&args(&["country:DE"])).is_err());
}

async fn segment_names(d: &Dash, svc: Uuid) -> Vec<String> {
    let c = d.pool.get().await.unwrap();
    c.query(
        "SELECT name FROM segments WHERE service_id = $1 ORDER BY name",
        &[&svc],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

#[tokio::test]
async fn segments_are_saved_by_managers_and_shown_to_collaborators() {
    let d = spawn(Default::default()).await;
    let owner = d.user("owner@example.com", false).await;
    let collab = d.user("collab@example.com", false).await;
    let stranger = d.user("stranger@example.com", false).await;
    let (svc, _) = d.service(&owner, Some(&collab), "Site").await;
    let path = format!("/dashboard/service/{svc}/segments/");
    let save = [
        ("action", "save"),
        ("name", "Germans on Chrome"),
        ("f", "country:DE"),
        ("f", "browser:Chrome"),
    ];
    // Not without CSRF, not by a collaborator or a stranger, not anonymously.
    assert_eq!(d.post(&owner, &path, &save, false).await.status(), 403);
    assert_eq!(d.post(&collab, &path, &save, true).await.status(), 403);
    assert_eq!(d.post(&stranger, &path, &save, true).await.status(), 404);
    let anon = d.post(&Who::anonymous(), &path, &save, true).await;
    assert!(anon.status().is_redirection());
    assert!(segment_names(&d, svc).await.is_empty());
    // Bad input changes nothing.
    for bad in [
        vec![("action", "save"), ("name", "x"), ("f", "colour:red")],
        vec![("action", "save"), ("name", "x")],
        vec![("action", "save"), ("name", ""), ("f", "country:DE")],
        vec![("action", "rename")],
    ] {
        assert_eq!(
            d.post(&owner, &path, &bad, true).await.status(),
            400,
            "{bad:?}"
        );
    }
    assert!(segment_names(&d, svc).await.is_empty());

    let r = d.post(&owner, &path, &save, true).await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.ends_with("?f=country%3ADE&f=browser%3AChrome"), "{to}");
    assert_eq!(
        d.post(&owner, &path, &save, true).await.status(),
        400,
        "same name"
    );
    assert_eq!(segment_names(&d, svc).await, ["Germans on Chrome"]);

    // A collaborator sees the quick link, without a delete button.
    let (_, html) = page(&d, &collab, &format!("/dashboard/service/{svc}/")).await;
    assert!(html.contains(&format!(
        "class=\"segment\" href=\"/dashboard/service/{svc}/?f=country%3ADE&f=browser%3AChrome\""
    )));
    assert!(!html.contains("Delete segment"));
    let (_, html) = page(&d, &owner, &format!("/dashboard/service/{svc}/")).await;
    assert!(html.contains("Delete segment Germans on Chrome"));

    let c = d.pool.get().await.unwrap();
    let id: i64 = c
        .query_one("SELECT id FROM segments WHERE service_id = $1", &[&svc])
        .await
        .unwrap()
        .get(0);
    let id = id.to_string();
    let del = [("action", "delete"), ("id", id.as_str())];
    assert_eq!(d.post(&collab, &path, &del, true).await.status(), 403);
    // Another service's path cannot delete it.
    let (other, _) = d.service(&owner, None, "Other").await;
    let other_path = format!("/dashboard/service/{other}/segments/");
    assert_eq!(d.post(&owner, &other_path, &del, true).await.status(), 404);
    assert_eq!(segment_names(&d, svc).await.len(), 1);
    assert_eq!(d.post(&owner, &path, &del, true).await.status(), 303);
    assert!(segment_names(&d, svc).await.is_empty());
}

/// Plausible's Stats API v1 `filters` give what our API gives for the same segment.
#[tokio::test]
async fn plausible_filters_map_onto_the_same_segment() {
    let (d, owner, svc, _) = owner_with_service("Site").await;
    us_firefox(&d, svc).await;
    let get = |q: String| {
        let d = &d;
        let token = owner.api.clone();
        async move {
            let r = d
                .http
                .get(d.url(&format!("/api/v1/stats/{q}")))
                .header("authorization", format!("Bearer {token}"))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let agg = format!("aggregate?site_id={svc}&period=7d&metrics=visits,pageviews,visitors");
    for (plausible, ours) in [
        ("visit:country%3D%3DDE", "filters=country:DE"),
        ("visit:browser!%3DChrome", "filters=browser!:Chrome"),
        ("event:page%3D%3D/blog**", "filters=page_path^:/blog"),
        ("event:page%3D%3D/about", "filters=page_path:/about"),
        (
            "visit:country%3D%3DDE;visit:device%3D%3DDesktop",
            "filters=country:DE&filters=device_type:DESKTOP",
        ),
    ] {
        let (s, v) = get(format!("{agg}&filters={plausible}")).await;
        assert_eq!(s, 200, "{plausible}: {v}");
        let from = chrono::Utc::now().date_naive() - chrono::Duration::days(6);
        let (_, o) = api(&d, &owner, &format!("?uuid={svc}&startDate={from}&{ours}")).await;
        let st = &o["services"][0]["stats"];
        assert_eq!(
            v["results"]["visits"]["value"], st["session_count"],
            "{plausible}"
        );
        assert_eq!(
            v["results"]["pageviews"]["value"], st["hit_count"],
            "{plausible}"
        );
        assert_eq!(
            v["results"]["visitors"]["value"], st["visitor_count"],
            "{plausible}"
        );
    }
    // A breakdown of the filtered segment.
    let (s, v) = get(format!(
        "breakdown?site_id={svc}&period=7d&property=event:page&filters=visit:browser%3D%3DFirefox"
    ))
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["results"],
        serde_json::json!([{"page": "/blog/x", "pageviews": 1}])
    );
    // What it cannot answer exactly: 400 in Plausible's shape.
    for (f, says) in [
        ("visit:source%3D%3DGoogle", "visit:source"),
        ("visit:country%3D%3DDE|FR", "Alternatives"),
        ("event:page%3D%3D/a*b", "not supported"),
    ] {
        let (s, v) = get(format!("{agg}&filters={f}")).await;
        assert_eq!(s, 400, "{f}");
        assert!(v["error"].as_str().unwrap().contains(says), "{f}: {v}");
    }
    let (s, v) = get(format!(
        "aggregate?site_id={svc}&metrics=events&filters=visit:country%3D%3DDE"
    ))
    .await;
    assert_eq!(s, 400);
    assert!(v["error"].as_str().unwrap().contains("events"));
}
