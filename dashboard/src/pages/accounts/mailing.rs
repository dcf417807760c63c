//! Account mail carrying a single-use link. Links are built only from the configured dashboard
//! URL (never from the request's `Host`, which a client chooses), each mail counts against the
//! per-address and per-user limits, and the link's token is created in the same transaction.

use crate::auth::{mail_quota, one_time};
use crate::i18n::{self, Arg};
use crate::lang::{Lang, LangSetting};
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
    /// The explanation shown on the page that tried to send, in its language.
    pub fn text(self, lang: Lang) -> String {
        i18n::tr(
            lang,
            match self {
                Refused::NoSiteUrl => "mail-refused-no-site-url",
                Refused::Quota => "mail-refused-quota",
            },
        )
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
    // In the recipient's language: their setting (English when automatic: a mail has no
    // browser to ask).
    let lang =
        LangSetting::from_stored(&models::users::language_of(&*tx, user_id).await?).for_mail();
    let mail = match link {
        Link::Verify { email_id } => {
            let t =
                one_time::create(&*tx, one_time::Purpose::Verify, user_id, Some(email_id)).await?;
            let url = format!("{base}/accounts/confirm-email/{t}/");
            account_mail(lang, to, MailText::VERIFY, &name, &url, hours)
        }
        Link::Reset => {
            let t = one_time::create(&*tx, one_time::Purpose::Reset, user_id, None).await?;
            let url = format!("{base}/accounts/password/reset/key/{t}/");
            account_mail(lang, to, MailText::RESET, &name, &url, hours)
        }
    };
    tx.commit().await?;
    state.mailer().send(mail);
    Ok(Ok(()))
}

/// The catalogue keys of an account mail's subject and body.
struct MailText {
    subject: &'static str,
    body: &'static str,
}

impl MailText {
    const VERIFY: MailText = MailText {
        subject: "mail-verify-subject",
        body: "mail-verify-body",
    };
    const RESET: MailText = MailText {
        subject: "mail-reset-subject",
        body: "mail-reset-body",
    };
}

/// One account mail from its catalogue messages.
fn account_mail(lang: Lang, to: &str, text: MailText, name: &str, url: &str, hours: i32) -> Mail {
    let args = [
        ("name", Arg::from(name)),
        ("address", Arg::from(to)),
        ("url", Arg::from(url)),
        ("hours", Arg::from(i64::from(hours))),
    ];
    Mail {
        to: to.to_owned(),
        subject: i18n::tr_args(lang, text.subject, &args),
        body: i18n::tr_args(lang, text.body, &args) + "\n",
    }
}
