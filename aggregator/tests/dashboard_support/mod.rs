//! Helpers for the dashboard tests: an app with chosen dashboard settings, users with sessions
//! and API tokens made directly in the database, and a tiny cookie-carrying client.
#![allow(dead_code)]

use crate::common;
use aggregator::config::{IngestArgs, TrackingArgs};
use aggregator::startup::Application;
use dashboard::auth::{session, token};
use deadpool_postgres::Pool;
use uuid::Uuid;

/// A running app.
pub struct Dash {
    pub app: Application,
    pub pool: Pool,
    /// Connection settings of the app's database.
    pub cfg: tokio_postgres::Config,
    pub base: String,
    pub http: reqwest::Client,
}

/// Starts the app with these dashboard settings (display zone UTC).
pub async fn spawn(args: dashboard::DashboardArgs) -> Dash {
    let (pool, cfg) = common::fresh_db().await;
    spawn_on(pool, cfg, args).await
}

/// Like [`spawn`], on an existing database (a second process beside the first).
pub async fn spawn_on(
    pool: Pool,
    cfg: tokio_postgres::Config,
    args: dashboard::DashboardArgs,
) -> Dash {
    let opts = DashOpts {
        dashboard: args,
        ..Default::default()
    };
    spawn_with(pool.clone(), cfg, pool, opts).await
}

/// How a dashboard test's app tracks, ingests and shows (all defaults unless said).
#[derive(Default)]
pub struct DashOpts {
    pub tracking: TrackingArgs,
    pub ingest: IngestArgs,
    pub dashboard: dashboard::DashboardArgs,
}

/// The app on `pools` (replicas, a pooler), with the test's own `pool` and `cfg` to the
/// primary.
pub async fn spawn_with(
    pool: Pool,
    cfg: tokio_postgres::Config,
    pools: impl Into<aggregator::pools::Pools>,
    opts: DashOpts,
) -> Dash {
    let app = Application::start_with_dashboard(
        common::settings(opts.tracking, opts.ingest),
        opts.dashboard,
        pools,
        common::test_geo(),
    )
    .await
    .unwrap();
    let base = format!("http://{}", app.address());
    Dash {
        app,
        pool,
        cfg,
        base,
        http: common::http_client(),
    }
}

/// An app with one owner (`owner@example.com`) and one service of theirs ([`Dash::service`]):
/// (app, owner, service id, session id).
pub async fn owner_with_service(name: &str) -> (Dash, Who, Uuid, Uuid) {
    let d = spawn(Default::default()).await;
    let owner = d.user("owner@example.com", false).await;
    let (svc, sid) = d.service(&owner, None, name).await;
    (d, owner, svc, sid)
}

/// A user and a logged-in browser session.
#[derive(Clone, Debug)]
pub struct Who {
    pub id: i64,
    pub email: String,
    /// `shynet_session=…` (empty for anonymous).
    pub cookie: String,
    /// The token forms must carry.
    pub csrf: String,
    /// API token (empty for anonymous).
    pub api: String,
}

impl Who {
    /// An anonymous browser with a CSRF cookie.
    pub fn anonymous() -> Who {
        let t = token::new_token();
        Who {
            id: 0,
            email: String::new(),
            cookie: format!("shynet_csrf={t}"),
            csrf: t,
            api: String::new(),
        }
    }
}

pub const PASSWORD: &str = "correct horse battery";

/// A new web session of user `id`: its cookie (`shynet_session=…`) and its CSRF token.
async fn web_session(c: &tokio_postgres::Client, id: i64) -> (String, String) {
    let t = session::create(c, id).await.unwrap();
    let csrf: String = c
        .query_one(
            "SELECT csrf_token FROM web_sessions WHERE token_hash = $1",
            &[&token::hash(&t)],
        )
        .await
        .unwrap()
        .get(0);
    (format!("shynet_session={t}"), csrf)
}

impl Dash {
    pub fn url(&self, p: &str) -> String {
        format!("{}{}", self.base, p)
    }

    /// Creates a user (password [`PASSWORD`]) with a web session and an API token.
    pub async fn user(&self, email: &str, admin: bool) -> Who {
        let c = self.pool.get().await.unwrap();
        let hash = dashboard::auth::password::hash(PASSWORD.into())
            .await
            .unwrap();
        let api = format!("shy_{}", token::new_token());
        let id: i64 = c
            .query_one(
                "INSERT INTO users (email, password_hash, is_admin, api_token_hash)
                 VALUES ($1, $2, $3, $4) RETURNING id",
                &[&email, &hash, &admin, &token::hash(&api)],
            )
            .await
            .unwrap()
            .get(0);
        let (cookie, csrf) = web_session(&c, id).await;
        Who {
            id,
            email: email.into(),
            cookie,
            csrf,
            api,
        }
    }

    /// A fresh web session for an existing user.
    pub async fn relogin(&self, w: &Who) -> Who {
        let c = self.pool.get().await.unwrap();
        let (cookie, csrf) = web_session(&c, w.id).await;
        Who {
            cookie,
            csrf,
            ..w.clone()
        }
    }

    /// Sets a new API token for a user and returns it.
    pub async fn new_api_token(&self, w: &Who) -> String {
        let api = format!("shy_{}", token::new_token());
        let c = self.pool.get().await.unwrap();
        c.execute(
            "UPDATE users SET api_token_hash = $2 WHERE id = $1",
            &[&w.id, &token::hash(&api)],
        )
        .await
        .unwrap();
        api
    }

    /// A service owned by `owner` with `collab` as collaborator, one session with two hits.
    pub async fn service(&self, owner: &Who, collab: Option<&Who>, name: &str) -> (Uuid, Uuid) {
        let c = self.pool.get().await.unwrap();
        let id = Uuid::new_v4();
        c.execute(
            "INSERT INTO services (id, name, owner_id) VALUES ($1, $2, $3)",
            &[&id, &name, &owner.id],
        )
        .await
        .unwrap();
        if let Some(k) = collab {
            c.execute(
                "INSERT INTO collaborators (service_id, user_id) VALUES ($1, $2)",
                &[&id, &k.id],
            )
            .await
            .unwrap();
        }
        let sid = Uuid::new_v4();
        c.execute(
            "INSERT INTO sessions (id, service_id, start_time, last_seen, browser, os, device_type,
                                   country, as_org, hit_count, is_bounce)
             VALUES ($1, $2, now() - interval '1 hour', now() - interval '50 minutes', 'Chrome',
                     'Windows', 'DESKTOP', 'DE', 'Example Net', 2, false)",
            &[&sid, &id],
        )
        .await
        .unwrap();
        c.execute(
            "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker,
                               location, referrer, load_time)
             VALUES ($1, $2, true, now() - interval '1 hour', now() - interval '55 minutes', 'JS',
                     'https://example.com/', 'https://www.google.com/', 120),
                    ($1, $2, false, now() - interval '55 minutes', now() - interval '50 minutes',
                     'JS', 'https://example.com/about', '', 80)",
            &[&sid, &id],
        )
        .await
        .unwrap();
        // Rows written outside the writer: hours the rollup job may have closed are re-read.
        stats::rollup::rewind(&**c, chrono::Utc::now() - chrono::Duration::hours(3))
            .await
            .unwrap();
        (id, sid)
    }

    /// GET as `who`.
    pub async fn get(&self, who: &Who, path: &str) -> reqwest::Response {
        let mut r = self.http.get(self.url(path));
        if !who.cookie.is_empty() {
            r = r.header("cookie", &who.cookie);
        }
        r.send().await.unwrap()
    }

    /// POST a form as `who` (the CSRF token is added unless `csrf` is false).
    pub async fn post(
        &self,
        who: &Who,
        path: &str,
        form: &[(&str, &str)],
        csrf: bool,
    ) -> reqwest::Response {
        let mut fields: Vec<(String, String)> = form
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if csrf {
            fields.push(("csrf".into(), who.csrf.clone()));
        }
        let enc = |s: &str| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        };
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut r = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if !who.cookie.is_empty() {
            r = r.header("cookie", &who.cookie);
        }
        r.send().await.unwrap()
    }

    /// The login form posted by a new anonymous browser (with its CSRF pair).
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        let form = [("email", email), ("password", password)];
        self.post(&Who::anonymous(), "/accounts/login/", &form, true)
            .await
    }

    /// A Plausible Stats API client: GET `/api/v1/stats/{endpoint}?{query}` with
    /// `Authorization: Bearer`; the answer as (status, JSON).
    pub async fn plausible(
        &self,
        token: &str,
        endpoint: &str,
        query: &str,
    ) -> (u16, serde_json::Value) {
        let r = self
            .http
            .get(self.url(&format!("/api/v1/stats/{endpoint}?{query}")))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap())
    }

    /// GET the API with a token.
    pub async fn api(&self, token: Option<&str>, query: &str) -> reqwest::Response {
        let mut r = self
            .http
            .get(self.url(&format!("/api/v1/dashboard/{query}")));
        if let Some(t) = token {
            r = r.header("authorization", t);
        }
        r.send().await.unwrap()
    }
}

/// The value of a `Set-Cookie` named `name` in a response.
pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let first = v.split(';').next()?;
            let (k, val) = first.split_once('=')?;
            (k == name).then(|| val.to_owned())
        })
}

/// The first hidden CSRF field in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let i = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(html[i..].split('"').next()?.to_owned())
}
