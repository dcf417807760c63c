//! Privacy, proved against the real binary and a real `pg_dump`:
//!
//! - with IP collection off, after a realistic ingest run (page views, heartbeats, pixels,
//!   custom events in both forms, IPv4 and IPv6 visitors) the full dump of the database contains none of the client IPs and none
//!   of the raw User-Agents that were sent (a service that collects IPs is the positive control:
//!   its visitor's IP *is* found, so the search works);
//! - no salt older than 48 h exists;
//! - the stored visitor keys are HMACs under today's salt, and once the salts rotate no stored
//!   salt reproduces any of them for any (IP, User-Agent) that was sent: yesterday's visitors
//!   cannot be re-identified from what is stored.

mod support;

use aggregator::salts::SaltStore;
use beacon::visitor::{visitor_key, Salt};
use beacon::wire::VisitorKey;
use nix::sys::signal::Signal;
use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;
use support::*;

fn ua(i: usize) -> String {
    match i % 3 {
        0 => format!(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/120.0.{i}.71 Safari/537.36 PrivacyProbe{i}"
        ),
        1 => format!(
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0 PrivacyProbe{i}"
        ),
        _ => format!(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 \
             (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1 PrivacyProbe{i}"
        ),
    }
}

fn ip(i: usize) -> String {
    if i.is_multiple_of(2) {
        format!("198.51.100.{}", 10 + i)
    } else {
        format!("2001:db8:77::beef:{:x}", 0xa00 + i)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_ip_or_user_agent_in_the_dump_and_old_hashes_cannot_be_recomputed() {
    let pg = Pg::start("privacy");
    let url = pg.database("privacy").await;
    let svc = service(&url, false).await;
    let control = service(&url, true).await;
    let mut shynet = Shynet::serve(&url, &[]);
    let http = reqwest::Client::new();
    const VISITORS: usize = 40;
    let mut sent: Vec<(String, String)> = Vec::new();
    for i in 0..VISITORS {
        let (ip, ua) = (ip(i), ua(i));
        for page in 0..2 {
            let token = format!("v{i}p{page}");
            let loc = format!("https://site.example/v{i}/{page}");
            assert_eq!(
                beacon(&http, &shynet.base, svc, &ip, &ua, &token, &loc).await,
                200
            );
            // A heartbeat of the same page view.
            assert_eq!(
                beacon(&http, &shynet.base, svc, &ip, &ua, &token, &loc).await,
                200
            );
        }
        // A custom event from the page, bound to its page view.
        let r = http
            .post(format!("{}/ingress/{svc}/event", shynet.base))
            .header("x-forwarded-for", &ip)
            .header("user-agent", &ua)
            .body(
                serde_json::json!({"name": "Signup", "props": {"plan": "pro"}, "page": format!("v{i}p1"),
                    "location": format!("https://site.example/v{i}/1"), "idempotency": format!("e{i}")})
                .to_string(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        if i.is_multiple_of(4) {
            let r = http
                .get(format!(
                    "{}/ingress/{svc}/event.gif?name=Opened&p.issue={i}",
                    shynet.base
                ))
                .header("x-forwarded-for", &ip)
                .header("user-agent", &ua)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let r = http
                .get(format!("{}/ingress/{svc}/pixel.gif", shynet.base))
                .header("x-forwarded-for", &ip)
                .header("user-agent", &ua)
                .header("referer", format!("https://site.example/noscript/{i}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
        sent.push((ip, ua));
    }
    let control_ip = "192.0.2.201";
    let control_ua =
        "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0 ControlProbe";
    assert_eq!(
        beacon(
            &http,
            &shynet.base,
            control,
            control_ip,
            control_ua,
            "c",
            "https://control.example/"
        )
        .await,
        200
    );

    let c = db(&url).await;
    let expected = (VISITORS * 2 + VISITORS / 4) as i64;
    let written = until(Duration::from_secs(20), || async {
        let n: i64 = c
            .query_one("SELECT count(*) FROM hits WHERE service_id = $1", &[&svc])
            .await
            .unwrap()
            .get(0);
        let hb: i64 = c
            .query_one(
                "SELECT coalesce(sum(heartbeats), 0)::bigint FROM hits WHERE service_id = $1",
                &[&svc],
            )
            .await
            .unwrap()
            .get(0);
        let events: i64 = c
            .query_one("SELECT count(*) FROM events WHERE service_id = $1", &[&svc])
            .await
            .unwrap()
            .get(0);
        n >= expected && hb >= (VISITORS * 2) as i64 && events >= (VISITORS + VISITORS / 4) as i64
    })
    .await;
    assert!(written, "the run was stored");
    // Events have no column that could hold an address or a User-Agent.
    let columns: Vec<(String, String)> = c
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns
             WHERE table_name IN ('events', 'event_tokens')",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert!(!columns.is_empty());
    for (name, ty) in &columns {
        assert!(
            ty != "inet" && ty != "cidr" && !name.contains("ip") && !name.contains("agent"),
            "events column {name} {ty}"
        );
    }

    // The dump: the control's IP and UA are there, none of the private service's.
    let text = dump(&pg, "privacy");
    assert!(
        text.contains(control_ip),
        "positive control: a collected IP is found"
    );
    assert!(
        text.contains("ControlProbe"),
        "positive control: a collected UA is found"
    );
    for (ip, ua) in &sent {
        assert!(!text.contains(ip.as_str()), "IP {ip} is in the dump");
        let canonical: IpAddr = ip.parse().unwrap();
        assert!(
            !text.contains(&canonical.to_string()),
            "IP {canonical} is in the dump"
        );
        assert!(
            !text.contains(ua.as_str()),
            "raw User-Agent is in the dump: {ua}"
        );
    }
    assert!(
        !text.contains("PrivacyProbe"),
        "no part of a raw User-Agent is stored"
    );

    // No salt older than 48 h, and none for a day before yesterday.
    let old: i64 = c
        .query_one(
            "SELECT count(*) FROM salts WHERE created_at < now() - interval '48 hours' \
             OR day < (now() AT TIME ZONE 'UTC')::date - 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(old, 0, "no salt older than 48 h");

    // The stored keys are what we think they are: HMACs of (service, IP, UA) under a stored salt.
    let salts = |rows: Vec<tokio_postgres::Row>| -> Vec<Salt> {
        rows.into_iter()
            .map(|r| {
                let day: chrono_day::NaiveDate = r.get(0);
                let bytes: Vec<u8> = r.get(1);
                Salt {
                    day: chrono_day::days_since_epoch(day),
                    bytes: bytes.try_into().expect("32-byte salt"),
                }
            })
            .collect()
    };
    let stored_salts = salts(c.query("SELECT day, salt FROM salts", &[]).await.unwrap());
    let observed: HashSet<VisitorKey> = c
        .query(
            "SELECT visitor FROM active_sessions WHERE service_id = $1",
            &[&svc],
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let v: Vec<u8> = r.get(0);
            VisitorKey(v.try_into().expect("16-byte key"))
        })
        .collect();
    assert_eq!(observed.len(), VISITORS, "one live key per visitor");
    let recompute = |salts: &[Salt]| -> usize {
        sent.iter()
            .filter(|(ip, ua)| {
                let ip: IpAddr = ip.parse().unwrap();
                salts
                    .iter()
                    .any(|s| observed.contains(&visitor_key(s, &svc, Some(ip), ua)))
            })
            .count()
    };
    assert_eq!(
        recompute(&stored_salts),
        VISITORS,
        "today, the stored salt reproduces each visitor's key (the check below is meaningful)"
    );

    // Two days later (the maintenance job's rotation, run at a later clock): no stored salt
    // reproduces any of the keys observed today.
    shynet.signal(Signal::SIGTERM);
    assert!(shynet.wait(Duration::from_secs(30)));
    let pool = aggregator::db::make_pool(url.parse().unwrap(), 2).unwrap();
    let store = SaltStore::new(pool, 30 * 60 * 1000);
    let later = chrono_day::now_ms() + 2 * 86_400_000;
    store.rotate(later).await.unwrap();
    let after = salts(c.query("SELECT day, salt FROM salts", &[]).await.unwrap());
    assert!(!after.is_empty(), "the later day has its own salt");
    assert!(
        after
            .iter()
            .all(|s| !stored_salts.iter().any(|t| t.bytes == s.bytes)),
        "every salt of today is gone"
    );
    assert_eq!(
        recompute(&after),
        0,
        "yesterday's visitors cannot be re-identified"
    );
    let text = dump(&pg, "privacy");
    for s in &stored_salts {
        assert!(
            !text.contains(&hex::encode(s.bytes)),
            "an old salt is in the dump"
        );
    }
}

/// Small date helpers.
mod chrono_day {
    pub use chrono::NaiveDate;

    pub fn days_since_epoch(d: NaiveDate) -> i32 {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        (d - epoch).num_days() as i32
    }

    pub fn now_ms() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}
