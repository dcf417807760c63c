//! Charts drawn on the server as SVG (no JavaScript): the service page's hits/sessions chart,
//! whose daily buckets link to that day, and the overview sparklines. Every text in the SVG is
//! escaped.

use crate::date_style::DateStyle;
use crate::format;
use crate::i18n::{self, Arg};
use crate::render::esc;
use chrono_tz::Tz;
use stats::chart::{Chart, Granularity};
use std::fmt::Write;

const W: f64 = 800.0;
const H: f64 = 200.0;
const PAD_TOP: f64 = 10.0;
const PAD_BOTTOM: f64 = 24.0;
const PAD_LEFT: f64 = 44.0;

fn points(values: &[i64], max: i64, x0: f64, w: f64, y0: f64, h: f64) -> Vec<(f64, f64)> {
    let n = values.len();
    let step = if n > 1 { w / (n - 1) as f64 } else { 0.0 };
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = if n > 1 {
                x0 + step * i as f64
            } else {
                x0 + w / 2.0
            };
            let y = y0 + h
                - if max > 0 {
                    h * *v as f64 / max as f64
                } else {
                    0.0
                };
            (x, y)
        })
        .collect()
}

fn polyline(pts: &[(f64, f64)]) -> String {
    let mut s = String::new();
    for (i, (x, y)) in pts.iter().enumerate() {
        let _ = write!(s, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { " L" });
    }
    s
}

fn area(pts: &[(f64, f64)], base: f64) -> String {
    match (pts.first(), pts.last()) {
        (Some(f), Some(l)) => format!(
            "{} L{:.1},{base:.1} L{:.1},{base:.1} Z",
            polyline(pts),
            l.0,
            f.0
        ),
        _ => String::new(),
    }
}

/// The main chart. `day_link(date)` gives the URL that opens a single day.
pub fn main_chart(
    c: &Chart,
    tz: Tz,
    style: DateStyle,
    day_link: &dyn Fn(chrono::NaiveDate) -> String,
) -> String {
    let hits: Vec<i64> = c.points.iter().map(|p| p.hits).collect();
    let sessions: Vec<i64> = c.points.iter().map(|p| p.sessions).collect();
    let max = hits
        .iter()
        .chain(&sessions)
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let (x0, w, y0, h) = (
        PAD_LEFT,
        W - PAD_LEFT - 8.0,
        PAD_TOP,
        H - PAD_TOP - PAD_BOTTOM,
    );
    let hp = points(&hits, max, x0, w, y0, h);
    let sp = points(&sessions, max, x0, w, y0, h);
    let mut s = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"group\" aria-label=\"{}\">",
        esc(&i18n::tr_now("chart-label"))
    );
    // Grid and y labels.
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
    let _ = write!(s, "<path class=\"hits-area\" d=\"{}\"/>", area(&hp, y0 + h));
    let _ = write!(s, "<path class=\"hits-line\" d=\"{}\"/>", polyline(&hp));
    let _ = write!(s, "<path class=\"sessions-line\" d=\"{}\"/>", polyline(&sp));
    // x labels: first, middle, last.
    let n = c.points.len();
    let fmt_label = |i: usize| -> String {
        let p = &c.points[i];
        match c.granularity {
            Granularity::Daily => p.day.map(|d| style.short_date(d)).unwrap_or_default(),
            Granularity::Hourly => style.short_date_time(&p.start.with_timezone(&tz)),
        }
    };
    if n > 0 {
        let mut idx = vec![0, n / 2, n - 1];
        idx.dedup();
        for i in idx {
            let anchor = if i == 0 {
                "start"
            } else if i == n - 1 {
                "end"
            } else {
                "middle"
            };
            let _ = write!(
                s,
                "<text class=\"axis\" x=\"{:.1}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
                hp[i].0,
                H - 6.0,
                esc(&fmt_label(i))
            );
        }
    }
    // Hover/click targets per bucket.
    let step = if n > 1 { w / (n - 1) as f64 } else { w };
    for (i, p) in c.points.iter().enumerate() {
        let x = hp[i].0 - step / 2.0;
        let title = i18n::tr_now_args(
            "chart-point",
            &[
                ("label", Arg::from(fmt_label(i))),
                ("hits", Arg::from(format::int(p.hits))),
                ("sessions", Arg::from(format::int(p.sessions))),
            ],
        );
        let rect = format!(
            "<rect class=\"target\" x=\"{:.1}\" y=\"{y0}\" width=\"{step:.1}\" height=\"{h}\"/>",
            x.max(0.0),
        );
        // The `<title>` is each point's text alternative and, on a link, its accessible name.
        match p.day {
            Some(d) if c.granularity == Granularity::Daily => {
                let _ = write!(
                    s,
                    "<a href=\"{}\" aria-label=\"{}\"><title>{}</title>{rect}</a>",
                    esc(&day_link(d)),
                    esc(&title),
                    esc(&title)
                );
            }
            _ => {
                let _ = write!(
                    s,
                    "<g role=\"img\" aria-label=\"{0}\"><title>{0}</title>{rect}</g>",
                    esc(&title)
                );
            }
        }
    }
    s.push_str("</svg>");
    s
}

/// Most rows the chart's data table lists: hourly charts of long windows are thinned to this.
const MAX_TABLE_ROWS: usize = 400;

/// The main chart's figures as a table, folded under a `<details>`: the text alternative for
/// screen readers and for anyone who wants the exact numbers.
pub fn data_table(c: &Chart, tz: Tz, style: DateStyle) -> String {
    if c.points.is_empty() {
        return String::new();
    }
    let t = |k: &str| esc(&i18n::tr_now(k));
    let mut s = format!(
        "<details class=\"chart-table\"><summary>{as_table}</summary>\
         <div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"{as_table}\">\
         <table class=\"chart-data\"><caption class=\"visually-hidden\">{caption}</caption>\
         <thead><tr><th scope=\"col\">{period}</th><th scope=\"col\" class=\"num\">{hits}</th><th scope=\"col\" class=\"num\">{sessions}</th></tr></thead><tbody>",
        as_table = t("chart-as-table"),
        caption = t("chart-label"),
        period = t("chart-col-period"),
        hits = t("figure-hits"),
        sessions = t("figure-sessions"),
    );
    for p in c.points.iter().take(MAX_TABLE_ROWS) {
        let label = match (c.granularity, p.day) {
            (Granularity::Daily, Some(d)) => style.date(d),
            _ => style.date_time(&p.start.with_timezone(&tz)),
        };
        let _ = write!(
            s,
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&label),
            format::int(p.hits),
            format::int(p.sessions)
        );
    }
    s.push_str("</tbody></table></div></details>");
    s
}

/// A 100×30 sparkline of hits (area) and sessions (line).
pub fn sparkline(c: &Chart) -> String {
    let hits: Vec<i64> = c.points.iter().map(|p| p.hits).collect();
    let sessions: Vec<i64> = c.points.iter().map(|p| p.sessions).collect();
    let max = hits
        .iter()
        .chain(&sessions)
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let hp = points(&hits, max, 0.0, 100.0, 1.0, 28.0);
    let sp = points(&sessions, max, 0.0, 100.0, 1.0, 28.0);
    format!(
        "<svg class=\"spark\" viewBox=\"0 0 100 30\" preserveAspectRatio=\"none\" aria-hidden=\"true\"><path class=\"hits-area\" d=\"{}\"/><path class=\"sessions-line\" vector-effect=\"non-scaling-stroke\" d=\"{}\"/></svg>",
        area(&hp, 29.0),
        polyline(&sp)
    )
}

/// A table row's background bar (width in percent), as SVG so no inline style is needed.
pub fn bar(width_pct: f64) -> String {
    format!(
        "<svg class=\"bar\" viewBox=\"0 0 100 1\" preserveAspectRatio=\"none\" aria-hidden=\"true\"><rect width=\"{width_pct:.1}\" height=\"1\"/></svg>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use stats::chart::Point;

    #[test]
    fn chart_links_days_and_escapes() {
        let d = chrono::NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
        let c = Chart {
            granularity: Granularity::Daily,
            points: vec![Point {
                start: "2024-03-05T00:00:00Z".parse().unwrap(),
                day: Some(d),
                label: "2024-03-05".into(),
                sessions: 2,
                hits: 1234,
            }],
        };
        let svg = main_chart(&c, chrono_tz::UTC, DateStyle::Iso, &|d| {
            format!("?startDate={d}&endDate={d}")
        });
        assert!(svg.contains("href=\"?startDate=2024-03-05&amp;endDate=2024-03-05\""));
        assert!(svg.contains("<title>2024-03-05: 1,234 hits, 2 sessions</title>"));
        // Each point is a link named by its figures; the table lists them in the user's style.
        assert!(svg.contains("aria-label=\"2024-03-05: 1,234 hits, 2 sessions\""));
        let svg = main_chart(&c, chrono_tz::UTC, DateStyle::MonthDay, &|d| d.to_string());
        assert!(svg.contains("<title>Mar 5: 1,234 hits, 2 sessions</title>"));
        let table = data_table(&c, chrono_tz::UTC, DateStyle::DayMonth);
        assert!(table.contains(
            "<th scope=\"row\">5 Mar 2024</th><td class=\"num\">1,234</td><td class=\"num\">2</td>"
        ));
        assert!(sparkline(&c).starts_with("<svg"));
    }
}
