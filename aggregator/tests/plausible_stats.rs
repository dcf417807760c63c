//! Plausible's Stats API v1 here: a client written against Plausible's documented requests and
//! answers (`GET /api/v1/stats/{aggregate,timeseries,breakdown,realtime/visitors}` with a Bearer
//! token; `{"results": …}`; errors `{"error": …}`) gets the figures `shynet stats` reports.

mod common;
mod dashboard_support;

use aggregator::token_cli::{self, TokenCommand};
use chrono::{Duration, Utc};
use serde_json::Value;
use std::collections::BTreeMap;

fn close(a: &Value, b: &Value, what: &str) {
    let (x, y) = (a.as_f64().unwrap(), b.as_f64().unwrap_or(0.0));
    assert!(
        (x - y).abs() < 1e-9 * y.abs().max(1.0),
        "{what}: Plausible API {x}, shynet stats {y}"
    );
}

/// Our table rows keyed the way Plausible keys them, for comparison.
fn table(st: &Value, name: &str, shape: impl Fn(&str) -> Option<String>) -> BTreeMap<String, i64> {
    let mut m = BTreeMap::new();
    for r in st[name].as_array().unwrap() {
        if let Some(k) = shape(r["key"].as_str().unwrap()) {
            *m.entry(k).or_default() += r["count"].as_i64().unwrap();
        }
    }
    m
}

fn results(v: &Value, key: &str, metric: &str) -> BTreeMap<String, i64> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[key].as_str().unwrap().to_owned(),
                r[metric].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_plausible_client_gets_the_figures_shynet_stats_reports() {
    let d = dashboard_support::spawn(Default::default()).await;
    let owner = d.user("owner@example.com", false).await;
    let viewer = d.user("viewer@example.com", false).await;
    let (svc, _) = d.service(&owner, Some(&viewer), "Demo").await;
    d.pool
        .get()
        .await
        .unwrap()
        .execute(
            "UPDATE services SET link = 'https://www.demo.example/' WHERE id = $1",
            &[&svc],
        )
        .await
        .unwrap();
    aggregator::demo::run(&d.pool, svc, 3000, 10, 7, 1800.0)
        .await
        .unwrap();

    // `shynet token issue` prints a token for scripts; it replaces the previous one.
    let issue = TokenCommand::Issue {
        email: "owner@example.com".into(),
    };
    let old = token_cli::run(&d.pool, &issue).await.unwrap();
    let token = token_cli::run(&d.pool, &issue).await.unwrap();
    assert_ne!(old, token);
    let (status, body) = d.plausible(&old, "aggregate", "site_id=demo.example").await;
    assert_eq!(status, 401, "{body}");

    let today = Utc::now().date_naive();
    let (start, end) = ((today - Duration::days(12)).to_string(), today.to_string());
    let shynet =
        aggregator::cli::stats(&d.pool, svc, Some(&start), Some(&end), chrono_tz::UTC, 5000)
            .await
            .unwrap();
    let st = &shynet["stats"];
    let range = format!("period=custom&date={start},{end}");

    // Aggregate, addressed by the link's domain (www. ignored) and by id.
    for site in ["demo.example".to_owned(), svc.to_string()] {
        let (status, v) = d.plausible(
            &token,
            "aggregate",
            &format!("site_id={site}&{range}&metrics=visitors,visits,pageviews,bounce_rate,visit_duration,views_per_visit,events"),
        )
        .await;
        assert_eq!(status, 200, "{v}");
        let r = &v["results"];
        assert_eq!(r["visits"]["value"], st["session_count"]);
        assert_eq!(r["pageviews"]["value"], st["hit_count"]);
        assert_eq!(r["visitors"]["value"], st["visitor_count"]);
        close(
            &r["bounce_rate"]["value"],
            &st["bounce_rate_pct"],
            "bounce_rate",
        );
        close(
            &r["visit_duration"]["value"],
            &st["avg_session_duration"],
            "visit_duration",
        );
        close(
            &r["views_per_visit"]["value"],
            &st["avg_hits_per_session"],
            "views_per_visit",
        );
        let events: i64 = st["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["count"].as_i64().unwrap())
            .sum();
        assert!(events > 0);
        assert_eq!(
            r["events"]["value"].as_i64().unwrap(),
            st["hit_count"].as_i64().unwrap() + events
        );
    }
    // The default metric is visitors.
    let (_, v) = d
        .plausible(&token, "aggregate", &format!("site_id={svc}&{range}"))
        .await;
    assert_eq!(v["results"]["visitors"]["value"], st["visitor_count"]);

    // Timeseries: one row per day; the days add up to the window.
    let (status, v) = d
        .plausible(
            &token,
            "timeseries",
            &format!("site_id={svc}&{range}&metrics=visits,pageviews"),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let rows = v["results"].as_array().unwrap();
    assert_eq!(rows.len(), 13);
    assert_eq!(rows[0]["date"], start.as_str());
    let sum = |k: &str| rows.iter().map(|r| r[k].as_i64().unwrap()).sum::<i64>();
    assert_eq!(sum("visits"), st["session_count"].as_i64().unwrap());
    assert_eq!(sum("pageviews"), st["hit_count"].as_i64().unwrap());

    // Breakdowns: pages as paths, countries, devices, event names; paging.
    let q = |p: &str, extra: &str| format!("site_id={svc}&{range}&property={p}&limit=1000{extra}");
    let (status, v) = d
        .plausible(&token, "breakdown", &q("event:page", "&metrics=pageviews"))
        .await;
    assert_eq!(status, 200, "{v}");
    let path = |u: &str| {
        let rest = u.split_once("://").map_or(u, |x| x.1);
        let p = &rest[rest.find('/').unwrap_or(rest.len())..];
        let p = p.split(['?', '#']).next().unwrap();
        Some(if p.is_empty() {
            "/".to_owned()
        } else {
            p.to_owned()
        })
    };
    assert_eq!(
        results(&v, "page", "pageviews"),
        table(st, "locations", path)
    );
    let (_, v) = d
        .plausible(&token, "breakdown", &q("visit:country", "&metrics=visits"))
        .await;
    assert_eq!(
        results(&v, "country", "visits"),
        table(st, "countries", |k| (!k.is_empty()).then(|| k.to_owned()))
    );
    let (_, v) = d
        .plausible(&token, "breakdown", &q("visit:device", "&metrics=visits"))
        .await;
    let devices = results(&v, "device", "visits");
    assert_eq!(
        devices.values().sum::<i64>(),
        st["session_count"].as_i64().unwrap()
    );
    assert!(
        devices.contains_key("Desktop") && devices.contains_key("Mobile"),
        "{devices:?}"
    );
    let (_, v) = d
        .plausible(&token, "breakdown", &q("event:name", "&metrics=events"))
        .await;
    let names: BTreeMap<String, i64> = st["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["key"].as_str().unwrap().to_owned(),
                e["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(results(&v, "name", "events"), names);
    let (_, all) = d.plausible(&token, "breakdown", &q("event:page", "")).await;
    let (_, second) = d
        .plausible(
            &token,
            "breakdown",
            &format!("site_id={svc}&{range}&property=event:page&limit=2&page=2"),
        )
        .await;
    assert_eq!(
        second["results"].as_array().unwrap()[..],
        all["results"].as_array().unwrap()[2..4]
    );

    // Realtime: a number.
    let (status, v) = d
        .plausible(&token, "realtime/visitors", &format!("site_id={svc}"))
        .await;
    assert_eq!(status, 200);
    assert!(v.is_i64(), "{v}");
}

#[tokio::test]
async fn tokens_see_only_their_sites_and_unsupported_queries_get_plausibles_error_shape() {
    let d = dashboard_support::spawn(Default::default()).await;
    let owner = d.user("owner@example.com", false).await;
    let viewer = d.user("viewer@example.com", false).await;
    let stranger = d.user("stranger@example.com", false).await;
    let (svc, _) = d.service(&owner, Some(&viewer), "Site").await;
    let agg = format!("site_id={svc}&period=day");
    // No token, a wrong token: 401.
    let r = d
        .http
        .get(d.url(&format!("/api/v1/stats/aggregate?{agg}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].is_string());
    assert_eq!(d.plausible("nope", "aggregate", &agg).await.0, 401);
    // A collaborator may read; someone else learns nothing (404, as for a missing site).
    assert_eq!(d.plausible(&viewer.api, "aggregate", &agg).await.0, 200);
    let (status, body) = d.plausible(&stranger.api, "aggregate", &agg).await;
    assert_eq!(status, 404);
    let (status2, body2) = d
        .plausible(
            &stranger.api,
            "aggregate",
            "site_id=00000000-0000-4000-8000-000000000000",
        )
        .await;
    assert_eq!((status2, &body2), (404, &body));
    assert_eq!(
        d.plausible(
            &stranger.api,
            "realtime/visitors",
            &format!("site_id={svc}")
        )
        .await
        .0,
        404
    );
    // What this server does not answer is refused with a reason.
    for (endpoint, query, needle) in [
        (
            "aggregate",
            format!("{agg}&filters=visit:source%3D%3DGoogle"),
            "visit:source",
        ),
        (
            "aggregate",
            format!("{agg}&metrics=time_on_page"),
            "time_on_page",
        ),
        ("aggregate", format!("{agg}&metrics=nonsense"), "nonsense"),
        ("aggregate", format!("site_id={svc}&period=5y"), "5y"),
        (
            "aggregate",
            format!("site_id={svc}&period=custom&date=2024-02-01"),
            "custom",
        ),
        ("aggregate", "period=day".to_owned(), "site_id"),
        ("timeseries", format!("{agg}&interval=minute"), "minute"),
        ("breakdown", agg.clone(), "property"),
        (
            "breakdown",
            format!("{agg}&property=visit:city"),
            "visit:city",
        ),
        (
            "breakdown",
            format!("{agg}&property=event:page&metrics=bounce_rate"),
            "bounce_rate",
        ),
        (
            "breakdown",
            format!("{agg}&property=event:page&limit=5000"),
            "limit",
        ),
    ] {
        let (status, body) = d.plausible(&owner.api, endpoint, &query).await;
        assert_eq!(status, 400, "{endpoint}?{query}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(needle),
            "{endpoint}?{query}: {body}"
        );
    }
}
