//! The purge of expired state keeps its pace while a rollup pass is stuck: a pass over a dense
//! hour can take half an hour, and when both ran in one loop the live-state tables grew all that
//! time. Here a rollup pass is held by a lock on its table; an expired edge nonce written
//! meanwhile must still be purged by the running server.

mod common;

use chrono::{Duration, Utc};
use std::time::Duration as StdDuration;

/// How long the test waits for the purge (its tick is 10 s, longer than `common::poll_count`
/// waits) before failing.
const PATIENCE: StdDuration = StdDuration::from_secs(90);

async fn wait_for(pool: &deadpool_postgres::Pool, sql: &str) {
    let started = std::time::Instant::now();
    loop {
        let c = pool.get().await.unwrap();
        let yes: bool = c.query_one(sql, &[]).await.unwrap().get(0);
        if yes {
            return;
        }
        assert!(started.elapsed() < PATIENCE, "never true: {sql}");
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn expired_state_is_purged_while_a_rollup_pass_waits() {
    let (pool, _) = common::fresh_db().await;
    let c = pool.get().await.unwrap();
    let svc = common::owned_service(&c, "up@example.com", "Up").await;
    // A closed hour to roll.
    let at = Utc::now() - Duration::hours(3);
    common::one_page_session(&c, svc, at, "https://up.example/").await;
    // Hold every rollup pass at its first write.
    let mut holder = pool.get().await.unwrap();
    let tx = holder.transaction().await.unwrap();
    tx.batch_execute("LOCK TABLE rollup_hours IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let _app = common::spawn_app_on(pool.clone(), common::Opts::default()).await;
    common::wait_for_waiting_statement(&pool, "rollup_hours").await;
    c.execute(
        "INSERT INTO edge_nonces (nonce, expires_at) VALUES ('\\x0102', now() - interval '1 day')",
        &[],
    )
    .await
    .unwrap();
    wait_for(
        &pool,
        "SELECT NOT EXISTS (SELECT 1 FROM edge_nonces WHERE nonce = '\\x0102')",
    )
    .await;
    tx.rollback().await.unwrap();
}
