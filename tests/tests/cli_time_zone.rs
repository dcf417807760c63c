//! `shynet service create --time-zone` and `shynet stats` of a service in Asia/Kolkata, run as the
//! real binary against a real Postgres: an unknown zone is refused with the reason and creates
//! nothing; a service's own zone decides the days of `shynet stats`, whose `window.time_zone`
//! names it, and its totals equal raw SQL over the local day.

mod support;

use support::*;
use uuid::Uuid;

const DAY: &str = "2024-06-10";

/// The commands run in an instance whose own zone is not the service's.
const SHYNET: Cli = Cli {
    env: &[("TIME_ZONE", "America/New_York")],
    unset: &[],
};

#[tokio::test(flavor = "multi_thread")]
async fn service_time_zone_decides_the_days_of_shynet_stats() {
    let pg = Pg::start("cli-tz");
    let url = pg.database("tz").await;
    SHYNET.ok(&url, &["createadmin", "owner@example.com"]);
    let create = |zone: &str| {
        SHYNET.run(
            &url,
            &[
                "service",
                "create",
                "--name",
                "Kolkata shop",
                "--owner",
                "owner@example.com",
                "--time-zone",
                zone,
            ],
        )
    };

    let out = create("Asia/Calcutta_Typo");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("--time-zone") && err.contains("Asia/Calcutta_Typo"),
        "{err}"
    );
    let c = db(&url).await;
    let n: i64 = c
        .query_one("SELECT count(*) FROM services", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "nothing was created");

    let out = create("Asia/Kolkata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svc: Uuid = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let zone: Option<String> = c
        .query_one("SELECT time_zone FROM services WHERE id = $1", &[&svc])
        .await
        .unwrap()
        .get(0);
    assert_eq!(zone.as_deref(), Some("Asia/Kolkata"));

    // Without the flag (TIME_ZONE set in the environment), the service follows the instance.
    let out = SHYNET.ok(
        &url,
        &[
            "service",
            "create",
            "--name",
            "Follower",
            "--owner",
            "owner@example.com",
        ],
    );
    let follower: Uuid = out.lines().next().unwrap().trim().parse().unwrap();
    let zone: Option<String> = c
        .query_one("SELECT time_zone FROM services WHERE id = $1", &[&follower])
        .await
        .unwrap()
        .get(0);
    assert_eq!(zone, None);

    // Sessions on both sides of both local midnights of DAY in Kolkata (18:30 UTC).
    for at in [
        "2024-06-09 18:10Z",
        "2024-06-09 18:29Z",
        "2024-06-09 18:31Z",
        "2024-06-10 03:00Z",
        "2024-06-10 18:29Z",
        "2024-06-10 18:31Z",
        "2024-06-10 22:00Z",
    ] {
        c.execute(
            "INSERT INTO sessions (id, service_id, start_time, last_seen, hit_count, is_bounce)
             VALUES ($1, $2, $3::text::timestamptz, $3::text::timestamptz, 1, true)",
            &[&Uuid::new_v4(), &svc, &at],
        )
        .await
        .unwrap();
    }
    let raw: i64 = c
        .query_one(
            "SELECT count(*) FROM sessions WHERE service_id = $1
               AND start_time > (timestamp '2024-06-10 00:00' AT TIME ZONE 'Asia/Kolkata')
               AND start_time < (timestamp '2024-06-10 23:59:59.999999' AT TIME ZONE 'Asia/Kolkata')",
            &[&svc],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(raw, 3);

    let s = svc.to_string();
    let out = SHYNET.ok(
        &url,
        &[
            "stats",
            "--service",
            &s,
            "--start",
            DAY,
            "--end",
            DAY,
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["window"]["time_zone"], "Asia/Kolkata", "{v}");
    assert_eq!(v["window"]["start"], "2024-06-09T18:30:00Z", "{v}");
    assert_eq!(v["stats"]["session_count"], raw, "{v}");
}
