//! Owners and services written straight into the database, for tests that hang their own rows
//! on a service and never sign in.

use uuid::Uuid;

/// Inserts a user `email` (no usable password) owning one service per name; returns the
/// user's id and the services' ids in the order of `names`.
pub async fn owner_with_services(
    c: &tokio_postgres::Client,
    email: &str,
    names: &[String],
) -> (i64, Vec<Uuid>) {
    let owner: i64 = c
        .query_one(
            "INSERT INTO users (email, password_hash) VALUES ($1, 'x') RETURNING id",
            &[&email],
        )
        .await
        .expect("insert the owner")
        .get(0);
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let id = Uuid::new_v4();
        c.execute(
            "INSERT INTO services (id, name, owner_id) VALUES ($1, $2, $3)",
            &[&id, name, &owner],
        )
        .await
        .expect("insert a service");
        out.push(id);
    }
    (owner, out)
}

/// A service named `name` of a new user `email`, with the default settings.
pub async fn owned_service(c: &tokio_postgres::Client, email: &str, name: &str) -> Uuid {
    owner_with_services(c, email, &[name.to_owned()]).await.1[0]
}

/// A one-page session of `svc` at `at` on `url`, written straight into the stored tables (as a
/// closed hour of old traffic would be); returns the session's id.
pub async fn one_page_session(
    c: &tokio_postgres::Client,
    svc: Uuid,
    at: chrono::DateTime<chrono::Utc>,
    url: &str,
) -> Uuid {
    let id = Uuid::new_v4();
    c.execute(
        "INSERT INTO sessions (id, service_id, start_time, last_seen, hit_count, is_bounce)
         VALUES ($1, $2, $3, $3, 1, true)",
        &[&id, &svc, &at],
    )
    .await
    .expect("insert a session");
    c.execute(
        "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker,
                           location, referrer)
         VALUES ($1, $2, true, $3, $3, 'JS', $4, '')",
        &[&id, &svc, &at, &url],
    )
    .await
    .expect("insert its page view");
    id
}
