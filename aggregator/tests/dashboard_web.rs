//! The dashboard over HTTP against a real Postgres: the permission matrix over every route,
//! CSRF, hostile tracked strings, accounts (login, throttling, deactivation, sign-up with
//! verification, password reset, collaborators by verified address) and the JSON API.

mod common;
mod dashboard_support;

use dashboard::auth::token;
use dashboard::router::ROUTES;
use dashboard_support::{csrf_in, set_cookie, spawn, Dash, Who, PASSWORD};
use std::collections::HashMap;

const ANON: usize = 0;
const STRANGER: usize = 1;
const COLLAB: usize = 2;
const OWNER: usize = 3;
const ADMIN: usize = 4;
const ROLES: [&str; 5] = ["anonymous", "stranger", "collaborator", "owner", "admin"];

/// Expected status per role (anonymous, stranger, collaborator, owner, admin) for each route
/// and method, with the form sent on POST.
/// (route name, method) → (status per role, form sent on POST).
type Matrix = HashMap<(&'static str, &'static str), ([u16; 5], Vec<(&'static str, &'static str)>)>;

fn matrix() -> Matrix {
    let mut m = HashMap::new();
    let mut add = |name, method, s: [u16; 5], form: Vec<(&'static str, &'static str)>| {
        m.insert((name, method), (s, form));
    };
    add("root", "GET", [302, 302, 302, 302, 302], vec![]);
    add("overview", "GET", [302, 200, 200, 200, 200], vec![]);
    add("service_new", "GET", [302, 403, 403, 403, 200], vec![]);
    add(
        "service_new",
        "POST",
        [302, 403, 403, 403, 400],
        vec![("name", "")],
    );
    add("service", "GET", [302, 404, 200, 200, 200], vec![]);
    add("service_manage", "GET", [302, 404, 403, 200, 200], vec![]);
    add(
        "service_manage",
        "POST",
        [302, 404, 403, 400, 400],
        vec![("name", "")],
    );
    add(
        "service_goals",
        "POST",
        [302, 404, 403, 400, 400],
        vec![("action", "add"), ("name", "")],
    );
    // Saving a segment with no filters is refused; collaborators may not save or delete.
    add(
        "service_segments",
        "POST",
        [302, 404, 403, 400, 400],
        vec![("action", "save"), ("name", "Empty")],
    );
    add(
        "service_notifications",
        "GET",
        [302, 404, 200, 200, 200],
        vec![],
    );
    // Collaborators set their own opt-ins but not the alerts; a bad threshold is refused.
    add(
        "service_notifications",
        "POST",
        [302, 404, 403, 400, 400],
        vec![("action", "alerts"), ("threshold", "-1")],
    );
    add("service_delete", "GET", [302, 404, 403, 200, 200], vec![]);
    add("service_delete", "POST", [302, 404, 403, 303, 303], vec![]);
    add(
        "service_archive",
        "POST",
        [302, 404, 403, 303, 303],
        vec![("archived", "yes")],
    );
    add(
        "service_shares",
        "POST",
        [302, 404, 403, 400, 400],
        vec![("action", "create"), ("epsilon", "abc")],
    );
    // Share links are anonymous by design: an unknown token is 404 for everyone.
    add("share", "GET", [404, 404, 404, 404, 404], vec![]);
    add("share", "POST", [404, 404, 404, 404, 404], vec![]);
    add("share_api", "GET", [404, 404, 404, 404, 404], vec![]);
    add("sessions", "GET", [302, 404, 200, 200, 200], vec![]);
    add("session", "GET", [302, 404, 200, 200, 200], vec![]);
    add("locations", "GET", [302, 404, 200, 200, 200], vec![]);
    add("service_live", "GET", [302, 404, 200, 200, 200], vec![]);
    add(
        "token_refresh",
        "POST",
        [302, 200, 200, 200, 200],
        vec![("current", PASSWORD)],
    );
    add("login", "GET", [200, 302, 302, 302, 302], vec![]);
    add(
        "login",
        "POST",
        [400, 400, 400, 400, 400],
        vec![
            ("email", "nobody@example.com"),
            ("password", "wrong password"),
        ],
    );
    // An unknown pending login is refused for everyone (it is the only credential there).
    add(
        "login_code",
        "POST",
        [400, 400, 400, 400, 400],
        vec![("pending", "bogus"), ("code", "123456")],
    );
    add("two_factor", "GET", [302, 200, 200, 200, 200], vec![]);
    // Confirming before starting the setup is refused; each user only reaches their own row.
    add(
        "two_factor",
        "POST",
        [302, 400, 400, 400, 400],
        vec![("action", "confirm"), ("code", "123456")],
    );
    add("logout", "POST", [303, 303, 303, 303, 303], vec![]);
    add("signup", "GET", [403, 403, 403, 403, 403], vec![]);
    add("signup", "POST", [403, 403, 403, 403, 403], vec![]);
    add("password_change", "GET", [302, 200, 200, 200, 200], vec![]);
    add(
        "password_change",
        "POST",
        [302, 400, 400, 400, 400],
        vec![("current", "wrong password")],
    );
    add("password_reset", "GET", [200, 200, 200, 200, 200], vec![]);
    add(
        "password_reset",
        "POST",
        [200, 200, 200, 200, 200],
        vec![("email", "nobody@example.com")],
    );
    add(
        "password_reset_key",
        "GET",
        [400, 400, 400, 400, 400],
        vec![],
    );
    add(
        "password_reset_key",
        "POST",
        [400, 400, 400, 400, 400],
        vec![],
    );
    add("emails", "GET", [302, 200, 200, 200, 200], vec![]);
    add("preferences", "GET", [302, 200, 200, 200, 200], vec![]);
    add(
        "preferences",
        "POST",
        [302, 400, 400, 400, 400],
        vec![("date_style", "not-a-style")],
    );
    add(
        "emails",
        "POST",
        [302, 400, 400, 400, 400],
        vec![("action", "add"), ("email", "not an address")],
    );
    add("account_delete", "GET", [302, 200, 200, 200, 200], vec![]);
    add(
        "account_delete",
        "POST",
        [302, 400, 400, 400, 400],
        vec![("current", "wrong password")],
    );
    add("email_confirm", "GET", [400, 400, 400, 400, 400], vec![]);
    add("email_confirm", "POST", [400, 400, 400, 400, 400], vec![]);
    add("admin", "GET", [302, 403, 403, 403, 200], vec![]);
    add("admin", "POST", [302, 403, 403, 403, 400], vec![]);
    add("api_dashboard", "GET", [403, 200, 200, 200, 200], vec![]);
    add(
        "api_dashboard",
        "OPTIONS",
        [204, 204, 204, 204, 204],
        vec![],
    );
    add("api_openapi", "GET", [200, 200, 200, 200, 200], vec![]);
    add("api_openapi", "OPTIONS", [204, 204, 204, 204, 204], vec![]);
    // An erasure without a selector is refused (400) only once access is granted; an export
    // without a format likewise. The API routes take tokens, not cookies (their own test).
    add("service_erase", "POST", [302, 404, 403, 400, 400], vec![]);
    add("service_export", "GET", [302, 404, 400, 400, 400], vec![]);
    add("api_erase", "POST", [403, 403, 403, 403, 403], vec![]);
    add("api_export", "GET", [403, 403, 403, 403, 403], vec![]);
    // Plausible's Stats API: Bearer tokens only; a site the user may not view is not found.
    for name in [
        "plausible_realtime",
        "plausible_aggregate",
        "plausible_timeseries",
        "plausible_breakdown",
    ] {
        add(name, "GET", [401, 404, 200, 200, 200], vec![]);
        add(name, "OPTIONS", [204, 204, 204, 204, 204], vec![]);
    }
    add("static", "GET", [200, 200, 200, 200, 200], vec![]);
    // Without a signed link nobody is unsubscribed, logged in or not.
    add("unsubscribe", "GET", [400, 400, 400, 400, 400], vec![]);
    add("unsubscribe", "POST", [400, 400, 400, 400, 400], vec![]);
    m
}

#[test]
fn matrix_covers_every_route_and_method() {
    let m = matrix();
    for r in ROUTES {
        for method in r.methods {
            assert!(
                m.contains_key(&(r.name, *method)),
                "route {} {} has no permission-matrix entry",
                method,
                r.name
            );
        }
    }
    for (name, method) in m.keys() {
        assert!(
            ROUTES
                .iter()
                .any(|r| r.name == *name && r.methods.contains(method)),
            "matrix entry {method} {name} names no route"
        );
    }
}

struct World {
    d: Dash,
    who: [Who; 5],
}

async fn world() -> World {
    let d = spawn(dashboard::DashboardArgs {
        dashboard_url: Some("http://127.0.0.1".into()),
        ..Default::default()
    })
    .await;
    let stranger = d.user("stranger@example.com", false).await;
    let collab = d.user("collab@example.com", false).await;
    let owner = d.user("owner@example.com", false).await;
    let admin = d.user("admin@example.com", true).await;
    World {
        who: [Who::anonymous(), stranger, collab, owner, admin],
        d,
    }
}

#[tokio::test]
async fn permission_matrix() {
    let w = world().await;
    let m = matrix();
    let mut failures = Vec::new();
    for r in ROUTES {
        for method in r.methods {
            let (expected, form) = &m[&(r.name, *method)];
            for role in 0..5 {
                // Fresh service (and session) per check, so destructive routes do not
                // disturb the others; a fresh login too (logout ends it).
                let (svc, sess) =
                    w.d.service(&w.who[OWNER], Some(&w.who[COLLAB]), "Matrix")
                        .await;
                let who = if role == ANON {
                    w.who[ANON].clone()
                } else {
                    w.d.relogin(&w.who[role]).await
                };
                let path = r
                    .pattern
                    .replace("{service}", &svc.to_string())
                    .replace("{session}", &sess.to_string())
                    .replace("{token}", "bogus")
                    .replace("{file}", "app.css");
                let resp = if *method == "OPTIONS" {
                    // A browser's CORS preflight: no credentials of any kind.
                    w.d.http
                        .request(reqwest::Method::OPTIONS, w.d.url(&path))
                        .header("origin", "https://status.example")
                        .header("access-control-request-method", "GET")
                        .header("access-control-request-headers", "authorization")
                        .send()
                        .await
                        .unwrap()
                } else if r.name == "api_dashboard" {
                    // The token-refresh row above replaced the role's token; make a new one.
                    let api = w.d.new_api_token(&who).await;
                    let t = format!("Token {api}");
                    w.d.api((role != ANON).then_some(t.as_str()), "").await
                } else if r.name.starts_with("plausible_") {
                    let mut req = w.d.http.get(w.d.url(&format!(
                        "{path}?site_id={svc}&period=7d&property=event:page"
                    )));
                    if role != ANON {
                        let api = w.d.new_api_token(&who).await;
                        req = req.header("authorization", format!("Bearer {api}"));
                    }
                    req.send().await.unwrap()
                } else if *method == "GET" {
                    w.d.get(&who, &path).await
                } else {
                    w.d.post(&who, &path, form, true).await
                };
                let got = resp.status().as_u16();
                if got != expected[role] {
                    failures.push(format!(
                        "{method} {path} as {}: expected {}, got {got}",
                        ROLES[role], expected[role]
                    ));
                }
                if got == 302 && role == ANON && r.name != "root" && r.name != "login" {
                    let loc = resp.headers()["location"].to_str().unwrap().to_owned();
                    assert!(loc.starts_with("/accounts/login/?next="), "{path}: {loc}");
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "permission matrix mismatches:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn csrf_is_required_on_every_form() {
    let w = world().await;
    let owner = &w.who[OWNER];
    let (svc, _) = w.d.service(owner, None, "Csrf").await;
    let path = format!("/dashboard/service/{svc}/manage/");
    // Missing token.
    let r = w.d.post(owner, &path, &[("name", "Renamed")], false).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("security token"));
    // Another session's token.
    let other = w.d.relogin(owner).await;
    let r =
        w.d.post(
            owner,
            &path,
            &[("name", "Renamed"), ("csrf", &other.csrf)],
            false,
        )
        .await;
    assert_eq!(r.status(), 403);
    // Anonymous login without the CSRF cookie.
    let mut anon = Who::anonymous();
    anon.cookie.clear();
    let r =
        w.d.post(
            &anon,
            "/accounts/login/",
            &[("email", "owner@example.com"), ("password", PASSWORD)],
            true,
        )
        .await;
    assert_eq!(r.status(), 403);
    // Nothing changed.
    let c = w.d.pool.get().await.unwrap();
    let name: String = c
        .query_one("SELECT name FROM services WHERE id = $1", &[&svc])
        .await
        .unwrap()
        .get(0);
    assert_eq!(name, "Csrf");
    // With the token it works.
    let r =
        w.d.post(
            owner,
            &path,
            &[
                ("name", "Renamed"),
                ("origins", "*"),
                ("respect_dnt", "yes"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    let name: String = c
        .query_one("SELECT name FROM services WHERE id = $1", &[&svc])
        .await
        .unwrap()
        .get(0);
    assert_eq!(name, "Renamed");
}

#[tokio::test]
async fn hostile_tracked_strings_are_inert() {
    let w = world().await;
    let owner = &w.who[OWNER];
    let (svc, _) =
        w.d.service(owner, None, "<img src=x onerror=alert(2)>")
            .await;
    let evil = "<script>alert(1)</script>";
    let sid = uuid::Uuid::new_v4();
    let c = w.d.pool.get().await.unwrap();
    c.execute(
        "INSERT INTO sessions (id, service_id, start_time, last_seen, identifier, user_agent, browser, os,
                               device, device_type, country, as_org, hit_count, is_bounce)
         VALUES ($1, $2, now() - interval '2 hours', now() - interval '1 hour', $3, $3, $3, $3, $3, $3, $3, $3, 1, true)",
        &[&sid, &svc, &evil],
    )
    .await
    .unwrap();
    let js_url = "javascript:alert(3)";
    c.execute(
        "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker, location, referrer)
         VALUES ($1, $2, true, now() - interval '2 hours', now() - interval '1 hour', 'JS', $3, $3),
                ($1, $2, false, now() - interval '2 hours', now() - interval '1 hour', 'PIXEL', $4, $4)",
        &[&sid, &svc, &evil, &js_url],
    )
    .await
    .unwrap();
    stats::rollup::rewind(&**c, chrono::Utc::now() - chrono::Duration::hours(3))
        .await
        .unwrap();
    for path in [
        format!("/dashboard/service/{svc}/"),
        format!("/dashboard/service/{svc}/sessions/"),
        format!("/dashboard/service/{svc}/sessions/{sid}/"),
        format!("/dashboard/service/{svc}/locations/"),
        format!("/dashboard/service/{svc}/manage/"),
        "/dashboard/".to_owned(),
    ] {
        let r = w.d.get(owner, &path).await;
        assert_eq!(r.status(), 200, "{path}");
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        let body = r.text().await.unwrap();
        assert!(!body.contains(evil), "{path} renders the raw script");
        assert!(
            !body.contains("<img src=x"),
            "{path} renders the raw service name"
        );
        assert!(
            !body.contains("href=\"javascript:"),
            "{path} links a javascript: URL"
        );
        if path.contains("/sessions/") || path.ends_with(&format!("{svc}/")) {
            assert!(
                body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                "{path} lost the text"
            );
        }
    }
}

#[tokio::test]
async fn login_throttling_logout_and_deactivation() {
    let w = world().await;
    let anon = Who::anonymous();
    // The login page sets the anonymous CSRF cookie and embeds the same token.
    let r =
        w.d.get(
            &Who {
                cookie: String::new(),
                ..anon.clone()
            },
            "/accounts/login/",
        )
        .await;
    let cookie = set_cookie(&r, "shynet_csrf").unwrap();
    let page = r.text().await.unwrap();
    assert_eq!(csrf_in(&page).unwrap(), cookie);
    // Right password: session cookie, HttpOnly + SameSite, redirect to `next`.
    let r =
        w.d.post(
            &anon,
            "/accounts/login/",
            &[
                ("email", "OWNER@example.com"),
                ("password", PASSWORD),
                ("next", "/dashboard/service/new/"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/dashboard/service/new/");
    let raw = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        raw.contains("HttpOnly") && raw.contains("SameSite=Lax"),
        "{raw}"
    );
    let sess = set_cookie(&r, "shynet_session").unwrap();
    let me = Who {
        cookie: format!("shynet_session={sess}"),
        ..anon.clone()
    };
    assert_eq!(w.d.get(&me, "/dashboard/").await.status(), 200);
    // An offsite `next` is ignored.
    let r =
        w.d.post(
            &anon,
            "/accounts/login/",
            &[
                ("email", "owner@example.com"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
            true,
        )
        .await;
    assert_eq!(r.headers()["location"], "/dashboard/");
    // Five failures lock the address, even for the right password.
    for _ in 0..5 {
        let r =
            w.d.post(
                &anon,
                "/accounts/login/",
                &[("email", "collab@example.com"), ("password", "nope nope")],
                true,
            )
            .await;
        assert_eq!(r.status(), 400);
    }
    let r =
        w.d.post(
            &anon,
            "/accounts/login/",
            &[("email", "collab@example.com"), ("password", PASSWORD)],
            true,
        )
        .await;
    assert_eq!(r.status(), 429);
    // Logout ends the session server-side.
    let csrf = csrf_in(&w.d.get(&me, "/dashboard/").await.text().await.unwrap()).unwrap();
    let r =
        w.d.post(&Who { csrf, ..me.clone() }, "/accounts/logout/", &[], true)
            .await;
    assert_eq!(r.status(), 303);
    assert_eq!(w.d.get(&me, "/dashboard/").await.status(), 302);
    // An admin deactivates the owner: their sessions and API token stop working.
    let owner = w.d.relogin(&w.who[OWNER]).await;
    let tok = format!("Token {}", owner.api);
    assert_eq!(w.d.api(Some(&tok), "").await.status(), 200);
    let id = owner.id.to_string();
    let r =
        w.d.post(
            &w.who[ADMIN],
            "/admin/",
            &[("action", "deactivate"), ("user", &id)],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(w.d.get(&owner, "/dashboard/").await.status(), 302);
    let r = w.d.api(Some(&tok), "").await;
    assert_eq!(r.status(), 403);
    assert!(r.json::<serde_json::Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("token"));
    let r =
        w.d.post(
            &anon,
            "/accounts/login/",
            &[("email", "owner@example.com"), ("password", PASSWORD)],
            true,
        )
        .await;
    assert_eq!(r.status(), 403);
    // Admins cannot deactivate themselves.
    let me_admin = w.who[ADMIN].id.to_string();
    let r =
        w.d.post(
            &w.who[ADMIN],
            "/admin/",
            &[("action", "deactivate"), ("user", &me_admin)],
            true,
        )
        .await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn signup_with_mandatory_verification_and_password_reset() {
    let d = spawn(dashboard::DashboardArgs {
        account_signups_enabled: true,
        account_email_verification: dashboard::settings::EmailVerification::Mandatory,
        dashboard_url: Some("http://127.0.0.1".into()),
        ..Default::default()
    })
    .await;
    let anon = Who::anonymous();
    let r = d
        .post(
            &anon,
            "/accounts/signup/",
            &[
                ("email", "new@example.com"),
                ("password", "short"),
                ("password2", "short"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), 400);
    let r = d
        .post(
            &anon,
            "/accounts/signup/",
            &[
                ("email", "new@example.com"),
                ("password", PASSWORD),
                ("password2", PASSWORD),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("verify"));
    let c = d.pool.get().await.unwrap();
    let (uid, eid, verified): (i64, i64, bool) = {
        let r = c
            .query_one(
                "SELECT user_id, id, verified FROM user_emails WHERE email = 'new@example.com'",
                &[],
            )
            .await
            .unwrap();
        (r.get(0), r.get(1), r.get(2))
    };
    assert!(!verified);
    let links: i64 = c
        .query_one(
            "SELECT count(*) FROM one_time_tokens WHERE purpose = 'verify' AND user_id = $1",
            &[&uid],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(links, 1);
    // Login refused until verified.
    let r = d
        .post(
            &anon,
            "/accounts/login/",
            &[("email", "new@example.com"), ("password", PASSWORD)],
            true,
        )
        .await;
    assert_eq!(r.status(), 403);
    // Open a verification link (we know the token because we made it).
    let t = token::new_token();
    c.execute(
        "INSERT INTO one_time_tokens (token_hash, purpose, user_id, email_id, expires_at)
         VALUES ($1, 'verify', $2, $3, now() + interval '1 hour')",
        &[&token::hash(&t), &uid, &eid],
    )
    .await
    .unwrap();
    let path = format!("/accounts/confirm-email/{t}/");
    assert_eq!(d.get(&anon, &path).await.status(), 200);
    assert_eq!(d.post(&anon, &path, &[], true).await.status(), 303);
    assert_eq!(
        d.post(&anon, &path, &[], true).await.status(),
        400,
        "links work once"
    );
    let r = d
        .post(
            &anon,
            "/accounts/login/",
            &[("email", "new@example.com"), ("password", PASSWORD)],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    // Password reset: asking creates a link (mailed to the log); any address gets the same answer.
    let r = d
        .post(
            &anon,
            "/accounts/password/reset/",
            &[("email", "new@example.com")],
            true,
        )
        .await;
    let same = d
        .post(
            &anon,
            "/accounts/password/reset/",
            &[("email", "ghost@example.com")],
            true,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(same.status(), 200);
    let resets: i64 = c
        .query_one(
            "SELECT count(*) FROM one_time_tokens WHERE purpose = 'reset'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(resets, 1);
    let t = token::new_token();
    c.execute(
        "INSERT INTO one_time_tokens (token_hash, purpose, user_id, expires_at) VALUES ($1, 'reset', $2, now() + interval '1 hour')",
        &[&token::hash(&t), &uid],
    )
    .await
    .unwrap();
    let path = format!("/accounts/password/reset/key/{t}/");
    let r = d
        .post(
            &anon,
            &path,
            &[
                ("password", "a brand new one"),
                ("password2", "a brand new one"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        d.post(
            &anon,
            &path,
            &[("password", "again again"), ("password2", "again again")],
            true
        )
        .await
        .status(),
        400
    );
    let old = d
        .post(
            &anon,
            "/accounts/login/",
            &[("email", "new@example.com"), ("password", PASSWORD)],
            true,
        )
        .await;
    assert_eq!(old.status(), 400);
    let new = d
        .post(
            &anon,
            "/accounts/login/",
            &[
                ("email", "new@example.com"),
                ("password", "a brand new one"),
            ],
            true,
        )
        .await;
    assert_eq!(new.status(), 303);
    // Expired links do not work.
    let t = token::new_token();
    c.execute(
        "INSERT INTO one_time_tokens (token_hash, purpose, user_id, expires_at) VALUES ($1, 'reset', $2, now() - interval '1 second')",
        &[&token::hash(&t), &uid],
    )
    .await
    .unwrap();
    assert_eq!(
        d.get(&anon, &format!("/accounts/password/reset/key/{t}/"))
            .await
            .status(),
        400
    );
}

#[tokio::test]
async fn collaborators_are_found_by_verified_address_only() {
    let w = world().await;
    let owner = &w.who[OWNER];
    let (svc, _) = w.d.service(owner, None, "Team").await;
    let c = w.d.pool.get().await.unwrap();
    // The stranger adds a second, unverified address.
    c.execute(
        "INSERT INTO user_emails (user_id, email, verified) VALUES ($1, 'alias@example.com', false)",
        &[&w.who[STRANGER].id],
    )
    .await
    .unwrap();
    let path = format!("/dashboard/service/{svc}/manage/");
    let base = [("name", "Team"), ("origins", "*"), ("respect_dnt", "yes")];
    let with = |emails: &'static str| {
        let mut f = base.to_vec();
        f.push(("collaborators", emails));
        f
    };
    let r =
        w.d.post(owner, &path, &with("alias@example.com"), true)
            .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("not registered"));
    let r =
        w.d.post(
            owner,
            &path,
            &with("collab@example.com, COLLAB@example.com"),
            true,
        )
        .await;
    assert_eq!(r.status(), 400, "the same user twice");
    c.execute(
        "UPDATE user_emails SET verified = true WHERE email = 'alias@example.com'",
        &[],
    )
    .await
    .unwrap();
    let r =
        w.d.post(
            owner,
            &path,
            &with("alias@example.com, collab@example.com"),
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM collaborators WHERE service_id = $1",
            &[&svc],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
    assert_eq!(
        w.d.get(&w.who[STRANGER], &format!("/dashboard/service/{svc}/"))
            .await
            .status(),
        200
    );
    // Bad settings get field messages, not a server error.
    let mut f = base.to_vec();
    f.push(("ignored_ips", "10.0.0.1/99"));
    f.push(("origins", "ftp://x"));
    f.push(("hide_referrer_regex", "(unclosed"));
    let r = w.d.post(owner, &path, &f, true).await;
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("prefix length"), "{body}");
    assert!(body.contains("Not a valid regular expression"));
}

#[tokio::test]
async fn api_shape_errors_and_filters() {
    let w = world().await;
    let owner = &w.who[OWNER];
    let (svc, _) = w.d.service(owner, Some(&w.who[COLLAB]), "Api").await;
    let (_svc2, _) = w.d.service(owner, None, "Api 2").await;
    let tok = format!("Token {}", owner.api);
    // Readable from pages on other origins: every answer (errors too) allows any origin, and
    // the preflight allows the token header.
    let r = w.d.api(Some(&tok), "").await;
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(!r.headers().contains_key("access-control-allow-credentials"));
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["services"].as_array().unwrap().len(), 2);
    let r = w.d.api(None, "").await;
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let r =
        w.d.http
            .request(reqwest::Method::OPTIONS, w.d.url("/api/v1/dashboard/"))
            .header("origin", "https://status.example")
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 204);
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase()
        .contains("authorization"));
    assert!(h["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("GET"));
    let v: serde_json::Value =
        w.d.api(Some(&tok), &format!("?uuid={svc}"))
            .await
            .json()
            .await
            .unwrap();
    let s = &v["services"][0];
    assert_eq!(s["uuid"], svc.to_string());
    assert_eq!(s["name"], "Api");
    let keys = [
        "currently_online",
        "session_count",
        "hit_count",
        "has_hits",
        "bounce_rate_pct",
        "avg_session_duration",
        "avg_load_time",
        "avg_hits_per_session",
        "online",
        "locations",
        "referrers",
        "countries",
        "operating_systems",
        "browsers",
        "device_types",
        "devices",
        "chart_data",
        "chart_tooltip_format",
        "chart_granularity",
    ];
    for k in keys {
        assert!(s["stats"].get(k).is_some(), "stats.{k}");
        assert!(s["stats"]["compare"].get(k).is_some(), "compare.{k}");
    }
    assert_eq!(s["stats"]["session_count"], 1);
    assert_eq!(s["stats"]["hit_count"], 2);
    assert_eq!(
        s["stats"]["avg_session_duration"], 600.0,
        "seconds as a number"
    );
    assert_eq!(s["stats"]["locations"][0]["count"], 1);
    assert!(s["stats"]["locations"][0]["location"].is_string());
    assert_eq!(s["stats"]["compare"]["session_count"], 0);
    assert_eq!(s["stats"]["chart_granularity"], "daily");
    // The owner's hide-referrer pattern applies to the API's referrer table too.
    let referrers = |v: &serde_json::Value| v["services"][0]["stats"]["referrers"].to_string();
    assert!(referrers(&v).contains("google"), "{v}");
    let c = w.d.pool.get().await.unwrap();
    c.execute(
        "UPDATE services SET hide_referrer_regex = 'https://www\\.google' WHERE id = $1",
        &[&svc],
    )
    .await
    .unwrap();
    let v: serde_json::Value =
        w.d.api(Some(&tok), &format!("?uuid={svc}"))
            .await
            .json()
            .await
            .unwrap();
    assert!(!referrers(&v).contains("google"), "{v}");
    // The collaborator sees it; the stranger gets an empty list.
    let v: serde_json::Value =
        w.d.api(
            Some(&format!("Token {}", w.who[COLLAB].api)),
            &format!("?uuid={svc}"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["services"].as_array().unwrap().len(), 1);
    let v: serde_json::Value =
        w.d.api(
            Some(&format!("Token {}", w.who[STRANGER].api)),
            &format!("?uuid={svc}"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["services"].as_array().unwrap().len(), 0);
    // Errors.
    let r = w.d.api(Some(&tok), "?startDate=01/01/2000").await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"],
        "Invalid date format. Use YYYY-MM-DD."
    );
    let r = w.d.api(Some(&tok), "?uuid=not-a-uuid").await;
    assert_eq!(r.status(), 400);
    assert!(r.json::<serde_json::Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("uuid"));
    let r =
        w.d.api(Some(&tok), "?startDate=2024-02-01&endDate=2024-01-01")
            .await;
    assert_eq!(r.status(), 400);
    for bad in [None, Some("Bearer x"), Some("Token "), Some("Token nope")] {
        let r = w.d.api(bad, "").await;
        assert_eq!(r.status(), 403, "{bad:?}");
        assert!(r.json::<serde_json::Value>().await.unwrap()["error"].is_string());
    }
    // A regenerated token replaces the old one; it takes the current password.
    let r =
        w.d.post(owner, "/dashboard/api-token-refresh/", &[], true)
            .await;
    assert_eq!(r.status(), 400);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("current password is wrong"));
    assert_eq!(w.d.api(Some(&tok), "").await.status(), 200);
    let r =
        w.d.post(
            owner,
            "/dashboard/api-token-refresh/",
            &[("current", PASSWORD)],
            true,
        )
        .await;
    let body = r.text().await.unwrap();
    let i = body.find("id=\"api-token\">").unwrap() + "id=\"api-token\">".len();
    let new_token = body[i..].split('<').next().unwrap().to_owned();
    assert!(new_token.starts_with("shy_"));
    assert_eq!(w.d.api(Some(&tok), "").await.status(), 403);
    assert_eq!(
        w.d.api(Some(&format!("Token {new_token}")), "")
            .await
            .status(),
        200
    );
    let spec: serde_json::Value =
        w.d.http
            .get(w.d.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert!(spec["paths"]["/api/v1/dashboard/"]["get"].is_object());
}

#[tokio::test]
async fn pages_format_figures_and_reject_bad_input() {
    let w = world().await;
    let owner = &w.who[OWNER];
    let (svc, _) = w.d.service(owner, None, "Figures").await;
    let body =
        w.d.get(owner, &format!("/dashboard/service/{svc}/"))
            .await
            .text()
            .await
            .unwrap();
    // 1 session of 10 minutes, 2 hits, no bounce, load 100 ms.
    for s in [
        "10:00",
        "0%",
        "100 ms",
        ">2<",
        "Germany",
        "Example Net",
        "https://www.google.com/",
        "<svg class=\"chart\"",
        "<svg class=\"worldmap\"",
    ] {
        assert!(body.contains(s), "service page lacks {s}");
    }
    // A bad date is a clear 400, never a server error.
    let r =
        w.d.get(
            owner,
            &format!("/dashboard/service/{svc}/?startDate=yesterday"),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("YYYY-MM-DD"));
    assert_eq!(
        w.d.get(
            owner,
            &format!("/dashboard/service/{svc}/sessions/?page=-1")
        )
        .await
        .status(),
        400
    );
    assert_eq!(
        w.d.get(owner, "/dashboard/service/not-a-uuid/")
            .await
            .status(),
        404
    );
    assert_eq!(
        w.d.get(owner, &format!("/dashboard/service/{svc}/sessions/nope/"))
            .await
            .status(),
        404
    );
    // Links keep the range.
    let body =
        w.d.get(
            owner,
            &format!("/dashboard/service/{svc}/?startDate=2020-01-01&endDate=2020-01-31"),
        )
        .await
        .text()
        .await
        .unwrap();
    // (Handlebars escapes `=` as `&#x3D;`, which browsers read as `=`.)
    assert!(body.contains("sessions/?startDate&#x3D;2020-01-01&amp;endDate&#x3D;2020-01-31"));
    // A service that never had a hit shows the install snippet.
    let c = w.d.pool.get().await.unwrap();
    c.execute("DELETE FROM hits WHERE service_id = $1", &[&svc])
        .await
        .unwrap();
    let body =
        w.d.get(owner, &format!("/dashboard/service/{svc}/"))
            .await
            .text()
            .await
            .unwrap();
    assert!(body.contains(&format!("/ingress/{svc}/script.js")));
    // Security headers on every page; `/` redirects; other routes are left alone.
    let r = w.d.get(&Who::anonymous(), "/").await;
    assert_eq!(r.headers()["location"], "/dashboard/");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert!(r.headers().contains_key("referrer-policy"));
    assert_eq!(
        w.d.http
            .get(w.d.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // The archive switch.
    let r =
        w.d.post(
            owner,
            &format!("/dashboard/service/{svc}/archive/"),
            &[("archived", "maybe")],
            true,
        )
        .await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn deleting_an_account_removes_it_and_everything_it_owns() {
    let w = world().await;
    let (owner, collab, admin) = (&w.who[OWNER], &w.who[COLLAB], &w.who[ADMIN]);
    let (own_svc, _) = w.d.service(owner, Some(collab), "Owner's site").await;
    let (shared_svc, _) = w.d.service(collab, Some(owner), "Collab's site").await;
    let c = w.d.pool.get().await.unwrap();
    let count = |sql: &'static str, svc: uuid::Uuid| {
        let c = &c;
        async move { c.query_one(sql, &[&svc]).await.unwrap().get::<_, i64>(0) }
    };
    // The confirmation page names what will go; a wrong password changes nothing.
    let page =
        w.d.get(owner, "/accounts/delete/")
            .await
            .text()
            .await
            .unwrap();
    let listed = page
        .split("<ul id=\"owned-services\">")
        .nth(1)
        .and_then(|rest| rest.split("</ul>").next())
        .unwrap_or_default();
    assert!(listed.contains("Owner"), "{page}");
    assert!(
        !listed.contains("Collab"),
        "services shared with the user are not deleted"
    );
    let r =
        w.d.post(owner, "/accounts/delete/", &[("current", "nope")], true)
            .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        count("SELECT count(*) FROM hits WHERE service_id = $1", own_svc).await,
        2
    );

    let r =
        w.d.post(owner, "/accounts/delete/", &[("current", PASSWORD)], true)
            .await;
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .contains("account_deleted"));
    // Gone: the user, their addresses and login sessions (the old cookie is anonymous now),
    // their service and all its data; what others own stays, minus the collaboration.
    let users: i64 = c
        .query_one("SELECT count(*) FROM users WHERE id = $1", &[&owner.id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(users, 0);
    assert_eq!(w.d.get(owner, "/dashboard/").await.status(), 302);
    for sql in [
        "SELECT count(*) FROM services WHERE id = $1",
        "SELECT count(*) FROM hits WHERE service_id = $1",
        "SELECT count(*) FROM sessions WHERE service_id = $1",
        "SELECT count(*) FROM collaborators WHERE service_id = $1",
    ] {
        assert_eq!(count(sql, own_svc).await, 0, "{sql}");
    }
    assert_eq!(
        count("SELECT count(*) FROM services WHERE id = $1", shared_svc).await,
        1
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM hits WHERE service_id = $1",
            shared_svc
        )
        .await,
        2
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM collaborators WHERE service_id = $1",
            shared_svc
        )
        .await,
        0
    );
    assert_eq!(w.d.get(collab, "/dashboard/").await.status(), 200);

    // The only admin cannot leave the instance without an admin.
    let r =
        w.d.post(admin, "/accounts/delete/", &[("current", PASSWORD)], true)
            .await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("only admin"));
    assert_eq!(w.d.get(admin, "/admin/").await.status(), 200);
}

#[tokio::test]
async fn campaign_channel_page_place_and_version_cards_render() {
    let w = world().await;
    let owner = &w.who[OWNER];
    let (svc, sid) = w.d.service(owner, None, "Cards").await;
    let c = w.d.pool.get().await.unwrap();
    c.execute(
        "UPDATE sessions SET utm_source = 'newsletter', utm_medium = 'email',
             utm_campaign = 'Spring Sale', channel = 'Email', exit_page = 'https://example.com/about',
             region = 'Bavaria', city = 'Munich', browser_version = '124.0.1', os_version = '10',
             visitor = '\\x00112233445566778899aabbccddeeff'
         WHERE id = $1",
        &[&sid],
    )
    .await
    .unwrap();
    // The rows changed outside the writer: make the rollup job read those hours again.
    stats::rollup::rewind(&**c, chrono::Utc::now() - chrono::Duration::hours(3))
        .await
        .unwrap();
    let body =
        w.d.get(owner, &format!("/dashboard/service/{svc}/"))
            .await
            .text()
            .await
            .unwrap();
    for s in [
        // The visitors figure, with what a visitor is.
        ">Visitors",
        "one browser on one IP address within one UTC day",
        // Campaigns: one card, a tab per tag.
        "<h2>Campaigns</h2>",
        ">Sources</label>",
        ">Mediums</label>",
        ">newsletter</a>",
        ">email</a>",
        ">Spring Sale</a>",
        // Channels, entry and exit pages.
        "<h2>Channels</h2>",
        ">Email</a>",
        "<h2>Entry pages</h2>",
        "<h2>Exit pages</h2>",
        ">https://example.com/about</a>",
        // Every row adds its filter.
        "title=\"Filter by newsletter\"",
        // Regions open under their country, with their cities; versions under their browser/OS.
        "title=\"Show Regions\"",
        ">Bavaria</a>",
        "Munich (1)",
        "title=\"Show Browser versions\"",
        "title=\"Show OS versions\"",
        ">124</a>",
    ] {
        assert!(body.contains(s), "service page lacks {s}");
    }
    assert_eq!(body.matches("<h2>Campaigns</h2>").count(), 1);
    // Sessions without tags are left out of the campaign tabs.
    assert!(!body.contains("<span>None</span>"));

    // The tracking parameters are edited and validated on the manage page.
    let path = format!("/dashboard/service/{svc}/manage/");
    let page = w.d.get(owner, &path).await.text().await.unwrap();
    assert!(page.contains("name=\"tracking_params\""));
    assert!(
        page.contains("utm_*, fbclid, gclid"),
        "the default list is shown"
    );
    let form = |list: &'static str| {
        vec![
            ("name", "Cards"),
            ("origins", "*"),
            ("respect_dnt", "yes"),
            ("tracking_params", list),
        ]
    };
    let r = w.d.post(owner, &path, &form("utm_*, a=b"), true).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("is not a parameter name"));
    let r =
        w.d.post(owner, &path, &form(" ref\nutm_* , REF"), true)
            .await;
    assert_eq!(r.status(), 303);
    let saved: String = c
        .query_one(
            "SELECT tracking_params FROM services WHERE id = $1",
            &[&svc],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(saved, "utm_*, ref");
}
