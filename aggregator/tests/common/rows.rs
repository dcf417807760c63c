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
