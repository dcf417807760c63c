//! The dashboard's settings, as flags with environment variables of Shynet's names, so an
//! operator moving from Shynet keeps their `.env`. The aggregator flattens [`DashboardArgs`] into
//! `shynet serve`.

use clap::builder::BoolishValueParser;
use clap::{Args, ValueEnum};

/// When new email addresses must be verified (allauth's three modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum EmailVerification {
    /// No verification mail is sent on sign-up; addresses can still be verified from the emails
    /// page (only verified addresses find collaborators).
    #[default]
    None,
    /// A verification mail is sent; logging in works without it.
    Optional,
    /// Logging in needs a verified primary address.
    Mandatory,
}

/// Dashboard and account settings of `shynet serve`.
#[derive(Debug, Clone, Args)]
pub struct DashboardArgs {
    /// Let anyone create an account from the login page.
    #[arg(long, env = "ACCOUNT_SIGNUPS_ENABLED", default_value = "false", value_parser = BoolishValueParser::new())]
    pub account_signups_enabled: bool,
    /// Email verification: none, optional or mandatory.
    #[arg(
        long,
        env = "ACCOUNT_EMAIL_VERIFICATION",
        value_enum,
        default_value = "none"
    )]
    pub account_email_verification: EmailVerification,
    /// Only admins may create services.
    #[arg(long, env = "ONLY_SUPERUSERS_CREATE", default_value = "true", value_parser = BoolishValueParser::new())]
    pub only_superusers_create: bool,
    /// Instance name shown in titles and emails (admins can change it on the admin page).
    #[arg(long, env = "SHYNET_WHITELABEL", default_value = "Shynet")]
    pub whitelabel: String,
    /// Base URL of this dashboard as users reach it (e.g. https://stats.example.com): the only
    /// source of links in mail (without it, mail carrying a link is not sent) and, when https,
    /// of Secure `__Host-` cookies and HSTS.
    #[arg(long = "dashboard-url", env = "SHYNET_DASHBOARD_URL")]
    pub dashboard_url: Option<String>,
    /// Host names this server answers for, comma-separated (`*` = any); other `Host` headers get
    /// 400 on every route but /healthz. Default: localhost, 127.0.0.1, [::1]. The dashboard
    /// URL's host is always allowed.
    #[arg(long = "allowed-hosts", env = "SHYNET_ALLOWED_HOSTS")]
    pub allowed_hosts: Option<String>,
    /// Use https:// in install snippets and API URLs shown on the dashboard.
    #[arg(long, env = "SCRIPT_USE_HTTPS", default_value = "true", value_parser = BoolishValueParser::new())]
    pub script_use_https: bool,
    /// Services per page on the overview.
    #[arg(long, env = "DASHBOARD_PAGE_SIZE", default_value_t = 5)]
    pub dashboard_page_size: u32,
    /// Map link of a session; $LATITUDE and $LONGITUDE are replaced.
    #[arg(
        long,
        env = "LOCATION_URL",
        default_value = "https://www.openstreetmap.org/?mlat=$LATITUDE&mlon=$LONGITUDE"
    )]
    pub location_url: String,
    /// SMTP server; without it, mail is written to the log.
    #[arg(long, env = "EMAIL_HOST")]
    pub email_host: Option<String>,
    /// SMTP port.
    #[arg(long, env = "EMAIL_PORT", default_value_t = 465)]
    pub email_port: u16,
    /// SMTP user name.
    #[arg(long, env = "EMAIL_HOST_USER")]
    pub email_host_user: Option<String>,
    /// SMTP password.
    #[arg(long, env = "EMAIL_HOST_PASSWORD", hide_env_values = true)]
    pub email_host_password: Option<String>,
    /// Use STARTTLS on a plain connection (port 587); otherwise implicit TLS unless
    /// EMAIL_USE_SSL is false, in which case mail goes unencrypted (local relays only).
    #[arg(long, env = "EMAIL_USE_TLS", default_value = "false", value_parser = BoolishValueParser::new())]
    pub email_use_tls: bool,
    /// Use implicit TLS (port 465).
    #[arg(long, env = "EMAIL_USE_SSL", default_value = "true", value_parser = BoolishValueParser::new())]
    pub email_use_ssl: bool,
    /// Sender of account mail.
    #[arg(
        long,
        env = "SERVER_EMAIL",
        default_value = "Shynet <noreply@shynet.example.com>"
    )]
    pub server_email: String,
    /// Let alert webhooks reach loopback, private and link-local addresses and plain http
    /// (an intranet receiver, tests). Off: only https to public addresses.
    #[arg(long, env = "SHYNET_WEBHOOK_ALLOW_PRIVATE", default_value = "false", value_parser = BoolishValueParser::new())]
    pub webhook_allow_private: bool,
}

impl Default for DashboardArgs {
    fn default() -> Self {
        DashboardArgs {
            account_signups_enabled: false,
            account_email_verification: EmailVerification::None,
            only_superusers_create: true,
            whitelabel: "Shynet".into(),
            dashboard_url: None,
            allowed_hosts: None,
            script_use_https: true,
            dashboard_page_size: 5,
            location_url: "https://www.openstreetmap.org/?mlat=$LATITUDE&mlon=$LONGITUDE".into(),
            email_host: None,
            email_port: 465,
            email_host_user: None,
            email_host_password: None,
            email_use_tls: false,
            email_use_ssl: true,
            server_email: "Shynet <noreply@shynet.example.com>".into(),
            webhook_allow_private: false,
        }
    }
}
