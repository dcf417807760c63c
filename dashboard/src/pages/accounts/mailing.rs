//! Account mail carrying a single-use link. Links are built only from the configured dashboard
//! URL (never from the request's `Host`, which a client chooses), each mail counts against the
//! per-address and per-user limits, and the link's token is created in the same transaction.

use crate::auth::{mail_quota, one_time};
use crate::mail::Mail;
use crate::page_error::PageError;
use crate::pages::layout::instance_name;
use crate::state::DashboardState;

/// What the link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Prove this address row.
    Verify {
        /// The `user_emails` row.
        email_id: i64,
    },
    /// Choose a new password.
    Reset,
}

/// Why a mail was not sent; each has a text the user (or admin) can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// `SHYNET_DASHBOARD_URL` is not set, so there is no trustworthy base for the link.
    NoSiteUrl,
    /// Over [`mail_quota::MAX_PER_ADDRESS`] or [`mail_quota::MAX_PER_USER`].
    Quota,
}

impl Refused {
    /// The explanation shown on the page that tried to send.
    pub fn text(self) -> &'static str {
        match self {
            Refused::NoSiteUrl => "This instance cannot send mail with links yet: its administrator has to set SHYNET_DASHBOARD_URL.",
            Refused::Quota => "Too many mails were sent for this address or account recently. Try again in an hour.",
        }
    }
}

/// Refuses early when no dashboard URL is configured (logged for the operator).
pub fn site_base(state: &DashboardState) -> Result<String, Refused> {
    match state.site() {
        Some(s) => Ok(s.base.clone()),
        None => {
            tracing::error!(
                "account mail with a link not sent: set SHYNET_DASHBOARD_URL to the dashboard's public URL"
            );
            Err(Refused::NoSiteUrl)
        }
    }
}

/// Creates the link and mails it to `to` (a stored address), within the limits.
pub async fn send_link(
    state: &DashboardState,
    c: &mut deadpool_postgres::Object,
    user_id: i64,
    to: &str,
    link: Link,
) -> Result<Result<(), Refused>, PageError> {
    let base = match site_base(state) {
        Ok(b) => b,
        Err(r) => return Ok(Err(r)),
    };
    let name = instance_name(state, &***c).await?;
    let tx = c.transaction().await?;
    if !mail_quota::take(&*tx, user_id, to).await? {
        tracing::info!(user = user_id, "account mail refused: over the rate limit");
        return Ok(Err(Refused::Quota));
    }
    let hours = one_time::LINK_HOURS;
    let mail = match link {
        Link::Verify { email_id } => {
            let t =
                one_time::create(&*tx, one_time::Purpose::Verify, user_id, Some(email_id)).await?;
            Mail {
                to: to.to_owned(),
                subject: format!("[{name}] Please confirm your email address"),
                body: format!(
                    "Hello,\n\nplease confirm that {to} is your address by opening this link:\n\n{base}/accounts/confirm-email/{t}/\n\nThe link works for {hours} hours. If you did not ask for this, ignore this mail.\n\n— {name}\n"
                ),
            }
        }
        Link::Reset => {
            let t = one_time::create(&*tx, one_time::Purpose::Reset, user_id, None).await?;
            Mail {
                to: to.to_owned(),
                subject: format!("[{name}] Password reset"),
                body: format!(
                    "Hello,\n\nsomeone (hopefully you) asked to reset the password of your {name} account. Choose a new one here:\n\n{base}/accounts/password/reset/key/{t}/\n\nThe link works once, for {hours} hours. If you did not ask for this, ignore this mail.\n\n— {name}\n"
                ),
            }
        }
    };
    tx.commit().await?;
    state.mailer().send(mail);
    Ok(Ok(()))
}
