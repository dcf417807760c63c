//! Waiting on Postgres' lock table, so a test can line up two transactions without sleeping.

use std::time::Duration;

/// Waits (polling, bounded at about 10 s) until some transaction waits for a lock on `table`,
/// as `pg_locks` shows it; panics when none does.
pub async fn wait_for_lock_waiter(pool: &deadpool_postgres::Pool, table: &str) {
    let c = pool.get().await.unwrap();
    for _ in 0..1000 {
        let waiting: i64 = c
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE relation = $1::text::regclass AND NOT granted",
                &[&table],
            )
            .await
            .unwrap()
            .get(0);
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("nothing waited for a lock on {table}");
}

/// Waits (polling, bounded at about 10 s) until a statement containing `sql` waits for a lock,
/// as `pg_stat_activity` shows it (a row lock is a wait on the holder's transaction, which
/// [`wait_for_lock_waiter`] does not see); panics when none does.
pub async fn wait_for_waiting_statement(pool: &deadpool_postgres::Pool, sql: &str) {
    let c = pool.get().await.unwrap();
    let pattern = format!("%{sql}%");
    for _ in 0..1000 {
        let waiting: i64 = c
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE wait_event_type = 'Lock' AND query LIKE $1",
                &[&pattern],
            )
            .await
            .unwrap()
            .get(0);
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no statement like {sql:?} waited for a lock");
}
