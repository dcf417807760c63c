//! Account mail (password reset, address verification): sent over SMTP when `EMAIL_HOST` is set.
//! Without it, mail is not sent and only that fact is logged (with the recipient's domain): the
//! body carries single-use secrets, which must never reach a log. Sending happens in the
//! background; a failure is logged, never shown as a server error.

use crate::settings::DashboardArgs;
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

impl Mail {
    /// The part after the last `@`: all a log line may say about the recipient.
    pub fn recipient_domain(&self) -> &str {
        self.to.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    /// No SMTP configured: mail is dropped (the log says so, without its content).
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
                tracing::warn!(
                    to_domain = %mail.recipient_domain(),
                    "account mail not sent: no EMAIL_HOST set"
                );
            }
            Mailer::Smtp { transport, from } => {
                let transport = transport.as_ref().clone();
                let from = from.clone();
                tokio::spawn(async move {
                    let to: Mailbox = match mail.to.parse() {
                        Ok(t) => t,
                        Err(e) => {
                            tracing::warn!(to_domain = %mail.recipient_domain(), error = %e, "bad recipient");
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
                        tracing::warn!(to_domain = %mail.recipient_domain(), error = %e, "sending mail failed");
                    }
                });
            }
        }
    }
}

/// A mail with a text and an HTML part, sent by the maintenance job (alerts, reports), which
/// waits for the outcome to retry failures. Stored in the delivery queue as JSON.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RichMail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
    /// One-click unsubscribe URL: sent as `List-Unsubscribe` with `List-Unsubscribe-Post`
    /// (RFC 8058), so mail clients can offer the button.
    pub unsubscribe: Option<String>,
}

/// Why a mail was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliverError {
    /// Not a mail that can be built (bad address): retrying will not help.
    #[error("unusable mail: {0}")]
    Permanent(String),
    /// The SMTP server failed or could not be reached: worth retrying.
    #[error("SMTP: {0}")]
    Transient(String),
}

impl Mailer {
    /// Sends now and waits for the server's answer. `Ok(false)`: no SMTP server is configured,
    /// so the mail was dropped (only that fact and the recipient's domain are logged).
    pub async fn deliver(&self, mail: &RichMail) -> Result<bool, DeliverError> {
        use lettre::message::header::{HeaderName, HeaderValue};
        use lettre::message::MultiPart;
        let (transport, from) = match self {
            Mailer::Log => {
                let domain = mail.to.rsplit_once('@').map_or("", |(_, d)| d);
                tracing::warn!(to_domain = %domain, "notification mail not sent: no EMAIL_HOST set");
                return Ok(false);
            }
            Mailer::Smtp { transport, from } => (transport, from),
        };
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| DeliverError::Permanent(format!("recipient: {e}")))?;
        let mut b = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(mail.subject.clone());
        if let Some(u) = &mail.unsubscribe {
            b = b
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{u}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        let msg = b
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| DeliverError::Permanent(e.to_string()))?;
        transport
            .send(msg)
            .await
            .map(|_| true)
            .map_err(|e| DeliverError::Transient(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Collects everything the subscriber writes.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::ErrorKind::Other)?
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn unsent_mail_logs_no_secret() {
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        let secret = "0123456789abcdef0123456789abcdef";
        tracing::subscriber::with_default(subscriber, || {
            Mailer::Log.send(Mail {
                to: "someone@mail.example".into(),
                subject: format!("Reset {secret}"),
                body: format!("https://stats.example.com/accounts/password/reset/key/{secret}/"),
            });
        });
        let logged = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(logged.contains("not sent"), "{logged}");
        assert!(logged.contains("mail.example"), "{logged}");
        assert!(!logged.contains(secret), "{logged}");
        assert!(!logged.contains("someone@"), "{logged}");
    }
}
