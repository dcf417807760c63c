//! The create/manage form of a service: reading the submitted fields, validating each with a
//! message for the field, resolving collaborators by verified email address, and saving.

use crate::i18n::{self, Arg};
use beacon::ip_filter::IgnoredIps;
use beacon::origins::AllowedOrigins;
use beacon::tracking_params::{TrackingParams, DEFAULT_TRACKING_PARAMS};
use models::services::ServiceRow;
use models::{collaborators, emails, services};
use serde::Serialize;
use std::collections::BTreeMap;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// Longest accepted link.
pub const MAX_LINK: usize = 200;
/// Longest accepted injected script.
pub const MAX_SCRIPT_INJECT: usize = 64 * 1024;
/// Longest retention, in days (the database's check constraint: 100 years).
pub const MAX_RETENTION_DAYS: i32 = 36_500;

/// The form's values as submitted (or loaded).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServiceForm {
    /// Name.
    pub name: String,
    /// Primary URL.
    pub link: String,
    /// Comma-separated collaborator emails.
    pub collaborators: String,
    /// Honour DNT/GPC.
    pub respect_dnt: bool,
    /// Store IPs.
    pub collect_ips: bool,
    /// Ignored networks.
    pub ignored_ips: String,
    /// Drop robots.
    pub ignore_robots: bool,
    /// Hidden referrers.
    pub hide_referrer_regex: String,
    /// Allowed origins.
    pub origins: String,
    /// Extra tracker JS.
    pub script_inject: String,
    /// Days raw hits and sessions are kept, as typed ("" = for ever).
    pub raw_retention_days: String,
    /// Days hourly rollups are kept, as typed ("" = for ever).
    pub rollup_retention_days: String,
    /// Query parameters removed from page URLs before grouping.
    pub tracking_params: String,
    /// IANA time zone as typed ("" = the instance's `TIME_ZONE`).
    pub time_zone: String,
}

/// A validated form ready to save.
#[derive(Debug, Clone)]
pub struct Valid {
    form: ServiceForm,
    collaborator_ids: Vec<i64>,
    raw_retention_days: Option<i32>,
    rollup_retention_days: Option<i32>,
}

/// Per-field error messages, keyed by field name.
pub type FieldErrors = BTreeMap<&'static str, String>;

/// Reads a retention field: empty means "keep for ever", otherwise a whole number of days from 1
/// to [`MAX_RETENTION_DAYS`].
pub fn parse_retention(s: &str) -> Result<Option<i32>, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<i32>()
        .ok()
        .filter(|d| (1..=MAX_RETENTION_DAYS).contains(d))
        .map(Some)
        .ok_or_else(|| {
            i18n::tr_now_args(
                "error-retention-days",
                &[("max", Arg::from(MAX_RETENTION_DAYS.to_string()))],
            )
        })
}

/// Checks the two retention settings together, as the database does: rollups are kept at least
/// as long as raw rows, so totals, charts and tables never disappear before the drill-down does.
/// Errors are keyed by field name.
pub fn check_retention(raw: &str, rollup: &str) -> Result<(Option<i32>, Option<i32>), FieldErrors> {
    let mut errors = BTreeMap::new();
    let raw = parse_retention(raw).map_err(|e| errors.insert("raw_retention_days", e));
    let rollup = parse_retention(rollup).map_err(|e| errors.insert("rollup_retention_days", e));
    if let (Ok(raw), Ok(rollup)) = (raw, rollup) {
        match (raw, rollup) {
            (None, Some(_)) => {
                errors.insert(
                    "rollup_retention_days",
                    i18n::tr_now("error-rollup-forever"),
                );
            }
            (Some(r), Some(u)) if u < r => {
                errors.insert(
                    "rollup_retention_days",
                    i18n::tr_now_args(
                        "error-rollup-shorter",
                        &[("days", Arg::from(r.to_string()))],
                    ),
                );
            }
            _ => return Ok((raw, rollup)),
        }
    }
    Err(errors)
}

/// `s` with its first letter in upper case (library messages start in lower case).
fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

impl ServiceForm {
    /// Defaults of a new service (privacy first).
    pub fn new_service() -> ServiceForm {
        ServiceForm {
            respect_dnt: true,
            origins: "*".into(),
            tracking_params: DEFAULT_TRACKING_PARAMS.into(),
            ..Default::default()
        }
    }

    /// The form of an existing service.
    pub fn from_row(s: &ServiceRow, collaborators: &[String]) -> ServiceForm {
        ServiceForm {
            name: s.name.clone(),
            link: s.link.clone(),
            collaborators: collaborators.join(", "),
            respect_dnt: s.respect_dnt,
            collect_ips: s.collect_ips,
            ignored_ips: s.ignored_ips.clone(),
            ignore_robots: s.ignore_robots,
            hide_referrer_regex: s.hide_referrer_regex.clone(),
            origins: s.origins.clone(),
            script_inject: s.script_inject.clone(),
            raw_retention_days: s
                .raw_retention_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
            rollup_retention_days: s
                .rollup_retention_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
            tracking_params: s.tracking_params.clone(),
            time_zone: s.time_zone.clone().unwrap_or_default(),
        }
    }

    /// Reads the submitted fields (radio buttons send "yes"/"no").
    pub fn from_req(r: &crate::http::Req, block_all_ips: bool) -> ServiceForm {
        let yes = |k: &str| matches!(r.f(k), Some("yes" | "on" | "true"));
        ServiceForm {
            name: r.field("name"),
            link: r.field("link"),
            collaborators: r.field("collaborators"),
            respect_dnt: yes("respect_dnt"),
            collect_ips: yes("collect_ips") && !block_all_ips,
            ignored_ips: r.field("ignored_ips"),
            ignore_robots: yes("ignore_robots"),
            hide_referrer_regex: r.field("hide_referrer_regex"),
            origins: r.field("origins"),
            script_inject: r.f("script_inject").unwrap_or("").to_owned(),
            raw_retention_days: r.field("raw_retention_days"),
            rollup_retention_days: r.field("rollup_retention_days"),
            // A form without the field (an older page, a script) keeps the default list.
            tracking_params: r.f("tracking_params").map_or_else(
                || DEFAULT_TRACKING_PARAMS.to_owned(),
                |v| v.trim().to_owned(),
            ),
            time_zone: r.field("time_zone"),
        }
    }

    /// Validates every field; errors are keyed by field name.
    pub async fn validate<C: GenericClient>(
        mut self,
        c: &C,
        owner_id: i64,
    ) -> Result<Result<Valid, (ServiceForm, BTreeMap<&'static str, String>)>, tokio_postgres::Error>
    {
        let mut errors = BTreeMap::new();
        let n = self.name.chars().count();
        if n == 0 || n > 64 {
            errors.insert("name", i18n::tr_now("error-service-name"));
        }
        if !self.link.is_empty()
            && (self.link.len() > MAX_LINK
                || !(self.link.starts_with("http://") || self.link.starts_with("https://"))
                || self
                    .link
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control()))
        {
            errors.insert(
                "link",
                i18n::tr_now_args("error-link", &[("max", Arg::from(MAX_LINK.to_string()))]),
            );
        }
        let origins = if self.origins.is_empty() {
            "*"
        } else {
            self.origins.as_str()
        };
        match origins.parse::<AllowedOrigins>() {
            Ok(AllowedOrigins::Any) => self.origins = "*".into(),
            Ok(AllowedOrigins::List(l)) if l.is_empty() => {
                errors.insert("origins", i18n::tr_now("error-origins"));
            }
            Ok(AllowedOrigins::List(l)) => self.origins = l.join(", "),
            Err(e) => {
                errors.insert("origins", e.to_string());
            }
        }
        match self.ignored_ips.parse::<IgnoredIps>() {
            Ok(ips) => self.ignored_ips = ips.to_canonical_string(),
            Err(e) => {
                errors.insert("ignored_ips", e.to_string());
            }
        }
        if let Err(e) = stats::referrer::compile(&self.hide_referrer_regex) {
            errors.insert("hide_referrer_regex", e.to_string());
        }
        match self.tracking_params.parse::<TrackingParams>() {
            Ok(p) => self.tracking_params = p.to_string(),
            Err(e) => {
                errors.insert("tracking_params", e.to_string());
            }
        }
        if !self.time_zone.is_empty() {
            match stats::window::parse_zone(&self.time_zone) {
                Ok(z) => self.time_zone = z.name().to_owned(),
                Err(e) => {
                    errors.insert("time_zone", format!("{}.", capitalise(&e.to_string())));
                }
            }
        }
        if self.script_inject.len() > MAX_SCRIPT_INJECT {
            errors.insert("script_inject", i18n::tr_now("error-script-long"));
        }
        let retention = match check_retention(&self.raw_retention_days, &self.rollup_retention_days)
        {
            Ok(r) => Some(r),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        let mut ids = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for email in self
            .collaborators
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            match emails::verified_owner(c, email).await? {
                None => {
                    errors.insert(
                        "collaborators",
                        i18n::tr_now_args(
                            "error-collaborator-unknown",
                            &[("email", Arg::from(email))],
                        ),
                    );
                }
                Some(id) if id == owner_id => {
                    errors.insert(
                        "collaborators",
                        i18n::tr_now_args(
                            "error-collaborator-owner",
                            &[("email", Arg::from(email))],
                        ),
                    );
                }
                Some(id) if !seen.insert(id) => {
                    errors.insert(
                        "collaborators",
                        i18n::tr_now_args(
                            "error-collaborator-twice",
                            &[("email", Arg::from(email))],
                        ),
                    );
                }
                Some(id) => ids.push(id),
            }
        }
        match retention {
            Some((raw, rollup)) if errors.is_empty() => {
                self.raw_retention_days = raw.map(|d| d.to_string()).unwrap_or_default();
                self.rollup_retention_days = rollup.map(|d| d.to_string()).unwrap_or_default();
                Ok(Ok(Valid {
                    form: self,
                    collaborator_ids: ids,
                    raw_retention_days: raw,
                    rollup_retention_days: rollup,
                }))
            }
            _ => Ok(Err((self, errors))),
        }
    }
}

impl Valid {
    fn settings(&self) -> services::Settings<'_> {
        let f = &self.form;
        services::Settings {
            name: &f.name,
            link: &f.link,
            origins: &f.origins,
            respect_dnt: f.respect_dnt,
            ignore_robots: f.ignore_robots,
            collect_ips: f.collect_ips,
            ignored_ips: &f.ignored_ips,
            hide_referrer_regex: &f.hide_referrer_regex,
            script_inject: &f.script_inject,
            raw_retention_days: self.raw_retention_days,
            rollup_retention_days: self.rollup_retention_days,
            tracking_params: &f.tracking_params,
            time_zone: Some(f.time_zone.as_str()).filter(|z| !z.is_empty()),
        }
    }

    /// Creates a new service owned by `owner_id`.
    pub async fn create(
        &self,
        c: &mut deadpool_postgres::Client,
        owner_id: i64,
    ) -> Result<Uuid, tokio_postgres::Error> {
        let id = Uuid::new_v4();
        let tx = c.transaction().await?;
        services::insert(&*tx, id, owner_id, &self.settings()).await?;
        collaborators::replace(&*tx, id, &self.collaborator_ids).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Saves over an existing service.
    pub async fn update(
        &self,
        c: &mut deadpool_postgres::Client,
        id: Uuid,
    ) -> Result<(), tokio_postgres::Error> {
        let tx = c.transaction().await?;
        services::update(&*tx, id, &self.settings()).await?;
        collaborators::replace(&*tx, id, &self.collaborator_ids).await?;
        tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_empty_means_for_ever() {
        assert_eq!(check_retention("", ""), Ok((None, None)));
        assert_eq!(check_retention(" 30 ", ""), Ok((Some(30), None)));
        assert_eq!(check_retention("30", "30"), Ok((Some(30), Some(30))));
        assert_eq!(check_retention("30", "400"), Ok((Some(30), Some(400))));
    }

    #[test]
    fn retention_refuses_bad_numbers_and_short_rollups() {
        for bad in ["0", "-1", "36501", "1.5", "ten", "99999999999"] {
            let e = check_retention(bad, "").unwrap_err();
            assert!(e["raw_retention_days"].contains("whole number"), "{bad}");
            let e = check_retention("", bad).unwrap_err();
            assert!(e["rollup_retention_days"].contains("whole number"), "{bad}");
        }
        let e = check_retention("", "30").unwrap_err();
        assert!(e["rollup_retention_days"].contains("kept for ever"));
        let e = check_retention("60", "30").unwrap_err();
        assert!(e["rollup_retention_days"].contains("60 days or more"));
        assert!(!e.contains_key("raw_retention_days"));
    }
}
