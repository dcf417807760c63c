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
