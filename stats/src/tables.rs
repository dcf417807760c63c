//! The top-N tables of one service and window, keyed by [`Dimension`], and the core stats
//! (scalars, tables, "currently online") that the API and `shynet stats` answer with.

use crate::dimensions::{self, Dimension, Scope};
use crate::figures::{Row, StatsError, HIDDEN_REFERRER_HEADROOM, RESULTS_LIMIT};
use crate::plan::Source;
use crate::scalars::{has_hits, online_many, scalars_many_with, Scalars};
use crate::top;
use crate::window::Window;
use chrono::{DateTime, Duration, Utc};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// The rows of every dimension, in [`dimensions::ALL`] order. Serialized as a map from each
/// dimension's `api_name` to its rows, which is how the API and `shynet stats` show them.
#[derive(Debug, Clone, PartialEq)]
pub struct DimRows(Vec<Vec<Row>>);

impl Default for DimRows {
    fn default() -> Self {
        DimRows(vec![Vec::new(); dimensions::ALL.len()])
    }
}

impl DimRows {
    /// The rows of `d`.
    pub fn get(&self, d: &Dimension) -> &[Row] {
        self.0.get(d.index()).map_or(&[], Vec::as_slice)
    }

    /// Every dimension with its rows.
    pub fn iter(&self) -> impl Iterator<Item = (&'static Dimension, &[Row])> {
        dimensions::ALL.iter().zip(self.0.iter().map(Vec::as_slice))
    }

    /// Replaces the rows of `d`.
    pub fn set(&mut self, d: &Dimension, rows: Vec<Row>) {
        if let Some(slot) = self.0.get_mut(d.index()) {
            *slot = rows;
        }
    }
}

impl Serialize for DimRows {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (d, rows) in self.iter() {
            m.serialize_entry(d.api_name, rows)?;
        }
        m.end()
    }
}

/// Everything the stats strip and the tables show.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct CoreStats {
    /// Sessions seen within 2 × heartbeat of now (not windowed).
    pub currently_online: i64,
    /// Sessions that started in the window.
    pub session_count: i64,
    /// Hits in the window.
    pub hit_count: i64,
    /// Whether the service ever received a hit.
    pub has_hits: bool,
    /// Percentage of sessions with exactly one hit.
    pub bounce_rate_pct: Option<f64>,
    /// Mean session duration in seconds.
    pub avg_session_duration: Option<f64>,
    /// Mean page load time in ms.
    pub avg_load_time: Option<f64>,
    /// Hits per session.
    pub avg_hits_per_session: Option<f64>,
    /// Entries (initial hits) in the window, hidden referrers included: the total that
    /// entry shares are taken of.
    pub entry_count: i64,
    /// Distinct visitors within each UTC day, added up over the window's days
    /// ([`crate::visitors`]).
    pub visitor_count: i64,
    /// Every dimension's top rows (hidden referrers removed).
    #[serde(flatten)]
    pub dims: DimRows,
}

impl CoreStats {
    /// The scalar part, for comparisons.
    pub fn scalars(&self) -> Scalars {
        Scalars {
            session_count: self.session_count,
            hit_count: self.hit_count,
            bounce_rate_pct: self.bounce_rate_pct,
            avg_session_duration: self.avg_session_duration,
            avg_load_time: self.avg_load_time,
            avg_hits_per_session: self.avg_hits_per_session,
        }
    }

    /// The top rows of `d`.
    pub fn rows(&self, d: &Dimension) -> &[Row] {
        self.dims.get(d)
    }
}

/// The top-N tables of one service and window.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tables {
    /// Every dimension's top rows; keys the owner hides are removed before the cut.
    pub dims: DimRows,
    /// All entries, hidden referrers included.
    pub entry_count: i64,
}

impl Tables {
    /// The top rows of `d`.
    pub fn rows(&self, d: &Dimension) -> &[Row] {
        self.dims.get(d)
    }
}

/// Computes the top-N tables.
pub async fn tables<C: GenericClient>(
    client: &C,
    service: Uuid,
    window: &Window,
    hide_referrer: Option<&regex::Regex>,
) -> Result<Tables, StatsError> {
    tables_with(client, service, window, hide_referrer, Source::Auto).await
}

/// [`tables`] from the given source.
pub async fn tables_with<C: GenericClient>(
    client: &C,
    service: Uuid,
    window: &Window,
    hide_referrer: Option<&regex::Regex>,
    source: Source,
) -> Result<Tables, StatsError> {
    let ranked = top::ranked(client, service, window, source, &wants(hide_referrer)).await?;
    Ok(assemble(ranked, hide_referrer))
}

/// The slices every table asks for: [`RESULTS_LIMIT`] rows, and headroom where the owner hides
/// referrers (they are dropped after ranking).
pub(crate) fn wants(hide_referrer: Option<&regex::Regex>) -> Vec<top::Want> {
    let hides = |d: &Dimension| d.owner_hides && hide_referrer.is_some();
    dimensions::ALL
        .iter()
        .map(|d| top::Want {
            dim: d.code,
            offset: 0,
            limit: RESULTS_LIMIT as i64
                + if hides(d) {
                    HIDDEN_REFERRER_HEADROOM
                } else {
                    0
                },
        })
        .collect()
}

/// [`wants`] in two halves, for reading the tables as two statements on two connections at
/// once: alternate dimensions, so the three URL tables (pages, entry and exit pages, the largest
/// by far) are not all in one half.
pub fn wants_halves(hide_referrer: Option<&regex::Regex>) -> [Vec<top::Want>; 2] {
    let mut halves = [Vec::new(), Vec::new()];
    for (i, w) in wants(hide_referrer).into_iter().enumerate() {
        halves[i % 2].push(w);
    }
    halves
}

/// The tables from the rankings of the two [`wants_halves`] ([`top::ranked`] of each).
pub fn assemble_halves(
    halves: [Vec<top::Ranked>; 2],
    hide_referrer: Option<&regex::Regex>,
) -> Tables {
    let [a, b] = halves;
    let ranked = a
        .into_iter()
        .zip(b)
        .enumerate()
        .map(|(i, (x, y))| if i % 2 == 0 { x } else { y })
        .collect();
    assemble(ranked, hide_referrer)
}

/// The tables from the rankings of [`wants`]: hidden referrers removed, then cut.
pub(crate) fn assemble(ranked: Vec<top::Ranked>, hide_referrer: Option<&regex::Regex>) -> Tables {
    let mut out = Tables::default();
    for (d, r) in dimensions::ALL.iter().zip(ranked) {
        if d.scope == Scope::Entry {
            out.entry_count = r.total;
        }
        let rows = match hide_referrer.filter(|_| d.owner_hides) {
            Some(re) => r
                .rows
                .into_iter()
                .filter(|r| r.key.is_empty() || !re.is_match(&r.key))
                .take(RESULTS_LIMIT)
                .collect(),
            None => r.rows,
        };
        out.dims.set(d, rows);
    }
    out
}

/// Computes the core stats of `service` over `window`. `hide_referrer` hides matching referrers
/// before the top-N cut; `online_window` is twice the heartbeat interval.
pub async fn core_stats<C: GenericClient>(
    client: &C,
    service: Uuid,
    window: &Window,
    hide_referrer: Option<&regex::Regex>,
    online_window: Duration,
    now: DateTime<Utc>,
) -> Result<CoreStats, StatsError> {
    core_stats_with(
        client,
        service,
        window,
        hide_referrer,
        online_window,
        now,
        Source::Auto,
    )
    .await
}

/// [`core_stats`] from the given source ("currently online" always comes from raw rows).
pub async fn core_stats_with<C: GenericClient>(
    client: &C,
    service: Uuid,
    window: &Window,
    hide_referrer: Option<&regex::Regex>,
    online_window: Duration,
    now: DateTime<Utc>,
    source: Source,
) -> Result<CoreStats, StatsError> {
    let sc = scalars_many_with(client, &[service], window, source)
        .await?
        .remove(&service)
        .unwrap_or_default();
    let online = online_many(client, &[service], online_window, now)
        .await?
        .remove(&service)
        .unwrap_or(0);
    let has_hits = has_hits(client, service).await?;
    let visitors = crate::visitors::visitors_many(client, &[service], window, source)
        .await?
        .remove(&service)
        .unwrap_or(0);
    let t = tables_with(client, service, window, hide_referrer, source).await?;
    Ok(CoreStats {
        currently_online: online,
        session_count: sc.session_count,
        hit_count: sc.hit_count,
        has_hits,
        bounce_rate_pct: sc.bounce_rate_pct,
        avg_session_duration: sc.avg_session_duration,
        avg_load_time: sc.avg_load_time,
        avg_hits_per_session: sc.avg_hits_per_session,
        entry_count: t.entry_count,
        visitor_count: visitors,
        dims: t.dims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `shynet stats --json` prints this object: its keys are a published interface.
    #[test]
    fn cli_json_keys_are_unchanged() {
        let v = serde_json::to_value(CoreStats::default()).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want = vec![
            "currently_online",
            "session_count",
            "hit_count",
            "has_hits",
            "bounce_rate_pct",
            "avg_session_duration",
            "avg_load_time",
            "avg_hits_per_session",
            "locations",
            "referrers",
            "entry_count",
            "countries",
            "networks",
            "operating_systems",
            "browsers",
            "device_types",
            "devices",
            "visitor_count",
            "entry_pages",
            "exit_pages",
            "channels",
            "utm_sources",
            "utm_mediums",
            "utm_campaigns",
            "utm_terms",
            "utm_contents",
            "regions",
            "cities",
            "browser_versions",
            "os_versions",
        ];
        want.sort_unstable();
        assert_eq!(keys, want);
    }

    #[test]
    fn rows_are_found_by_dimension() {
        let mut d = DimRows::default();
        let row = Row {
            key: "DE".into(),
            count: 2,
        };
        d.set(&dimensions::COUNTRY, vec![row.clone()]);
        assert_eq!(d.get(&dimensions::COUNTRY), [row]);
        assert!(d.get(&dimensions::DEVICE).is_empty());
        assert_eq!(d.iter().count(), dimensions::ALL.len());
    }

    /// The two halves ask for every dimension once, and their rankings join into the tables
    /// one statement would give.
    #[test]
    fn halves_join_into_the_whole() {
        let [a, b] = wants_halves(None);
        let mut dims: Vec<i16> = a.iter().chain(&b).map(|w| w.dim).collect();
        dims.sort_unstable();
        let mut all: Vec<i16> = dimensions::ALL.iter().map(|d| d.code).collect();
        all.sort_unstable();
        assert_eq!(dims, all);
        // What top::ranked returns for each half: slots of the dimensions it was asked for.
        let ranked = |asked: &[top::Want]| -> Vec<top::Ranked> {
            dimensions::ALL
                .iter()
                .map(|d| match asked.iter().any(|w| w.dim == d.code) {
                    true => top::Ranked {
                        rows: vec![Row {
                            key: d.api_name.to_owned(),
                            count: 1,
                        }],
                        keys: 1,
                        total: 1,
                    },
                    false => top::Ranked::default(),
                })
                .collect()
        };
        let whole = assemble(ranked(&wants(None)), None);
        assert_eq!(assemble_halves([ranked(&a), ranked(&b)], None), whole);
        for d in dimensions::ALL.iter() {
            assert_eq!(whole.rows(d).len(), 1, "{}", d.api_name);
        }
    }

    /// `shynet stats --json` rows are `{"key": …, "count": …}` for every table.
    #[test]
    fn cli_rows_have_key_and_count() {
        let mut s = CoreStats::default();
        let row = Row {
            key: "Organic Search".into(),
            count: 4,
        };
        s.dims.set(&dimensions::CHANNEL, vec![row]);
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(
            v["channels"],
            serde_json::json!([{"key": "Organic Search", "count": 4}])
        );
        assert_eq!(v["visitor_count"], 0);
    }
}
