//! `shynet report send`: one report mailed now, to check a mail setup without waiting for the
//! end of a week. It goes straight to the SMTP server (not through the delivery queue), so an
//! error is printed at once, and it carries no unsubscribe link (the address need not be a
//! user's).

use crate::notify::context::Notifier;
use crate::notify::{compose, reports};
use anyhow::{bail, Context};
use clap::Subcommand;
use dashboard::mail::Mailer;
use deadpool_postgres::Pool;
use reports::Period;
use uuid::Uuid;

/// `shynet report …`
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Mail the report of the last complete week or month of a service now.
    Send {
        /// Service id.
        #[arg(long)]
        service: Uuid,
        /// Recipient address.
        #[arg(long)]
        to: String,
        /// Which report.
        #[arg(long, value_enum, default_value = "week")]
        period: Period,
        /// Mail settings (EMAIL_HOST, SERVER_EMAIL, …) as for `shynet serve`.
        #[command(flatten)]
        dashboard: Box<dashboard::DashboardArgs>,
    },
}

/// Runs the command; returns the line to print.
pub async fn run(pool: &Pool, cmd: &ReportCommand, tz: chrono_tz::Tz) -> anyhow::Result<String> {
    let ReportCommand::Send {
        service,
        to,
        period,
        dashboard,
    } = cmd;
    let to = crate::cli::validate_email(to)?;
    let state = dashboard::DashboardState::new(
        pool.clone(),
        dashboard::DashboardSettings {
            args: (**dashboard).clone(),
            time_zone: tz,
            heartbeat_ms: 5000,
            block_all_ips: false,
            ip_headers: Vec::new(),
            proxy_trust: Default::default(),
        },
    )?;
    if matches!(state.mailer(), Mailer::Log) {
        bail!("no SMTP server configured (set EMAIL_HOST): nothing sent");
    }
    let c = pool.get().await?;
    let Some(own) = models::services::zones::time_zone(&**c, *service).await? else {
        bail!("no service with id {service}");
    };
    // "Last complete period" as the service's own zone sees today.
    let tz = stats::window::service_zone(own.as_deref(), tz);
    state.load_instance_name().await.ok();
    let n = Notifier::new(state);
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let span = period.last_complete(today);
    let (name, d) = reports::digest(&**c, &n, *service, *period, span).await?;
    // In the language of the account that owns the address, if any (English otherwise).
    let lang = dashboard::lang::LangSetting::from_stored(
        &models::users::language_of_address(&**c, &to).await?,
    )
    .for_mail();
    let mail = compose::report_mail(&d, &n.instance(), &name, &to, None, lang);
    n.dashboard
        .mailer()
        .deliver(&mail)
        .await
        .context("sending the report")?;
    Ok(format!(
        "{} report of {name} ({} – {}) sent to {to}",
        period.kind(),
        span.0,
        span.1
    ))
}

#[cfg(test)]
mod tests {
    use super::{Period, ReportCommand};
    use clap::Parser;

    /// The subcommand on its own, as `shynet report` parses it.
    #[derive(Debug, Parser)]
    struct Report {
        #[command(subcommand)]
        command: ReportCommand,
    }

    fn parse(args: &[&str]) -> Result<ReportCommand, String> {
        Report::try_parse_from(["report"].iter().chain(args).copied())
            .map(|c| c.command)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn send_needs_a_service_id_an_address_and_a_known_period() {
        let svc = "8a1f0000-0000-4000-8000-000000000001";
        let ok = parse(&["send", "--service", svc, "--to", "a@example.com"]);
        assert!(
            matches!(&ok, Ok(ReportCommand::Send { period, .. }) if *period == Period::Week),
            "{ok:?}"
        );
        let month = parse(&[
            "send",
            "--service",
            svc,
            "--to",
            "a@b.c",
            "--period",
            "month",
        ]);
        assert!(
            matches!(&month, Ok(ReportCommand::Send { period, .. }) if *period == Period::Month)
        );
        let bad = parse(&[
            "send",
            "--service",
            svc,
            "--to",
            "a@b.c",
            "--period",
            "year",
        ]);
        assert!(bad.unwrap_err().contains("year"));
        assert!(parse(&["send", "--service", "nope", "--to", "a@b.c"]).is_err());
        assert!(parse(&["send", "--service", svc]).is_err());
    }
}
