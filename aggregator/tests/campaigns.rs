//! Campaigns, channels, clean pages, entry and exit pages, regions, cities, versions and unique
//! visitors, end to end: page views through the real ingest route, then the `stats` object of
//! `shynet stats --json` (the function behind it), key by key.

mod common;
use common::*;
use serde_json::{json, Value};
use uuid::Uuid;

const FIREFOX_UA: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";

/// A JS page view.
fn view(token: &str, location: &str, referrer: &str) -> Value {
    json!({"idempotency": token, "location": location, "referrer": referrer, "loadTime": 200})
}

async fn stats_json(t: &TestApp, svc: Uuid) -> Value {
    let v = aggregator::cli::stats(&t.pool, svc, None, None, chrono_tz::UTC, 5000)
        .await
        .unwrap();
    v["stats"].clone()
}

/// The rows of table `name` as (key, count), checking that every row has exactly the fields
/// `key` and `count`.
fn table(stats: &Value, name: &str) -> Vec<(String, i64)> {
    let rows = stats[name]
        .as_array()
        .unwrap_or_else(|| panic!("`{name}` is an array: {stats}"));
    rows.iter()
        .map(|r| {
            let o = r.as_object().unwrap();
            let mut fields: Vec<&str> = o.keys().map(String::as_str).collect();
            fields.sort_unstable();
            assert_eq!(fields, ["count", "key"], "{name}: {r}");
            (
                o["key"].as_str().unwrap().to_owned(),
                o["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn count(stats: &Value, name: &str, key: &str) -> i64 {
    table(stats, name)
        .into_iter()
        .find(|(k, _)| k == key)
        .map_or(0, |(_, n)| n)
}

#[tokio::test]
async fn campaigns_channels_pages_places_versions_and_visitors() {
    let t = spawn_app(Opts::default()).await;
    let svc = t.service(Svc::default()).await;
    let shop = "https://shop.example";
    // Visitor 1: a newsletter click, then a second page with a stray click id.
    t.js(
        svc,
        "81.2.69.160",
        CHROME_UA,
        view(
            "v1a",
            &format!(
                "{shop}/pricing?utm_source=%20Newsletter&utm_medium=EMAIL&utm_campaign=Spring+Sale\
                 &utm_term=shoes&utm_content=hero&plan=pro"
            ),
            "",
        ),
    )
    .await;
    // Visitor 2: a Google ad click.
    t.js(
        svc,
        "89.160.20.112",
        IPHONE_UA,
        view(
            "v2a",
            &format!("{shop}/pricing?plan=pro&gclid=abc"),
            "https://www.google.com/",
        ),
    )
    .await;
    // Visitor 3: from Hacker News, tagged with `ref` (not a tracking parameter by default).
    t.js(
        svc,
        "216.160.83.56",
        FIREFOX_UA,
        view(
            "v3a",
            &format!("{shop}/?ref=news.ycombinator.com"),
            "https://news.ycombinator.com/item?id=1",
        ),
    )
    .await;
    // Visitor 4: organic search; visitor 5: direct.
    t.js(
        svc,
        "81.2.69.161",
        CHROME_UA,
        view(
            "v4a",
            &format!("{shop}/pricing?plan=pro"),
            "https://duckduckgo.com/",
        ),
    )
    .await;
    t.js(
        svc,
        "81.2.69.162",
        CHROME_UA,
        view("v5a", &format!("{shop}/pricing?plan=pro"), ""),
    )
    .await;
    t.settle().await;
    // Visitor 1 goes on in a later batch: the exit page moves with the session.
    t.js(
        svc,
        "81.2.69.160",
        CHROME_UA,
        view(
            "v1b",
            &format!("{shop}/docs?fbclid=zz"),
            &format!("{shop}/pricing"),
        ),
    )
    .await;
    t.settle().await;
    assert_eq!(t.sessions(svc).await, 5);

    let s = stats_json(&t, svc).await;
    for name in [
        "utm_sources",
        "utm_mediums",
        "utm_campaigns",
        "utm_terms",
        "utm_contents",
        "channels",
        "entry_pages",
        "exit_pages",
        "regions",
        "cities",
        "browser_versions",
        "os_versions",
    ] {
        assert!(!table(&s, name).is_empty(), "{name} has rows: {s}");
    }
    assert_eq!(s["visitor_count"], 5, "{s}");
    assert_eq!(s["session_count"], 5);

    // Campaign tags, normalised; `ref` stands in for utm_source.
    assert_eq!(count(&s, "utm_sources", "newsletter"), 1);
    assert_eq!(count(&s, "utm_sources", "news.ycombinator.com"), 1);
    assert_eq!(count(&s, "utm_sources", ""), 3);
    assert_eq!(count(&s, "utm_mediums", "email"), 1);
    assert_eq!(count(&s, "utm_campaigns", "Spring Sale"), 1);
    assert_eq!(count(&s, "utm_terms", "shoes"), 1);
    assert_eq!(count(&s, "utm_contents", "hero"), 1);

    // One session per channel.
    let mut channels = table(&s, "channels");
    channels.sort();
    assert_eq!(
        channels,
        [
            ("Direct", 1),
            ("Email", 1),
            ("Organic Search", 1),
            ("Paid Search", 1),
            ("Social", 1)
        ]
        .map(|(k, n)| (k.to_owned(), n))
    );

    // Pages group without tracking parameters; the raw URLs stay stored.
    let pricing = format!("{shop}/pricing?plan=pro");
    assert_eq!(count(&s, "locations", &pricing), 4, "{}", s["locations"]);
    assert_eq!(count(&s, "locations", &format!("{shop}/docs")), 1);
    assert_eq!(
        count(
            &s,
            "locations",
            &format!("{shop}/?ref=news.ycombinator.com")
        ),
        1
    );
    assert_eq!(count(&s, "entry_pages", &pricing), 4);
    assert_eq!(count(&s, "entry_pages", &format!("{shop}/docs")), 0);
    assert_eq!(count(&s, "exit_pages", &pricing), 3);
    assert_eq!(count(&s, "exit_pages", &format!("{shop}/docs")), 1);
    {
        let c = t.pool.get().await.unwrap();
        let raw: i64 = c
            .query_one(
                "SELECT count(*) FROM hits WHERE service_id = $1
                 AND location LIKE '%utm_source=%' AND location_clean NOT LIKE '%utm_%'",
                &[&svc],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(raw, 1, "the raw location keeps its tags");
    }

    // Places and versions, keyed "parent / child".
    let c = t.pool.get().await.unwrap();
    let (country, region, city): (String, String, String) = {
        let r = c
            .query_one(
                "SELECT country, region, city FROM sessions
                 WHERE service_id = $1 AND utm_source = 'newsletter'",
                &[&svc],
            )
            .await
            .unwrap();
        (r.get(0), r.get(1), r.get(2))
    };
    assert_eq!((country.as_str(), city.as_str()), ("GB", "London"));
    assert!(!region.is_empty());
    assert!(count(&s, "regions", &format!("GB / {region}")) >= 1);
    assert!(count(&s, "cities", &format!("GB / {region} / London")) >= 1);
    assert_eq!(count(&s, "browser_versions", "Chrome / 124"), 3);
    assert_eq!(count(&s, "browser_versions", "Firefox / 125"), 1);
    assert_eq!(count(&s, "os_versions", "iOS / 17.4"), 1);
    assert_eq!(count(&s, "os_versions", "Windows / 10"), 3);
    drop(c);

    // A per-service list change applies from the next settings reload on: `ref` goes from new
    // page views only.
    {
        let c = t.pool.get().await.unwrap();
        c.execute(
            "UPDATE services SET tracking_params = 'utm_*, gclid, fbclid, ref' WHERE id = $1",
            &[&svc],
        )
        .await
        .unwrap();
    }
    t.app.services.refresh().await.unwrap();
    t.js(
        svc,
        "81.2.69.163",
        CHROME_UA,
        view(
            "v6a",
            &format!("{shop}/?ref=producthunt"),
            "https://www.producthunt.com/",
        ),
    )
    .await;
    t.settle().await;
    let s = stats_json(&t, svc).await;
    assert_eq!(count(&s, "locations", &format!("{shop}/")), 1);
    assert_eq!(
        count(
            &s,
            "locations",
            &format!("{shop}/?ref=news.ycombinator.com")
        ),
        1,
        "rows written before the change keep their grouping"
    );
    assert_eq!(count(&s, "utm_sources", "producthunt"), 1);
    assert_eq!(count(&s, "channels", "Referral"), 1);
    assert_eq!(s["visitor_count"], 6);
}

#[tokio::test]
async fn a_visitor_is_counted_once_per_day_however_many_sessions() {
    let t = spawn_app(Opts::default()).await;
    let svc = t.service(Svc::default()).await;
    for token in ["a", "b", "c"] {
        t.js(
            svc,
            "81.2.69.160",
            CHROME_UA,
            view(token, "https://e.example/", ""),
        )
        .await;
    }
    t.js(
        svc,
        "81.2.69.161",
        CHROME_UA,
        view("d", "https://e.example/", ""),
    )
    .await;
    t.settle().await;
    // A second session of the first visitor (as after the session timeout).
    let c = t.pool.get().await.unwrap();
    c.execute(
        "INSERT INTO sessions (id, service_id, start_time, last_seen, visitor)
         SELECT $2, service_id, start_time - interval '1 millisecond', last_seen,
                visitor
         FROM sessions WHERE service_id = $1 ORDER BY start_time LIMIT 1",
        &[&svc, &Uuid::new_v4()],
    )
    .await
    .unwrap();
    drop(c);
    let s = stats_json(&t, svc).await;
    assert_eq!(s["session_count"], 3);
    assert_eq!(s["visitor_count"], 2);
}
