//! The rollup runs on a niced backend (so a long pass leaves the cores to ingest) and that
//! backend never goes back to the pool the writer and the service lookups share.

mod common;

use aggregator::rollup_priority::{lower, niceness, ROLLUP_NICE};
use chrono::{Duration, Utc};

#[tokio::test]
async fn a_local_backend_is_niced_and_the_rollup_leaves_none_in_the_pool() {
    let (pool, _) = common::fresh_db().await;
    let c = pool.get().await.unwrap();
    let pid: i32 = c
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(niceness(pid), Some(0));
    assert!(
        lower(&c).await.unwrap(),
        "a backend over the Unix socket is niced"
    );
    assert_eq!(niceness(pid), Some(ROLLUP_NICE));
    drop(deadpool_postgres::Object::take(c));

    let svc = common::owned_service(&pool.get().await.unwrap(), "n@example.com", "Nice").await;
    let at = Utc::now() - Duration::hours(3);
    common::one_page_session(&pool.get().await.unwrap(), svc, at, "https://n.example/").await;
    aggregator::jobs::storage_once(&pool, 1800.0, true)
        .await
        .unwrap();
    let c = pool.get().await.unwrap();
    let rolled: i64 = c
        .query_one(
            "SELECT count(*) FROM rollup_hours WHERE service_id = $1",
            &[&svc],
        )
        .await
        .unwrap()
        .get(0);
    assert!(rolled > 0, "the pass rolled the closed hour");
    let pids: Vec<i32> = c
        .query(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for pid in pids {
        assert_ne!(
            niceness(pid),
            Some(ROLLUP_NICE),
            "a niced backend went back to the pool"
        );
    }
}
