//! One classification of write failures for both entrances: the queue writer retries what is
//! transient and bisects what is data; the edge batch endpoint turns the same classes into its
//! protocol's answers (503 to retry, 500, or "outcome unknown" for a failed commit).

/// Why a write did not commit.
#[derive(Debug)]
pub enum Failure {
    /// No pooled connection (Postgres down, or the pool exhausted for too long).
    NoConnection(String),
    /// Worth retrying unchanged: connection trouble, lock conflicts, resource exhaustion.
    Transient(tokio_postgres::Error),
    /// Postgres refused the data itself: retrying the same rows fails again.
    Data(tokio_postgres::Error),
    /// The commit itself failed, so whether Postgres committed is unknown.
    Commit(tokio_postgres::Error),
}

impl Failure {
    /// Sorts an error raised before the commit.
    pub fn classify(e: tokio_postgres::Error) -> Failure {
        if is_transient(&e) {
            Failure::Transient(e)
        } else {
            Failure::Data(e)
        }
    }

    /// Whether the same write may succeed later. A failed commit counts by its error: for the
    /// queue writer, which owns its beacons, re-applying is the only way not to lose them.
    pub fn is_transient(&self) -> bool {
        match self {
            Failure::NoConnection(_) | Failure::Transient(_) => true,
            Failure::Data(_) => false,
            Failure::Commit(e) => is_transient(e),
        }
    }

    /// The message logged: full detail (the Postgres error fields) for data problems, the
    /// short form for outages.
    pub fn message(&self) -> String {
        match self {
            Failure::NoConnection(m) => m.clone(),
            Failure::Transient(e) => e.to_string(),
            Failure::Data(e) => format!("{e:?}"),
            Failure::Commit(e) if is_transient(e) => e.to_string(),
            Failure::Commit(e) => format!("{e:?}"),
        }
    }
}

/// Whether an error is worth retrying unchanged (connection trouble, lock conflicts,
/// resource exhaustion) rather than a problem with the data itself.
pub fn is_transient(e: &tokio_postgres::Error) -> bool {
    match e.code() {
        None => true, // I/O or closed connection
        Some(code) => {
            let c = code.code();
            c.starts_with("08")
                || c.starts_with("53")
                || c.starts_with("57P")
                || c == "40001"
                || c == "40P01"
                || c == "55P03"
                || (c == "23514" && is_partition_race(e))
        }
    }
}

/// A row routed to the default partition while the maintenance job attaches that month's
/// partition fails its partition constraint; retried, it lands in the new partition. (No other
/// check constraint on hits/sessions can fail for rows the writer builds.)
fn is_partition_race(e: &tokio_postgres::Error) -> bool {
    e.as_db_error()
        .is_some_and(|d| d.message().contains("partition constraint"))
}
