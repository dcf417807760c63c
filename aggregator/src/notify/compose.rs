//! The words of alerts and reports: mail (text and HTML, under the instance's name, in the
//! recipient's language from the dashboard's catalogues) and webhook bodies (full JSON, or
//! Slack's `{"text": …}`; English, since a channel has no one language). No I/O.

use chrono::{DateTime, NaiveDate, Utc};
use dashboard::i18n::{tr, tr_args, Arg};
use dashboard::lang::Lang;
use dashboard::mail::RichMail;
use dashboard::numbers;
use stats::anomaly::Kind;
use uuid::Uuid;

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Whether an episode starts or ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// An anomaly began.
    Alert,
    /// It ended.
    Recovery,
}

/// One alert or recovery.
#[derive(Debug, Clone)]
pub struct AlertEvent {
    /// Service id.
    pub service: Uuid,
    /// Service name.
    pub name: String,
    /// Alert or recovery.
    pub phase: Phase,
    /// Kind of the episode.
    pub kind: Kind,
    /// The episode's first hour.
    pub since: DateTime<Utc>,
    /// The hour judged.
    pub hour: DateTime<Utc>,
    /// Page views in it.
    pub observed: f64,
    /// The baseline median.
    pub expected: f64,
    /// The service's page, when the dashboard URL is known.
    pub link: Option<String>,
}

fn headline(lang: Lang, e: &AlertEvent) -> String {
    let what = tr(
        lang,
        match e.kind {
            Kind::Drop => "mail-alert-drop",
            Kind::Spike => "mail-alert-spike",
            Kind::Outage => "mail-alert-outage",
        },
    );
    match e.phase {
        Phase::Alert => format!("{}: {what}", e.name),
        Phase::Recovery => tr_args(
            lang,
            "mail-alert-recovered",
            &[
                ("name", Arg::from(e.name.as_str())),
                (
                    "kind",
                    Arg::from(tr(
                        lang,
                        match e.kind {
                            Kind::Drop => "mail-kind-drop",
                            Kind::Spike => "mail-kind-spike",
                            Kind::Outage => "mail-kind-outage",
                        },
                    )),
                ),
            ],
        ),
    }
}

fn detail(lang: Lang, e: &AlertEvent) -> String {
    tr_args(
        lang,
        "mail-alert-detail",
        &[
            (
                "hour",
                Arg::from(e.hour.format("%Y-%m-%d %H:%M").to_string()),
            ),
            (
                "observed",
                Arg::from(numbers::int_in(lang, e.observed.round() as i64)),
            ),
            (
                "expected",
                Arg::from(numbers::int_in(lang, e.expected.round() as i64)),
            ),
        ],
    )
}

/// The alert mail to one recipient, in their language, with their unsubscribe link when the
/// dashboard URL is known.
pub fn alert_mail(
    e: &AlertEvent,
    instance: &str,
    to: &str,
    unsubscribe: Option<String>,
    lang: Lang,
) -> RichMail {
    let head = headline(lang, e);
    let det = detail(lang, e);
    let started = tr_args(
        lang,
        "mail-alert-started",
        &[(
            "since",
            Arg::from(e.since.format("%Y-%m-%d %H:%M").to_string()),
        )],
    );
    let foot = tr_args(
        lang,
        "mail-alert-footer",
        &[("instance", Arg::from(instance))],
    );
    let link = e.link.as_deref().unwrap_or("");
    RichMail {
        to: to.to_owned(),
        subject: format!("[{instance}] {head}"),
        text: format!("{head}\n\n{det}\n{started}\n\n{link}\n\n-- \n{foot}\n"),
        html: format!(
            "<!doctype html><html><body><h2>{}</h2><p>{}</p><p>{}</p>{}<hr><p><small>{}</small></p></body></html>",
            esc(&head),
            esc(&det),
            esc(&started),
            if link.is_empty() { String::new() } else { format!("<p><a href=\"{0}\">{0}</a></p>", esc(link)) },
            esc(&foot)
        ),
        unsubscribe: None,
    }
    .with_unsubscribe(unsubscribe, lang)
}

/// Adds the unsubscribe link to both bodies and the headers.
trait WithUnsubscribe {
    fn with_unsubscribe(self, link: Option<String>, lang: Lang) -> RichMail;
}

impl WithUnsubscribe for RichMail {
    fn with_unsubscribe(mut self, link: Option<String>, lang: Lang) -> RichMail {
        if let Some(u) = &link {
            let word = tr(lang, "mail-unsubscribe");
            self.text.push_str(&format!("{word}: {u}\n"));
            self.html = self.html.replace(
                "</body></html>",
                &format!(
                    "<p><small><a href=\"{0}\">{1}</a></small></p></body></html>",
                    esc(u),
                    esc(&word)
                ),
            );
        }
        self.unsubscribe = link;
        self
    }
}

/// The webhook body.
pub fn alert_webhook(e: &AlertEvent, instance: &str, slack: bool) -> String {
    let text = format!(
        "[{instance}] {} — {}",
        headline(Lang::En, e),
        detail(Lang::En, e)
    );
    let v = if slack {
        serde_json::json!({ "text": text })
    } else {
        serde_json::json!({
            "event": match e.phase { Phase::Alert => "alert", Phase::Recovery => "recovery" },
            "kind": e.kind.as_str(),
            "service": e.service,
            "service_name": e.name,
            "episode_start": e.since,
            "hour": e.hour,
            "page_views": e.observed,
            "expected": e.expected,
            "link": e.link,
            "text": text,
        })
    };
    v.to_string()
}

/// The figures of one period and the one before.
#[derive(Debug, Clone, Default)]
pub struct Digest {
    /// `weekly` or `monthly`.
    pub kind: &'static str,
    /// First day.
    pub first: Option<NaiveDate>,
    /// Last day.
    pub last: Option<NaiveDate>,
    /// (catalogue key of the label, this period, previous period) for each core figure.
    pub figures: Vec<(&'static str, f64, f64)>,
    /// (catalogue key of the title, rows (key, count)) for top pages, referrers, campaigns.
    pub tables: Vec<(&'static str, Vec<(String, i64)>)>,
    /// Goals: (name, conversions, rate %).
    pub goals: Vec<(String, i64, Option<f64>)>,
}

fn change(lang: Lang, cur: f64, prev: f64) -> String {
    if prev == 0.0 {
        if cur == 0.0 {
            numbers::with_percent(lang, "±0")
        } else {
            tr(lang, "format-badge-new")
        }
    } else {
        let pct = (100.0 * (cur - prev) / prev).round() as i64;
        let sign = if pct >= 0 { "+" } else { "-" };
        numbers::with_percent(lang, &format!("{sign}{}", numbers::int_in(lang, pct.abs())))
    }
}

/// A figure of a report: whole numbers grouped, others with one decimal.
fn figure(lang: Lang, x: f64) -> String {
    numbers::one_decimal_finite(lang, x.round())
}

/// The report mail to one recipient, in their language.
pub fn report_mail(
    d: &Digest,
    instance: &str,
    service: &str,
    to: &str,
    unsubscribe: Option<String>,
    lang: Lang,
) -> RichMail {
    let period = match (d.first, d.last) {
        (Some(a), Some(b)) => format!("{a} – {b}"),
        _ => String::new(),
    };
    let title = tr_args(
        lang,
        if d.kind == "monthly" {
            "mail-report-title-monthly"
        } else {
            "mail-report-title-weekly"
        },
        &[
            ("service", Arg::from(service)),
            ("period", Arg::from(period.as_str())),
        ],
    );
    let mut text = format!("{title}\n\n");
    let mut html = format!("<!doctype html><html><body><h2>{}</h2><table>", esc(&title));
    for (key, cur, prev) in &d.figures {
        let label = tr(lang, key);
        let (c, p, ch) = (
            figure(lang, *cur),
            figure(lang, *prev),
            change(lang, *cur, *prev),
        );
        let args = [
            ("change", Arg::from(ch.as_str())),
            ("previous", Arg::from(p.as_str())),
        ];
        text.push_str(&format!(
            "{label}: {c} ({})\n",
            tr_args(lang, "mail-report-vs-previous", &args)
        ));
        html.push_str(&format!(
            "<tr><td>{}</td><td><b>{c}</b></td><td>{}</td></tr>",
            esc(&label),
            esc(&tr_args(lang, "mail-report-previous", &args))
        ));
    }
    html.push_str("</table>");
    let none = tr(lang, "mail-report-none");
    for (key, rows) in &d.tables {
        let t = tr(lang, key);
        text.push_str(&format!("\n{t}:\n"));
        html.push_str(&format!("<h3>{}</h3><table>", esc(&t)));
        if rows.is_empty() {
            text.push_str(&format!("  {none}\n"));
        }
        for (k, n) in rows {
            let k = if k.is_empty() { none.as_str() } else { k };
            let n = numbers::int_in(lang, *n);
            text.push_str(&format!("  {n:>8}  {k}\n"));
            html.push_str(&format!("<tr><td>{n}</td><td>{}</td></tr>", esc(k)));
        }
        html.push_str("</table>");
    }
    if !d.goals.is_empty() {
        let goals = tr(lang, "goals-heading");
        text.push_str(&format!("\n{goals}:\n"));
        html.push_str(&format!("<h3>{}</h3><table>", esc(&goals)));
        for (g, n, r) in &d.goals {
            let rate = r.map_or(String::new(), |r| {
                format!(
                    " ({})",
                    numbers::with_percent(lang, &numbers::one_decimal_finite(lang, r))
                )
            });
            let n = numbers::int_in(lang, *n);
            text.push_str(&format!("  {n:>8}  {g}{rate}\n"));
            html.push_str(&format!(
                "<tr><td>{n}</td><td>{}{}</td></tr>",
                esc(g),
                esc(&rate)
            ));
        }
        html.push_str("</table>");
    }
    let foot = tr_args(
        lang,
        "mail-report-footer",
        &[("instance", Arg::from(instance))],
    );
    text.push_str(&format!("\n-- \n{foot}\n"));
    html.push_str(&format!("<hr><p><small>{}</small></p>", esc(&foot)));
    html.push_str("</body></html>");
    RichMail {
        to: to.to_owned(),
        subject: format!("[{instance}] {title}"),
        text,
        html,
        unsubscribe: None,
    }
    .with_unsubscribe(unsubscribe, lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_in_html_and_slack_is_text_only() {
        let e = AlertEvent {
            service: Uuid::nil(),
            name: "<b>Shop</b>".into(),
            phase: Phase::Alert,
            kind: Kind::Outage,
            since: Utc::now(),
            hour: Utc::now(),
            observed: 0.0,
            expected: 120.0,
            link: None,
        };
        let m = alert_mail(
            &e,
            "Acme Stats",
            "a@example.com",
            Some("https://s.example/u?x".into()),
            Lang::En,
        );
        assert!(m.text.contains("Unsubscribe: https://s.example/u?x"));
        assert_eq!(m.unsubscribe.as_deref(), Some("https://s.example/u?x"));
        assert!(m.html.contains("&lt;b&gt;Shop"), "{}", m.html);
        assert!(m.subject.starts_with("[Acme Stats]"));
        let v: serde_json::Value = serde_json::from_str(&alert_webhook(&e, "Acme", true)).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 1);
        assert!(v["text"].as_str().unwrap().contains("no page views"));
        let v: serde_json::Value = serde_json::from_str(&alert_webhook(&e, "Acme", false)).unwrap();
        assert_eq!(v["kind"], "outage");
        assert_eq!(v["event"], "alert");
    }

    #[test]
    fn changes_compare_with_the_previous_period() {
        assert_eq!(change(Lang::En, 150.0, 100.0), "+50%");
        assert_eq!(change(Lang::En, 50.0, 100.0), "-50%");
        assert_eq!(change(Lang::En, 5.0, 0.0), "new");
        assert_eq!(change(Lang::De, 2500.0, 100.0), "+2.400 %");
        assert_eq!(change(Lang::De, 5.0, 0.0), "neu");
    }

    #[test]
    fn reports_are_written_in_the_recipients_language() {
        let d = Digest {
            kind: "weekly",
            first: NaiveDate::from_ymd_opt(2026, 11, 23),
            last: NaiveDate::from_ymd_opt(2026, 11, 29),
            figures: vec![("mail-figure-page-views", 12345.0, 10000.0)],
            tables: vec![("mail-table-top-pages", vec![("/".into(), 1234)])],
            goals: vec![("Signup".into(), 12, Some(12.5))],
        };
        let m = report_mail(
            &d,
            "Acme",
            "Shop",
            "a@example.com",
            Some("https://u".into()),
            Lang::De,
        );
        assert!(
            m.subject.contains("Wochenbericht für Shop"),
            "{}",
            m.subject
        );
        for t in [
            "Seitenaufrufe: 12.345 (+23 % gegenüber dem Vorzeitraum: 10.000)",
            "Meistbesuchte Seiten:",
            "1.234  /",
            "Ziele:",
            "Signup (12,5 %)",
            "Abbestellen: https://u",
        ] {
            assert!(m.text.contains(t), "{t}: {}", m.text);
        }
        let m = report_mail(&d, "Acme", "Shop", "a@example.com", None, Lang::En);
        assert!(
            m.subject.contains("Weekly report for Shop"),
            "{}",
            m.subject
        );
        assert!(
            m.text
                .contains("Page views: 12,345 (+23% vs. previous period: 10,000)"),
            "{}",
            m.text
        );
    }
}
