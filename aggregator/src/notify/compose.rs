//! The words of alerts and reports: mail (text and HTML, under the instance's name) and
//! webhook bodies (full JSON, or Slack's `{"text": …}`). No I/O.

use chrono::{DateTime, NaiveDate, Utc};
use dashboard::mail::RichMail;
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

fn headline(e: &AlertEvent) -> String {
    let what = match e.kind {
        Kind::Drop => "page views dropped",
        Kind::Spike => "page views spiked",
        Kind::Outage => "no page views at all (tracking broken or site down?)",
    };
    match e.phase {
        Phase::Alert => format!("{}: {what}", e.name),
        Phase::Recovery => format!("{}: back to normal ({} ended)", e.name, e.kind.as_str()),
    }
}

fn detail(e: &AlertEvent) -> String {
    format!(
        "Hour starting {} UTC: {:.0} page views, usually {:.0} at this hour of the week.",
        e.hour.format("%Y-%m-%d %H:%M"),
        e.observed,
        e.expected
    )
}

/// The alert mail to one recipient, with their unsubscribe link when the dashboard URL is known.
pub fn alert_mail(
    e: &AlertEvent,
    instance: &str,
    to: &str,
    unsubscribe: Option<String>,
) -> RichMail {
    let head = headline(e);
    let det = detail(e);
    let link = e.link.as_deref().unwrap_or("");
    RichMail {
        to: to.to_owned(),
        subject: format!("[{instance}] {head}"),
        text: format!(
            "{head}\n\n{det}\nEpisode started at {} UTC.\n\n{link}\n\n-- \n{instance}: you receive this because you turned on alerts for this service on its manage page.\n",
            e.since.format("%Y-%m-%d %H:%M")
        ),
        html: format!(
            "<!doctype html><html><body><h2>{}</h2><p>{}</p><p>Episode started at {} UTC.</p>{}<hr><p><small>{}: you receive this because you turned on alerts for this service on its manage page.</small></p></body></html>",
            esc(&head),
            esc(&det),
            e.since.format("%Y-%m-%d %H:%M"),
            if link.is_empty() { String::new() } else { format!("<p><a href=\"{0}\">{0}</a></p>", esc(link)) },
            esc(instance)
        ),
        unsubscribe: None,
    }
    .with_unsubscribe(unsubscribe)
}

/// Adds the unsubscribe link to both bodies and the headers.
trait WithUnsubscribe {
    fn with_unsubscribe(self, link: Option<String>) -> RichMail;
}

impl WithUnsubscribe for RichMail {
    fn with_unsubscribe(mut self, link: Option<String>) -> RichMail {
        if let Some(u) = &link {
            self.text.push_str(&format!("Unsubscribe: {u}\n"));
            self.html = self.html.replace(
                "</body></html>",
                &format!(
                    "<p><small><a href=\"{0}\">Unsubscribe</a></small></p></body></html>",
                    esc(u)
                ),
            );
        }
        self.unsubscribe = link;
        self
    }
}

/// The webhook body.
pub fn alert_webhook(e: &AlertEvent, instance: &str, slack: bool) -> String {
    let text = format!("[{instance}] {} — {}", headline(e), detail(e));
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
    /// (label, this period, previous period) for each core figure.
    pub figures: Vec<(&'static str, f64, f64)>,
    /// (title, rows (key, count)) for top pages, referrers, campaigns.
    pub tables: Vec<(&'static str, Vec<(String, i64)>)>,
    /// Goals: (name, conversions, rate %).
    pub goals: Vec<(String, i64, Option<f64>)>,
}

fn change(cur: f64, prev: f64) -> String {
    if prev == 0.0 {
        if cur == 0.0 {
            "±0%".into()
        } else {
            "new".into()
        }
    } else {
        format!("{:+.0}%", 100.0 * (cur - prev) / prev)
    }
}

/// The report mail to one recipient.
pub fn report_mail(
    d: &Digest,
    instance: &str,
    service: &str,
    to: &str,
    unsubscribe: Option<String>,
) -> RichMail {
    let period = match (d.first, d.last) {
        (Some(a), Some(b)) => format!("{a} – {b}"),
        _ => String::new(),
    };
    let title = format!(
        "{} report for {service}: {period}",
        if d.kind == "monthly" {
            "Monthly"
        } else {
            "Weekly"
        }
    );
    let mut text = format!("{title}\n\n");
    let mut html = format!("<!doctype html><html><body><h2>{}</h2><table>", esc(&title));
    for (label, cur, prev) in &d.figures {
        text.push_str(&format!(
            "{label}: {cur:.0} ({} vs. previous period: {prev:.0})\n",
            change(*cur, *prev)
        ));
        html.push_str(&format!(
            "<tr><td>{}</td><td><b>{cur:.0}</b></td><td>{} (previous: {prev:.0})</td></tr>",
            esc(label),
            esc(&change(*cur, *prev))
        ));
    }
    html.push_str("</table>");
    for (t, rows) in &d.tables {
        text.push_str(&format!("\n{t}:\n"));
        html.push_str(&format!("<h3>{}</h3><table>", esc(t)));
        if rows.is_empty() {
            text.push_str("  (none)\n");
        }
        for (k, n) in rows {
            let k = if k.is_empty() { "(none)" } else { k };
            text.push_str(&format!("  {n:>8}  {k}\n"));
            html.push_str(&format!("<tr><td>{n}</td><td>{}</td></tr>", esc(k)));
        }
        html.push_str("</table>");
    }
    if !d.goals.is_empty() {
        text.push_str("\nGoals:\n");
        html.push_str("<h3>Goals</h3><table>");
        for (g, n, r) in &d.goals {
            let rate = r.map_or(String::new(), |r| format!(" ({r:.1}%)"));
            text.push_str(&format!("  {n:>8}  {g}{rate}\n"));
            html.push_str(&format!(
                "<tr><td>{n}</td><td>{}{}</td></tr>",
                esc(g),
                esc(&rate)
            ));
        }
        html.push_str("</table>");
    }
    let foot = format!(
        "{instance}: you receive this because you asked for it on the service's manage page."
    );
    text.push_str(&format!("\n-- \n{foot}\n"));
    html.push_str(&format!("<hr><p><small>{}</small></p>", esc(&foot)));
    if let Some(u) = &unsubscribe {
        text.push_str(&format!("Unsubscribe: {u}\n"));
        html.push_str(&format!(
            "<p><small><a href=\"{0}\">Unsubscribe</a></small></p>",
            esc(u)
        ));
    }
    html.push_str("</body></html>");
    RichMail {
        to: to.to_owned(),
        subject: format!("[{instance}] {title}"),
        text,
        html,
        unsubscribe,
    }
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
        assert_eq!(change(150.0, 100.0), "+50%");
        assert_eq!(change(50.0, 100.0), "-50%");
        assert_eq!(change(5.0, 0.0), "new");
    }
}
