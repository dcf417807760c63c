//! Daily visitor-hash salts, shared by every process through Postgres. A salt is random, made on
//! first use of its UTC day, and deleted once its day has ended and no session can still need it
//! (day end + session timeout), so none lives much past 24 h and never past 48 h.

use beacon::visitor::{needs_previous_salt, utc_day, Salt, DAY_MS};
use chrono::NaiveDate;
use deadpool_postgres::Pool;
use rand::RngCore;
use std::sync::{Arc, RwLock};

/// Today's salt and, during the first session-timeout of the day, yesterday's.
#[derive(Debug, Clone)]
pub struct SaltPair {
    /// Salt of the beacon's UTC day.
    pub current: Salt,
    /// Salt of the day before, when a session may still span midnight.
    pub previous: Option<Salt>,
}

/// In-memory copy of the live salts, backed by the `salts` table.
#[derive(Clone)]
pub struct SaltStore {
    pool: Pool,
    session_timeout_ms: i64,
    cache: Arc<RwLock<Vec<Salt>>>,
}

fn day_to_date(day: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|d| d.checked_add_signed(chrono::Duration::days(i64::from(day))))
        .unwrap_or(NaiveDate::MIN)
}

fn date_to_day(d: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN);
    (d - epoch).num_days() as i32
}

impl SaltStore {
    /// A store for an install whose sessions time out after `session_timeout_ms`.
    pub fn new(pool: Pool, session_timeout_ms: i64) -> SaltStore {
        SaltStore {
            pool,
            session_timeout_ms,
            cache: Arc::default(),
        }
    }

    /// Salts for a beacon received at `time_ms`.
    pub async fn for_time(&self, time_ms: i64) -> anyhow::Result<SaltPair> {
        let day = utc_day(time_ms);
        let want_prev = needs_previous_salt(time_ms, self.session_timeout_ms);
        if let Some(pair) = self.cached(day, want_prev) {
            return Ok(pair);
        }
        self.load(day).await?;
        self.cached(day, want_prev)
            .ok_or_else(|| anyhow::anyhow!("salt for day {day} missing after load"))
    }

    fn cached(&self, day: i32, want_prev: bool) -> Option<SaltPair> {
        let cache = self.cache.read().ok()?;
        let current = cache.iter().find(|s| s.day == day)?.clone();
        let previous = if want_prev {
            cache.iter().find(|s| s.day == day - 1).cloned()
        } else {
            None
        };
        Some(SaltPair { current, previous })
    }

    /// Makes sure `day`'s salt exists (any process may create it; the first one wins) and
    /// reloads the live salts.
    pub async fn load(&self, day: i32) -> anyhow::Result<()> {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO salts (day, salt) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING",
                &[&day_to_date(day), &&bytes[..]],
            )
            .await?;
        let rows = client
            .query(
                "SELECT day, salt FROM salts WHERE day >= $1",
                &[&day_to_date(day - 1)],
            )
            .await?;
        let salts: Vec<Salt> = rows
            .into_iter()
            .filter_map(|r| {
                let d: NaiveDate = r.get(0);
                let b: Vec<u8> = r.get(1);
                Some(Salt {
                    day: date_to_day(d),
                    bytes: b.try_into().ok()?,
                })
            })
            .collect();
        if let Ok(mut cache) = self.cache.write() {
            *cache = salts;
        }
        Ok(())
    }

    /// Deletes every salt no session can need any more, in Postgres and in memory; creates
    /// today's. Run by the maintenance job.
    pub async fn rotate(&self, now_ms: i64) -> anyhow::Result<u64> {
        let today = utc_day(now_ms);
        // Yesterday's salt is kept only while a session could still span midnight.
        let keep_from = if needs_previous_salt(now_ms, self.session_timeout_ms) {
            today - 1
        } else {
            today
        };
        let client = self.pool.get().await?;
        let deleted = client
            .execute(
                "DELETE FROM salts WHERE day < $1",
                &[&day_to_date(keep_from)],
            )
            .await?;
        drop(client);
        if let Ok(mut cache) = self.cache.write() {
            cache.retain(|s| s.day >= keep_from);
        }
        self.load(today).await?;
        if let Ok(mut cache) = self.cache.write() {
            cache.retain(|s| s.day >= keep_from);
        }
        Ok(deleted)
    }

    /// Milliseconds until the next moment a salt must go (for tests and the job's timing).
    pub fn ms_until_next_expiry(&self, now_ms: i64) -> i64 {
        let into_day = now_ms.rem_euclid(DAY_MS);
        if into_day < self.session_timeout_ms {
            self.session_timeout_ms - into_day
        } else {
            DAY_MS - into_day + self.session_timeout_ms
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_day_round_trip() {
        for day in [-5, 0, 1, 20_000, 20_500] {
            assert_eq!(date_to_day(day_to_date(day)), day);
        }
        assert_eq!(day_to_date(0), NaiveDate::from_ymd_opt(1970, 1, 1).unwrap());
    }
}
