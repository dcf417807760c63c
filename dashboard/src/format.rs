//! How figures read on the dashboard: thousands separators, durations with days, zero shown as
//! 0 (never "?"), table percentages and bars, and the comparison badges against the previous
//! equal period (as the original shows them, without its display flaws).

use crate::lang::{self, Lang};
use crate::{i18n, numbers};
use serde::Serialize;

/// What an absent figure (no sessions, no load times) shows.
pub const NONE: &str = "—";

/// `1234567` → `1,234,567` (`1.234.567` in German: every function here writes numbers in the
/// language of the request being answered, [`lang::current`]).
pub fn int(n: i64) -> String {
    numbers::int_in(lang::current(), n)
}

/// Seconds as `MM:SS`, `HH:MM:SS` from an hour, `Nd HH:MM:SS` from a day; absent → "—".
pub fn duration(secs: Option<f64>) -> String {
    let Some(s) = secs.filter(|s| s.is_finite()) else {
        return NONE.to_owned();
    };
    let total = s.max(0.0).round() as i64;
    let (d, h, m, sec) = (
        total / 86_400,
        (total % 86_400) / 3600,
        (total % 3600) / 60,
        total % 60,
    );
    if d > 0 {
        format!("{d}d {h:02}:{m:02}:{sec:02}")
    } else if h > 0 {
        format!("{h:02}:{m:02}:{sec:02}")
    } else {
        format!("{m:02}:{sec:02}")
    }
}

/// A number with at most one decimal (`12`, `12.5`, `1,234.5`); absent → "—".
pub fn one_decimal(x: Option<f64>) -> String {
    one_decimal_in(lang::current(), x)
}

/// [`one_decimal`] in a given language.
pub fn one_decimal_in(lang: Lang, x: Option<f64>) -> String {
    match x.filter(|x| x.is_finite()) {
        Some(x) => numbers::one_decimal_finite(lang, x),
        None => NONE.to_owned(),
    }
}

/// A percentage figure (`42.5%`, `42,5 %`); absent → "—".
pub fn percent(x: Option<f64>) -> String {
    match x.filter(|x| x.is_finite()) {
        Some(v) => numbers::with_percent(lang::current(), &one_decimal(Some(v))),
        None => NONE.to_owned(),
    }
}

/// Milliseconds, rounded (`1,234 ms`); absent → "—".
pub fn millis(x: Option<f64>) -> String {
    match x.filter(|x| x.is_finite()) {
        Some(v) => format!("{} ms", int(v.round() as i64)),
        None => NONE.to_owned(),
    }
}

/// Share of a table row in its total: "N/A" without a total, "<0.1%" when tiny, else one
/// decimal.
pub fn share(count: i64, total: i64) -> String {
    let lang = lang::current();
    if total <= 0 {
        return i18n::tr(lang, "format-not-applicable");
    }
    let p = 100.0 * count as f64 / total as f64;
    if p < 0.1 {
        format!(
            "<{}",
            numbers::with_percent(lang, &numbers::one_decimal_finite(lang, 0.1))
        )
    } else {
        let tenths = (p * 10.0).round() / 10.0;
        let written = numbers::one_decimal_finite(lang, tenths);
        // Shares keep their decimal (`50.0%`), so the column's figures line up.
        let written = if tenths.fract() != 0.0 {
            written
        } else {
            format!("{written}{}0", if lang == Lang::De { ',' } else { '.' })
        };
        numbers::with_percent(lang, &written)
    }
}

/// Width (0–100) of a row's background bar, relative to the first (largest) row.
pub fn bar(count: i64, max: i64) -> f64 {
    if max <= 0 {
        return 0.0;
    }
    let p = 100.0 * count as f64 / max as f64;
    if p < 0.1 {
        0.0
    } else {
        (p * 10.0).round() / 10.0
    }
}

/// Whether a metric is better when it grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// Sessions, hits, duration, hits per session.
    Higher,
    /// Bounce rate, load time.
    Lower,
}

/// A comparison badge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Badge {
    /// e.g. "↑ 12%", "↓ > 999%", "Δ 0%", "new", "Δ n/a".
    pub text: String,
    /// CSS class: `good`, `bad` or `neutral`.
    pub class: &'static str,
}

/// What a figure shows when the previous period had nothing to compare with: a percentage
/// change from zero (or from no value at all) means nothing, so it is not made up. The key of
/// its text ("new") in the catalogues.
pub const NEW_BADGE_KEY: &str = "format-badge-new";

/// Compares the current value `c` with the previous period's `p`.
pub fn badge(c: Option<f64>, p: Option<f64>, better: Better) -> Badge {
    let lang = lang::current();
    let new = || Badge {
        text: i18n::tr(lang, NEW_BADGE_KEY),
        class: "neutral",
    };
    let (c, p) = match (c, p) {
        (Some(c), Some(p)) if p == 0.0 && c != 0.0 => return new(),
        (Some(_), None) => return new(),
        (Some(c), Some(p)) => (c, p),
        (None, _) => {
            return Badge {
                text: format!("Δ {}", i18n::tr(lang, "format-badge-not-applicable")),
                class: "neutral",
            }
        }
    };
    let arrow = if c > p {
        "↑"
    } else if c < p {
        "↓"
    } else {
        "Δ"
    };
    let pct = if p == 0.0 {
        0.0
    } else {
        (100.0 * (c - p).abs() / p.abs()).round()
    };
    let amount = if pct > 999.0 {
        format!("> {}", numbers::with_percent(lang, "999"))
    } else {
        numbers::with_percent(lang, &(pct as i64).to_string())
    };
    let class = if c == p {
        "neutral"
    } else if (c > p) == (better == Better::Higher) {
        "good"
    } else {
        "bad"
    };
    Badge {
        text: format!("{arrow} {amount}"),
        class,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1000), "1,000");
        assert_eq!(int(1_234_567), "1,234,567");
        assert_eq!(int(-1234), "-1,234");
    }

    #[test]
    fn durations_keep_days_and_zero() {
        assert_eq!(duration(Some(0.0)), "00:00");
        assert_eq!(duration(Some(65.4)), "01:05");
        assert_eq!(duration(Some(3600.0)), "01:00:00");
        assert_eq!(duration(Some(90_061.0)), "1d 01:01:01");
        assert_eq!(duration(None), "—");
    }

    #[test]
    fn decimals_and_percentages() {
        assert_eq!(one_decimal(Some(0.0)), "0");
        assert_eq!(one_decimal(Some(12.04)), "12");
        assert_eq!(one_decimal(Some(1234.56)), "1,234.6");
        assert_eq!(percent(Some(0.0)), "0%");
        assert_eq!(percent(Some(33.333)), "33.3%");
        assert_eq!(millis(Some(1234.4)), "1,234 ms");
        assert_eq!(millis(Some(0.0)), "0 ms");
        assert_eq!(share(1, 0), "N/A");
        assert_eq!(share(1, 2000), "<0.1%");
        assert_eq!(share(1, 3), "33.3%");
        assert_eq!(bar(1, 2000), 0.0);
        assert_eq!(bar(1, 3), 33.3);
        assert_eq!(bar(5, 0), 0.0);
    }

    #[test]
    fn german_writes_numbers_its_way() {
        lang::with_lang_sync(Lang::De, || {
            assert_eq!(int(1_234_567), "1.234.567");
            assert_eq!(percent(Some(12.5)), "12,5 %");
            assert_eq!(share(1, 8), "12,5 %");
            assert_eq!(share(1, 2), "50,0 %");
            assert_eq!(share(1, 2000), "<0,1 %");
            assert_eq!(millis(Some(1234.4)), "1.234 ms");
            assert_eq!(badge(Some(3.0), Some(0.0), Better::Higher).text, "neu");
            assert_eq!(badge(Some(12.0), Some(10.0), Better::Higher).text, "↑ 20 %");
        });
    }

    #[test]
    fn badges() {
        let b = |c, p, w| badge(c, p, w);
        assert_eq!(b(Some(12.0), Some(10.0), Better::Higher).text, "↑ 20%");
        assert_eq!(b(Some(12.0), Some(10.0), Better::Higher).class, "good");
        assert_eq!(b(Some(12.0), Some(10.0), Better::Lower).class, "bad");
        assert_eq!(b(Some(8.0), Some(10.0), Better::Lower).class, "good");
        assert_eq!(b(Some(8.0), Some(10.0), Better::Lower).text, "↓ 20%");
        assert_eq!(b(Some(5.0), Some(5.0), Better::Higher).text, "Δ 0%");
        assert_eq!(b(Some(5.0), Some(5.0), Better::Higher).class, "neutral");
        assert_eq!(b(Some(0.0), Some(0.0), Better::Higher).text, "Δ 0%");
        // Nothing before: "new", never "↑ 100%" or "> 999%".
        assert_eq!(b(Some(3.0), Some(0.0), Better::Higher).text, "new");
        assert_eq!(b(Some(3.0), Some(0.0), Better::Higher).class, "neutral");
        assert_eq!(b(Some(5000.0), Some(0.0), Better::Lower).text, "new");
        assert_eq!(b(Some(120.0), None, Better::Lower).text, "new");
        assert_eq!(b(Some(1000.0), Some(1.0), Better::Higher).text, "↑ > 999%");
        assert_eq!(b(Some(0.0), Some(1000.0), Better::Higher).text, "↓ 100%");
        assert_eq!(b(None, Some(1.0), Better::Higher).text, "Δ n/a");
        assert_eq!(b(None, None, Better::Higher).text, "Δ n/a");
        // Durations compare whole seconds, days included (2 days vs 1 day is +100%).
        assert_eq!(
            b(Some(172_800.0), Some(86_400.0), Better::Higher).text,
            "↑ 100%"
        );
    }
}
