//! What every notification step shares: the dashboard's state (mailer, public URL, instance
//! name, time zone, the webhook setting) and the counters.

use super::counters::NotifyMetrics;
use dashboard::DashboardState;
use std::sync::Arc;

/// The notification side of a process.
#[derive(Clone)]
pub struct Notifier {
    /// Mailer, site URL, instance name and flags.
    pub dashboard: DashboardState,
    /// Counters for health output.
    pub metrics: Arc<NotifyMetrics>,
}

impl Notifier {
    /// A notifier with fresh counters.
    pub fn new(dashboard: DashboardState) -> Notifier {
        Notifier {
            dashboard,
            metrics: Arc::default(),
        }
    }

    /// `SHYNET_WEBHOOK_ALLOW_PRIVATE`.
    pub fn allow_private(&self) -> bool {
        self.dashboard.args().webhook_allow_private
    }

    /// The name mail is sent under.
    pub fn instance(&self) -> String {
        self.dashboard.instance_name()
    }

    /// The dashboard's public base URL (no trailing slash), if configured.
    pub fn base(&self) -> Option<String> {
        self.dashboard
            .site()
            .map(|s| s.base.trim_end_matches('/').to_owned())
    }
}

/// The language of a recipient's mail: their setting, English when automatic.
pub async fn recipient_lang<C: tokio_postgres::GenericClient>(
    c: &C,
    user: i64,
) -> Result<dashboard::lang::Lang, tokio_postgres::Error> {
    let code = models::users::language_of(c, user).await?;
    Ok(dashboard::lang::LangSetting::from_stored(&code).for_mail())
}
