//! Rows the browser tests start from, written straight into the database: the admin's services
//! and finished visits of the day before.

use uuid::Uuid;

/// The admin every browser test signs in as.
pub const ADMIN_EMAIL: &str = "admin@example.com";

/// Inserts a service owned by [`ADMIN_EMAIL`] (who must exist) and returns its id.
pub async fn admin_service(c: &tokio_postgres::Client, name: &str, link: &str) -> Uuid {
    let svc = Uuid::new_v4();
    c.execute(
        "INSERT INTO services (id, name, owner_id, link)
         SELECT $1, $2, id, $3 FROM users WHERE email = $4",
        &[&svc, &name, &link, &ADMIN_EMAIL],
    )
    .await
    .expect("insert the admin's service");
    svc
}

/// Identical sessions of the day before (12:00 to 13:00 UTC), one hit per page in order.
pub struct Visits<'a> {
    /// Country code of every session.
    pub country: &'a str,
    /// Browser of every session.
    pub browser: &'a str,
    /// How many sessions.
    pub sessions: i32,
    /// The pages each session views, the first being its entry.
    pub pages: &'a [&'a str],
}

/// Writes `v` for `svc` (Linux desktops; bounces when one page only). Rollups are not touched:
/// the caller rewinds them if it reads rolled-up figures.
pub async fn visits_yesterday(c: &tokio_postgres::Client, svc: Uuid, v: Visits<'_>) {
    let pages: Vec<&str> = v.pages.to_vec();
    let per_session = i32::try_from(pages.len()).expect("a few pages");
    c.execute(
        "WITH s AS (
            INSERT INTO sessions (id, service_id, start_time, last_seen, browser, os,
                                  device_type, country, hit_count, is_bounce)
            SELECT gen_random_uuid(), $1, date_trunc('day', now()) - interval '12 hours',
                   date_trunc('day', now()) - interval '11 hours', $3, 'Linux', 'DESKTOP',
                   $2, $6, $6 = 1
            FROM generate_series(1, $4) RETURNING id)
         INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker,
                           location)
         SELECT id, $1, g = 1, date_trunc('day', now()) - interval '12 hours',
                date_trunc('day', now()) - interval '11 hours', 'JS', ($5::text[])[g]
         FROM s, generate_series(1, $6) g",
        &[
            &svc,
            &v.country,
            &v.browser,
            &v.sessions,
            &pages,
            &per_session,
        ],
    )
    .await
    .expect("insert yesterday's visits");
}
