//! Measures the anomaly detector on `shynet demo` data: writes ten weeks of demo traffic for a
//! small, a medium and a large site into a throwaway Postgres (the demo's own writer and rollup
//! job), reads the hourly rollups back, injects drops, spikes and outages at random hours, and
//! runs the detector hour by hour with the episode rules of the maintenance job. Prints one
//! Markdown row per site: precision and recall over the injected episodes and false alarms per
//! week on the same data without injections. `bench/alerts_eval.sh` appends them to
//! `bench/RESULTS.md`.
//!
//! usage: cargo run -p aggregator --example alerts_eval -- [SEED]

use chrono::{DateTime, Duration, DurationRound, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use stats::anomaly::{self, Action, Params, DEFAULT_WEEKS, RECOVERY_FRACTION};
use uuid::Uuid;

/// Weeks of demo data per site.
const WEEKS: i64 = 10;
/// Sites: (label, demo hits over the ten weeks).
const SITES: &[(&str, u64)] = &[("small", 20_000), ("medium", 200_000), ("large", 600_000)];
/// Thresholds measured (the default first).
const THRESHOLDS: &[f64] = &[anomaly::DEFAULT_THRESHOLD, 4.0, 5.0];
/// Episodes injected per site.
const EPISODES: usize = 40;

#[derive(Clone, Copy, Debug)]
enum Inject {
    /// Page views × 0.3 for 3 hours.
    Drop,
    /// Page views × 4 for 2 hours.
    Spike,
    /// No page views for 3 hours.
    Outage,
}

impl Inject {
    fn hours(self) -> usize {
        match self {
            Inject::Spike => 2,
            _ => 3,
        }
    }
    fn apply(self, v: f64) -> f64 {
        match self {
            Inject::Drop => (v * 0.3).floor(),
            Inject::Spike => v * 4.0,
            Inject::Outage => 0.0,
        }
    }
}

/// Hours the demo leaves empty: it writes whole UTC days per chunk of hits, so the partial day at
/// the end of each chunk (and of the data) has no traffic at all. Runs of 3+ empty hours are
/// such gaps here (a real site would be having an outage); they are neither judged nor injected.
fn demo_gaps(series: &[f64]) -> Vec<bool> {
    let mut gap = vec![false; series.len()];
    let mut t = 0;
    while t < series.len() {
        let mut e = t;
        while e < series.len() && series[e] == 0.0 {
            e += 1;
        }
        if e - t >= 3 {
            gap[t..e].iter_mut().for_each(|g| *g = true);
        }
        t = e.max(t + 1);
    }
    gap
}

/// Runs the job's rules over `series` from `first` on, skipping `gap` hours; returns the hours
/// an episode opened.
fn alerts(series: &[f64], gap: &[bool], first: usize, p: &Params) -> Vec<usize> {
    let week = 24 * 7;
    let mut open = None;
    let mut opened = Vec::new();
    for t in first..series.len() {
        if gap[t] {
            continue;
        }
        let samples: Vec<f64> = (1..=DEFAULT_WEEKS as usize)
            .filter(|w| t >= w * week)
            .map(|w| series[t - w * week])
            .collect();
        let strict = anomaly::judge(series[t], &samples, p);
        let relaxed = anomaly::judge_with(series[t], &samples, p, RECOVERY_FRACTION);
        match anomaly::step(open, &strict, &relaxed) {
            Action::Open(k) => {
                open = Some(k);
                opened.push(t);
            }
            Action::Close(_) => open = None,
            Action::Nothing => {}
        }
    }
    opened
}

async fn hourly(
    pool: &deadpool_postgres::Pool,
    svc: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<f64>> {
    let c = pool.get().await?;
    let rows = c
        .query(
            "SELECT g, coalesce(r.hits, 0) FROM generate_series($2::timestamptz, $3::timestamptz - interval '1 hour', interval '1 hour') g
             LEFT JOIN rollup_hours r ON r.service_id = $1 AND r.hour = g ORDER BY g LIMIT 5000",
            &[&svc, &from, &to],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get::<_, i64>(1) as f64).collect())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seed: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let (pool, _) = aggregator::testkit::fresh_db().await?;
    let c = pool.get().await?;
    let owner: i64 = c
        .query_one("INSERT INTO users (email, password_hash) VALUES ('eval@example.com', 'x') RETURNING id", &[])
        .await?
        .get(0);
    for (i, (label, hits)) in SITES.iter().enumerate() {
        let svc = Uuid::new_v4();
        c.execute(
            "INSERT INTO services (id, name, owner_id) VALUES ($1, $2, $3)",
            &[&svc, label, &owner],
        )
        .await?;
        let to = (Utc::now() - Duration::hours(2)).duration_trunc(Duration::hours(1))?;
        let from = to - Duration::weeks(WEEKS);
        // ALERTS_EVAL_SERIES=DIR keeps the demo series between runs (for tuning the detector).
        let cache = std::env::var("ALERTS_EVAL_SERIES")
            .ok()
            .map(|d| std::path::PathBuf::from(d).join(format!("{label}-{seed}.json")));
        let clean: Vec<f64> = match cache.as_ref().and_then(|f| std::fs::read(f).ok()) {
            Some(b) => serde_json::from_slice(&b)?,
            None => {
                aggregator::demo::run(
                    &pool,
                    svc,
                    *hits,
                    (WEEKS * 7) as u32,
                    seed + i as u64,
                    1800.0,
                )
                .await?;
                let v = hourly(&pool, svc, from, to).await?;
                if let Some(f) = &cache {
                    std::fs::write(f, serde_json::to_vec(&v)?)?;
                }
                v
            }
        };
        let first = (DEFAULT_WEEKS as usize) * 24 * 7;
        let gap = demo_gaps(&clean);
        let judged = (first..clean.len()).filter(|t| !gap[*t]).count();
        let judged_weeks = judged as f64 / (24.0 * 7.0);
        // Inject non-overlapping episodes (with a quiet hour after each) into the judged weeks.
        let mut rng = StdRng::seed_from_u64(seed * 1000 + i as u64);
        let mut series = clean.clone();
        let mut episodes: Vec<(usize, usize)> = Vec::new();
        let mut taken = vec![false; series.len()];
        while episodes.len() < EPISODES {
            let kind = match rng.random_range(0..3) {
                0 => Inject::Drop,
                1 => Inject::Spike,
                _ => Inject::Outage,
            };
            let start = rng.random_range(first..series.len() - 4);
            let end = start + kind.hours();
            if (start.saturating_sub(2)..end + 2).any(|t| {
                taken.get(t).copied().unwrap_or(true) || gap.get(t).copied().unwrap_or(true)
            }) {
                continue;
            }
            for t in start..end {
                series[t] = kind.apply(series[t]);
                taken[t] = true;
            }
            episodes.push((start, end));
        }
        let median = {
            let mut v: Vec<f64> = (first..clean.len())
                .filter(|t| !gap[*t])
                .map(|t| clean[t])
                .collect();
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or(0.0)
        };
        for threshold in THRESHOLDS {
            let p = Params {
                threshold: *threshold,
                ..Params::default()
            };
            let false_clean = alerts(&clean, &gap, first, &p).len();
            let opened = alerts(&series, &gap, first, &p);
            let in_episode = |t: usize| episodes.iter().any(|(s, e)| (*s..*e).contains(&t));
            let true_alerts = opened.iter().filter(|t| in_episode(**t)).count();
            let found = episodes
                .iter()
                .filter(|(s, e)| opened.iter().any(|t| (*s..*e).contains(t)))
                .count();
            let precision = if opened.is_empty() {
                1.0
            } else {
                true_alerts as f64 / opened.len() as f64
            };
            let recall = found as f64 / episodes.len() as f64;
            println!(
                "| {label} | {hits} | {median:.0} | {threshold} | {judged} | {} | {} | {:.2} | {:.2} | {:.2} |",
                episodes.len(),
                opened.len(),
                precision,
                recall,
                false_clean as f64 / judged_weeks,
            );
        }
    }
    Ok(())
}
