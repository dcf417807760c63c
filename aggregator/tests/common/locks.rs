//! Waiting on Postgres' lock table, so a test can line up two transactions without sleeping.

use std::time::Duration;
use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;

/// Polls the count `sql` returns (every 10 ms, about 10 s at most) until `done` holds for it;
/// returns the last count. Takes any client, so a test holding a lock can ask on its own
/// connection (a pooled one may be queued behind the statement it waits for).
pub async fn poll_count<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    done: impl Fn(i64) -> bool,
) -> i64 {
    let mut n = 0;
    for _ in 0..1000 {
        n = c.query_one(sql, params).await.unwrap().get(0);
        if done(n) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    n
}

/// Statements waiting for a lock on `table`, as `pg_locks` shows them.
pub const LOCK_WAITERS: &str =
    "SELECT count(*) FROM pg_locks WHERE relation = $1::text::regclass AND NOT granted";

/// Waits until some transaction waits for a lock on `table`; panics when none does.
pub async fn wait_for_lock_waiter(pool: &deadpool_postgres::Pool, table: &str) {
    let c = pool.get().await.unwrap();
    let n = poll_count(&**c, LOCK_WAITERS, &[&table], |n| n > 0).await;
    assert!(n > 0, "nothing waited for a lock on {table}");
}

/// Waits until a statement containing `sql` waits for a lock, as `pg_stat_activity` shows it (a
/// row lock is a wait on the holder's transaction, which [`wait_for_lock_waiter`] does not
/// see); panics when none does.
pub async fn wait_for_waiting_statement(pool: &deadpool_postgres::Pool, sql: &str) {
    let c = pool.get().await.unwrap();
    let pattern = format!("%{sql}%");
    let n = poll_count(
        &**c,
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1",
        &[&pattern],
        |n| n > 0,
    )
    .await;
    assert!(n > 0, "no statement like {sql:?} waited for a lock");
}
