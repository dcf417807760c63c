//! The alert pass: for each service with alerts on, judge the newest closed hour against its
//! seasonal baseline ([`stats::anomaly`]), and on the start or end of an episode queue one
//! message per opted-in recipient and one webhook call. The service's row is claimed
//! (`FOR UPDATE SKIP LOCKED`) and the decision recorded in `notify_sent` in the same
//! transaction as the queued messages, so replicas never send an alert twice.

use super::compose::{self, AlertEvent, Phase};
use super::context::Notifier;
use super::counters::NotifyMetrics;
use models::notify::{self, Due, Optin};
use stats::anomaly::{self, Action, Kind, Params, RECOVERY_FRACTION};
use stats::anomaly_data;

/// Most services judged per pass (the rest wait for the next pass, 10 s later).
pub const SERVICES_PER_PASS: i64 = 100;

/// Judges the newest closed hour for up to [`SERVICES_PER_PASS`] services. Returns how many
/// were judged.
pub async fn pass(client: &mut tokio_postgres::Client, n: &Notifier) -> anyhow::Result<usize> {
    let Some(hour) = anomaly_data::last_closed_hour(&*client).await? else {
        return Ok(0);
    };
    let tx = client.transaction().await?;
    let due = notify::claim_due(&tx, hour, SERVICES_PER_PASS).await?;
    for d in &due {
        judge_one(&tx, n, d, hour).await?;
    }
    tx.commit().await?;
    Ok(due.len())
}

async fn judge_one(
    tx: &tokio_postgres::Transaction<'_>,
    n: &Notifier,
    d: &Due,
    hour: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    let s = &d.settings;
    let mut hours = vec![hour];
    hours.extend(anomaly_data::baseline_hours(hour, s.weeks, d.created_at));
    let counts = anomaly_data::hits_in_hours(tx, s.service_id, &hours).await?;
    let (observed, samples) = counts
        .split_first()
        .map_or((0.0, &[][..]), |(o, r)| (*o, r));
    let p = Params {
        threshold: s.threshold,
        min_volume: s.min_volume,
    };
    let strict = anomaly::judge(observed, samples, &p);
    let relaxed = anomaly::judge_with(observed, samples, &p, RECOVERY_FRACTION);
    let open = s.open_kind.as_deref().and_then(Kind::parse);
    let since = s.open_since.unwrap_or(hour);
    let state = match anomaly::step(open, &strict, &relaxed) {
        Action::Nothing => open.map(|k| (k.as_str(), since)),
        Action::Open(k) => {
            if notify::record_sent(tx, s.service_id, "alert", hour).await? {
                NotifyMetrics::inc(&n.metrics.alerts);
                let e = event(n, d, Phase::Alert, k, hour, hour, &strict);
                queue(tx, n, d, &e).await?;
            }
            Some((k.as_str(), hour))
        }
        Action::Close(k) => {
            if notify::record_sent(tx, s.service_id, "recovery", since).await? {
                NotifyMetrics::inc(&n.metrics.recoveries);
                let e = event(n, d, Phase::Recovery, k, since, hour, &strict);
                queue(tx, n, d, &e).await?;
            }
            None
        }
    };
    notify::set_state(tx, s.service_id, hour, state).await?;
    Ok(())
}

fn event(
    n: &Notifier,
    d: &Due,
    phase: Phase,
    kind: Kind,
    since: chrono::DateTime<chrono::Utc>,
    hour: chrono::DateTime<chrono::Utc>,
    v: &anomaly::Verdict,
) -> AlertEvent {
    AlertEvent {
        service: d.settings.service_id,
        name: d.name.clone(),
        phase,
        kind,
        since,
        hour,
        observed: v.observed,
        expected: v.expected,
        link: n
            .base()
            .map(|b| format!("{b}/dashboard/service/{}/", d.settings.service_id)),
    }
}

/// Queues the mails and the webhook call of one alert or recovery.
async fn queue(
    tx: &tokio_postgres::Transaction<'_>,
    n: &Notifier,
    d: &Due,
    e: &AlertEvent,
) -> anyhow::Result<()> {
    let instance = n.instance();
    let service = d.settings.service_id;
    let key = dashboard::unsubscribe::key(tx).await?;
    for (user, to) in notify::recipients(tx, service, Optin::Alerts).await? {
        let lang = super::context::recipient_lang(tx, user).await?;
        let unsub = n
            .base()
            .map(|b| dashboard::unsubscribe::link(&b, &key, user, service, Optin::Alerts.as_str()));
        let mail = compose::alert_mail(e, &instance, &to, unsub, lang);
        notify::enqueue(tx, service, "mail", &to, &serde_json::to_string(&mail)?).await?;
    }
    if !d.settings.webhook_url.is_empty() {
        let body = compose::alert_webhook(e, &instance, d.settings.webhook_slack);
        notify::enqueue(tx, service, "webhook", &d.settings.webhook_url, &body).await?;
    }
    Ok(())
}
