//! Random stored traffic for the property tests that compare a fast reader with plain SQL over
//! raw rows: sessions over a span of time, each with hits up to its last view and sometimes a
//! custom event. Values come from small sets so that filters and segments select real subsets.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use tokio_postgres::Client;
use uuid::Uuid;

/// Page locations the generated hits use (one empty, as a pixel without a page may send).
pub const PAGES: [&str; 5] = [
    "https://a.example/",
    "https://a.example/blog/one",
    "https://a.example/blog/two?x=1",
    "https://a.example/docs/a",
    "",
];
/// Referrers the generated hits use.
pub const REFERRERS: [&str; 3] = ["", "https://google.com/", "https://news.example/"];

/// What to generate.
pub struct Shape {
    /// Sessions start in `[from, to)`.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// How long a session may last; a `long_share` of them may last up to `long_len`.
    pub len: Duration,
    pub long_share: f64,
    pub long_len: Duration,
    /// No session is seen after this (the tests' "now").
    pub cap: Option<DateTime<Utc>>,
    /// Event names, one of which a session may send.
    pub events: &'static [&'static str],
}

pub fn pick<'a>(rng: &mut StdRng, xs: &[&'a str]) -> &'a str {
    xs[rng.random_range(0..xs.len())]
}

fn micros(d: Duration) -> i64 {
    d.num_microseconds().unwrap_or(i64::MAX)
}

impl Shape {
    /// Inserts `n` random sessions of `svc`, each with 1–4 hits and, for two in five, an event.
    pub async fn insert(&self, c: &Client, rng: &mut StdRng, svc: Uuid, n: usize) {
        for _ in 0..n {
            let id = Uuid::new_v4();
            let start = self.from
                + Duration::microseconds(rng.random_range(0..micros(self.to - self.from)));
            let len = if rng.random_bool(self.long_share) {
                self.long_len
            } else {
                self.len
            };
            let mut last = start + Duration::microseconds(rng.random_range(0..=micros(len)));
            if let Some(cap) = self.cap {
                last = last.min(cap).max(start);
            }
            self.session(c, rng, (svc, id), (start, last)).await;
            if rng.random_bool(0.4) {
                c.execute(
                    "INSERT INTO events (service_id, session_id, session_start, start_time, name)
                     VALUES ($1, $2, $3, $3, $4)",
                    &[&svc, &id, &start, &pick(rng, self.events)],
                )
                .await
                .unwrap();
            }
        }
    }

    async fn session(
        &self,
        c: &Client,
        rng: &mut StdRng,
        (svc, id): (Uuid, Uuid),
        (start, last): (DateTime<Utc>, DateTime<Utc>),
    ) {
        let nh: i32 = rng.random_range(1..5);
        let visitor: Option<Vec<u8>> = rng
            .random_bool(0.9)
            .then(|| vec![rng.random_range(0..30u8); 16]);
        c.execute(
            "INSERT INTO sessions (id, service_id, start_time, last_seen, country, region,
                                   browser, browser_version, os, device_type, channel,
                                   utm_source, exit_page, hit_count, is_bounce, visitor, city,
                                   as_org)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                     $17, $18)",
            &[
                &id,
                &svc,
                &start,
                &last,
                &pick(rng, &["", "DE", "US", "FR"]),
                &pick(rng, &["", "Bavaria", "Texas"]),
                &pick(rng, &["", "Firefox", "Chrome"]),
                &pick(rng, &["", "124.0.1", "17.4"]),
                &pick(rng, &["", "Linux", "iOS"]),
                &pick(rng, &["DESKTOP", "PHONE"]),
                &pick(rng, &["Direct", "Organic Search", ""]),
                &pick(rng, &["", "newsletter"]),
                &pick(rng, &PAGES),
                &nh,
                &(nh == 1),
                &visitor,
                &pick(rng, &["", "Munich", "Austin"]),
                &pick(rng, &["", "Example Net", "Other AS"]),
            ],
        )
        .await
        .unwrap();
        let dur = micros(last - start);
        for i in 0..nh {
            let t = if i == 0 {
                start
            } else {
                start + Duration::microseconds(rng.random_range(0..=dur))
            };
            let load: Option<f64> = rng
                .random_bool(0.7)
                .then(|| rng.random_range(10.0..3000.0f64));
            let clean: Option<&str> = rng.random_bool(0.2).then(|| pick(rng, &PAGES));
            c.execute(
                "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen,
                                   tracker, location, referrer, load_time, location_clean)
                 VALUES ($1, $2, $3, $4, $4, 'JS', $5, $6, $7, $8)",
                &[
                    &id,
                    &svc,
                    &(i == 0),
                    &t,
                    &pick(rng, &PAGES),
                    &pick(rng, &REFERRERS),
                    &load,
                    &clean,
                ],
            )
            .await
            .unwrap();
        }
    }
}
