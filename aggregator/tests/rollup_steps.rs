//! How a rollup pass runs: in several short transactions (none of them the one that moves the
//! watermark), leaving one row per key once it is done; under a lease that another replica
//! respects until it expires; and stopping when rows it already read change behind it (a
//! rewind after rows were written in the past), so that the next pass counts them.

mod common;

use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::Pool;
use rand::rngs::StdRng;
use rand::SeedableRng;
use stats::rollup;
use uuid::Uuid;

const TIMEOUT: f64 = 1800.0;

/// `n` random sessions of `svc` starting in [from, to), each seen for up to two hours.
async fn sessions(pool: &Pool, svc: Uuid, from: DateTime<Utc>, to: DateTime<Utc>, n: usize) {
    let shape = common::traffic::Shape {
        from,
        to,
        len: Duration::hours(2),
        long_share: 0.0,
        long_len: Duration::hours(2),
        cap: None,
        events: &["signup", "buy"],
    };
    let mut rng = StdRng::seed_from_u64(n as u64);
    shape
        .insert(&pool.get().await.unwrap(), &mut rng, svc, n)
        .await;
}

/// Rolled-up hits and sessions against the raw rows before the watermark.
async fn rolled_and_raw(pool: &Pool) -> ((i64, i64), (i64, i64)) {
    let c = pool.get().await.unwrap();
    let r = c
        .query_one(
            "SELECT (SELECT coalesce(sum(hits), 0)::int8 FROM rollup_hours),
                    (SELECT coalesce(sum(sessions), 0)::int8 FROM rollup_hours),
                    (SELECT count(*) FROM hits
                     WHERE start_time < (SELECT watermark FROM rollup_state)),
                    (SELECT count(*) FROM sessions
                     WHERE start_time < (SELECT watermark FROM rollup_state))",
            &[],
        )
        .await
        .unwrap();
    ((r.get(0), r.get(1)), (r.get(2), r.get(3)))
}

/// A fresh database with one service and `n` sessions a day long, starting `days_ago` days back.
async fn service_with_day(days_ago: i64, n: usize) -> (Pool, Uuid, DateTime<Utc>) {
    let (pool, _) = common::fresh_db().await;
    let svc = common::owned_service(&pool.get().await.unwrap(), "s@example.com", "S").await;
    let from = Utc::now() - Duration::days(days_ago);
    sessions(&pool, svc, from, from + Duration::days(1), n).await;
    (pool, svc, from)
}

async fn catch_up(pool: &Pool) -> rollup::Pass {
    let mut c = pool.get().await.unwrap();
    rollup::catch_up(&mut c, TIMEOUT, 24 * 7, |_| {})
        .await
        .unwrap()
}

/// Keys with more than one row in `table`.
async fn duplicate_keys(pool: &Pool, table: &str, keys: &str) -> i64 {
    let c = pool.get().await.unwrap();
    c.query_one(
        &format!(
            "SELECT count(*) FROM (SELECT 1 FROM {table} GROUP BY {keys} HAVING count(*) > 1) d"
        ),
        &[],
    )
    .await
    .unwrap()
    .get(0)
}

#[tokio::test]
async fn a_pass_commits_in_several_transactions_and_leaves_one_row_per_key() {
    let (pool, _, _) = service_with_day(3, 1500).await;

    let pass = catch_up(&pool).await;
    assert!(!pass.busy && !pass.interrupted && !pass.behind, "{pass:?}");
    let (rolled, raw) = rolled_and_raw(&pool).await;
    assert!(raw.0 > 1500, "{raw:?}");
    assert_eq!(rolled, raw, "rolled-up (hits, sessions) against raw");

    // The day's hours were written by several transactions, none of them the one that moved
    // the watermark: a single transaction for the whole pass would have written them all.
    let c = pool.get().await.unwrap();
    let (writers, by_last): (i64, i64) = {
        let r = c
            .query_one(
                "SELECT count(DISTINCT xmin::text),
                        count(*) FILTER (WHERE xmin = (SELECT xmin FROM rollup_state))
                 FROM rollup_hours",
                &[],
            )
            .await
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert!(writers >= 2, "{writers} transactions wrote the hourly rows");
    assert_eq!(by_last, 0, "the last step wrote hourly rows");

    // Slices appended rows per key; the merge left one per key.
    for (table, keys) in [
        ("rollup_dims_hourly", "service_id, hour, dim, key"),
        (
            "rollup_events_hourly",
            "service_id, hour, name, prop_key, prop_value",
        ),
        ("rollup_segment_hours", "service_id, hour, fdim, fval"),
        (
            "rollup_segment_events_hourly",
            "service_id, hour, fdim, fval, name",
        ),
        // Dimension counts of whole days go straight to daily rows, per slice too.
        (
            "rollup_segment_dims_daily",
            "service_id, day, fdim, fval, dim, key",
        ),
    ] {
        assert_eq!(duplicate_keys(&pool, table, keys).await, 0, "{table}");
    }
    let lease: Option<Uuid> = c
        .query_one("SELECT lease_holder FROM rollup_state", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(lease, None, "the pass gave its lease up");
}

#[tokio::test]
async fn a_held_lease_keeps_other_passes_out_until_it_expires() {
    let (pool, _, _) = service_with_day(2, 200).await;
    let c = pool.get().await.unwrap();
    c.execute(
        "UPDATE rollup_state SET lease_holder = gen_random_uuid(),
                                 lease_until = now() + interval '1 minute'",
        &[],
    )
    .await
    .unwrap();
    let pass = catch_up(&pool).await;
    assert!(pass.busy, "{pass:?}");
    let wm: Option<DateTime<Utc>> = c
        .query_one("SELECT watermark FROM rollup_state", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(wm, None, "a pass ran under another's lease");

    // The holder died: once its lease expired, the next pass takes over.
    c.execute(
        "UPDATE rollup_state SET lease_until = now() - interval '1 second'",
        &[],
    )
    .await
    .unwrap();
    let pass = catch_up(&pool).await;
    assert!(!pass.busy && !pass.behind, "{pass:?}");
    let (rolled, raw) = rolled_and_raw(&pool).await;
    assert!(raw.0 > 200, "{raw:?}");
    assert_eq!(rolled, raw);
}

#[tokio::test]
async fn rows_written_behind_a_running_pass_stop_it_and_the_next_pass_counts_them() {
    let (pool, svc, from) = service_with_day(3, 600).await;
    catch_up(&pool).await;

    // A demo or an import wrote rows in the past: the watermark goes back and a pass starts.
    // Its visitors step waits for a lock the test holds, after its slices counted the hours.
    let mut blocker = pool.get().await.unwrap();
    let hold = blocker.transaction().await.unwrap();
    hold.batch_execute("LOCK TABLE rollup_visitor_hours IN EXCLUSIVE MODE")
        .await
        .unwrap();
    rollup::rewind(&**pool.get().await.unwrap(), from)
        .await
        .unwrap();
    let p = pool.clone();
    let pass = tokio::spawn(async move {
        let mut c = p.get().await.unwrap();
        rollup::run_pass(&mut c, TIMEOUT, 24 * 7).await.unwrap()
    });
    common::wait_for_lock_waiter(&pool, "rollup_visitor_hours").await;

    // More rows land in hours the pass has already read, and their writer rewinds (it waits
    // for the pass's step to end).
    sessions(
        &pool,
        svc,
        from + Duration::hours(1),
        from + Duration::hours(2),
        77,
    )
    .await;
    let p = pool.clone();
    let rewind = tokio::spawn(async move {
        rollup::rewind(&**p.get().await.unwrap(), from + Duration::hours(1))
            .await
            .unwrap()
    });
    common::wait_for_waiting_statement(&pool, "UPDATE rollup_state").await;
    hold.commit().await.unwrap();
    rewind.await.unwrap();
    let stopped = pass.await.unwrap();
    assert!(stopped.interrupted && stopped.behind, "{stopped:?}");
    let wm: DateTime<Utc> = pool
        .get()
        .await
        .unwrap()
        .query_one("SELECT watermark FROM rollup_state", &[])
        .await
        .unwrap()
        .get(0);
    assert!(wm <= from, "the stopped pass moved the watermark to {wm}");

    let pass = catch_up(&pool).await;
    assert!(!pass.interrupted && !pass.behind, "{pass:?}");
    let (rolled, raw) = rolled_and_raw(&pool).await;
    assert_eq!(rolled, raw, "the rows written behind the pass are counted");
}
