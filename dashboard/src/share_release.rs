//! What a share releases of a service's figures, exact or differentially private: one JSON
//! object that both the share page and its API answer from, so the two cannot disagree.
//!
//! A share never releases sessions, identifiers, IPs or the "online now" figure (a live count of
//! one reveals a visitor). With a link's ε, every count is a noised cell
//! ([`stats::noise::Mechanism`]) and derived figures are computed only from noised counts:
//! bounce rate from noised bounces over noised sessions, hits per session from noised hits over
//! noised sessions. Averages of unbounded values (session duration, load time) have no bounded
//! sensitivity, so they are withheld.

use serde_json::{json, Value};
use stats::chart::Chart;
use stats::noise::{Mechanism, SUPPRESS_BELOW};
use stats::window::Window;
use stats::CoreStats;

/// The name of a window that noise is keyed on (with each cell's name: one per figure, chart
/// point and table row): its first and last day in the display zone, so every reload of the
/// same dates draws the same noise, and two windows with different data never share a name.
pub fn window_label(w: &Window, tz: chrono_tz::Tz) -> String {
    let last = w.end - chrono::Duration::microseconds(1);
    format!(
        "{}..{}",
        w.start.with_timezone(&tz).date_naive(),
        last.with_timezone(&tz).date_naive()
    )
}

/// A differentially private share releases complete days only: the window is cut at the start
/// of today (in the display zone). Otherwise a count of today, noised once, would rise by
/// exactly one when one visitor arrives, and reloading would reveal each arrival.
pub fn complete_days(w: &Window, tz: chrono_tz::Tz, now: chrono::DateTime<chrono::Utc>) -> Window {
    let today = now
        .with_timezone(&tz)
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(tz).earliest())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or(now);
    let end = w.end.min(today);
    Window {
        start: w.start.min(end),
        end,
    }
}

/// Releases counts through the mechanism, or exactly.
struct Releaser<'a> {
    dp: Option<&'a Mechanism>,
    window: String,
}

impl Releaser<'_> {
    fn count(&self, cell: &str, v: i64) -> Option<i64> {
        match self.dp {
            Some(m) => m.count(&self.window, cell, v),
            None => Some(v),
        }
    }
}

fn ratio(num: Option<i64>, den: Option<i64>) -> Option<f64> {
    match (num, den) {
        (Some(n), Some(d)) if d > 0 => Some(n as f64 / d as f64),
        _ => None,
    }
}

/// The released figures of one service and window. `dp` is the link's mechanism (`None` =
/// exact figures).
/// `window` is [`window_label`] of the window the figures are of.
pub fn release(s: &CoreStats, chart: &Chart, window: &str, dp: Option<&Mechanism>) -> Value {
    let r = Releaser {
        dp,
        window: window.to_owned(),
    };
    let bounces = s
        .bounce_rate_pct
        .map(|p| (p * s.session_count as f64 / 100.0).round() as i64)
        .unwrap_or(0);
    let sessions = r.count("sessions", s.session_count);
    let hits = r.count("hits", s.hit_count);
    let visitors = r.count("visitors", s.visitor_count);
    let (bounce_rate, avg_hits, avg_duration, avg_load) = match dp {
        Some(_) => {
            let b = r.count("bounces", bounces);
            (
                ratio(b, sessions).map(|x| (x * 100.0).clamp(0.0, 100.0)),
                ratio(hits, sessions),
                None,
                None,
            )
        }
        None => (
            s.bounce_rate_pct,
            s.avg_hits_per_session,
            s.avg_session_duration,
            s.avg_load_time,
        ),
    };
    let point = |kind: &str, p: &stats::chart::Point, v: i64| {
        r.count(&format!("chart:{kind}:{}", p.start.to_rfc3339()), v)
    };
    let mut out = json!({
        "noised": dp.is_some(),
        "epsilon": dp.map(Mechanism::epsilon),
        "suppressed_below": dp.map(|_| SUPPRESS_BELOW),
        "session_count": sessions,
        "hit_count": hits,
        "visitor_count": visitors,
        "bounce_rate_pct": bounce_rate,
        "avg_hits_per_session": avg_hits,
        "avg_session_duration": avg_duration,
        "avg_load_time": avg_load,
        "chart_data": {
            "labels": chart.points.iter().map(|p| p.label.clone()).collect::<Vec<_>>(),
            "sessions": chart.points.iter().map(|p| point("sessions", p, p.sessions)).collect::<Vec<_>>(),
            "hits": chart.points.iter().map(|p| point("hits", p, p.hits)).collect::<Vec<_>>(),
        },
        "chart_granularity": chart.granularity,
    });
    for (d, rows) in s.dims.iter() {
        let mut kept: Vec<(String, i64)> = rows
            .iter()
            .filter_map(|row| {
                r.count(&format!("dim:{}:{}", d.api_name, row.key), row.count)
                    .map(|c| (row.key.clone(), c))
            })
            .collect();
        kept.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out[d.api_name] = Value::Array(
            kept.into_iter()
                .map(|(k, c)| json!({ d.api_key: k, "count": c }))
                .collect(),
        );
    }
    out
}

/// The chart as released, for the SVG: withheld points drawn as 0.
pub fn released_chart(chart: &Chart, released: &Value) -> Chart {
    let mut c = chart.clone();
    let at = |kind: &str, i: usize| released["chart_data"][kind][i].as_i64().unwrap_or(0);
    for (i, p) in c.points.iter_mut().enumerate() {
        p.sessions = at("sessions", i);
        p.hits = at("hits", i);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use stats::chart::Granularity;
    use stats::Row;

    fn sample() -> (CoreStats, Chart, String) {
        let mut s = CoreStats {
            session_count: 1000,
            hit_count: 3000,
            visitor_count: 800,
            bounce_rate_pct: Some(40.0),
            avg_session_duration: Some(61.0),
            avg_load_time: Some(300.0),
            avg_hits_per_session: Some(3.0),
            currently_online: 1,
            ..Default::default()
        };
        s.dims.set(
            &stats::dimensions::LOCATION,
            vec![
                Row {
                    key: "https://a.example/".into(),
                    count: 900,
                },
                Row {
                    key: "https://a.example/rare".into(),
                    count: 1,
                },
            ],
        );
        let c = Chart {
            granularity: Granularity::Daily,
            points: Vec::new(),
        };
        let w = Window {
            start: "2026-01-01T00:00:00Z".parse().unwrap(),
            end: "2026-01-31T00:00:00Z".parse().unwrap(),
        };
        (s, c, window_label(&w, chrono_tz::UTC))
    }

    #[test]
    fn private_windows_end_before_today_and_are_named_by_their_days() {
        let now = "2026-03-10T15:00:00Z".parse().unwrap();
        let w = Window {
            start: "2026-03-01T00:00:00Z".parse().unwrap(),
            end: now,
        };
        let c = complete_days(&w, chrono_tz::UTC, now);
        assert_eq!(c.end.to_rfc3339(), "2026-03-10T00:00:00+00:00");
        assert_eq!(window_label(&c, chrono_tz::UTC), "2026-03-01..2026-03-09");
        let today = Window {
            start: "2026-03-10T00:00:00Z".parse().unwrap(),
            end: now,
        };
        let t = complete_days(&today, chrono_tz::UTC, now);
        assert_eq!(t.start, t.end, "today alone releases nothing");
        // A window ending yesterday and one ending now differ in name.
        assert_ne!(
            window_label(&w, chrono_tz::UTC),
            window_label(&c, chrono_tz::UTC)
        );
    }

    #[test]
    fn exact_shares_release_the_figures_but_nothing_live() {
        let (s, c, w) = sample();
        let v = release(&s, &c, &w, None);
        assert_eq!(v["session_count"], 1000);
        assert_eq!(v["avg_session_duration"], 61.0);
        assert_eq!(v["noised"], false);
        assert!(v.get("currently_online").is_none());
        assert_eq!(v["locations"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn private_shares_noise_counts_and_derive_only_from_noised_ones() {
        let (s, c, w) = sample();
        let m = Mechanism::new(b"link key", 0.5);
        let v = release(&s, &c, &w, Some(&m));
        assert_eq!(v["noised"], true);
        assert_eq!(v["epsilon"], 0.5);
        let sessions = v["session_count"].as_i64().unwrap();
        let hits = v["hit_count"].as_i64().unwrap();
        assert_eq!(sessions, 1000 + m.noise(&w, "sessions"));
        assert_eq!(
            v["avg_hits_per_session"].as_f64().unwrap(),
            hits as f64 / sessions as f64
        );
        let bounces = 400 + m.noise(&w, "bounces");
        assert_eq!(
            v["bounce_rate_pct"].as_f64().unwrap(),
            bounces as f64 * 100.0 / sessions as f64
        );
        assert!(v["avg_session_duration"].is_null());
        assert!(v["avg_load_time"].is_null());
        // Reloading gives the same answer.
        assert_eq!(v, release(&s, &c, &w, Some(&m)));
        // A rare page is withheld unless its noise lifts it over the threshold.
        let rare_noise = m.noise(&w, "dim:locations:https://a.example/rare");
        let rows = v["locations"].as_array().unwrap();
        assert_eq!(
            rows.len(),
            if 1 + rare_noise >= SUPPRESS_BELOW {
                2
            } else {
                1
            }
        );
    }
}
