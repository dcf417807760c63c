//! Alerts and reports: the owner's alert settings and the detector's state per service
//! (`service_alerts`), each user's opt-ins (`notify_optins`), the once-only log of what was
//! sent (`notify_sent`), the delivery queue (`notify_outbox`) and the key of unsubscribe links
//! (`notify_key`). Every row is keyed by its service and goes with it (foreign keys cascade).

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// Most recipients one message goes to (owner and collaborators who opted in).
pub const MAX_RECIPIENTS: i64 = 200;

/// A service's alert settings and state.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertSettings {
    /// Service id.
    pub service_id: Uuid,
    /// Alerts on.
    pub enabled: bool,
    /// Baseline weeks.
    pub weeks: i16,
    /// Robust z-score threshold.
    pub threshold: f64,
    /// Minimum baseline median (page views per hour).
    pub min_volume: f64,
    /// Webhook URL ("" = none).
    pub webhook_url: String,
    /// Send Slack's `{"text": …}` instead of the full JSON.
    pub webhook_slack: bool,
    /// The webhook signing key (hex).
    pub secret: String,
    /// Last hour judged.
    pub last_hour: Option<DateTime<Utc>>,
    /// Kind of the open episode.
    pub open_kind: Option<String>,
    /// First hour of the open episode.
    pub open_since: Option<DateTime<Utc>>,
}

const SETTINGS_COLS: &str = "service_id, enabled, weeks, threshold, min_volume, webhook_url,
    webhook_slack, secret, last_hour, open_kind, open_since";

fn settings_row(r: &tokio_postgres::Row) -> AlertSettings {
    AlertSettings {
        service_id: r.get(0),
        enabled: r.get(1),
        weeks: r.get(2),
        threshold: r.get(3),
        min_volume: r.get(4),
        webhook_url: r.get(5),
        webhook_slack: r.get(6),
        secret: r.get(7),
        last_hour: r.get(8),
        open_kind: r.get(9),
        open_since: r.get(10),
    }
}

/// A service's alert settings, if it ever had any.
pub async fn settings<C: GenericClient>(
    c: &C,
    service: Uuid,
) -> Result<Option<AlertSettings>, tokio_postgres::Error> {
    Ok(c.query_opt(
        &format!("SELECT {SETTINGS_COLS} FROM service_alerts WHERE service_id = $1"),
        &[&service],
    )
    .await?
    .map(|r| settings_row(&r)))
}

/// What an owner edits (validated by the caller).
#[derive(Debug, Clone)]
pub struct AlertEdit<'a> {
    /// Alerts on.
    pub enabled: bool,
    /// Baseline weeks.
    pub weeks: i16,
    /// Threshold.
    pub threshold: f64,
    /// Minimum volume.
    pub min_volume: f64,
    /// Webhook URL ("" = none).
    pub webhook_url: &'a str,
    /// Slack-compatible body.
    pub webhook_slack: bool,
}

/// Saves the settings; `new_secret` becomes the signing key when the service has none yet.
/// Turning alerts off forgets an open episode (no recovery notice for it when they come back).
pub async fn save_settings<C: GenericClient>(
    c: &C,
    service: Uuid,
    e: &AlertEdit<'_>,
    new_secret: &str,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "INSERT INTO service_alerts (service_id, enabled, weeks, threshold, min_volume,
             webhook_url, webhook_slack, secret)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (service_id) DO UPDATE SET enabled = $2, weeks = $3, threshold = $4,
             min_volume = $5, webhook_url = $6, webhook_slack = $7,
             open_kind = CASE WHEN $2 THEN service_alerts.open_kind END,
             open_since = CASE WHEN $2 THEN service_alerts.open_since END",
        &[
            &service,
            &e.enabled,
            &e.weeks,
            &e.threshold,
            &e.min_volume,
            &e.webhook_url,
            &e.webhook_slack,
            &new_secret,
        ],
    )
    .await?;
    Ok(())
}

/// A service due for judging, with what the message needs.
#[derive(Debug, Clone)]
pub struct Due {
    /// Settings and state.
    pub settings: AlertSettings,
    /// Service name.
    pub name: String,
    /// When the service was created (baseline hours before it are left out).
    pub created_at: DateTime<Utc>,
}

/// Claims up to `limit` active services with alerts on that have not been judged at `hour`
/// yet. Rows another replica holds are skipped. Run it in a transaction; the locks hold until
/// it ends.
pub async fn claim_due<C: GenericClient>(
    c: &C,
    hour: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Due>, tokio_postgres::Error> {
    let cols = SETTINGS_COLS
        .split(',')
        .map(|s| format!("a.{}", s.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(c.query(
        &format!(
            "SELECT {cols}, s.name, s.created_at FROM service_alerts a
             JOIN services s ON s.id = a.service_id
             WHERE a.enabled AND s.status = 'AC' AND (a.last_hour IS NULL OR a.last_hour < $1)
             ORDER BY a.service_id LIMIT $2 FOR UPDATE OF a SKIP LOCKED"
        ),
        &[&hour, &limit],
    )
    .await?
    .into_iter()
    .map(|r| Due {
        settings: settings_row(&r),
        name: r.get(11),
        created_at: r.get(12),
    })
    .collect())
}

/// Records the hour judged and the open episode (or none).
pub async fn set_state<C: GenericClient>(
    c: &C,
    service: Uuid,
    hour: DateTime<Utc>,
    open: Option<(&str, DateTime<Utc>)>,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "UPDATE service_alerts SET last_hour = $2, open_kind = $3, open_since = $4
         WHERE service_id = $1",
        &[&service, &hour, &open.map(|o| o.0), &open.map(|o| o.1)],
    )
    .await?;
    Ok(())
}

/// Records that `kind` for `period` was sent; `false` if it already was (by this or another
/// replica). Run it in the transaction that queues the messages.
pub async fn record_sent<C: GenericClient>(
    c: &C,
    service: Uuid,
    kind: &str,
    period: DateTime<Utc>,
) -> Result<bool, tokio_postgres::Error> {
    Ok(c.execute(
        "INSERT INTO notify_sent (service_id, kind, period) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
        &[&service, &kind, &period],
    )
    .await?
        == 1)
}

/// Which mail a user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Optin {
    /// Anomaly alerts.
    Alerts,
    /// Weekly report.
    Weekly,
    /// Monthly report.
    Monthly,
}

impl Optin {
    fn column(self) -> &'static str {
        match self {
            Optin::Alerts => "alerts",
            Optin::Weekly => "weekly",
            Optin::Monthly => "monthly",
        }
    }

    /// The name used in links and forms.
    pub fn as_str(self) -> &'static str {
        self.column()
    }

    /// The inverse of [`Optin::as_str`].
    pub fn parse(s: &str) -> Option<Optin> {
        match s {
            "alerts" => Some(Optin::Alerts),
            "weekly" => Some(Optin::Weekly),
            "monthly" => Some(Optin::Monthly),
            _ => None,
        }
    }
}

/// The owner and collaborators of `service` who opted in to `which`: (user id, address).
pub async fn recipients<C: GenericClient>(
    c: &C,
    service: Uuid,
    which: Optin,
) -> Result<Vec<(i64, String)>, tokio_postgres::Error> {
    Ok(c.query(
        &format!(
            "SELECT u.id, u.email FROM notify_optins o
             JOIN users u ON u.id = o.user_id
             JOIN services s ON s.id = o.service_id
             WHERE o.service_id = $1 AND o.{} AND u.is_active
               AND (u.id = s.owner_id OR EXISTS (SELECT 1 FROM collaborators k
                                                 WHERE k.service_id = $1 AND k.user_id = u.id))
             ORDER BY u.id LIMIT $2",
            which.column()
        ),
        &[&service, &MAX_RECIPIENTS],
    )
    .await?
    .into_iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect())
}

/// A user's opt-ins for a service: (alerts, weekly, monthly).
pub async fn optins<C: GenericClient>(
    c: &C,
    service: Uuid,
    user: i64,
) -> Result<(bool, bool, bool), tokio_postgres::Error> {
    Ok(c.query_opt(
        "SELECT alerts, weekly, monthly FROM notify_optins WHERE service_id = $1 AND user_id = $2",
        &[&service, &user],
    )
    .await?
    .map_or((false, false, false), |r| (r.get(0), r.get(1), r.get(2))))
}

/// Sets all three opt-ins of a user for a service.
pub async fn set_optins<C: GenericClient>(
    c: &C,
    service: Uuid,
    user: i64,
    (alerts, weekly, monthly): (bool, bool, bool),
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "INSERT INTO notify_optins (service_id, user_id, alerts, weekly, monthly)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (service_id, user_id) DO UPDATE SET alerts = $3, weekly = $4, monthly = $5",
        &[&service, &user, &alerts, &weekly, &monthly],
    )
    .await?;
    Ok(())
}

/// Turns one opt-in off (unsubscribe); `false` if it was not on.
pub async fn opt_out<C: GenericClient>(
    c: &C,
    service: Uuid,
    user: i64,
    which: Optin,
) -> Result<bool, tokio_postgres::Error> {
    Ok(c.execute(
        &format!(
            "UPDATE notify_optins SET {0} = false WHERE service_id = $1 AND user_id = $2 AND {0}",
            which.column()
        ),
        &[&service, &user],
    )
    .await?
        == 1)
}

/// Services with at least one user opted in to `which` whose `kind` message for `period` was
/// not sent yet (at most `limit`).
pub async fn services_due<C: GenericClient>(
    c: &C,
    which: Optin,
    kind: &str,
    period: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Uuid>, tokio_postgres::Error> {
    Ok(c.query(
        &format!(
            "SELECT DISTINCT o.service_id FROM notify_optins o JOIN services s ON s.id = o.service_id
             WHERE o.{} AND s.status = 'AC'
               AND NOT EXISTS (SELECT 1 FROM notify_sent n WHERE n.service_id = o.service_id
                                 AND n.kind = $1 AND n.period = $2)
             ORDER BY 1 LIMIT $3",
            which.column()
        ),
        &[&kind, &period, &limit],
    )
    .await?
    .into_iter()
    .map(|r| r.get(0))
    .collect())
}

/// A queued message.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Row id.
    pub id: i64,
    /// Service.
    pub service_id: Uuid,
    /// `mail` or `webhook`.
    pub channel: String,
    /// Address or URL.
    pub target: String,
    /// The message (JSON text).
    pub payload: String,
    /// Failed attempts so far.
    pub attempts: i32,
}

/// Queues a message.
pub async fn enqueue<C: GenericClient>(
    c: &C,
    service: Uuid,
    channel: &str,
    target: &str,
    payload: &str,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "INSERT INTO notify_outbox (service_id, channel, target, payload)
         VALUES ($1, $2, $3, $4::text::jsonb)",
        &[&service, &channel, &target, &payload],
    )
    .await?;
    Ok(())
}

/// Claims up to `limit` messages due now; rows another replica holds are skipped. Run it in a
/// transaction and settle each row with [`delivered`] or [`failed`] in it.
pub async fn claim_outbox<C: GenericClient>(
    c: &C,
    limit: i64,
) -> Result<Vec<Outgoing>, tokio_postgres::Error> {
    Ok(c.query(
        "SELECT id, service_id, channel, target, payload::text, attempts FROM notify_outbox
         WHERE next_attempt <= now() ORDER BY next_attempt, id LIMIT $1 FOR UPDATE SKIP LOCKED",
        &[&limit],
    )
    .await?
    .into_iter()
    .map(|r| Outgoing {
        id: r.get(0),
        service_id: r.get(1),
        channel: r.get(2),
        target: r.get(3),
        payload: r.get(4),
        attempts: r.get(5),
    })
    .collect())
}

/// Removes a delivered (or abandoned) message.
pub async fn delivered<C: GenericClient>(c: &C, id: i64) -> Result<(), tokio_postgres::Error> {
    c.execute("DELETE FROM notify_outbox WHERE id = $1", &[&id])
        .await?;
    Ok(())
}

/// Records a failed attempt and when to try again.
pub async fn failed<C: GenericClient>(
    c: &C,
    id: i64,
    error: &str,
    retry_in_secs: f64,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "UPDATE notify_outbox SET attempts = attempts + 1, last_error = $2,
             next_attempt = now() + make_interval(secs => $3) WHERE id = $1",
        &[&id, &error, &retry_in_secs],
    )
    .await?;
    Ok(())
}

/// Messages waiting (for health output).
pub async fn pending<C: GenericClient>(c: &C) -> Result<i64, tokio_postgres::Error> {
    Ok(c.query_one("SELECT count(*) FROM notify_outbox", &[])
        .await?
        .get(0))
}

/// The instance's unsubscribe-link key; `fresh` (32 random bytes) becomes it if there is none.
pub async fn link_key<C: GenericClient>(
    c: &C,
    fresh: &[u8],
) -> Result<Vec<u8>, tokio_postgres::Error> {
    c.execute(
        "INSERT INTO notify_key (id, key) VALUES (true, $1) ON CONFLICT DO NOTHING",
        &[&fresh],
    )
    .await?;
    Ok(c.query_one("SELECT key FROM notify_key WHERE id", &[])
        .await?
        .get(0))
}

/// Forgets the sent log past any period it guards (a year and a month).
pub async fn prune<C: GenericClient>(c: &C) -> Result<(), tokio_postgres::Error> {
    c.batch_execute("DELETE FROM notify_sent WHERE sent_at < now() - interval '400 days';")
        .await
}
