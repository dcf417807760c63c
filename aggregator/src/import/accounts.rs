//! Accounts, services and collaborators from the source. Everything is validated before the
//! first write (a service whose origins or ignored networks we cannot read stops the import
//! with its name), then written in one transaction: a second run finds them all and changes
//! nothing (existing accounts and services are kept as they are).

use super::source;
use anyhow::{bail, Context};
use beacon::ip_filter::IgnoredIps;
use beacon::origins::AllowedOrigins;
use deadpool_postgres::Transaction;
use models::imports::{self, NewService, NewUser};
use std::collections::HashMap;

/// Longest service name we store.
const MAX_SERVICE_NAME_CHARS: usize = 64;

/// How a source account's password comes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordKind {
    /// A Django hash checked at login (PBKDF2-SHA256 or argon2).
    Verifiable,
    /// No password (Django's unusable `!…`) or a format we cannot check: a reset is needed.
    NeedsReset,
}

/// Classifies a Django password string.
pub fn password_kind(stored: &str) -> PasswordKind {
    if dashboard::auth::django::is_django(stored) {
        PasswordKind::Verifiable
    } else {
        PasswordKind::NeedsReset
    }
}

/// A source service after validation, ready to store.
#[derive(Debug, Clone)]
pub struct Checked {
    pub src: source::Service,
    pub name: String,
    pub origins: String,
    pub ignored_ips: String,
    pub link: String,
    pub status: &'static str,
}

/// Validates every service; the first one we cannot store stops the import before any write.
pub fn check_services(services: Vec<source::Service>) -> anyhow::Result<Vec<Checked>> {
    services.into_iter().map(check_service).collect()
}

fn check_service(s: source::Service) -> anyhow::Result<Checked> {
    let what = || format!("service `{}` ({})", s.name, s.uuid);
    let origins = match s.origins.parse::<AllowedOrigins>() {
        Ok(AllowedOrigins::Any) => "*".to_owned(),
        Ok(AllowedOrigins::List(l)) => l.join(", "),
        Err(e) => bail!("{}: its origins `{}` are not valid: {e}", what(), s.origins),
    };
    let ignored: IgnoredIps = s
        .ignored_ips
        .parse()
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("{}: its ignored IPs `{}`", what(), s.ignored_ips))?;
    let mut name: String = s.name.trim().chars().take(MAX_SERVICE_NAME_CHARS).collect();
    if name.is_empty() {
        name = format!("Imported {}", &s.uuid.to_string()[..8]);
    }
    let link = s.link.trim();
    let link = if link.starts_with("http://") || link.starts_with("https://") {
        link.to_owned()
    } else {
        String::new()
    };
    // Anything but Active is stored as archived: it accepted no data in the source either.
    let status = if s.status == "AC" { "AC" } else { "AR" };
    Ok(Checked {
        name,
        origins,
        ignored_ips: ignored.to_canonical_string(),
        link,
        status,
        src: s,
    })
}

/// What the account step did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct AccountsSummary {
    pub users_created: u64,
    pub users_existing: u64,
    pub users_needing_reset: u64,
    pub api_tokens: u64,
    pub services_created: u64,
    pub services_existing: u64,
    pub collaborators_added: u64,
}

/// Source user id → user id here.
pub type UserMap = HashMap<i64, i64>;

/// Writes the users (by address: an existing account is kept and used).
pub async fn write_users(
    tx: &Transaction<'_>,
    users: &[source::User],
    sum: &mut AccountsSummary,
) -> anyhow::Result<UserMap> {
    let mut map = UserMap::with_capacity(users.len());
    for u in users {
        let email = crate::cli::validate_email(&u.email)
            .with_context(|| format!("source user {}", u.id))?;
        let token_hash = u
            .api_token
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(dashboard::auth::token::hash);
        let new = NewUser {
            email: &email,
            password_hash: &u.password,
            is_admin: u.is_superuser,
            is_active: u.is_active,
            api_token_hash: token_hash.clone(),
            created_at: u.date_joined,
            last_login: u.last_login,
        };
        let (id, created) = imports::upsert_user(&**tx, &new).await?;
        if created {
            sum.users_created += 1;
            sum.api_tokens += u64::from(token_hash.is_some());
            if password_kind(&u.password) == PasswordKind::NeedsReset {
                sum.users_needing_reset += 1;
            }
        } else {
            sum.users_existing += 1;
        }
        map.insert(u.id, id);
    }
    Ok(map)
}

/// Writes the services (same UUIDs) and their collaborators.
pub async fn write_services(
    tx: &Transaction<'_>,
    src: &tokio_postgres::Client,
    services: &[Checked],
    users: &UserMap,
    sum: &mut AccountsSummary,
) -> anyhow::Result<()> {
    for s in services {
        let owner = *users.get(&s.src.owner_id).with_context(|| {
            format!(
                "service {}: its owner (user {}) was not read",
                s.src.uuid, s.src.owner_id
            )
        })?;
        let new = NewService {
            id: s.src.uuid,
            name: &s.name,
            owner_id: owner,
            created_at: s.src.created,
            link: &s.link,
            origins: &s.origins,
            status: s.status,
            respect_dnt: s.src.respect_dnt,
            ignore_robots: s.src.ignore_robots,
            collect_ips: s.src.collect_ips,
            ignored_ips: &s.ignored_ips,
            hide_referrer_regex: &s.src.hide_referrer_regex,
            script_inject: &s.src.script_inject,
        };
        if imports::insert_service(&**tx, &new).await? {
            sum.services_created += 1;
        } else {
            sum.services_existing += 1;
        }
        let collab: Vec<i64> = source::collaborators(src, s.src.uuid)
            .await?
            .iter()
            .filter_map(|u| users.get(u).copied())
            .collect();
        sum.collaborators_added += imports::add_collaborators(&**tx, s.src.uuid, &collab).await?;
    }
    Ok(())
}
