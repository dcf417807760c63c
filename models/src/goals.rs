//! A service's goals (`goals`). Definitions are validated by the caller (`stats::goal_spec`);
//! this module stores, lists and deletes them.
//!
//! Creating and deleting a goal hold the rollup watermark row shared (`FOR SHARE`): a rollup pass
//! in progress finishes first, and none starts meanwhile. A new page goal's `rolled_from` is the
//! watermark read under that lock, so every hour from it on is rolled by passes that see the goal
//! and the hours before it are left to the backfill; a deleted goal cannot have rows inserted
//! for it by a pass that still saw it.

use tokio_postgres::{Client, GenericClient};
use uuid::Uuid;

/// A stored goal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalRow {
    /// Id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Event name (event goals).
    pub event_name: Option<String>,
    /// `(key, value)` the event must carry.
    pub prop: Option<(String, String)>,
    /// Page glob (page goals).
    pub page_glob: Option<String>,
}

/// A goal to store: exactly one of `event_name` and `page` is set.
#[derive(Debug, Clone, Copy)]
pub struct NewGoal<'a> {
    /// Display name.
    pub name: &'a str,
    /// Event name.
    pub event_name: Option<&'a str>,
    /// Property `(key, value)` (event goals only).
    pub prop: Option<(&'a str, &'a str)>,
    /// Page `(glob, its regular expression)`.
    pub page: Option<(&'a str, &'a str)>,
}

/// What [`insert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// Stored with this id.
    Id(i64),
    /// No such service.
    UnknownService,
    /// The service already has `limit` goals.
    LimitReached,
    /// The service already has a goal with this name.
    DuplicateName,
}

/// The goals of a service, by name (at most `limit`).
pub async fn list<C: GenericClient>(
    c: &C,
    service: Uuid,
    limit: i64,
) -> Result<Vec<GoalRow>, tokio_postgres::Error> {
    Ok(c.query(
        r#"SELECT id, name, event_name, prop_key, prop_value, page_glob FROM goals
           WHERE service_id = $1 ORDER BY name COLLATE "C" LIMIT $2"#,
        &[&service, &limit],
    )
    .await?
    .into_iter()
    .map(|r| {
        let key: Option<String> = r.get(3);
        let value: Option<String> = r.get(4);
        GoalRow {
            id: r.get(0),
            name: r.get(1),
            event_name: r.get(2),
            prop: key.zip(value),
            page_glob: r.get(5),
        }
    })
    .collect())
}

/// Stores a goal unless the service is unknown, has `limit` goals already, or has one of that
/// name (checked under a lock on the service row, so concurrent inserts cannot exceed it).
pub async fn insert(
    c: &mut Client,
    service: Uuid,
    goal: NewGoal<'_>,
    limit: i64,
) -> Result<Inserted, tokio_postgres::Error> {
    let tx = c.transaction().await?;
    let found = tx
        .query_opt(
            "SELECT 1 FROM services WHERE id = $1 FOR NO KEY UPDATE",
            &[&service],
        )
        .await?;
    if found.is_none() {
        return Ok(Inserted::UnknownService);
    }
    let (count, taken): (i64, bool) = {
        let r = tx
            .query_one(
                "SELECT count(*), coalesce(bool_or(name = $2), false) FROM goals
                 WHERE service_id = $1",
                &[&service, &goal.name],
            )
            .await?;
        (r.get(0), r.get(1))
    };
    if taken {
        return Ok(Inserted::DuplicateName);
    }
    if count >= limit {
        return Ok(Inserted::LimitReached);
    }
    let watermark: Option<chrono::DateTime<chrono::Utc>> = tx
        .query_opt("SELECT watermark FROM rollup_state FOR SHARE", &[])
        .await?
        .and_then(|r| r.get(0));
    let (glob, regex) = goal.page.unzip();
    let (key, value) = goal.prop.unzip();
    let rolled_from = goal.page.and(watermark);
    let id: i64 = tx
        .query_one(
            "INSERT INTO goals (service_id, name, event_name, prop_key, prop_value, page_glob,
                                page_regex, rolled_from)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            &[
                &service,
                &goal.name,
                &goal.event_name,
                &key,
                &value,
                &glob,
                &regex,
                &rolled_from,
            ],
        )
        .await?
        .get(0);
    tx.commit().await?;
    Ok(Inserted::Id(id))
}

/// Which goal to delete.
#[derive(Debug, Clone, Copy)]
pub enum Which<'a> {
    /// By id.
    Id(i64),
    /// By name.
    Name(&'a str),
}

/// Deletes a goal of `service` (with its rollup rows); returns its name, or None when the
/// service has no such goal.
pub async fn delete(
    c: &mut Client,
    service: Uuid,
    which: Which<'_>,
) -> Result<Option<String>, tokio_postgres::Error> {
    let tx = c.transaction().await?;
    tx.execute("SELECT 1 FROM rollup_state FOR SHARE", &[])
        .await?;
    let row = match which {
        Which::Id(id) => {
            tx.query_opt(
                "DELETE FROM goals WHERE service_id = $1 AND id = $2 RETURNING name",
                &[&service, &id],
            )
            .await?
        }
        Which::Name(name) => {
            tx.query_opt(
                "DELETE FROM goals WHERE service_id = $1 AND name = $2 RETURNING name",
                &[&service, &name],
            )
            .await?
        }
    };
    tx.commit().await?;
    Ok(row.map(|r| r.get(0)))
}
