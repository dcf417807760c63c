//! The maintenance job against a real Postgres: every table it prunes loses exactly its expired
//! rows (visitor state, batch and message ids, web sessions, one-time tokens, login failures,
//! salts), and two replicas running it at the same moment both succeed, end in the same state
//! as one run, and never count an hour twice in the rollups.

mod common;

use aggregator::jobs;
use aggregator::salts::SaltStore;
use chrono::{Duration, Utc};
use deadpool_postgres::Pool;
use std::collections::BTreeSet;
use uuid::Uuid;

const TIMEOUT_SECS: f64 = 1800.0;
const TIMEOUT_MS: i64 = 1_800_000;

/// What survives the job: (table, key of the row).
type Rows = BTreeSet<(String, String)>;

/// Seeds one expired and one fresh row in every pruned table (keys say which is which), and
/// returns the rows that must survive.
async fn seed(pool: &Pool) -> Rows {
    let c = pool.get().await.unwrap();
    let (uid, svcs) = common::owner_with_services(&c, "m@example.com", &["M".into()]).await;
    let svc = svcs[0];
    // Visitor state: kept for the session timeout plus a minute.
    for (key, age_secs) in [("expired", TIMEOUT_SECS + 120.0), ("fresh", TIMEOUT_SECS)] {
        c.execute(
            "INSERT INTO active_sessions (service_id, visitor, session_id, session_start, last_seen)
             VALUES ($1, $2, gen_random_uuid(), now() - make_interval(secs => $3::float8 + 60),
                     now() - make_interval(secs => $3))",
            &[&svc, &key.as_bytes(), &age_secs],
        )
        .await
        .unwrap();
        c.execute(
            "INSERT INTO active_hits (service_id, idempotency, hit_id, session_id, hit_start, last_seen)
             VALUES ($1, $2, 1, gen_random_uuid(), now() - make_interval(secs => $3::float8 + 60),
                     now() - make_interval(secs => $3))",
            &[&svc, &key, &age_secs],
        )
        .await
        .unwrap();
    }
    // Batch and message ids: kept for a week.
    for (key, days) in [("expired", 8), ("fresh", 6)] {
        c.execute(
            "INSERT INTO ingest_batches (batch_id, beacons, applied_at)
             VALUES ($1, 1, now() - make_interval(days => $2))",
            &[&key, &days],
        )
        .await
        .unwrap();
        let id = if key == "expired" {
            Uuid::from_u128(1)
        } else {
            Uuid::from_u128(2)
        };
        c.execute(
            "INSERT INTO ingest_messages (id, received_at) VALUES ($1, now() - make_interval(days => $2))",
            &[&id, &days],
        )
        .await
        .unwrap();
    }
    // Web sessions: gone once expired. One-time tokens and login failures: a day later.
    for (key, expires) in [("expired", "-1 minute"), ("fresh", "1 day")] {
        c.execute(
            "INSERT INTO web_sessions (token_hash, user_id, csrf_token, expires_at)
             VALUES ($1, $2, 'csrf', now() + $3::text::interval)",
            &[&key.as_bytes(), &uid, &expires],
        )
        .await
        .unwrap();
    }
    for (key, expires) in [("expired", "-25 hours"), ("fresh", "-23 hours")] {
        c.execute(
            "INSERT INTO one_time_tokens (token_hash, purpose, user_id, expires_at)
             VALUES ($1, 'reset', $2, now() + $3::text::interval)",
            &[&key.as_bytes(), &uid, &expires],
        )
        .await
        .unwrap();
        c.execute(
            "INSERT INTO login_throttle (key, failures, last_at)
             VALUES ($1, 3, now() + $2::text::interval)",
            &[&key, &expires],
        )
        .await
        .unwrap();
        c.execute(
            "INSERT INTO account_mail_log (user_id, address, sent_at)
             VALUES ($1, $2, now() + $3::text::interval)",
            &[&uid, &key, &expires],
        )
        .await
        .unwrap();
    }
    // Edge nonces: forgotten only well after their signature's window closed.
    for (key, expires) in [("expired", "-1 hour"), ("fresh", "+1 minute")] {
        c.execute(
            "INSERT INTO edge_nonces (nonce, expires_at) VALUES ($1, now() + $2::text::interval)",
            &[&key.as_bytes(), &expires],
        )
        .await
        .unwrap();
    }
    // Salts: one from days ago (no session can need it), today's is kept.
    let today = Utc::now().date_naive();
    for day in [today - Duration::days(3), today] {
        c.execute(
            "INSERT INTO salts (day, salt) VALUES ($1, $2)",
            &[&day, &&[7u8; 32][..]],
        )
        .await
        .unwrap();
    }
    let mut keep = Rows::new();
    for t in [
        "active_sessions",
        "active_hits",
        "ingest_batches",
        "web_sessions",
        "one_time_tokens",
        "login_throttle",
        "account_mail_log",
        "edge_nonces",
    ] {
        keep.insert((t.into(), "fresh".into()));
    }
    keep.insert(("ingest_messages".into(), Uuid::from_u128(2).to_string()));
    keep.insert(("salts".into(), today.to_string()));
    keep
}

/// Every row of the pruned tables, keyed as [`seed`] keys them. Yesterday's salt is left out:
/// whether it is still needed depends on the time of day the test runs.
async fn snapshot(pool: &Pool) -> Rows {
    let c = pool.get().await.unwrap();
    let mut rows = Rows::new();
    for (table, key) in [
        ("active_sessions", "convert_from(visitor, 'UTF8')"),
        ("active_hits", "idempotency"),
        ("ingest_batches", "batch_id"),
        ("ingest_messages", "id::text"),
        ("web_sessions", "convert_from(token_hash, 'UTF8')"),
        ("one_time_tokens", "convert_from(token_hash, 'UTF8')"),
        ("login_throttle", "key"),
        ("account_mail_log", "address"),
        ("edge_nonces", "convert_from(nonce, 'UTF8')"),
        ("salts", "day::text"),
    ] {
        for r in c
            .query(&format!("SELECT {key} FROM {table}"), &[])
            .await
            .unwrap()
        {
            rows.insert((table.to_owned(), r.get(0)));
        }
    }
    let yesterday = (Utc::now().date_naive() - Duration::days(1)).to_string();
    rows.remove(&("salts".to_owned(), yesterday));
    rows
}

#[tokio::test]
async fn maintenance_prunes_exactly_the_expired_rows_of_every_table() {
    let (pool, _) = common::fresh_db().await;
    let keep = seed(&pool).await;
    let before = snapshot(&pool).await;
    assert_eq!(
        before.len(),
        2 * keep.len(),
        "every table seeded: {before:?}"
    );
    let salts = SaltStore::new(pool.clone(), TIMEOUT_MS);
    jobs::run_once(&pool, &salts, TIMEOUT_SECS).await.unwrap();
    assert_eq!(snapshot(&pool).await, keep);
    // A second run finds nothing more to delete.
    jobs::run_once(&pool, &salts, TIMEOUT_SECS).await.unwrap();
    assert_eq!(snapshot(&pool).await, keep);
}

/// Raw sessions and hits spread over closed hours of two days ago.
async fn seed_raw(pool: &Pool) {
    let c = pool.get().await.unwrap();
    let svc: Uuid = c
        .query_one("SELECT id FROM services", &[])
        .await
        .unwrap()
        .get(0);
    c.execute(
        "WITH s AS (
             INSERT INTO sessions (id, service_id, start_time, last_seen, hit_count, is_bounce)
             SELECT gen_random_uuid(), $1, date_trunc('hour', now()) - interval '2 days'
                        + make_interval(mins => i * 7),
                    date_trunc('hour', now()) - interval '2 days' + make_interval(mins => i * 7 + 1),
                    1 + i % 3, i % 3 = 0
             FROM generate_series(0, 199) AS i
             RETURNING id, start_time, hit_count)
         INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker, location)
         SELECT s.id, $1, n = 1, s.start_time, s.start_time, 'JS', 'https://m.example/' || n
         FROM s, generate_series(1, s.hit_count) AS n",
        &[&svc],
    )
    .await
    .unwrap();
}

/// Rollup totals against raw rows below the watermark: (rolled sessions, raw sessions, rolled
/// hits, raw hits).
async fn rollup_vs_raw(pool: &Pool) -> (i64, i64, i64, i64) {
    let c = pool.get().await.unwrap();
    let r = c
        .query_one(
            "WITH w AS (SELECT watermark FROM rollup_state)
             SELECT (SELECT coalesce(sum(sessions), 0)::int8 FROM rollup_hours),
                    (SELECT count(*) FROM sessions, w WHERE start_time < w.watermark),
                    (SELECT coalesce(sum(hits), 0)::int8 FROM rollup_hours),
                    (SELECT count(*) FROM hits, w WHERE start_time < w.watermark)",
            &[],
        )
        .await
        .unwrap();
    (r.get(0), r.get(1), r.get(2), r.get(3))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_running_maintenance_at_once_agree_with_one_run() {
    let (pool, cfg) = common::fresh_db().await;
    let keep = seed(&pool).await;
    seed_raw(&pool).await;
    // Two replicas: their own pools and salt caches on one database.
    let other = aggregator::db::make_pool(cfg, 4).unwrap();
    let (salts_a, salts_b) = (
        SaltStore::new(pool.clone(), TIMEOUT_MS),
        SaltStore::new(other.clone(), TIMEOUT_MS),
    );
    for round in 0..4 {
        let (a, b) = tokio::join!(
            jobs::run_once(&pool, &salts_a, TIMEOUT_SECS),
            jobs::run_once(&other, &salts_b, TIMEOUT_SECS),
        );
        a.unwrap_or_else(|e| panic!("round {round}, replica a: {e:#}"));
        b.unwrap_or_else(|e| panic!("round {round}, replica b: {e:#}"));
        assert_eq!(snapshot(&pool).await, keep, "round {round}");
        let (rs, s, rh, h) = rollup_vs_raw(&pool).await;
        assert_eq!((rs, rh), (s, h), "round {round}: rollups match raw rows");
        assert_eq!(s, 200, "round {round}: every seeded hour rolled");
        // Every rolled hour marked for a re-roll: whichever replica takes it, nothing may be
        // counted twice.
        if round == 1 {
            let c = pool.get().await.unwrap();
            c.batch_execute(
                "INSERT INTO rollup_dirty (service_id, hour)
                 SELECT DISTINCT service_id, date_trunc('hour', start_time, 'UTC') FROM sessions",
            )
            .await
            .unwrap();
        }
    }
    // Both replicas agree on today's salt.
    let now = Utc::now().timestamp_millis();
    let (a, b) = (
        salts_a.for_time(now).await.unwrap(),
        salts_b.for_time(now).await.unwrap(),
    );
    assert_eq!(a.current.bytes, b.current.bytes);
}

/// Rows written months back land in the default partition; upkeep moves them into a new monthly
/// partition. A read issued while the move is uncommitted waits for it and then finds the rows
/// (planned with the old partition list and run with a newer snapshot, it found none before).
#[tokio::test]
async fn a_read_during_a_partition_move_finds_the_moved_rows() {
    let (pool, _) = common::fresh_db().await;
    let c = pool.get().await.unwrap();
    let svc = common::owned_service(&c, "p@example.com", "P").await;
    let at: chrono::DateTime<Utc> = "2025-03-01T12:00:00Z".parse().unwrap();
    c.execute(
        "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker,
                           location, referrer)
         VALUES (gen_random_uuid(), $1, true, $2, $2, 'JS', 'https://example.com/', '')",
        &[&svc, &at],
    )
    .await
    .unwrap();
    let in_default: i64 = c
        .query_one("SELECT count(*) FROM hits_default", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        in_default, 1,
        "the row should start in the default partition"
    );

    let mut upkeep = pool.get().await.unwrap();
    let move_tx = upkeep.transaction().await.unwrap();
    let created: i32 = move_tx
        .query_one(
            "SELECT shynet_ensure_partitions(now() - interval '1 month', 3)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(created >= 1);
    let p = pool.clone();
    let read = tokio::spawn(async move {
        let c = p.get().await.unwrap();
        let n: i64 = c
            .query_one(
                "SELECT count(*) FROM hits /* during the move */
                 WHERE service_id = $1 AND start_time >= $2 AND start_time <= $3",
                &[&svc, &(at - Duration::hours(1)), &(at + Duration::hours(1))],
            )
            .await
            .unwrap()
            .get(0);
        n
    });
    common::wait_for_waiting_statement(&pool, "during the move").await;
    move_tx.commit().await.unwrap();
    assert_eq!(read.await.unwrap(), 1, "the read missed the moved row");
    let moved: i64 = c
        .query_one("SELECT count(*) FROM hits_y2025m03", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(moved, 1);
}
