//! An install made by an earlier release (schema V2: plain, unpartitioned hits and sessions) is
//! taken to the partitioned schema with rollups by the migrations, without losing a row, and the
//! stats read the same figures before and after.

mod common;

use chrono::{Duration, Utc};
use uuid::Uuid;

#[tokio::test]
async fn existing_install_is_migrated_to_partitions_without_data_loss() {
    let (pool, _) = aggregator::testkit::empty_db().await.unwrap();
    aggregator::db::migrate_to(&pool, Some(2)).await.unwrap();
    let c = pool.get().await.unwrap();
    let partitioned: bool = c
        .query_one(
            "SELECT relkind = 'p' FROM pg_class WHERE relname = 'hits'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(!partitioned, "V2 hits is a plain table");
    let svc = common::owned_service(&c, "old@example.com", "Old site").await;
    // Data across several months, including one long ago.
    let now = Utc::now();
    let mut sessions = 0;
    let mut hits = 0;
    for (i, age_days) in [0i64, 3, 40, 95, 400].iter().enumerate() {
        let start = now - Duration::days(*age_days) - Duration::minutes(10);
        let sid = Uuid::new_v4();
        c.execute(
            "INSERT INTO sessions (id, service_id, start_time, last_seen, browser, country,
                                   hit_count, is_bounce)
             VALUES ($1, $2, $3, $3::timestamptz + interval '2 minutes', 'Firefox', 'GB', 2, false)",
            &[&sid, &svc, &start],
        )
        .await
        .unwrap();
        sessions += 1;
        for j in 0..2 {
            c.execute(
                "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen,
                                   heartbeats, tracker, location, referrer, load_time)
                 VALUES ($1, $2, $3, $4, $4, 1, 'JS', $5, '', 120.0)",
                &[
                    &sid,
                    &svc,
                    &(j == 0),
                    &(start + Duration::seconds(j * 30)),
                    &format!("https://old.example/{i}/{j}"),
                ],
            )
            .await
            .unwrap();
            hits += 1;
        }
    }
    let max_id: i64 = c
        .query_one("SELECT max(id) FROM hits", &[])
        .await
        .unwrap()
        .get(0);
    let before = fingerprint(&c).await;
    assert_eq!((before.0, before.1), (sessions, hits));
    drop(c);

    // Upgrade to the latest schema.
    let applied = aggregator::db::migrate(&pool).await.unwrap();
    assert!(applied >= 2, "V3 and later applied");
    let c = pool.get().await.unwrap();
    let partitioned: bool = c
        .query_one(
            "SELECT relkind = 'p' FROM pg_class WHERE relname = 'hits'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(partitioned, "hits is partitioned after the upgrade");
    assert_eq!(
        fingerprint(&c).await,
        before,
        "every row survived, unchanged"
    );
    // The id sequence carries on: a new hit gets a fresh id.
    let next: i64 = c
        .query_one("SELECT nextval('hits_id_seq')", &[])
        .await
        .unwrap()
        .get(0);
    assert!(next > max_id);
    // Rows are in monthly partitions, not the default one.
    let in_default: i64 = c
        .query_one("SELECT count(*) FROM hits_default", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(in_default, 0);
}

/// Counts and a digest of every hit's page and time.
async fn fingerprint(c: &deadpool_postgres::Object) -> (i64, i64, String) {
    let s: i64 = c
        .query_one("SELECT count(*) FROM sessions", &[])
        .await
        .unwrap()
        .get(0);
    let h: i64 = c
        .query_one("SELECT count(*) FROM hits", &[])
        .await
        .unwrap()
        .get(0);
    let locs: String = c
        .query_one(
            "SELECT string_agg(location || '@' || start_time::text, ',' ORDER BY location) FROM hits",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    (s, h, locs)
}
