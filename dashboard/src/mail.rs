//! Account mail (password reset, address verification): sent over SMTP when `EMAIL_HOST` is set,
//! otherwise written to the log so a single-machine install still works. Sending happens in the
//! background; a failure is logged, never shown as a server error.

use crate::config::DashboardArgs;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// A mail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    /// No SMTP configured: mail is logged.
    Log,
    /// An SMTP relay.
    Smtp {
        /// The transport.
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        /// Sender.
        from: Mailbox,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Log => f.write_str("Mailer::Log"),
            Mailer::Smtp { from, .. } => write!(f, "Mailer::Smtp(from {from})"),
        }
    }
}

impl Mailer {
    /// Builds the mailer from the settings.
    pub fn from_args(a: &DashboardArgs) -> Result<Mailer, String> {
        let Some(host) = a.email_host.as_deref().filter(|h| !h.trim().is_empty()) else {
            return Ok(Mailer::Log);
        };
        let from: Mailbox = a
            .server_email
            .parse()
            .map_err(|e| format!("SERVER_EMAIL `{}`: {e}", a.server_email))?;
        let builder = if a.email_use_tls {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
        } else if a.email_use_ssl {
            AsyncSmtpTransport::<Tokio1Executor>::relay(host)
        } else {
            Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                host,
            ))
        }
        .map_err(|e| format!("EMAIL_HOST `{host}`: {e}"))?;
        let mut builder = builder.port(a.email_port);
        if let (Some(u), Some(p)) = (&a.email_host_user, &a.email_host_password) {
            builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(Mailer::Smtp {
            transport: Box::new(builder.build()),
            from,
        })
    }

    /// Sends in the background.
    pub fn send(&self, mail: Mail) {
        match self {
            Mailer::Log => {
                tracing::info!(to = %mail.to, subject = %mail.subject, body = %mail.body, "mail (no EMAIL_HOST set, logged instead of sent)");
            }
            Mailer::Smtp { transport, from } => {
                let transport = transport.as_ref().clone();
                let from = from.clone();
                tokio::spawn(async move {
                    let to: Mailbox = match mail.to.parse() {
                        Ok(t) => t,
                        Err(e) => {
                            tracing::warn!(to = %mail.to, error = %e, "bad recipient");
                            return;
                        }
                    };
                    let msg = match Message::builder()
                        .from(from)
                        .to(to)
                        .subject(mail.subject.clone())
                        .body(mail.body.clone())
                    {
                        Ok(m) => m,
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot build mail");
                            return;
                        }
                    };
                    if let Err(e) = transport.send(msg).await {
                        tracing::warn!(to = %mail.to, error = %e, "sending mail failed");
                    }
                });
            }
        }
    }
}
