//! The one-shot subcommands: accounts, services, stats, and the classification/geo tools that
//! let owners check what ingestion would store.

use crate::geo::GeoDb;
use anyhow::{bail, Context};
use argon2::password_hash::PasswordHasher;
use argon2::Argon2;
use deadpool_postgres::Pool;
use rand::distr::{Alphanumeric, SampleString};
use std::io::{BufRead, Write};
use uuid::Uuid;

/// Length of generated passwords.
const PASSWORD_LEN: usize = 20;

/// Hashes a password with argon2id.
pub fn hash_password(pw: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(pw.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

/// Basic shape check for an email address (the dashboard verifies ownership by mail).
pub fn validate_email(email: &str) -> anyhow::Result<String> {
    let e = email.trim();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        bail!("`{email}` is not a valid email address");
    }
    Ok(e.to_owned())
}

/// `shynet createadmin EMAIL`: prints the generated password.
pub async fn createadmin(pool: &Pool, email: &str) -> anyhow::Result<String> {
    let email = validate_email(email)?;
    let password = Alphanumeric.sample_string(&mut rand::rng(), PASSWORD_LEN);
    let hash = hash_password(&password)?;
    let client = pool.get().await?;
    if !models::users::create_admin(&**client, &email, &hash).await? {
        bail!("a user with the email `{email}` already exists");
    }
    Ok(password)
}

/// What `service create` made.
#[derive(Debug)]
pub struct CreatedService {
    /// New id.
    pub id: Uuid,
    /// Paste-ready HTML.
    pub snippet: String,
}

/// `shynet service create`.
pub async fn create_service(
    pool: &Pool,
    name: &str,
    owner: &str,
    origins: &str,
    link: &str,
    time_zone: Option<&str>,
    public_url: &str,
) -> anyhow::Result<CreatedService> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        bail!("the service name must be 1 to 64 characters");
    }
    let parsed: beacon::origins::AllowedOrigins = origins
        .parse()
        .map_err(|e| anyhow::anyhow!("--origins: {e}"))?;
    let origins = match parsed {
        beacon::origins::AllowedOrigins::Any => "*".to_owned(),
        beacon::origins::AllowedOrigins::List(l) => l.join(", "),
    };
    let link = link.trim();
    if !(link.is_empty() || link.starts_with("http://") || link.starts_with("https://")) {
        bail!("--link must start with http:// or https://");
    }
    let time_zone = time_zone
        .map(stats::window::parse_zone)
        .transpose()
        .context("--time-zone")?
        .map(|z| z.name());
    let client = pool.get().await?;
    let owner_id = models::users::id_by_email(&**client, owner.trim())
        .await?
        .with_context(|| {
            format!("no user with the email `{owner}` (create one with `shynet createadmin`)")
        })?;
    let id = Uuid::new_v4();
    models::services::insert_minimal(&**client, id, name, owner_id, &origins, link, time_zone)
        .await?;
    Ok(CreatedService {
        id,
        snippet: beacon::snippet::install_snippet(public_url, id),
    })
}

/// `shynet service list`: one line per service.
pub async fn list_services(pool: &Pool) -> anyhow::Result<Vec<String>> {
    let client = pool.get().await?;
    Ok(models::services::list_all(&**client)
        .await?
        .into_iter()
        .map(|s| {
            let status = if s.archived { "archived" } else { "active" };
            format!(
                "{}\t{}\t{}\t{status}\torigins={}",
                s.id, s.name, s.owner_email, s.origins
            )
        })
        .collect())
}

/// The window of `shynet stats --start --end`, with the dashboard's bounds (a range over
/// [`stats::window::MAX_WINDOW_DAYS`] days, a year outside 1970..=9999, a malformed or
/// reversed range is refused with the reason).
pub fn stats_window(
    start: Option<&str>,
    end: Option<&str>,
    tz: chrono_tz::Tz,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<stats::window::Window> {
    stats::window::from_dates(start, end, tz, now).context("--start/--end")
}

/// `shynet stats`: the core stats as JSON, with the event names (`events`) and goal conversions
/// (`goals`) of the window under `stats`. Days are the service's own time zone's, else `tz` (the
/// instance's); `window.time_zone` names the one used.
pub async fn stats(
    pool: &Pool,
    service: Uuid,
    start: Option<&str>,
    end: Option<&str>,
    tz: chrono_tz::Tz,
    heartbeat_ms: u64,
) -> anyhow::Result<serde_json::Value> {
    stats_from(pool, pool, service, start, end, tz, heartbeat_ms).await
}

/// [`stats`] with the figures read from `reads` (a read replica's pool): the service itself is
/// looked up on the primary, so one created a moment ago is found.
pub async fn stats_from(
    pool: &Pool,
    reads: &Pool,
    service: Uuid,
    start: Option<&str>,
    end: Option<&str>,
    tz: chrono_tz::Tz,
    heartbeat_ms: u64,
) -> anyhow::Result<serde_json::Value> {
    let now = chrono::Utc::now();
    // Refuse bad dates before touching the database.
    stats_window(start, end, tz, now)?;
    let client = pool.get().await?;
    let (name, hide, zone) = models::services::zones::name_pattern_zone(&**client, service)
        .await?
        .with_context(|| format!("no service with id {service}"))?;
    let tz = stats::window::service_zone(zone.as_deref(), tz);
    let window = stats_window(start, end, tz, now)?;
    let hide = stats::referrer::compile_lenient(&hide);
    // The service came from the primary (`pool`); its figures from `reads` (a read replica in
    // use, or the primary again).
    drop(client);
    let client = reads.get().await?;
    let s = stats::core_stats(
        &**client,
        service,
        &window,
        hide.as_ref(),
        chrono::Duration::milliseconds(2 * heartbeat_ms as i64),
        now,
    )
    .await?;
    let e = stats::event_stats(&**client, service, &window).await?;
    let mut st = serde_json::to_value(s)?;
    st["events"] = serde_json::to_value(e.events)?;
    st["goals"] = serde_json::to_value(e.goals)?;
    Ok(serde_json::json!({
        "service": { "id": service, "name": name },
        "window": { "start": window.start, "end": window.end, "time_zone": tz.name() },
        "stats": st,
    }))
}

/// `shynet ua`: classifies each stdin line, one JSON object per line.
pub fn ua(input: impl BufRead, mut out: impl Write) -> anyhow::Result<()> {
    let classifier = crate::ingress::UaCache::new()?;
    for line in input.lines() {
        let line = line.context("reading stdin")?;
        let ua = beacon::limits::truncate_utf8(line.trim(), beacon::limits::MAX_USER_AGENT_BYTES);
        let info = classifier.classify(ua);
        serde_json::to_writer(&mut out, &*info)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// `shynet geoip IP`.
pub fn geoip(ip: &str, db: &GeoDb) -> anyhow::Result<serde_json::Value> {
    let addr: std::net::IpAddr = ip
        .trim()
        .parse()
        .with_context(|| format!("`{ip}` is not an IP address"))?;
    let g = db.lookup(addr);
    Ok(serde_json::json!({
        "ip": addr,
        "country": g.country,
        "region": g.region,
        "city": g.city,
        "latitude": g.latitude,
        "longitude": g.longitude,
        "time_zone": g.time_zone,
        "asn": g.asn,
        "as_org": g.as_org,
        "databases": db.describe(),
    }))
}
