//! `shynet import shynet`: a source database in the original Shynet's layout
//! (`tests/fixtures/shynet_source.sql`), filled with realistic Shynet rows, imported into a fresh
//! instance. Every figure of `shynet stats` must equal what Shynet's own definitions give on the
//! source rows; old passwords and API tokens keep working; services that do not collect IPs get
//! no IPs or User-Agents; a second run imports nothing new, and a run after Shynet received more
//! traffic imports exactly that.

mod common;
mod dashboard_support;

use aggregator::import::{self, ImportShynetArgs};
use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::Pool;
use serde_json::Value;
use std::collections::BTreeMap;
use uuid::Uuid;

const OWNER_PASSWORD: &str = "an old Shynet password";
const OWNER_TOKEN: &str = "Zq3v8Kp1Lx0mN5bR7tY2wE4uI6oA9sD_fG-hJkLcVbn";
const SERVICE_A: Uuid = Uuid::from_u128(0x5a1e_0000_4000_8000_0000_0000_0000_00a1);
const SERVICE_B: Uuid = Uuid::from_u128(0x5a1e_0000_4000_8000_0000_0000_0000_00b2);
const HIDE_B: &str = r"https://(www\.)?google\..*";

/// A real Django `pbkdf2_sha256` hash, computed by Python's `hashlib` the way Django does.
fn django_hash(password: &str, salt: &str, iterations: u32) -> String {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sys,hashlib,base64;p,s,i=sys.argv[1:4];\
             print(base64.b64encode(hashlib.pbkdf2_hmac('sha256',p.encode(),s.encode(),int(i),32)).decode())",
        )
        .args([password, salt, &iterations.to_string()])
        .output()
        .expect("python3 runs");
    assert!(out.status.success());
    let key = String::from_utf8(out.stdout).unwrap();
    format!("pbkdf2_sha256${iterations}${salt}${}", key.trim())
}

/// Tiny deterministic generator (the data must be the same on every run).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

const PAGES: &[&str] = &[
    "https://a.example/",
    "https://a.example/pricing",
    "https://a.example/blog/hello",
    "https://a.example/docs/",
    "https://a.example/?utm_source=newsletter&utm_medium=email&utm_campaign=spring",
    "https://a.example/blog/hello?fbclid=abc123",
];
const REFERRERS: &[&str] = &[
    "",
    "",
    "https://www.google.com/",
    "https://news.ycombinator.com/",
    "https://t.co/xyz",
    "https://duckduckgo.com/",
];
/// (user agent, browser, os, device, device type)
const CLIENTS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0",
        "Chrome",
        "Windows",
        "Other",
        "DESKTOP",
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Mobile Safari",
        "Mobile Safari",
        "iOS",
        "iPhone",
        "PHONE",
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Firefox/121.0",
        "Firefox",
        "Mac OS X",
        "Mac",
        "DESKTOP",
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) Safari",
        "Mobile Safari",
        "iOS",
        "iPad",
        "TABLET",
    ),
    (
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "Googlebot",
        "Other",
        "Spider",
        "ROBOT",
    ),
];
const PLACES: &[(&str, &str, &str)] = &[
    ("DE", "Deutsche Telekom AG", "Europe/Berlin"),
    ("US", "Comcast Cable", "America/New_York"),
    ("FR", "Orange", "Europe/Paris"),
    ("", "", ""),
];

/// Creates the source tables and Shynet rows: three users, two services, `sessions` sessions
/// per service of 1–5 page views each, starting in the `span_secs` before `until`.
async fn fill_source(src: &Pool, sessions: usize, seed: u64, until: DateTime<Utc>, span_secs: u64) {
    let c = src.get().await.unwrap();
    let owner_hash = django_hash(OWNER_PASSWORD, "bNOCZLygk73sBEEokYzDdu", 390_000);
    c.execute(
        "INSERT INTO core_user (id, password, last_login, is_superuser, first_name, last_name,
                                is_staff, is_active, date_joined, username, email, api_token)
         VALUES (1, $1, now() - interval '3 days', true, '', '', true, true, now() - interval '400 days',
                 '914c429a-0719-4176-a31a-b5ae3c8d5c56', 'Owner@Example.com', $2),
                (2, '!Xb8c2VwLk6Lr1zIiC0ZxMIOd7G1q0a3oJk6tVz9y', NULL, false, '', '', false, true,
                 now() - interval '300 days', '0b6f0f38-0c5e-4c39-9b47-9a1f1a3f0c11', 'collab@example.com', NULL),
                (3, $3, NULL, false, '', '', false, false, now() - interval '200 days',
                 '6c0f2ad4-5f55-4a4f-8f8e-2b9d0e5b9a77', 'gone@example.com', NULL)
         ON CONFLICT DO NOTHING",
        &[&owner_hash, &OWNER_TOKEN, &django_hash("x", "oldsalt12345", 216_000)],
    )
    .await
    .unwrap();
    c.batch_execute(&format!(
        "INSERT INTO core_service VALUES
           ('{SERVICE_A}', 'Site A', now() - interval '390 days', 'https://a.example',
            'https://a.example,https://www.a.example', 'AC', 1, true, true, '10.0.0.0/8', '', false, ''),
           ('{SERVICE_B}', 'Site B', now() - interval '100 days', '', '*', 'AR', 1, false, false, '',
            '{HIDE_B}', true, 'console.log(1)')
         ON CONFLICT DO NOTHING;
         INSERT INTO core_service_collaborators (service_id, user_id) VALUES ('{SERVICE_A}', 2)
         ON CONFLICT DO NOTHING;"
    ))
    .await
    .unwrap();
    let mut rng = Rng(seed);
    for svc in [SERVICE_A, SERVICE_B] {
        for _ in 0..sessions {
            insert_session(&c, &mut rng, svc, until, span_secs).await;
        }
    }
}

async fn insert_session(
    c: &tokio_postgres::Client,
    rng: &mut Rng,
    svc: Uuid,
    until: DateTime<Utc>,
    span_secs: u64,
) {
    let id = Uuid::from_u128(((rng.next() as u128) << 64) | rng.next() as u128);
    let start = until - Duration::seconds(rng.below(span_secs) as i64);
    let (ua, browser, os, device, dtype) = *rng.pick(CLIENTS);
    let (country, asn, tz) = *rng.pick(PLACES);
    let pages = 1 + rng.below(5) as i64;
    let ip = format!("203.0.113.{}", rng.below(250));
    let mut t = start;
    let mut last = start;
    let mut hits = Vec::new();
    for i in 0..pages {
        let dwell = rng.below(120) as i64;
        let pixel = rng.below(10) == 0;
        let load: Option<f64> =
            (!pixel && rng.below(8) != 0).then(|| (100 + rng.below(2000)) as f64);
        hits.push((
            i == 0,
            t,
            t + Duration::seconds(dwell),
            (dwell / 5) as i32,
            if pixel { "PIXEL" } else { "JS" },
            rng.pick(PAGES).to_string(),
            if i == 0 && !pixel {
                rng.pick(REFERRERS).to_string()
            } else {
                String::new()
            },
            load,
        ));
        last = t + Duration::seconds(dwell);
        t = last + Duration::seconds(rng.below(60) as i64 + 1);
    }
    c.execute(
        "INSERT INTO analytics_session VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::inet,
                                               $11, $12, 13.4, 52.5, $13, $14, $15)",
        &[
            &id,
            &if rng.below(4) == 0 { "user-42" } else { "" },
            &start,
            &last,
            &ua,
            &browser,
            &device,
            &dtype,
            &os,
            &ip,
            &asn,
            &country,
            &tz,
            &svc,
            &(pages == 1),
        ],
    )
    .await
    .unwrap();
    for (initial, st, ls, hb, tracker, loc, re, lt) in hits {
        c.execute(
            "INSERT INTO analytics_hit (initial, start_time, last_seen, heartbeats, tracker,
                                        location, referrer, load_time, session_id, service_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[&initial, &st, &ls, &hb, &tracker, &loc, &re, &lt, &id, &svc],
        )
        .await
        .unwrap();
    }
}

/// A source database in Shynet's layout, and how to reach it.
async fn source_db() -> (Pool, String) {
    let (pool, cfg) = aggregator::testkit::empty_db().await.unwrap();
    let c = pool.get().await.unwrap();
    c.batch_execute(include_str!("fixtures/shynet_source.sql"))
        .await
        .unwrap();
    let host = match &cfg.get_hosts()[0] {
        tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
    };
    let url = format!(
        "host={host} port={} user={} dbname={}",
        cfg.get_ports()[0],
        cfg.get_user().unwrap(),
        cfg.get_dbname().unwrap()
    );
    (pool, url)
}

fn args(from: &str) -> ImportShynetArgs {
    ImportShynetArgs {
        from: from.to_owned(),
        services: None,
        dry_run: false,
        block_all_ips: false,
        quiet: true,
        chunk_rows: 37,
        session_memory_timeout: 1800,
    }
}

/// Shynet's figures on the source rows of a service (its definitions: sessions by start time,
/// hits by their own; bounce = one-hit session; durations from last_seen - start_time; referrers
/// from initial hits, minus those the hide pattern matches; pages keyed without tracking
/// parameters, the one grouping this instance adds).
async fn shynet_figures(src: &Pool, svc: Uuid, hide: Option<&str>) -> Value {
    let c = src.get().await.unwrap();
    let s = c
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE is_bounce),
                    avg(extract(epoch FROM last_seen - start_time))::float8
             FROM analytics_session WHERE service_id = $1",
            &[&svc],
        )
        .await
        .unwrap();
    let h = c
        .query_one(
            "SELECT count(*), avg(load_time) FROM analytics_hit WHERE service_id = $1",
            &[&svc],
        )
        .await
        .unwrap();
    let (sessions, bounces, hits): (i64, i64, i64) = (s.get(0), s.get(1), h.get(0));
    let group = |sql: String| {
        let c = &c;
        async move {
            let mut m = BTreeMap::<String, i64>::new();
            for r in c.query(&sql, &[&svc]).await.unwrap() {
                *m.entry(r.get(0)).or_default() += r.get::<_, i64>(1);
            }
            m
        }
    };
    let params: beacon::tracking_params::TrackingParams =
        beacon::tracking_params::DEFAULT_TRACKING_PARAMS
            .parse()
            .unwrap();
    let mut pages = BTreeMap::<String, i64>::new();
    for (loc, n) in group(
        "SELECT location, count(*) FROM analytics_hit WHERE service_id = $1 GROUP BY 1".into(),
    )
    .await
    {
        *pages.entry(params.clean(&loc).unwrap_or(loc)).or_default() += n;
    }
    let hide = hide.map(|p| regex::Regex::new(&format!("^(?:{p})")).unwrap());
    let referrers: BTreeMap<String, i64> = group(
        "SELECT referrer, count(*) FROM analytics_hit WHERE service_id = $1 AND initial GROUP BY 1"
            .into(),
    )
    .await
    .into_iter()
    .filter(|(k, _)| !hide.as_ref().is_some_and(|h| h.is_match(k)))
    .collect();
    let by = |col: &str| {
        format!("SELECT {col}, count(*) FROM analytics_session WHERE service_id = $1 GROUP BY 1")
    };
    serde_json::json!({
        "session_count": sessions,
        "hit_count": hits,
        "bounce_rate_pct": 100.0 * bounces as f64 / sessions as f64,
        "avg_session_duration": s.get::<_, f64>(2),
        "avg_load_time": h.get::<_, f64>(1),
        "avg_hits_per_session": hits as f64 / sessions as f64,
        "locations": pages,
        "referrers": referrers,
        "countries": group(by("country")).await,
        "browsers": group(by("browser")).await,
        "operating_systems": group(by("os")).await,
        "device_types": group(by("device_type")).await,
        "devices": group(by("device")).await,
        "networks": group(by("asn")).await,
    })
}

/// The same figures from `shynet stats` (the CLI's own function) over a window holding all rows.
async fn our_figures(pool: &Pool, svc: Uuid, now: DateTime<Utc>) -> Value {
    let start = (now - Duration::days(20)).format("%Y-%m-%d").to_string();
    let end = now.format("%Y-%m-%d").to_string();
    let v = aggregator::cli::stats(pool, svc, Some(&start), Some(&end), chrono_tz::UTC, 5000)
        .await
        .unwrap();
    let st = &v["stats"];
    let dims = st.get("dims").unwrap_or(st);
    let table = |name: &str| -> BTreeMap<String, i64> {
        dims[name]
            .as_array()
            .unwrap_or_else(|| panic!("no table {name} in {st}"))
            .iter()
            .map(|r| {
                (
                    r["key"].as_str().unwrap().to_owned(),
                    r["count"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let mut out = serde_json::json!({});
    for k in [
        "session_count",
        "hit_count",
        "bounce_rate_pct",
        "avg_session_duration",
        "avg_load_time",
        "avg_hits_per_session",
    ] {
        out[k] = st[k].clone();
    }
    for t in [
        "locations",
        "referrers",
        "countries",
        "browsers",
        "operating_systems",
        "device_types",
        "devices",
        "networks",
    ] {
        out[t] = serde_json::to_value(table(t)).unwrap();
    }
    out
}

fn assert_same(ours: &Value, shynet: &Value, what: &str) {
    for (k, want) in shynet.as_object().unwrap() {
        let got = &ours[k];
        match (got.as_f64(), want.as_f64()) {
            (Some(g), Some(w)) if !want.is_i64() => {
                assert!(
                    (g - w).abs() < 1e-6 * w.abs().max(1.0),
                    "{what} {k}: ours {g}, Shynet {w}"
                )
            }
            _ => assert_eq!(got, want, "{what} {k}"),
        }
    }
}

async fn count(pool: &Pool, sql: &str) -> i64 {
    pool.get()
        .await
        .unwrap()
        .query_one(sql, &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_shynet_database_comes_over_with_every_figure_intact() {
    let now = Utc::now();
    let (src, url) = source_db().await;
    fill_source(
        &src,
        120,
        0x9e37_79b9_7f4a_7c15,
        now - Duration::hours(3),
        10 * 86_400,
    )
    .await;
    let (pool, cfg) = common::fresh_db().await;

    // A dry run reports and writes nothing.
    let dry = import::run(
        &pool,
        &ImportShynetArgs {
            dry_run: true,
            ..args(&url)
        },
    )
    .await
    .unwrap();
    assert_eq!(dry.accounts.users_created, 3);
    assert_eq!(dry.traffic.sessions_new, 240);
    assert_eq!(count(&pool, "SELECT count(*) FROM users").await, 0);
    assert_eq!(count(&pool, "SELECT count(*) FROM sessions").await, 0);

    let first = import::run(&pool, &args(&url)).await.unwrap();
    let source_hits = count(&src, "SELECT count(*) FROM analytics_hit").await;
    assert_eq!(first.accounts.users_created, 3);
    assert_eq!(first.accounts.services_created, 2);
    assert_eq!(first.accounts.collaborators_added, 1);
    assert_eq!(first.accounts.users_needing_reset, 1);
    assert_eq!(first.traffic.sessions_new, 240);
    assert_eq!(first.traffic.hits_new as i64, source_hits);
    assert_eq!(dry.traffic.hits_new, first.traffic.hits_new);
    // Service B does not collect IPs: its 120 IPs and User-Agents were dropped and said so.
    assert_eq!(first.traffic.ips_dropped, 120);
    assert_eq!(first.traffic.user_agents_dropped, 120);
    assert_eq!(first.services_without_ips, vec![SERVICE_B]);
    assert!(
        first.lines().iter().any(|l| l.contains("120 raw IPs")),
        "{:?}",
        first.lines()
    );

    // Settings, same UUIDs.
    let c = pool.get().await.unwrap();
    let a = c
        .query_one(
            "SELECT s.name, s.origins, s.ignored_ips, s.status, s.collect_ips, u.email
             FROM services s JOIN users u ON u.id = s.owner_id WHERE s.id = $1",
            &[&SERVICE_A],
        )
        .await
        .unwrap();
    assert_eq!(a.get::<_, String>(0), "Site A");
    assert_eq!(
        a.get::<_, String>(1),
        "https://a.example, https://www.a.example"
    );
    assert_eq!(a.get::<_, String>(2), "10.0.0.0/8");
    assert_eq!(a.get::<_, String>(3), "AC");
    assert!(a.get::<_, bool>(4));
    assert_eq!(a.get::<_, String>(5), "Owner@Example.com");
    let b = c
        .query_one(
            "SELECT status, respect_dnt, ignore_robots, hide_referrer_regex, script_inject, origins
             FROM services WHERE id = $1",
            &[&SERVICE_B],
        )
        .await
        .unwrap();
    assert_eq!(b.get::<_, String>(0), "AR");
    assert!(!b.get::<_, bool>(1));
    assert!(b.get::<_, bool>(2));
    assert_eq!(b.get::<_, String>(3), HIDE_B);
    assert_eq!(b.get::<_, String>(4), "console.log(1)");
    assert_eq!(b.get::<_, String>(5), "*");
    let collab: i64 = c
        .query_one(
            "SELECT count(*) FROM collaborators k JOIN users u ON u.id = k.user_id
             WHERE k.service_id = $1 AND u.email = 'collab@example.com'",
            &[&SERVICE_A],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(collab, 1);
    let flags = c
        .query_one(
            "SELECT is_admin, is_active FROM users WHERE email = 'gone@example.com'",
            &[],
        )
        .await
        .unwrap();
    assert!(!flags.get::<_, bool>(0) && !flags.get::<_, bool>(1));

    // Privacy: IPs and User-Agents only where the service collects IPs.
    let kept = |svc: Uuid| {
        let c = &c;
        async move {
            let r = c
                .query_one(
                    "SELECT count(ip), count(NULLIF(user_agent, '')) FROM sessions WHERE service_id = $1",
                    &[&svc],
                )
                .await
                .unwrap();
            (r.get::<_, i64>(0), r.get::<_, i64>(1))
        }
    };
    assert_eq!(kept(SERVICE_A).await, (120, 120));
    assert_eq!(kept(SERVICE_B).await, (0, 0));

    // Derived at import as at ingest: campaign tags, channels, exit pages.
    let tagged: i64 = c
        .query_one(
            "SELECT count(*) FROM sessions WHERE utm_campaign = 'spring' AND channel <> ''",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(tagged > 0);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM sessions WHERE exit_page = '' OR channel = ''"
        )
        .await,
        0
    );

    // Every figure equals Shynet's on the source rows (rolled-up hours and raw rows alike).
    for (svc, hide) in [(SERVICE_A, None), (SERVICE_B, Some(HIDE_B))] {
        let want = shynet_figures(&src, svc, hide).await;
        assert_same(&our_figures(&pool, svc, now).await, &want, &svc.to_string());
    }
    assert!(count(&pool, "SELECT count(*) FROM rollup_hours").await > 0);

    // The old password logs in, once re-hashed to argon2id; the old API token works.
    let d = dashboard_support::spawn_on(pool.clone(), cfg, Default::default()).await;
    let r = d.login("owner@example.com", "a wrong password").await;
    assert_eq!(r.status(), 400);
    let r = d.login("owner@example.com", OWNER_PASSWORD).await;
    assert!(r.status().is_redirection(), "{}", r.status());
    assert!(dashboard_support::set_cookie(&r, "shynet_session").is_some());
    let stored: String = c
        .query_one(
            "SELECT password_hash FROM users WHERE email = 'Owner@Example.com'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    let r = d.login("owner@example.com", OWNER_PASSWORD).await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let r = d.api(Some(&format!("Token {OWNER_TOKEN}")), "").await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert!(body.to_string().contains(&SERVICE_A.to_string()));
    // An unusable Django password never logs in.
    let r = d
        .login(
            "collab@example.com",
            "!Xb8c2VwLk6Lr1zIiC0ZxMIOd7G1q0a3oJk6tVz9y",
        )
        .await;
    assert_eq!(r.status(), 400);

    // A second run imports nothing new and changes no figure.
    let before = (
        count(&pool, "SELECT count(*) FROM sessions").await,
        count(&pool, "SELECT count(*) FROM hits").await,
        count(&pool, "SELECT count(*) FROM users").await,
    );
    let again = import::run(&pool, &args(&url)).await.unwrap();
    assert_eq!(
        (
            again.accounts.users_created,
            again.accounts.services_created,
            again.accounts.collaborators_added
        ),
        (0, 0, 0)
    );
    assert_eq!(
        (
            again.traffic.sessions_new,
            again.traffic.sessions_updated,
            again.traffic.hits_new
        ),
        (0, 0, 0)
    );
    let after = (
        count(&pool, "SELECT count(*) FROM sessions").await,
        count(&pool, "SELECT count(*) FROM hits").await,
        count(&pool, "SELECT count(*) FROM users").await,
    );
    assert_eq!(before, after);
    for (svc, hide) in [(SERVICE_A, None), (SERVICE_B, Some(HIDE_B))] {
        let want = shynet_figures(&src, svc, hide).await;
        assert_same(
            &our_figures(&pool, svc, now).await,
            &want,
            "after a second run",
        );
    }

    // Shynet kept running: the next run copies exactly the new rows, and figures still match.
    fill_source(
        &src,
        15,
        0x1234_5678_9abc_def1,
        now - Duration::minutes(20),
        600,
    )
    .await;
    let more = import::run(&pool, &args(&url)).await.unwrap();
    assert_eq!(more.traffic.sessions_new, 30);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM hits").await,
        count(&src, "SELECT count(*) FROM analytics_hit").await
    );
    for (svc, hide) in [(SERVICE_A, None), (SERVICE_B, Some(HIDE_B))] {
        let want = shynet_figures(&src, svc, hide).await;
        assert_same(
            &our_figures(&pool, svc, now).await,
            &want,
            "after new traffic",
        );
    }
}

#[tokio::test]
async fn bad_sources_are_refused_with_a_reason_and_change_nothing() {
    let (src, url) = source_db().await;
    fill_source(&src, 3, 7, Utc::now() - Duration::hours(1), 3600).await;
    let (pool, _) = common::fresh_db().await;
    let unknown = Uuid::from_u128(42);
    let e = import::run(
        &pool,
        &ImportShynetArgs {
            services: Some(vec![unknown]),
            ..args(&url)
        },
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains(&unknown.to_string()), "{e}");
    src.get()
        .await
        .unwrap()
        .execute(
            "UPDATE core_service SET origins = 'ftp://nope' WHERE uuid = $1",
            &[&SERVICE_B],
        )
        .await
        .unwrap();
    let e = import::run(&pool, &args(&url)).await.unwrap_err();
    assert!(format!("{e:#}").contains("origins"), "{e:#}");
    assert_eq!(count(&pool, "SELECT count(*) FROM users").await, 0);
    assert_eq!(count(&pool, "SELECT count(*) FROM services").await, 0);
    // Only the selected service (and its people) when --services is given.
    let one = import::run(
        &pool,
        &ImportShynetArgs {
            services: Some(vec![SERVICE_A]),
            ..args(&url)
        },
    )
    .await
    .unwrap();
    assert_eq!(one.accounts.services_created, 1);
    assert_eq!(one.accounts.users_created, 2);
    assert_eq!(count(&pool, "SELECT count(*) FROM sessions").await, 3);
    // Not a Shynet database at all.
    let (_, empty_cfg) = aggregator::testkit::empty_db().await.unwrap();
    let host = match &empty_cfg.get_hosts()[0] {
        tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
    };
    let other = format!(
        "host={host} port={} user={} dbname={}",
        empty_cfg.get_ports()[0],
        empty_cfg.get_user().unwrap(),
        empty_cfg.get_dbname().unwrap()
    );
    let e = import::run(&pool, &args(&other)).await.unwrap_err();
    assert!(format!("{e:#}").contains("core_user"), "{e:#}");
}

#[tokio::test]
async fn an_interrupted_import_resumes_without_doubling_anything() {
    let now = Utc::now();
    let (src, url) = source_db().await;
    fill_source(&src, 20, 11, now - Duration::hours(30), 86_400).await;
    // One page view in the middle of the source that the target will refuse, as a crash would.
    let c = src.get().await.unwrap();
    let boom = Uuid::from_u128(0xb00b);
    let t = now - Duration::hours(20);
    c.execute(
        "INSERT INTO analytics_session VALUES ($1, '', $2, $2, 'UA', 'Chrome', 'Other', 'DESKTOP',
                                               'Windows', NULL, '', 'DE', NULL, NULL, '', $3, true)",
        &[&boom, &t, &SERVICE_A],
    )
    .await
    .unwrap();
    c.execute(
        "INSERT INTO analytics_hit (initial, start_time, last_seen, heartbeats, tracker, location,
                                    referrer, load_time, session_id, service_id)
         VALUES (true, $1, $1, 0, 'JS', 'https://a.example/boom', '', 300, $2, $3)",
        &[&t, &boom, &SERVICE_A],
    )
    .await
    .unwrap();
    fill_source(&src, 20, 12, now - Duration::hours(4), 3600).await;
    let (pool, _) = common::fresh_db().await;
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN IF NEW.location LIKE '%/boom' THEN RAISE EXCEPTION 'simulated crash'; END IF;
             RETURN NEW; END $$;
             CREATE TRIGGER boom BEFORE INSERT ON hits FOR EACH ROW EXECUTE FUNCTION boom();",
        )
        .await
        .unwrap();
    let e = import::run(&pool, &args(&url)).await.unwrap_err();
    assert!(format!("{e:#}").contains("simulated crash"), "{e:#}");
    let partial = count(&pool, "SELECT count(*) FROM hits").await;
    let source_hits = count(&src, "SELECT count(*) FROM analytics_hit").await;
    assert!(
        partial > 0 && partial < source_hits,
        "{partial} of {source_hits}"
    );
    // The committed chunks and the cursor agree.
    assert_eq!(
        count(
            &pool,
            "SELECT coalesce(sum(hits), 0)::int8 FROM import_cursors"
        )
        .await,
        partial
    );

    pool.get()
        .await
        .unwrap()
        .batch_execute("DROP TRIGGER boom ON hits")
        .await
        .unwrap();
    let resumed = import::run(&pool, &args(&url)).await.unwrap();
    assert_eq!(resumed.accounts.users_created, 0);
    assert_eq!(resumed.traffic.hits_new as i64, source_hits - partial);
    assert_eq!(count(&pool, "SELECT count(*) FROM hits").await, source_hits);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM sessions").await,
        count(&src, "SELECT count(*) FROM analytics_session").await
    );
    for (svc, hide) in [(SERVICE_A, None), (SERVICE_B, Some(HIDE_B))] {
        let want = shynet_figures(&src, svc, hide).await;
        assert_same(&our_figures(&pool, svc, now).await, &want, "after resuming");
    }
}
