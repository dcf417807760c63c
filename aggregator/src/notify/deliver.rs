//! Delivery of queued messages: each due row of `notify_outbox` is claimed
//! (`FOR UPDATE SKIP LOCKED`, so replicas share the queue without sending a row twice), sent,
//! and deleted; a failure is retried with exponential back-off up to [`MAX_ATTEMPTS`] times and
//! counted ([`super::counters`]). Logs name the recipient's domain or the webhook's host, never
//! the address, the body or a secret.

use super::context::Notifier;
use super::counters::NotifyMetrics;
use super::webhook;
use dashboard::mail::{DeliverError, RichMail};
use models::notify::{self, Outgoing};

/// Messages sent per pass.
pub const BATCH: i64 = 10;
/// Attempts before a message is given up.
pub const MAX_ATTEMPTS: i32 = 8;
/// First retry delay; it doubles with every failure.
pub const FIRST_RETRY_SECS: f64 = 30.0;
/// Longest retry delay.
pub const MAX_RETRY_SECS: f64 = 6.0 * 3600.0;

/// Delay before attempt `attempts + 1` after `attempts` failures.
pub fn backoff_secs(attempts: i32) -> f64 {
    (FIRST_RETRY_SECS * 2f64.powi(attempts.clamp(0, 20))).min(MAX_RETRY_SECS)
}

/// The outcome of one attempt.
enum Outcome {
    Sent,
    Retry(String),
    GiveUp(String),
}

/// Sends up to [`BATCH`] due messages. Returns how many were settled.
pub async fn pass(client: &mut tokio_postgres::Client, n: &Notifier) -> anyhow::Result<usize> {
    let tx = client.transaction().await?;
    let rows = notify::claim_outbox(&tx, BATCH).await?;
    for r in &rows {
        let outcome = attempt(&tx, n, r).await?;
        match outcome {
            Outcome::Sent => notify::delivered(&tx, r.id).await?,
            Outcome::Retry(e) if r.attempts + 1 < MAX_ATTEMPTS => {
                notify::failed(&tx, r.id, &e, backoff_secs(r.attempts)).await?
            }
            Outcome::Retry(e) | Outcome::GiveUp(e) => {
                tracing::warn!(channel = %r.channel, error = %e, attempts = r.attempts + 1, "notification given up");
                NotifyMetrics::inc(&n.metrics.given_up);
                notify::delivered(&tx, r.id).await?
            }
        }
    }
    tx.commit().await?;
    Ok(rows.len())
}

async fn attempt(
    tx: &tokio_postgres::Transaction<'_>,
    n: &Notifier,
    r: &Outgoing,
) -> anyhow::Result<Outcome> {
    let m = &n.metrics;
    Ok(match r.channel.as_str() {
        "mail" => {
            let mail: RichMail = match serde_json::from_str(&r.payload) {
                Ok(m) => m,
                Err(e) => return Ok(Outcome::GiveUp(format!("stored mail unreadable: {e}"))),
            };
            let domain = mail.to.rsplit_once('@').map_or("", |(_, d)| d).to_owned();
            match n.dashboard.mailer().deliver(&mail).await {
                Ok(sent) => {
                    if sent {
                        NotifyMetrics::inc(&m.mail_sent);
                    }
                    Outcome::Sent
                }
                Err(DeliverError::Permanent(e)) => Outcome::GiveUp(e),
                Err(DeliverError::Transient(e)) => {
                    NotifyMetrics::inc(&m.mail_failures);
                    tracing::warn!(to_domain = %domain, error = %e, "notification mail failed; will retry");
                    Outcome::Retry(e)
                }
            }
        }
        "webhook" => {
            let Some(s) = notify::settings(tx, r.service_id).await? else {
                return Ok(Outcome::GiveUp("alerts removed".into()));
            };
            match webhook::post(&r.target, &r.payload, &s.secret, n.allow_private()).await {
                Ok(_) => {
                    NotifyMetrics::inc(&m.webhook_sent);
                    Outcome::Sent
                }
                Err(e) => {
                    NotifyMetrics::inc(&m.webhook_failures);
                    let host = reqwest::Url::parse(&r.target)
                        .ok()
                        .and_then(|u| u.host_str().map(str::to_owned))
                        .unwrap_or_default();
                    tracing::warn!(%host, error = %e, "webhook failed; will retry");
                    Outcome::Retry(e)
                }
            }
        }
        other => Outcome::GiveUp(format!("unknown channel {other}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_a_cap() {
        assert_eq!(backoff_secs(0), 30.0);
        assert_eq!(backoff_secs(1), 60.0);
        assert_eq!(backoff_secs(3), 240.0);
        assert_eq!(backoff_secs(30), MAX_RETRY_SECS);
    }
}
