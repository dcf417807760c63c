//! Alerts and reports end to end: hourly rollups written directly for past weeks (a steady
//! pattern), an outage and a spike in the newest closed hour, the notification job run by two
//! replicas at once; the mails arrive over a real SMTP server (aiosmtpd) and the webhook bodies
//! at a tiny local HTTP receiver, whose HMAC signatures are checked. Reports carry a signed
//! unsubscribe link that works logged out and cannot be forged; SMTP failures are retried.

mod common;
mod dashboard_support;
mod smtp_support;

use aggregator::notify::context::Notifier;
use aggregator::notify::webhook;
use chrono::{DateTime, Duration, Utc};
use dashboard_support::{spawn, Dash, Who};
use models::notify::AlertEdit;
use smtp_support::{unqp, Smtp, MAIL_TIMEOUT};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

const SITE: &str = "http://stats.test";
const BRAND: &str = "Acme Analytics";

/// One request the receiver got: lower-cased headers and the body.
type Got = (HashMap<String, String>, String);

/// A local HTTP server that records every POST and answers 200.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    async fn start() -> Receiver {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", l.local_addr().unwrap());
        let got: Arc<Mutex<Vec<Got>>> = Arc::default();
        let sink = got.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                let sink = sink.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut tmp = [0u8; 4096];
                    let (head, body) = loop {
                        let n = s.read(&mut tmp).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&tmp[..n]);
                        let text = String::from_utf8_lossy(&buf).into_owned();
                        if let Some((head, body)) = text.split_once("\r\n\r\n") {
                            let len = head
                                .lines()
                                .find_map(|l| {
                                    let (k, v) = l.split_once(':')?;
                                    k.eq_ignore_ascii_case("content-length")
                                        .then(|| v.trim().parse::<usize>().ok())?
                                })
                                .unwrap_or(0);
                            if body.len() >= len {
                                break (head.to_owned(), body.to_owned());
                            }
                        }
                    };
                    let headers = head
                        .lines()
                        .skip(1)
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                        .collect();
                    sink.lock().unwrap().push((headers, body));
                    let _ = s
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                        )
                        .await;
                });
            }
        });
        Receiver { url, got }
    }

    fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }

    /// Waits until `n` requests arrived and returns them.
    async fn wait_for(&self, n: usize) -> Vec<Got> {
        let deadline = Instant::now() + MAIL_TIMEOUT;
        loop {
            let got = self.got.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "only {} webhook calls",
                got.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

fn args(smtp_port: u16) -> dashboard::DashboardArgs {
    dashboard::DashboardArgs {
        dashboard_url: Some(SITE.into()),
        whitelabel: BRAND.into(),
        email_host: Some("127.0.0.1".into()),
        email_port: smtp_port,
        email_use_ssl: false,
        email_use_tls: false,
        webhook_allow_private: true,
        ..Default::default()
    }
}

/// A notification job runner of its own (another replica), on its own pool.
fn replica(d: &Dash, a: dashboard::DashboardArgs) -> (deadpool_postgres::Pool, Notifier) {
    let pool = aggregator::db::make_pool(d.cfg.clone(), 4).unwrap();
    let state = dashboard::DashboardState::new(
        pool.clone(),
        dashboard::DashboardSettings {
            args: a,
            time_zone: chrono_tz::UTC,
            heartbeat_ms: 5000,
            block_all_ips: false,
            ip_headers: Vec::new(),
            proxy_trust: Default::default(),
        },
    )
    .unwrap();
    (pool, Notifier::new(state))
}

/// The newest closed hour, once the app's first rollup pass has set the watermark, and a
/// connection holding the watermark row: the app's rollup job skips its passes while it is held
/// (as it does for another replica), so the hour judged cannot move on (and re-roll the rows
/// written here) if the test runs across an hour's close.
async fn closed_hour(d: &Dash) -> (DateTime<Utc>, deadpool_postgres::Object) {
    let deadline = Instant::now() + MAIL_TIMEOUT;
    loop {
        let c = d.pool.get().await.unwrap();
        c.batch_execute("BEGIN").await.unwrap();
        let w: Option<DateTime<Utc>> = c
            .query_one(
                "SELECT watermark FROM rollup_state WHERE id FOR UPDATE",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if let Some(w) = w {
            return (w - Duration::hours(1), c);
        }
        c.batch_execute("ROLLBACK").await.unwrap();
        assert!(Instant::now() < deadline, "the rollup job set no watermark");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A service created two months ago with `base` page views in the same hour of each of the
/// last six weeks and `now` in `hour` itself (None: no row at all).
async fn seasonal_service(
    d: &Dash,
    owner: &Who,
    collab: &Who,
    name: &str,
    hour: DateTime<Utc>,
    base: i64,
    now: Option<i64>,
) -> Uuid {
    // Made here rather than with `Dash::service`, which rewinds the rollup watermark (the
    // job would then re-roll, and empty, the hours written below).
    let svc = Uuid::new_v4();
    let c = d.pool.get().await.unwrap();
    c.execute(
        "INSERT INTO services (id, name, owner_id, created_at)
         VALUES ($1, $2, $3, now() - interval '60 days')",
        &[&svc, &name, &owner.id],
    )
    .await
    .unwrap();
    c.execute(
        "INSERT INTO collaborators (service_id, user_id) VALUES ($1, $2)",
        &[&svc, &collab.id],
    )
    .await
    .unwrap();
    for w in 1..=6 {
        put_hour(d, svc, hour - Duration::weeks(w), base + w % 3).await;
    }
    if let Some(n) = now {
        put_hour(d, svc, hour, n).await;
    }
    svc
}

async fn put_hour(d: &Dash, svc: Uuid, hour: DateTime<Utc>, hits: i64) {
    let c = d.pool.get().await.unwrap();
    c.execute(
        "INSERT INTO rollup_hours (service_id, hour, sessions, bounces, duration_us, hits,
             load_time_sum, load_time_count)
         VALUES ($1, $2, $3, 0, 0, $3, 0, 0)
         ON CONFLICT (service_id, hour) DO UPDATE SET hits = $3, sessions = $3",
        &[&svc, &hour, &hits],
    )
    .await
    .unwrap();
}

async fn enable(d: &Dash, svc: Uuid, url: &str, slack: bool) -> String {
    let c = d.pool.get().await.unwrap();
    models::notify::save_settings(
        &**c,
        svc,
        &AlertEdit {
            enabled: true,
            weeks: 4,
            threshold: 5.0,
            min_volume: 20.0,
            webhook_url: url,
            webhook_slack: slack,
        },
        &format!("secret-{svc}"),
    )
    .await
    .unwrap();
    models::notify::settings(&**c, svc)
        .await
        .unwrap()
        .unwrap()
        .secret
}

async fn opt_in(d: &Dash, svc: Uuid, who: &Who, which: (bool, bool, bool)) {
    let c = d.pool.get().await.unwrap();
    models::notify::set_optins(&**c, svc, who.id, which)
        .await
        .unwrap();
}

async fn sql_count(d: &Dash, sql: &str) -> i64 {
    let c = d.pool.get().await.unwrap();
    c.query_one(sql, &[]).await.unwrap().get(0)
}

/// Waits until every queued message is settled (a replica may still be committing).
async fn outbox_drained(d: &Dash) {
    let deadline = Instant::now() + MAIL_TIMEOUT;
    while sql_count(d, "SELECT count(*) FROM notify_outbox").await > 0 {
        assert!(Instant::now() < deadline, "messages stay queued");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn rcpt(raw: &str) -> String {
    raw.lines()
        .find_map(|l| l.strip_prefix("X-RcptTo: "))
        .unwrap()
        .trim()
        .to_owned()
}

fn subject(raw: &str) -> String {
    raw.lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap()
        .trim()
        .to_owned()
}

/// Checks a webhook's signature and freshness as a receiver should, and returns its body.
fn verified(g: &Got, secret: &str) -> serde_json::Value {
    let (h, body) = g;
    let ts: i64 = h["x-shynet-timestamp"].parse().unwrap();
    assert!((Utc::now().timestamp() - ts).abs() < 300, "stale timestamp");
    assert_eq!(
        h["x-shynet-signature"],
        webhook::sign(secret, ts, body.as_bytes())
    );
    assert_ne!(
        h["x-shynet-signature"],
        webhook::sign("wrong", ts, body.as_bytes())
    );
    serde_json::from_str(body).unwrap()
}

#[tokio::test]
async fn outage_and_spike_alert_once_over_mail_and_signed_webhook_with_two_replicas() {
    let mut smtp = Smtp::start().await;
    let hook = Receiver::start().await;
    let d = spawn(args(smtp.port)).await;
    let owner = d.user("owner@example.com", false).await;
    let collab = d.user("collab@example.com", false).await;
    let quiet = d.user("quiet@example.com", false).await;
    let (hour, _pinned) = closed_hour(&d).await;
    let busy = seasonal_service(&d, &owner, &collab, "Busy shop", hour, 120, None).await;
    let viral = seasonal_service(&d, &owner, &collab, "Viral blog", hour, 100, Some(2500)).await;
    let calm = seasonal_service(&d, &owner, &collab, "Calm", hour, 100, Some(104)).await;
    let busy_secret = enable(&d, busy, &hook.url, false).await;
    let viral_secret = enable(&d, viral, &hook.url, true).await;
    enable(&d, calm, &hook.url, false).await;
    for s in [busy, viral, calm] {
        opt_in(&d, s, &owner, (true, false, false)).await;
        opt_in(&d, s, &collab, (true, false, false)).await;
    }
    // A user who opted in but is neither owner nor collaborator is never mailed.
    opt_in(&d, busy, &quiet, (true, true, true)).await;

    let (pool_a, a) = replica(&d, args(smtp.port));
    let (pool_b, b) = replica(&d, args(smtp.port));
    let (ra, rb) = tokio::join!(
        aggregator::jobs::notify_once(&pool_a, &a),
        aggregator::jobs::notify_once(&pool_b, &b)
    );
    ra.unwrap();
    rb.unwrap();
    // Again, and once more later: the episode is open, nothing new is sent.
    aggregator::jobs::notify_once(&pool_a, &a).await.unwrap();
    aggregator::jobs::notify_once(&pool_b, &b).await.unwrap();

    let mut mails = Vec::new();
    for _ in 0..4 {
        mails.push(smtp.next_mail().await);
    }
    let calls = hook.wait_for(2).await;
    let mut by: Vec<(String, String)> = mails.iter().map(|m| (rcpt(m), subject(m))).collect();
    by.sort();
    assert_eq!(
        by.iter()
            .filter(|(_, s)| s.contains("Busy shop") && s.contains("no page views"))
            .count(),
        2,
        "{by:?}"
    );
    assert_eq!(
        by.iter()
            .filter(|(_, s)| s.contains("Viral blog") && s.contains("spiked"))
            .count(),
        2,
        "{by:?}"
    );
    assert!(
        by.iter().all(|(_, s)| s.starts_with(&format!("[{BRAND}]"))),
        "{by:?}"
    );
    assert_eq!(
        by.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>(),
        [
            "collab@example.com",
            "collab@example.com",
            "owner@example.com",
            "owner@example.com"
        ]
    );
    let body = unqp(&mails[0]);
    assert!(
        body.contains("text/plain") && body.contains("text/html"),
        "{body}"
    );
    assert!(
        body.contains(&format!("{SITE}/dashboard/service/")),
        "{body}"
    );

    let mut full = None;
    let mut slack = None;
    for g in &calls {
        if g.1.contains("\"kind\"") {
            full = Some(verified(g, &busy_secret));
        } else {
            slack = Some(verified(g, &viral_secret));
        }
    }
    let full = full.expect("the outage webhook");
    assert_eq!(full["event"], "alert");
    assert_eq!(full["kind"], "outage");
    assert_eq!(full["service"], busy.to_string());
    assert_eq!(full["page_views"], 0.0);
    let slack = slack.expect("the Slack-style webhook");
    assert_eq!(slack.as_object().unwrap().len(), 1, "{slack}");
    assert!(slack["text"].as_str().unwrap().contains("Viral blog"));

    outbox_drained(&d).await;
    assert_eq!(
        sql_count(&d, "SELECT count(*) FROM notify_sent WHERE kind = 'alert'").await,
        2
    );
    assert_eq!(smtp.count(), 4);
    assert_eq!(hook.count(), 2);

    // The outage ends: the hour is judged again with normal traffic → one recovery notice.
    put_hour(&d, busy, hour, 118).await;
    {
        let c = d.pool.get().await.unwrap();
        c.execute(
            "UPDATE service_alerts SET last_hour = $2 WHERE service_id = $1",
            &[&busy, &(hour - Duration::hours(1))],
        )
        .await
        .unwrap();
    }
    let (ra, rb) = tokio::join!(
        aggregator::jobs::notify_once(&pool_a, &a),
        aggregator::jobs::notify_once(&pool_b, &b)
    );
    ra.unwrap();
    rb.unwrap();
    let r1 = smtp.next_mail().await;
    let r2 = smtp.next_mail().await;
    for r in [&r1, &r2] {
        assert!(
            subject(r).contains("Busy shop: back to normal"),
            "{}",
            subject(r)
        );
    }
    let calls = hook.wait_for(3).await;
    let rec = verified(&calls[2], &busy_secret);
    assert_eq!(rec["event"], "recovery");
    outbox_drained(&d).await;
    assert_eq!(smtp.count(), 6);
    assert_eq!(hook.count(), 3);
    let c = d.pool.get().await.unwrap();
    let open: Option<String> = c
        .query_one(
            "SELECT open_kind FROM service_alerts WHERE service_id = $1",
            &[&busy],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(open, None);
}

#[tokio::test]
async fn weekly_report_with_unsubscribe_that_works_logged_out_and_cannot_be_forged() {
    let mut smtp = Smtp::start().await;
    let d = spawn(args(smtp.port)).await;
    let owner = d.user("owner@example.com", false).await;
    let collab = d.user("collab@example.com", false).await;
    let (svc, _) = d.service(&owner, Some(&collab), "Reported").await;
    opt_in(&d, svc, &owner, (false, true, false)).await;
    let (pool, n) = replica(&d, args(smtp.port));
    aggregator::jobs::notify_once(&pool, &n).await.unwrap();
    aggregator::jobs::notify_once(&pool, &n).await.unwrap();
    let raw = smtp.next_mail().await;
    assert_eq!(rcpt(&raw), "owner@example.com");
    assert!(
        subject(&raw).contains("Weekly report for Reported"),
        "{}",
        subject(&raw)
    );
    let body = unqp(&raw);
    assert!(
        body.contains("Page views:") && body.contains("Top pages"),
        "{body}"
    );
    assert!(
        raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{raw}"
    );
    let link = raw
        .lines()
        .find_map(|l| l.strip_prefix("List-Unsubscribe: <"))
        .expect("a List-Unsubscribe header")
        .trim_end_matches('>')
        .to_owned();
    let path = link
        .strip_prefix(SITE)
        .expect("the link is under the dashboard URL");
    assert!(path.starts_with("/notifications/unsubscribe/?"), "{path}");

    let weekly_on = || async {
        let c = d.pool.get().await.unwrap();
        models::notify::optins(&**c, svc, owner.id).await.unwrap().1
    };
    let anon = Who {
        cookie: String::new(),
        ..Who::anonymous()
    };
    // Tampered signature, another user, another kind: refused, nothing changes.
    let last = path.chars().last().unwrap();
    let flipped = format!(
        "{}{}",
        &path[..path.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    let other_user = path.replace(&format!("u={}", owner.id), &format!("u={}", collab.id));
    let other_kind = path.replace("k=weekly", "k=monthly");
    for bad in [
        flipped.as_str(),
        &other_user,
        &other_kind,
        "/notifications/unsubscribe/?u=1",
    ] {
        let r = d.post(&anon, bad, &[], false).await;
        assert_eq!(r.status(), 400, "{bad}");
        assert!(weekly_on().await, "{bad}");
    }
    // GET only asks; POST (what the one-click button sends, without cookies) unsubscribes.
    let r = d.get(&anon, path).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("<form method=\"post\""));
    assert!(weekly_on().await);
    let r = d
        .http
        .post(d.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(!weekly_on().await);
    assert_eq!(smtp.count(), 1, "one report per period");

    // `shynet report send`: bad input is refused with a reason; a good call mails at once.
    let send = |service: Uuid, to: &str| aggregator::report_cli::ReportCommand::Send {
        service,
        to: to.into(),
        period: aggregator::notify::reports::Period::Month,
        dashboard: Box::new(args(smtp.port)),
    };
    let e = aggregator::report_cli::run(
        &pool,
        &send(Uuid::new_v4(), "x@example.com"),
        chrono_tz::UTC,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("no service"), "{e}");
    let e = aggregator::report_cli::run(&pool, &send(svc, "not-an-address"), chrono_tz::UTC)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not a valid email"), "{e}");
    let out = aggregator::report_cli::run(&pool, &send(svc, "ops@example.com"), chrono_tz::UTC)
        .await
        .unwrap();
    assert!(out.contains("monthly report of Reported"), "{out}");
    let raw = smtp.next_mail().await;
    assert_eq!(rcpt(&raw), "ops@example.com");
    assert!(subject(&raw).contains("Monthly report"));
}

#[tokio::test]
async fn smtp_outage_is_retried_with_back_off_and_counted() {
    // A port where nothing listens yet: the SMTP server is down.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut d = spawn(args(port)).await;
    let owner = d.user("owner@example.com", false).await;
    let collab = d.user("collab@example.com", false).await;
    let (hour, _pinned) = closed_hour(&d).await;
    let svc = seasonal_service(&d, &owner, &collab, "Down", hour, 200, None).await;
    enable(&d, svc, "", false).await;
    opt_in(&d, svc, &owner, (true, false, false)).await;
    let (pool, n) = replica(&d, args(port));
    aggregator::jobs::notify_once(&pool, &n).await.unwrap();
    let c = d.pool.get().await.unwrap();
    let row = c
        .query_one(
            "SELECT attempts, next_attempt > now() + interval '20 seconds', last_error <> ''
             FROM notify_outbox",
            &[],
        )
        .await
        .unwrap();
    let attempts = row.get::<_, i32>(0);
    assert!(attempts >= 1);
    assert!(row.get::<_, bool>(1), "retried later, not at once");
    assert!(row.get::<_, bool>(2));

    // Every attempt is counted, by whichever replica made it (the app's own job runs too), and
    // the counters are public like the ingest ones.
    let h: serde_json::Value = d
        .http
        .get(d.url("/healthz?format=json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let app_failures = h["notify"]["mail_failures"]
        .as_u64()
        .expect("notify counters");
    let mine = n.metrics.snapshot();
    assert_eq!(app_failures + mine.mail_failures, attempts as u64, "{h}");
    assert_eq!(mine.mail_sent, 0);
    // The admin listener's /metrics reports the app's counters.
    let metrics = d
        .app
        .serve_metrics("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let m = d
        .http
        .get(format!("http://{metrics}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(m.status(), 200);
    let text = m.text().await.unwrap();
    assert!(
        text.contains(&format!("shynet_notify_mail_failures_total {app_failures}")),
        "{text}"
    );
    assert!(text.contains("shynet_ingest_accepted_total"), "{text}");

    // The server comes back and the back-off has elapsed: the mail goes out once.
    let mut smtp = Smtp::start_on(port).await;
    c.execute("UPDATE notify_outbox SET next_attempt = now()", &[])
        .await
        .unwrap();
    aggregator::jobs::notify_once(&pool, &n).await.unwrap();
    let raw = smtp.next_mail().await;
    assert!(subject(&raw).contains("Down"), "{}", subject(&raw));
    outbox_drained(&d).await;
    assert_eq!(smtp.count(), 1);
}

#[tokio::test]
async fn settings_forms_refuse_bad_input_and_change_nothing() {
    let d = spawn(dashboard::DashboardArgs {
        dashboard_url: Some(SITE.into()),
        ..Default::default()
    })
    .await;
    let owner = d.user("owner@example.com", false).await;
    let collab = d.user("collab@example.com", false).await;
    let stranger = d.user("stranger@example.com", false).await;
    let (svc, _) = d.service(&owner, Some(&collab), "Settings").await;
    let path = format!("/dashboard/service/{svc}/notifications/");
    let good = [
        ("action", "alerts"),
        ("enabled", "on"),
        ("threshold", "6"),
        ("min_volume", "30"),
        ("weeks", "5"),
        ("webhook_url", ""),
    ];
    let with = |k: &'static str, v: &'static str| {
        good.iter()
            .map(|(a, b)| if *a == k { (*a, v) } else { (*a, *b) })
            .collect::<Vec<_>>()
    };
    let settings = || async {
        let c = d.pool.get().await.unwrap();
        models::notify::settings(&**c, svc).await.unwrap()
    };
    for (form, reason) in [
        (with("threshold", "-1"), "threshold"),
        (with("threshold", "abc"), "threshold"),
        (with("min_volume", "0"), "minimum volume"),
        (with("weeks", "1"), "weeks"),
        (
            with("webhook_url", "http://hooks.example.com/x"),
            "https://",
        ),
        (
            with("webhook_url", "https://127.0.0.1/x"),
            "private or local",
        ),
        (
            with("webhook_url", "https://169.254.169.254/latest"),
            "private or local",
        ),
    ] {
        let r = d.post(&owner, &path, &form, true).await;
        assert_eq!(r.status(), 400, "{form:?}");
        let page = r.text().await.unwrap();
        assert!(page.contains(reason), "{reason}: {page}");
        assert_eq!(settings().await, None, "{form:?}");
    }
    // Without the CSRF token, as a collaborator, for an unknown service: nothing either.
    assert_eq!(d.post(&owner, &path, &good, false).await.status(), 403);
    assert_eq!(d.post(&collab, &path, &good, true).await.status(), 403);
    let unknown = format!("/dashboard/service/{}/notifications/", Uuid::new_v4());
    assert_eq!(d.post(&owner, &unknown, &good, true).await.status(), 404);
    assert_eq!(d.post(&stranger, &path, &good, true).await.status(), 404);
    assert_eq!(settings().await, None);

    let r = d.post(&owner, &path, &good, true).await;
    assert_eq!(r.status(), 303);
    let s = settings().await.expect("saved");
    assert!(s.enabled && s.threshold == 6.0 && s.min_volume == 30.0 && s.weeks == 5);
    assert_eq!(s.secret.len(), 64);
    // The secret is shown to the owner only, and stays the same across saves.
    assert!(d
        .get(&owner, &path)
        .await
        .text()
        .await
        .unwrap()
        .contains(&s.secret));
    assert!(!d
        .get(&collab, &path)
        .await
        .text()
        .await
        .unwrap()
        .contains(&s.secret));
    d.post(&owner, &path, &with("threshold", "7"), true).await;
    assert_eq!(settings().await.unwrap().secret, s.secret);

    // A collaborator chooses their own mail.
    let r = d
        .post(
            &collab,
            &path,
            &[("action", "optins"), ("weekly", "on")],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    let c = d.pool.get().await.unwrap();
    assert_eq!(
        models::notify::optins(&**c, svc, collab.id).await.unwrap(),
        (false, true, false)
    );
    assert_eq!(
        models::notify::optins(&**c, svc, owner.id).await.unwrap(),
        (false, false, false)
    );
}

#[tokio::test]
async fn a_deleted_account_leaves_no_queued_mail() {
    // Nothing listens on this port: the mail stays queued.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let d = spawn(args(port)).await;
    let owner = d.user("owner@example.com", false).await;
    let collab = d.user("Collab@Example.com", false).await;
    let (hour, _pinned) = closed_hour(&d).await;
    let svc = seasonal_service(&d, &owner, &collab, "Gone", hour, 200, None).await;
    enable(&d, svc, "", false).await;
    opt_in(&d, svc, &owner, (true, false, false)).await;
    opt_in(&d, svc, &collab, (true, false, false)).await;
    let (pool, n) = replica(&d, args(port));
    aggregator::jobs::notify_once(&pool, &n).await.unwrap();
    let queued = "SELECT count(*) FROM notify_outbox WHERE lower(target) = 'collab@example.com'";
    assert_eq!(sql_count(&d, queued).await, 1);
    let c = d.pool.get().await.unwrap();
    models::users::delete(&**c, collab.id).await.unwrap();
    assert_eq!(sql_count(&d, queued).await, 0);
    assert_eq!(
        sql_count(&d, "SELECT count(*) FROM notify_outbox").await,
        1,
        "the owner's mail stays queued"
    );
    assert_eq!(sql_count(&d, "SELECT count(*) FROM notify_optins").await, 1);
}
