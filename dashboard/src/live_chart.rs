//! The live view's bar chart of page views per minute, drawn on the server as SVG (no script,
//! so the strict CSP holds). Each bar carries a `<title>` for pointer users; the page beside it
//! has the same figures as a table, which is the text alternative screen readers use.

use crate::format;
use crate::render::esc;
use chrono_tz::Tz;
use stats::live::Minute;
use std::fmt::Write;

const W: f64 = 800.0;
const H: f64 = 160.0;
const PAD_TOP: f64 = 10.0;
const PAD_BOTTOM: f64 = 22.0;
const PAD_LEFT: f64 = 40.0;
/// Share of a minute's slot its bar fills (the rest is the gap between bars).
const BAR_FILL: f64 = 0.8;

/// Minute label in the service's zone.
pub fn minute_label(m: &Minute, tz: Tz) -> String {
    m.start.with_timezone(&tz).format("%H:%M").to_string()
}

/// The chart: one bar per minute, oldest on the left, y axis from 0 to the busiest minute
/// (rounded up to an even number).
pub fn minutes_chart(minutes: &[Minute], tz: Tz) -> String {
    // Page views are whole numbers: an even top keeps the middle grid line's label whole too.
    let busiest = minutes.iter().map(|m| m.pageviews).max().unwrap_or(0);
    let max = ((busiest + 1) / 2 * 2).max(2);
    let (x0, w, y0, h) = (
        PAD_LEFT,
        W - PAD_LEFT - 8.0,
        PAD_TOP,
        H - PAD_TOP - PAD_BOTTOM,
    );
    let n = minutes.len().max(1);
    let slot = w / n as f64;
    // `aria-hidden`: the table after the chart says the same in text.
    let mut s = format!(
        "<svg class=\"chart live-chart\" viewBox=\"0 0 {W} {H}\" aria-hidden=\"true\" focusable=\"false\">"
    );
    for i in 0..=2 {
        let y = y0 + h * i as f64 / 2.0;
        let v = max as f64 * (2 - i) as f64 / 2.0;
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{x0}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text class=\"axis\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            x0 + w,
            x0 - 6.0,
            y + 4.0,
            esc(&format::one_decimal(Some(v)))
        );
    }
    for (i, m) in minutes.iter().enumerate() {
        let bh = h * m.pageviews as f64 / max as f64;
        let x = x0 + slot * i as f64 + slot * (1.0 - BAR_FILL) / 2.0;
        let title = format!(
            "{}: {} page views",
            minute_label(m, tz),
            format::int(m.pageviews)
        );
        let _ = write!(
            s,
            "<rect class=\"live-bar\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\"><title>{}</title></rect>",
            y0 + h - bh,
            slot * BAR_FILL,
            esc(&title)
        );
    }
    if let (Some(first), Some(last)) = (minutes.first(), minutes.last()) {
        let _ = write!(
            s,
            "<text class=\"axis\" x=\"{x0}\" y=\"{}\" text-anchor=\"start\">{}</text><text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            H - 6.0,
            esc(&minute_label(first, tz)),
            x0 + w,
            H - 6.0,
            esc(&minute_label(last, tz)),
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bar_per_minute_with_its_count_in_the_title() {
        let start: chrono::DateTime<chrono::Utc> = "2026-03-01T12:00:00Z".parse().unwrap();
        let minutes: Vec<Minute> = (0..3)
            .map(|i| Minute {
                start: start + chrono::Duration::minutes(i),
                pageviews: i * 2,
            })
            .collect();
        let svg = minutes_chart(&minutes, chrono_tz::Europe::Berlin);
        assert_eq!(svg.matches("<rect class=\"live-bar\"").count(), 3);
        assert!(svg.contains("<title>13:02: 4 page views</title>"), "{svg}");
        assert!(svg.contains(">13:00</text>"));
        // The busiest minute has 4: the axis reads 4, 2 and 0, never a fraction.
        assert!(
            svg.contains(">4</text>") && svg.contains(">2</text>"),
            "{svg}"
        );
        assert!(!svg.contains(".5</text>"));
    }
}
