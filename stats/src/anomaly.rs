//! Anomaly detection on page views per hour, without I/O: an hour is compared with the same
//! hour of the week over the last few weeks (its seasonal baseline) by robust statistics
//! (median and median absolute deviation), so one odd week in the baseline does not move it.
//! The caller ([`crate::anomaly_data`]) reads the counts from the hourly rollups; the
//! maintenance job turns verdicts into episodes with [`step`].
//!
//! The defaults were chosen by `bench/alerts_eval.sh` (demo traffic with injected anomalies;
//! precision, recall and false alarms per week are in `bench/RESULTS.md`).

/// Baseline weeks by default.
pub const DEFAULT_WEEKS: i16 = 4;
/// Fewest and most baseline weeks an owner may choose.
pub const WEEKS_RANGE: (i16, i16) = (2, 12);
/// Robust z-score (deviations from the median in MAD-derived standard deviations) beyond which
/// an hour is anomalous, by default.
pub const DEFAULT_THRESHOLD: f64 = 6.0;
/// Largest threshold an owner may set (above it nothing would ever alert).
pub const MAX_THRESHOLD: f64 = 100.0;
/// Page views per hour the baseline median must reach before drops and spikes are reported,
/// by default: below it an hour's count is mostly noise.
pub const DEFAULT_MIN_VOLUME: f64 = 20.0;
/// Largest minimum volume an owner may set.
pub const MAX_MIN_VOLUME: f64 = 1_000_000.0;
/// An hour with no page views is an outage only if every baseline week had at least this many
/// in that hour (steady traffic): the chance of a true zero is then below e^-10.
pub const OUTAGE_MIN_BASELINE: f64 = 10.0;
/// Fewest baseline weeks with data needed to judge an hour at all.
pub const MIN_SAMPLES: usize = 2;
/// An open episode ends when the hour is within this fraction of the threshold again, so an
/// hour just under the threshold does not end and restart an episode (flapping).
pub const RECOVERY_FRACTION: f64 = 0.5;
/// MAD to standard deviation for normally distributed data.
const MAD_SCALE: f64 = 1.4826;
/// Variance of an hour's page views relative to their mean: a visit brings several page views
/// at once, so counts vary about three times as much as independent arrivals would (measured on
/// demo traffic by `bench/alerts_eval.sh`; with 1, a medium site saw several false spikes a week).
pub const DISPERSION: f64 = 3.0;

/// What kind of anomaly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Far fewer page views than usual.
    Drop,
    /// Far more page views than usual.
    Spike,
    /// None at all where there are always some: tracking broke or the site is down.
    Outage,
}

impl Kind {
    /// The name stored and sent (`drop`, `spike`, `outage`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Drop => "drop",
            Kind::Spike => "spike",
            Kind::Outage => "outage",
        }
    }

    /// The inverse of [`Kind::as_str`].
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "drop" => Some(Kind::Drop),
            "spike" => Some(Kind::Spike),
            "outage" => Some(Kind::Outage),
            _ => None,
        }
    }
}

/// The owner's thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Robust z-score beyond which an hour is anomalous.
    pub threshold: f64,
    /// Baseline median (page views per hour) below which drops and spikes are not reported.
    pub min_volume: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            threshold: DEFAULT_THRESHOLD,
            min_volume: DEFAULT_MIN_VOLUME,
        }
    }
}

/// Why thresholds were refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamsError {
    /// Threshold outside (0, [`MAX_THRESHOLD`]].
    #[error("the threshold must be a number above 0 and at most {MAX_THRESHOLD}")]
    Threshold,
    /// Minimum volume outside [1, [`MAX_MIN_VOLUME`]].
    #[error("the minimum volume must be a number from 1 to {MAX_MIN_VOLUME}")]
    MinVolume,
    /// Weeks outside [`WEEKS_RANGE`].
    #[error("the baseline must be {} to {} weeks", WEEKS_RANGE.0, WEEKS_RANGE.1)]
    Weeks,
}

impl Params {
    /// Checks thresholds and baseline weeks as an owner entered them.
    pub fn validate(threshold: f64, min_volume: f64, weeks: i16) -> Result<Params, ParamsError> {
        if !(threshold.is_finite() && threshold > 0.0 && threshold <= MAX_THRESHOLD) {
            return Err(ParamsError::Threshold);
        }
        if !(min_volume.is_finite() && (1.0..=MAX_MIN_VOLUME).contains(&min_volume)) {
            return Err(ParamsError::MinVolume);
        }
        if !(WEEKS_RANGE.0..=WEEKS_RANGE.1).contains(&weeks) {
            return Err(ParamsError::Weeks);
        }
        Ok(Params {
            threshold,
            min_volume,
        })
    }
}

/// The judgement of one hour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// The anomaly, if the hour is one.
    pub kind: Option<Kind>,
    /// Page views in the hour.
    pub observed: f64,
    /// The baseline median.
    pub expected: f64,
    /// Robust z-score (0 when the hour could not be judged).
    pub score: f64,
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Median and standard-deviation estimate of the baseline; `None` with fewer than
/// [`MIN_SAMPLES`] samples. The deviation is at least the counting noise of the median
/// (√([`DISPERSION`] × median)) and a tenth of the median, so a steady baseline (MAD near 0 with
/// only a few weeks) does not turn every small wobble into an alert.
pub fn baseline(samples: &[f64]) -> Option<(f64, f64)> {
    if samples.len() < MIN_SAMPLES {
        return None;
    }
    let mut s: Vec<f64> = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let med = median(&s);
    let mut dev: Vec<f64> = s.iter().map(|x| (x - med).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let sigma = (MAD_SCALE * median(&dev))
        .max((DISPERSION * med).sqrt())
        .max(0.1 * med)
        .max(1.0);
    Some((med, sigma))
}

/// Judges one hour's page views against the same hour in earlier weeks, with a threshold
/// scaled by `strictness` (1 to open an episode, [`RECOVERY_FRACTION`] to keep one open).
pub fn judge_with(observed: f64, samples: &[f64], p: &Params, strictness: f64) -> Verdict {
    let Some((med, sigma)) = baseline(samples) else {
        return Verdict {
            kind: None,
            observed,
            expected: 0.0,
            score: 0.0,
        };
    };
    let score = (observed - med) / sigma;
    let steady = samples.iter().all(|s| *s >= OUTAGE_MIN_BASELINE);
    let threshold = p.threshold * strictness;
    let kind = if observed == 0.0 && steady {
        Some(Kind::Outage)
    } else if med < p.min_volume {
        None
    } else if score <= -threshold {
        Some(Kind::Drop)
    } else if score >= threshold {
        Some(Kind::Spike)
    } else {
        None
    };
    Verdict {
        kind,
        observed,
        expected: med,
        score,
    }
}

/// Judges one hour with the full threshold.
pub fn judge(observed: f64, samples: &[f64], p: &Params) -> Verdict {
    judge_with(observed, samples, p, 1.0)
}

/// What the job does after judging an hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Nothing changes.
    Nothing,
    /// A new episode starts: alert.
    Open(Kind),
    /// The open episode ends: send a recovery notice.
    Close(Kind),
}

/// One episode per anomaly: an episode opens on an anomalous hour and stays open (without
/// further alerts, whatever the kind of later anomalous hours) until an hour is normal again by
/// the relaxed threshold. `open` is the episode open before this hour, `strict` the hour judged
/// with the full threshold and `relaxed` with [`RECOVERY_FRACTION`] of it.
pub fn step(open: Option<Kind>, strict: &Verdict, relaxed: &Verdict) -> Action {
    match (open, strict.kind) {
        (None, Some(k)) => Action::Open(k),
        (None, None) => Action::Nothing,
        (Some(k), _) if relaxed.kind.is_none() && strict.kind.is_none() => Action::Close(k),
        (Some(_), _) => Action::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEADY: [f64; 4] = [1000.0, 1040.0, 970.0, 1010.0];

    #[test]
    fn ordinary_hours_are_not_anomalies() {
        let p = Params::default();
        for obs in [800.0, 1000.0, 1250.0] {
            assert_eq!(judge(obs, &STEADY, &p).kind, None, "{obs}");
        }
    }

    #[test]
    fn drops_spikes_and_outages_are_found() {
        let p = Params::default();
        assert_eq!(judge(300.0, &STEADY, &p).kind, Some(Kind::Drop));
        assert_eq!(judge(1800.0, &STEADY, &p).kind, Some(Kind::Spike));
        assert_eq!(judge(0.0, &STEADY, &p).kind, Some(Kind::Outage));
        let v = judge(1800.0, &STEADY, &p);
        assert_eq!(v.expected, 1005.0);
        assert!(v.score > 6.0);
        // At ~100 page views an hour a 70 % drop is within the counting noise; an outage is not.
        let small = [100.0, 104.0, 97.0, 101.0];
        assert_eq!(judge(30.0, &small, &p).kind, None);
        assert_eq!(judge(0.0, &small, &p).kind, Some(Kind::Outage));
    }

    #[test]
    fn one_odd_week_does_not_move_the_baseline() {
        let p = Params::default();
        let odd = [1000.0, 50000.0, 970.0, 1010.0];
        assert_eq!(judge(1800.0, &odd, &p).kind, Some(Kind::Spike));
        assert_eq!(judge(1000.0, &odd, &p).kind, None);
    }

    #[test]
    fn tiny_sites_are_not_paged_for_noise() {
        let p = Params::default();
        let tiny = [3.0, 5.0, 2.0, 4.0];
        for obs in [0.0, 1.0, 15.0, 30.0] {
            assert_eq!(judge(obs, &tiny, &p).kind, None, "{obs}");
        }
        // A zero after a baseline with some empty weeks is not an outage either.
        assert_eq!(
            judge(0.0, &[400.0, 0.0, 350.0, 420.0], &p).kind,
            Some(Kind::Drop)
        );
        assert_eq!(judge(0.0, &[12.0, 0.0, 9.0], &p).kind, None);
    }

    #[test]
    fn too_little_history_judges_nothing() {
        let p = Params::default();
        assert_eq!(judge(0.0, &[100.0], &p).kind, None);
        assert_eq!(judge(0.0, &[], &p).kind, None);
    }

    #[test]
    fn episodes_alert_once_and_recover_once() {
        let p = Params::default();
        let at = |obs: f64| {
            (
                judge(obs, &STEADY, &p),
                judge_with(obs, &STEADY, &p, RECOVERY_FRACTION),
            )
        };
        let mut open = None;
        let mut actions = Vec::new();
        for obs in [1000.0, 0.0, 0.0, 300.0, 650.0, 1000.0, 1010.0] {
            let (s, r) = at(obs);
            let a = step(open, &s, &r);
            match a {
                Action::Open(k) => open = Some(k),
                Action::Close(_) => open = None,
                Action::Nothing => {}
            }
            actions.push(a);
        }
        use Action::*;
        // 300 is still a drop; 650 is more than the relaxed threshold (3 deviations of 100.5)
        // below the median, so it keeps the episode open; 1000 ends it.
        assert_eq!(
            actions,
            vec![
                Nothing,
                Open(Kind::Outage),
                Nothing,
                Nothing,
                Nothing,
                Close(Kind::Outage),
                Nothing
            ]
        );
    }

    #[test]
    fn thresholds_are_validated() {
        assert!(Params::validate(5.0, 20.0, 4).is_ok());
        assert_eq!(Params::validate(-1.0, 20.0, 4), Err(ParamsError::Threshold));
        assert_eq!(
            Params::validate(f64::NAN, 20.0, 4),
            Err(ParamsError::Threshold)
        );
        assert_eq!(Params::validate(5.0, 0.0, 4), Err(ParamsError::MinVolume));
        assert_eq!(Params::validate(5.0, 20.0, 1), Err(ParamsError::Weeks));
        assert_eq!(Kind::parse("outage"), Some(Kind::Outage));
        assert_eq!(Kind::parse("x"), None);
    }
}
