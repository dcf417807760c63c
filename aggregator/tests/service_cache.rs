//! The service cache in front of Postgres: many beacons to one unknown id cost one query, and a
//! service created under an id that was looked up before becomes visible soon after.

mod common;

use aggregator::services::{ServiceCache, NEGATIVE_TTL, REFRESH_INTERVAL};
use common::*;
use std::time::{Duration, Instant};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_beacons_to_one_unknown_id_cost_one_query() {
    let (pool, _) = fresh_db().await;
    let cache = ServiceCache::load(pool).await.unwrap();
    let unknown = Uuid::new_v4();
    let lookups: Vec<_> = (0..64)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.get(unknown).await.unwrap().is_none() })
        })
        .collect();
    for l in lookups {
        assert!(l.await.unwrap(), "the id is unknown");
    }
    // And again, one after another, within the negative TTL.
    for _ in 0..64 {
        assert!(cache.get(unknown).await.unwrap().is_none());
    }
    assert_eq!(cache.lookups(), 1, "one query for 128 requests");
}

#[tokio::test]
async fn a_service_created_after_its_id_was_probed_becomes_visible() {
    let t = spawn_app(Opts::default()).await;
    let cache = ServiceCache::load(t.pool.clone()).await.unwrap();
    let refresher = cache.spawn_refresher();
    let existing = t.service(Svc::default()).await;
    let id = Uuid::new_v4();
    assert!(cache.get(id).await.unwrap().is_none());
    // Create it under the probed id (the way another process's dashboard would).
    let c = t.pool.get().await.unwrap();
    c.execute(
        "UPDATE services SET id = $1 WHERE id = $2",
        &[&id, &existing],
    )
    .await
    .unwrap();
    let started = Instant::now();
    let bound = NEGATIVE_TTL.max(REFRESH_INTERVAL) + Duration::from_secs(2);
    loop {
        if cache.get(id).await.unwrap().is_some() {
            break;
        }
        assert!(started.elapsed() < bound, "not visible after {bound:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    refresher.abort();
}
