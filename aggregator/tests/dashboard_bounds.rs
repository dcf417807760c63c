//! Date windows are bounded on every route that takes them: pages, the JSON API and the CLI
//! refuse a range over the longest span, a year outside the allowed ones, a malformed date or a
//! reversed range with 400 (or a non-zero exit) and the reason, and the longest allowed window
//! is served with at most one chart point per day.

mod common;
mod dashboard_support;

use chrono::{Duration, Utc};
use dashboard_support::owner_with_service;
use stats::chart;
use stats::window::MAX_WINDOW_DAYS;
use uuid::Uuid;

/// `(query, words the reason must contain)` of ranges every date-taking route refuses.
fn bad_ranges() -> Vec<(&'static str, &'static str)> {
    vec![
        ("startDate=1000-01-01&endDate=9999-12-31", "1970 to 9999"),
        ("startDate=1900-01-01&endDate=2999-12-31", "1970 to 9999"),
        (
            "startDate=1970-01-01&endDate=2999-12-31",
            "longest allowed is 1100 days",
        ),
        ("startDate=2020-01-01", "longest allowed is 1100 days"),
        ("startDate=2024-13-45", "YYYY-MM-DD"),
        ("endDate=abc", "YYYY-MM-DD"),
        (
            "startDate=2024-02-01&endDate=2024-01-01",
            "end date is before the start date",
        ),
    ]
}

/// The longest allowed window ending today, as a query string.
fn longest_range() -> String {
    let today = Utc::now().date_naive();
    let start = today - Duration::days(MAX_WINDOW_DAYS - 1);
    format!("startDate={start}&endDate={today}")
}

#[tokio::test]
async fn pages_and_api_refuse_unbounded_or_malformed_windows_with_a_reason() {
    let (d, owner, svc, sid) = owner_with_service("Bounded").await;
    let pages = [
        "/dashboard/".to_owned(),
        format!("/dashboard/service/{svc}/"),
        format!("/dashboard/service/{svc}/sessions/"),
        format!("/dashboard/service/{svc}/locations/"),
    ];
    for (query, reason) in bad_ranges() {
        for p in &pages {
            let r = d.get(&owner, &format!("{p}?{query}")).await;
            assert_eq!(r.status(), 400, "{p}?{query}");
            let body = r.text().await.unwrap();
            assert!(body.contains(reason), "{p}?{query}: no reason in {body}");
        }
        let r = d
            .api(Some(&format!("Token {}", owner.api)), &format!("?{query}"))
            .await;
        assert_eq!(r.status(), 400, "API ?{query}");
        let v: serde_json::Value = r.json().await.unwrap();
        let msg = v["error"].as_str().unwrap();
        assert!(msg.contains(reason), "API ?{query}: {msg}");
    }

    // The longest window is served, with one chart point per day at most.
    let q = longest_range();
    for p in &pages {
        assert_eq!(
            d.get(&owner, &format!("{p}?{q}")).await.status(),
            200,
            "{p}"
        );
    }
    let r = d
        .get(
            &owner,
            &format!("/dashboard/service/{svc}/sessions/{sid}/?{q}"),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = d
        .api(Some(&format!("Token {}", owner.api)), &format!("?{q}"))
        .await;
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    let st = &v["services"][0]["stats"];
    assert_eq!(st["hit_count"], 2);
    for labels in [
        &st["chart_data"]["labels"],
        &st["compare"]["chart_data"]["labels"],
    ] {
        let n = labels.as_array().unwrap().len();
        assert!(n <= chart::MAX_POINTS, "{n} chart points");
    }
    assert_eq!(
        st["chart_data"]["labels"].as_array().unwrap().len() as i64,
        MAX_WINDOW_DAYS
    );
}

#[test]
fn cli_stats_refuses_unbounded_windows_before_opening_a_database() {
    for (start, end, reason) in [
        ("1970-01-01", "2999-12-31", "longest allowed is 1100 days"),
        ("1000-01-01", "9999-12-31", "1970 to 9999"),
        ("2024-13-45", "2024-12-31", "YYYY-MM-DD"),
        (
            "2024-02-01",
            "2024-01-01",
            "end date is before the start date",
        ),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_shynet"))
            // Nothing listens there: the command must fail on its arguments, not the database.
            .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
            .env("SHYNET_LOG", "warn")
            .args(["stats", "--service", &Uuid::new_v4().to_string()])
            .args(["--start", start, "--end", end])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{start}..{end}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--start/--end"), "{start}..{end}: {err}");
        assert!(err.contains(reason), "{start}..{end}: {err}");
    }
}

/// A reader that gives up (here: a client timeout while `hits` is locked, as a long scan would
/// hold it) leaves no query behind in Postgres: the read's connection cancels it, and the pool
/// serves the next reader normally. Without the cancel, the abandoned statement would wait for
/// as long as the lock is held (and a real scan would run to its end), holding a connection.
#[tokio::test]
async fn an_abandoned_api_read_is_cancelled_in_postgres() {
    let (d, owner, _svc, _sid) = owner_with_service("site").await;
    let tok = format!("Token {}", d.new_api_token(&owner).await);
    assert_eq!(d.api(Some(&tok), "").await.status(), 200);

    let mut holder = d.pool.get().await.unwrap();
    let tx = holder.transaction().await.unwrap();
    tx.batch_execute("LOCK TABLE hits IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let gives_up = d
        .http
        .get(d.url("/api/v1/dashboard/"))
        .header("authorization", &tok)
        .timeout(std::time::Duration::from_secs(2))
        .send();
    // Counted on the lock holder's own connection: a pooled one could be the abandoned
    // reader's, queued behind its stuck statement.
    let waiters =
        |done: fn(i64) -> bool| common::poll_count(&*tx, common::LOCK_WAITERS, &[&"hits"], done);
    let (answer, reached) = tokio::join!(gives_up, waiters(|n| n > 0));
    assert!(reached > 0, "the read never reached the locked table");
    assert!(answer.unwrap_err().is_timeout());
    // The abandoned statement is gone while the lock is still held.
    let left = waiters(|n| n == 0).await;
    assert_eq!(left, 0, "the abandoned read still waits in Postgres");
    tx.rollback().await.unwrap();
    assert_eq!(d.api(Some(&tok), "").await.status(), 200);
}
