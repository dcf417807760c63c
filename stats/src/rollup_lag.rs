//! How far the rollup job is behind, for `/metrics`: the rollup pass may only close an hour once
//! it ended more than the session timeout (+ [`CLOSE_MARGIN_SECS`]) ago, so "caught up" means
//! the watermark has reached that hour; anything more is lag. Dirty hours (older hours whose raw
//! rows changed) waiting for their re-roll are counted beside it.

use crate::figures::StatsError;
use crate::rollup::CLOSE_MARGIN_SECS;
use tokio_postgres::GenericClient;

/// Most dirty-hour rows read for the count (the count is a gauge, not an inventory: an hour can be
/// listed more than once, so past this many rows it reads as the distinct hours among them).
pub const DIRTY_HOURS_CAP: i64 = 100_000;

/// The rollup job's state as an operator watches it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RollupLag {
    /// Seconds between the newest hour that could be rolled up and the watermark (0 when caught
    /// up); `None` before the first pass set a watermark.
    pub behind_seconds: Option<f64>,
    /// Hours marked dirty and not yet re-rolled (at most [`DIRTY_HOURS_CAP`]).
    pub dirty_hours: i64,
}

/// Reads the lag; `session_timeout_secs` is the sessionizer's timeout, as the job is given it.
pub async fn rollup_lag<C: GenericClient>(
    client: &C,
    session_timeout_secs: f64,
) -> Result<RollupLag, StatsError> {
    let row = client
        .query_one(
            "SELECT extract(epoch FROM date_trunc('hour', now() - make_interval(secs => $1), 'UTC')
                                    - watermark)::float8,
                    (SELECT count(*) FROM (SELECT DISTINCT service_id, hour
                                           FROM (SELECT * FROM rollup_dirty LIMIT $2) r) d)
             FROM rollup_state WHERE id",
            &[
                &(session_timeout_secs + CLOSE_MARGIN_SECS),
                &DIRTY_HOURS_CAP,
            ],
        )
        .await?;
    Ok(RollupLag {
        behind_seconds: row.get::<_, Option<f64>>(0).map(|s| s.max(0.0)),
        dirty_hours: row.get(1),
    })
}
