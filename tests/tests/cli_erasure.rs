//! `shynet delete` and `shynet export`, run as the real binary against a real Postgres:
//!
//! - a `pg_dump` holds a visitor's identifier and IP before the erasure (positive control) and no
//!   trace of either after it; the audit rows hold only salted argon2id hashes;
//! - totals drop and every figure, table and event count from rollups equals its raw
//!   recomputation after each kind of erasure (identifier, IP, session, date range);
//! - `--dry-run` and every kind of bad input change nothing;
//! - an export of a service that does not collect IPs has no IP or User-Agent column or value,
//!   one that does has both; bad export arguments are refused.

mod support;

use chrono::{DateTime, Duration, DurationRound, Utc};
use support::*;
use uuid::Uuid;

const VISITOR_ID: &str = "erase-me-7421";
const VISITOR_IP: &str = "203.0.113.77";
const VISITOR_UA: &str = "Mozilla/5.0 ErasureProbe/7421";

/// The commands run with UTC as the instance's zone.
const SHYNET: Cli = Cli {
    env: &[("TIME_ZONE", "UTC")],
    unset: &[],
};

/// One session with `hits` page views (the last one an hour after the start, so the session's
/// rows span two hours) and one event; with live state when `live`.
#[allow(clippy::too_many_arguments)]
async fn session(
    c: &tokio_postgres::Client,
    svc: Uuid,
    start: DateTime<Utc>,
    identifier: &str,
    ip: Option<&str>,
    ua: &str,
    hits: i32,
    live: bool,
) -> Uuid {
    let id = Uuid::new_v4();
    let last = start + Duration::minutes(61);
    c.execute(
        "INSERT INTO sessions (id, service_id, start_time, last_seen, identifier, user_agent, ip,
                               hit_count, is_bounce, country, browser, visitor)
         VALUES ($1, $2, $3, $4, $5, $6, $7::text::inet, $8, $8 = 1, 'NL', 'Firefox', '\\x01')",
        &[&id, &svc, &start, &last, &identifier, &ua, &ip, &hits],
    )
    .await
    .unwrap();
    for i in 0..hits {
        let t = if i + 1 == hits {
            last
        } else {
            start + Duration::minutes(i as i64)
        };
        let hit: i64 = c
            .query_one(
                "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker,
                                   location, referrer, load_time)
                 VALUES ($1, $2, $3, $4, $4, 'JS', $5, 'https://ref.example/', 120)
                 RETURNING id",
                &[
                    &id,
                    &svc,
                    &(i == 0),
                    &t,
                    &format!("https://site.example/p{i}"),
                ],
            )
            .await
            .unwrap()
            .get(0);
        if live && i + 1 == hits {
            c.execute(
                "INSERT INTO active_hits (service_id, idempotency, hit_id, session_id, hit_start, last_seen)
                 VALUES ($1, $2, $3, $4, $5, $5)",
                &[&svc, &format!("tok-{id}"), &hit, &id, &t],
            )
            .await
            .unwrap();
        }
    }
    c.execute(
        "INSERT INTO events (service_id, session_id, session_start, start_time, name, props, location)
         VALUES ($1, $2, $3, $3::timestamptz + interval '2 minutes', 'signup', '{\"plan\": \"pro\"}', 'https://site.example/p0')",
        &[&svc, &id, &start],
    )
    .await
    .unwrap();
    if live {
        c.execute(
            "INSERT INTO active_sessions (service_id, visitor, session_id, session_start, last_seen)
             VALUES ($1, $2, $3, $4, $5)",
            &[&svc, &id.as_bytes().to_vec(), &id, &start, &last],
        )
        .await
        .unwrap();
    }
    id
}

async fn count(c: &tokio_postgres::Client, sql: &str) -> i64 {
    c.query_one(sql, &[]).await.unwrap().get(0)
}

/// Every row count of the service's data, to prove a refused command changed nothing.
async fn fingerprint(c: &tokio_postgres::Client) -> Vec<i64> {
    let mut out = Vec::new();
    for t in [
        "sessions",
        "hits",
        "events",
        "active_sessions",
        "active_hits",
        "erasures",
    ] {
        out.push(count(c, &format!("SELECT count(*) FROM {t}")).await);
    }
    out.push(
        count(
            c,
            "SELECT coalesce(sum(sessions), 0)::int8 FROM rollup_hours",
        )
        .await,
    );
    out
}

/// Asserts that rollups and raw rows give the same figures over the whole data, and returns
/// (sessions, hits) from rollups.
async fn assert_rollups_equal_raw(
    c: &tokio_postgres::Client,
    svc: Uuid,
    base: DateTime<Utc>,
) -> (i64, i64) {
    use stats::Source;
    let w = stats::window::Window {
        start: base - Duration::days(3),
        end: Utc::now(),
    };
    let a = stats::scalars_many_with(c, &[svc], &w, Source::Auto)
        .await
        .unwrap()[&svc];
    let r = stats::scalars_many_with(c, &[svc], &w, Source::Raw)
        .await
        .unwrap()[&svc];
    assert_eq!(a.session_count, r.session_count, "sessions");
    assert_eq!(a.hit_count, r.hit_count, "hits");
    assert_eq!(a.bounce_rate_pct, r.bounce_rate_pct, "bounces");
    let ta = stats::tables_with(c, svc, &w, None, Source::Auto)
        .await
        .unwrap();
    let tr = stats::tables_with(c, svc, &w, None, Source::Raw)
        .await
        .unwrap();
    assert_eq!(ta, tr, "tables");
    let ea = stats::events::events_with(c, svc, &w, Source::Auto)
        .await
        .unwrap();
    let er = stats::events::events_with(c, svc, &w, Source::Raw)
        .await
        .unwrap();
    assert_eq!(ea, er, "events");
    let ga = stats::goals::goals_with(c, svc, &w, Source::Auto)
        .await
        .unwrap();
    let gr = stats::goals::goals_with(c, svc, &w, Source::Raw)
        .await
        .unwrap();
    assert_eq!(ga, gr, "goals");
    assert_eq!(ga.len(), 2, "both goals are answered");
    let now = Utc::now();
    let ca = stats::chart::charts_many_with(c, &[svc], &w, chrono_tz::UTC, now, Source::Auto)
        .await
        .unwrap();
    let cr = stats::chart::charts_many_with(c, &[svc], &w, chrono_tz::UTC, now, Source::Raw)
        .await
        .unwrap();
    assert_eq!(ca, cr, "charts");
    let va = stats::visitors_many(c, &[svc], &w, Source::Auto)
        .await
        .unwrap();
    let vr = stats::visitors_many(c, &[svc], &w, Source::Raw)
        .await
        .unwrap();
    assert_eq!(va, vr, "visitors");
    let hours: i64 = count(
        c,
        "SELECT coalesce(sum(sessions), 0)::int8 FROM rollup_hours",
    )
    .await;
    assert_eq!(hours, a.session_count, "rollup_hours holds every session");
    (a.session_count, a.hit_count)
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_erases_every_trace_and_keeps_totals_exact() {
    let pg = Pg::start("cli-erasure");
    let url = pg.database("erasure").await;
    let svc = service(&url, true).await;
    let s = svc.to_string();
    let c = db(&url).await;
    // 01:00 UTC two days ago: the visitor's and the others' sessions fall on that day, the late
    // one on the next, and every hour is closed (rolled up) by now.
    let base = Utc::now().duration_trunc(Duration::days(1)).unwrap() - Duration::days(2)
        + Duration::hours(1);
    // The visitor: two identified sessions (one still live) and one by IP alone.
    let mine = [
        session(
            &c,
            svc,
            base,
            VISITOR_ID,
            Some(VISITOR_IP),
            VISITOR_UA,
            3,
            false,
        )
        .await,
        session(
            &c,
            svc,
            base + Duration::hours(5),
            VISITOR_ID,
            Some(VISITOR_IP),
            VISITOR_UA,
            2,
            true,
        )
        .await,
    ];
    session(
        &c,
        svc,
        base + Duration::hours(7),
        "",
        Some(VISITOR_IP),
        VISITOR_UA,
        1,
        false,
    )
    .await;
    // Others, one of them on the next day.
    let mut others = Vec::new();
    for i in 0..5 {
        let ip = format!("198.51.100.{}", 10 + i);
        others.push(
            session(
                &c,
                svc,
                base + Duration::hours(i),
                &format!("keep-{i}"),
                Some(&ip),
                "Other/1",
                1 + i as i32 % 3,
                false,
            )
            .await,
        );
    }
    let late = session(
        &c,
        svc,
        base + Duration::hours(26),
        "keep-late",
        Some("198.51.100.99"),
        "Other/1",
        2,
        false,
    )
    .await;
    // Goals of both families: an event goal (event rollups) and a page goal (its own rollups).
    SHYNET.ok(
        &url,
        &[
            "goal",
            "add",
            "--service",
            &s,
            "--name",
            "Signup",
            "--event",
            "signup",
        ],
    );
    SHYNET.ok(
        &url,
        &[
            "goal",
            "add",
            "--service",
            &s,
            "--name",
            "P1",
            "--page",
            "/p1",
        ],
    );
    {
        let mut rc = db(&url).await;
        let p = stats::rollup::catch_up(&mut rc, 1800.0, 24 * 7, |_| {})
            .await
            .unwrap();
        assert!(!p.busy && !p.behind, "{p:?}");
    }
    let (sessions0, hits0) = assert_rollups_equal_raw(&c, svc, base).await;
    assert_eq!(sessions0, 9);

    // Positive control: the dump holds the visitor's identifier, IP and User-Agent.
    let before = dump(&pg, "erasure");
    for v in [VISITOR_ID, VISITOR_IP, VISITOR_UA] {
        assert!(
            before.contains(v),
            "the dump should contain {v} before the erasure"
        );
    }

    // Bad input: a clear error, a non-zero exit, nothing changed.
    let fp = fingerprint(&c).await;
    let unknown = Uuid::new_v4().to_string();
    SHYNET.fails(&url, &["delete", "--service", &s], "required");
    SHYNET.fails(
        &url,
        &[
            "delete",
            "--service",
            &s,
            "--identifier",
            "a",
            "--ip",
            VISITOR_IP,
        ],
        "cannot be used with",
    );
    SHYNET.fails(
        &url,
        &["delete", "--service", &s, "--ip", "203.0.113.999"],
        "is not an IP address",
    );
    SHYNET.fails(
        &url,
        &["delete", "--service", &s, "--session", "nope"],
        "is not a session id",
    );
    SHYNET.fails(
        &url,
        &[
            "delete",
            "--service",
            &s,
            "--from",
            "2024-02-10",
            "--to",
            "2024-02-01",
        ],
        "is after",
    );
    SHYNET.fails(
        &url,
        &[
            "delete",
            "--service",
            &s,
            "--from",
            "2024-02-30",
            "--to",
            "2024-03-01",
        ],
        "invalid date",
    );
    SHYNET.fails(
        &url,
        &["delete", "--service", &s, "--from", "2024-02-01"],
        "--to",
    );
    SHYNET.fails(
        &url,
        &["delete", "--service", &unknown, "--identifier", VISITOR_ID],
        "no service with id",
    );
    SHYNET.fails(
        &url,
        &["delete", "--service", "nope", "--identifier", VISITOR_ID],
        "invalid value",
    );
    SHYNET.fails(
        &url,
        &["delete", "--service", &s, "--identifier", &"x".repeat(300)],
        "longer than 256 bytes",
    );
    // A dry run prints what would go and changes nothing.
    let out = SHYNET.ok(
        &url,
        &[
            "delete",
            "--service",
            &s,
            "--identifier",
            VISITOR_ID,
            "--dry-run",
        ],
    );
    assert!(
        out.contains("would delete 2 sessions, 5 page views, 2 events, 2 live-state rows"),
        "{out}"
    );
    assert_eq!(
        fingerprint(&c).await,
        fp,
        "refused commands and dry runs changed nothing"
    );

    // By identifier, then by IP: the visitor is gone, totals drop, rollups still equal raw.
    let out = SHYNET.ok(
        &url,
        &["delete", "--service", &s, "--identifier", VISITOR_ID],
    );
    assert!(
        out.contains("deleted 2 sessions, 5 page views, 2 events, 2 live-state rows"),
        "{out}"
    );
    let (n, h) = assert_rollups_equal_raw(&c, svc, base).await;
    assert_eq!((n, h), (sessions0 - 2, hits0 - 5));
    let out = SHYNET.ok(&url, &["delete", "--service", &s, "--ip", VISITOR_IP]);
    assert!(
        out.contains("deleted 1 sessions, 1 page views, 1 events"),
        "{out}"
    );
    let after = dump(&pg, "erasure");
    for v in [VISITOR_ID, VISITOR_IP, VISITOR_UA] {
        assert!(
            !after.contains(v),
            "the dump still contains {v} after the erasure"
        );
    }
    for id in mine {
        assert!(
            !after.contains(&id.to_string()),
            "the dump still holds session {id}"
        );
    }
    assert!(
        after.contains("keep-1") && after.contains("198.51.100.11"),
        "other visitors stay"
    );

    // By session id, then a date range (the day after `base`: only the late session).
    let out = SHYNET.ok(
        &url,
        &[
            "delete",
            "--service",
            &s,
            "--session",
            &others[0].to_string(),
        ],
    );
    assert!(out.contains("deleted 1 sessions"), "{out}");
    let day = (base + Duration::hours(26)).date_naive().to_string();
    let out = SHYNET.ok(
        &url,
        &[
            "delete",
            "--service",
            &s,
            "--from",
            &day,
            "--to",
            &day,
            "--dry-run",
        ],
    );
    assert!(
        out.contains("would delete 1 sessions, 2 page views"),
        "{out}"
    );
    SHYNET.ok(
        &url,
        &["delete", "--service", &s, "--from", &day, "--to", &day],
    );
    assert_eq!(
        count(
            &c,
            &format!("SELECT count(*) FROM sessions WHERE id = '{late}'")
        )
        .await,
        0
    );
    let (n, _) = assert_rollups_equal_raw(&c, svc, base).await;
    assert_eq!(n, sessions0 - 5);
    // Deleting what is already gone deletes nothing and says so.
    let out = SHYNET.ok(
        &url,
        &["delete", "--service", &s, "--identifier", VISITOR_ID],
    );
    assert!(out.contains("deleted 0 sessions"), "{out}");

    // The audit rows: kind, counts, a salted argon2id hash, never the value.
    let rows = c
        .query(
            "SELECT selector_kind, via, sessions, selector_hash FROM erasures ORDER BY id",
            &[],
        )
        .await
        .unwrap();
    let kinds: Vec<(String, String, i64)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        kinds,
        [
            ("identifier".into(), "cli".into(), 2),
            ("ip".into(), "cli".into(), 1),
            ("session".into(), "cli".into(), 1),
            ("range".into(), "cli".into(), 1),
            ("identifier".into(), "cli".into(), 0),
        ]
    );
    let hashes: Vec<Option<String>> = rows.iter().map(|r| r.get(3)).collect();
    assert!(hashes[0].as_deref().unwrap().starts_with("$argon2id$"));
    assert_ne!(hashes[0], hashes[4], "each row has its own salt");
    assert!(hashes[3].is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn export_streams_raw_rows_without_ips_unless_collected() {
    let pg = Pg::start("cli-export");
    let url = pg.database("export").await;
    let private = service(&url, false).await;
    let collecting = service(&url, true).await;
    let c = db(&url).await;
    let base = (Utc::now() - Duration::hours(30))
        .duration_trunc(Duration::hours(1))
        .unwrap();
    for i in 0..4 {
        // A service that does not collect IPs never stores them; the rows say so.
        session(
            &c,
            private,
            base + Duration::hours(i),
            "",
            None,
            "",
            2,
            false,
        )
        .await;
    }
    session(
        &c,
        collecting,
        base,
        "",
        Some(VISITOR_IP),
        VISITOR_UA,
        1,
        false,
    )
    .await;
    let dir = pg.dir.join("exports");
    std::fs::create_dir_all(&dir).unwrap();

    // CSV: one file per table, a header, one line per row; no IP or User-Agent column.
    let csv = dir.join("private-csv");
    let out = SHYNET.ok(
        &url,
        &[
            "export",
            "--service",
            &private.to_string(),
            "--format",
            "csv",
            "--out",
            csv.to_str().unwrap(),
        ],
    );
    assert!(out.contains("exported 16 rows"), "{out}");
    let sessions = std::fs::read_to_string(csv.join("sessions.csv")).unwrap();
    let header = sessions.lines().next().unwrap();
    assert!(
        header.starts_with("id,start_time,last_seen,identifier,"),
        "{header}"
    );
    assert!(
        !header.split(',').any(|c| c == "ip" || c == "user_agent"),
        "{header}"
    );
    assert_eq!(sessions.lines().count(), 5);
    assert_eq!(
        std::fs::read_to_string(csv.join("hits.csv"))
            .unwrap()
            .lines()
            .count(),
        9
    );
    assert_eq!(
        std::fs::read_to_string(csv.join("events.csv"))
            .unwrap()
            .lines()
            .count(),
        5
    );

    // NDJSON: a window of the first two hours; every line an object with its table.
    let nd = dir.join("private.ndjson");
    let day = base.date_naive().to_string();
    SHYNET.ok(
        &url,
        &[
            "export",
            "--service",
            &private.to_string(),
            "--from",
            &day,
            "--to",
            &day,
            "--format",
            "ndjson",
            "--out",
            nd.to_str().unwrap(),
        ],
    );
    let text = std::fs::read_to_string(&nd).unwrap();
    let objs: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!objs.is_empty());
    for o in &objs {
        assert!(
            o.get("ip").is_none() && o.get("user_agent").is_none(),
            "{o}"
        );
        assert!(
            ["sessions", "hits", "events"].contains(&o["table"].as_str().unwrap()),
            "{o}"
        );
    }
    let ev = objs.iter().find(|o| o["table"] == "events").unwrap();
    assert_eq!(ev["props"]["plan"], "pro");

    // A service that collects IPs: both columns, with the values.
    let nd2 = dir.join("collecting.ndjson");
    SHYNET.ok(
        &url,
        &[
            "export",
            "--service",
            &collecting.to_string(),
            "--format",
            "ndjson",
            "--out",
            nd2.to_str().unwrap(),
        ],
    );
    let text = std::fs::read_to_string(&nd2).unwrap();
    let s: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(
        (s["ip"].as_str(), s["user_agent"].as_str()),
        (Some(VISITOR_IP), Some(VISITOR_UA))
    );

    // Bad arguments: refused, nothing written.
    let p = private.to_string();
    SHYNET.fails(
        &url,
        &[
            "export",
            "--service",
            &p,
            "--format",
            "ndjson",
            "--out",
            nd.to_str().unwrap(),
        ],
        "refusing to overwrite",
    );
    SHYNET.fails(
        &url,
        &["export", "--service", &p, "--format", "xml", "--out", "x"],
        "invalid value",
    );
    SHYNET.fails(
        &url,
        &[
            "export",
            "--service",
            &p,
            "--from",
            "2024-03-02",
            "--to",
            "2024-03-01",
            "--format",
            "csv",
            "--out",
            dir.join("r").to_str().unwrap(),
        ],
        "is after",
    );
    SHYNET.fails(
        &url,
        &[
            "export",
            "--service",
            &Uuid::new_v4().to_string(),
            "--format",
            "ndjson",
            "--out",
            dir.join("u.ndjson").to_str().unwrap(),
        ],
        "no service with id",
    );
    assert!(!dir.join("u.ndjson").exists() && !dir.join("u.ndjson.partial").exists());
}
