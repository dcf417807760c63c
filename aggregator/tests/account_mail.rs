//! Account mail end to end: a real SMTP server (aiosmtpd, writing a maildir) receives the
//! reset and verification mail, the test follows the mailed links and completes each flow.
//! Also: links only from the configured dashboard URL, re-authentication for sensitive
//! changes, revocation on a new password, mail rate limits and address squatting.

mod common;
mod dashboard_support;
mod smtp_support;

use dashboard::auth::{mail_quota, token};
use dashboard_support::{spawn, Dash, Who, PASSWORD};
use smtp_support::{unqp, Smtp};

/// Base URL the app is configured with: every mailed link must start with it.
const SITE: &str = "http://stats.test";

/// The recipient and the link (starting with [`SITE`]) of a mail.
fn recipient_and_link(raw: &str, kind: &str) -> (String, String) {
    let to = raw
        .lines()
        .find_map(|l| l.strip_prefix("X-RcptTo: "))
        .expect("a recipient")
        .trim()
        .to_owned();
    let body = unqp(raw);
    let start = body
        .find(&format!("{SITE}/accounts/{kind}"))
        .unwrap_or_else(|| panic!("no {kind} link from {SITE} in {body}"));
    let link = body[start..].split_whitespace().next().unwrap().to_owned();
    (to, link)
}

/// The path of a mailed link, to request from the test server.
fn path_of(link: &str) -> &str {
    link.strip_prefix(SITE).unwrap()
}

async fn app(smtp: Option<&Smtp>) -> Dash {
    spawn(dashboard::DashboardArgs {
        dashboard_url: Some(SITE.into()),
        email_host: smtp.map(|_| "127.0.0.1".into()),
        email_port: smtp.map_or(465, |s| s.port),
        email_use_ssl: false,
        email_use_tls: false,
        ..Default::default()
    })
    .await
}

async fn count(d: &Dash, sql: &str, id: i64) -> i64 {
    let c = d.pool.get().await.unwrap();
    c.query_one(sql, &[&id]).await.unwrap().get(0)
}

async fn add_address(d: &Dash, who: &Who, email: &str, current: &str) -> reqwest::Response {
    d.post(
        who,
        "/accounts/email/",
        &[("action", "add"), ("email", email), ("current", current)],
        true,
    )
    .await
}

async fn login(d: &Dash, email: &str, pw: &str) -> u16 {
    d.login(email, pw).await.status().as_u16()
}

#[tokio::test]
async fn password_reset_by_mailed_link_over_real_smtp() {
    let mut smtp = Smtp::start().await;
    let d = app(Some(&smtp)).await;
    let owner = d.user("owner@example.com", false).await;
    let other_browser = d.relogin(&owner).await;
    let ask = |host: &'static str| {
        let anon = Who::anonymous();
        d.http
            .post(d.url("/accounts/password/reset/"))
            .header("host", host)
            .header("cookie", anon.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "email=%20%20OWNER%40Example.COM%20&csrf={}",
                anon.csrf
            ))
            .send()
    };
    // The link's host is the configured one, whatever Host the request carried; the mail goes
    // to the stored address, not to the submitted spelling.
    assert_eq!(ask("localhost:1").await.unwrap().status(), 200);
    let (to, link) = recipient_and_link(&smtp.next_mail().await, "password/reset/key/");
    assert_eq!(to, "owner@example.com");
    assert_eq!(ask("127.0.0.1").await.unwrap().status(), 200);
    let (_, second_link) = recipient_and_link(&smtp.next_mail().await, "password/reset/key/");
    assert_ne!(link, second_link);
    let anon = Who::anonymous();
    assert_eq!(d.get(&anon, path_of(&link)).await.status(), 200);
    let r = d
        .post(
            &anon,
            path_of(&link),
            &[
                ("password", "mailbox proven"),
                ("password2", "mailbox proven"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/accounts/login/?msg=reset");
    // The new password revoked the other open link, the API token and every session.
    assert_eq!(d.get(&anon, path_of(&second_link)).await.status(), 400);
    let tok = format!("Token {}", owner.api);
    assert_eq!(d.api(Some(&tok), "").await.status(), 403);
    assert_eq!(d.get(&other_browser, "/dashboard/").await.status(), 302);
    assert_eq!(login(&d, "owner@example.com", PASSWORD).await, 400);
    assert_eq!(login(&d, "owner@example.com", "mailbox proven").await, 303);
}

#[tokio::test]
async fn address_verification_by_mailed_link_over_real_smtp() {
    let mut smtp = Smtp::start().await;
    let d = app(Some(&smtp)).await;
    let owner = d.user("owner@example.com", false).await;
    // Adding an address takes the current password.
    let r = add_address(&d, &owner, "second@example.com", "not my password").await;
    assert_eq!(r.status(), 400);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("current password is wrong"));
    let added = add_address(&d, &owner, "second@example.com", PASSWORD).await;
    assert_eq!(added.status(), 303);
    let (to, link) = recipient_and_link(&smtp.next_mail().await, "confirm-email/");
    assert_eq!(to, "second@example.com");
    let page = d.get(&owner, path_of(&link)).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("second@example.com"));
    let r = d.post(&owner, path_of(&link), &[], true).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/accounts/email/?msg=verified");
    let page = d
        .get(&owner, "/accounts/email/")
        .await
        .text()
        .await
        .unwrap();
    let row = page
        .split("<tr>")
        .find(|r| r.contains("second@example.com"))
        .unwrap();
    assert!(row.contains(">Verified<"), "{row}");
    // Making it the login address takes the current password too.
    let c = d.pool.get().await.unwrap();
    let id: i64 = c
        .query_one(
            "SELECT id FROM user_emails WHERE email = 'second@example.com'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let id = id.to_string();
    let primary = |current: &'static str| {
        let id = id.clone();
        let d = &d;
        let owner = &owner;
        async move {
            d.post(
                owner,
                "/accounts/email/",
                &[("action", "primary"), ("id", &id), ("current", current)],
                true,
            )
            .await
            .status()
        }
    };
    assert_eq!(primary("").await, 400);
    assert_eq!(primary(PASSWORD).await, 303);
    let login: String = c
        .query_one("SELECT email FROM users WHERE id = $1", &[&owner.id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(login, "second@example.com");
    assert_eq!(smtp.count(), 1, "no other mail was sent");
}

#[tokio::test]
async fn mail_with_links_needs_the_dashboard_url() {
    let d = spawn(Default::default()).await;
    let admin = d.user("admin@example.com", true).await;
    let r = d
        .post(
            &Who::anonymous(),
            "/accounts/password/reset/",
            &[("email", "admin@example.com")],
            true,
        )
        .await;
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("SHYNET_DASHBOARD_URL"));
    let r = d
        .post(
            &admin,
            "/accounts/email/",
            &[
                ("action", "add"),
                ("email", "alias@example.com"),
                ("current", PASSWORD),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("SHYNET_DASHBOARD_URL"));
    let links = "SELECT count(*) FROM one_time_tokens WHERE user_id = $1";
    assert_eq!(count(&d, links, admin.id).await, 0, "no link was created");
    let notice = "SHYNET_DASHBOARD_URL is not set";
    let page = d.get(&admin, "/admin/").await.text().await.unwrap();
    assert!(page.contains(notice));
    let d = app(None).await;
    let admin = d.user("admin@example.com", true).await;
    let page = d.get(&admin, "/admin/").await.text().await.unwrap();
    assert!(!page.contains(notice));
}

#[tokio::test]
async fn verification_mail_is_rate_limited_per_address_and_per_user() {
    let d = app(None).await;
    let me = d.user("me@example.com", false).await;
    let post = |fields: Vec<(&'static str, String)>| {
        let d = &d;
        let me = &me;
        async move {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = d.post(me, "/accounts/email/", &f, true).await;
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let add = |email: &str| {
        vec![
            ("action", "add".to_owned()),
            ("email", email.to_owned()),
            ("current", PASSWORD.to_owned()),
        ]
    };
    assert_eq!(post(add("a@example.com")).await.0, 303);
    let c = d.pool.get().await.unwrap();
    let a: i64 = c
        .query_one(
            "SELECT id FROM user_emails WHERE email = 'a@example.com'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let resend = || vec![("action", "resend".to_owned()), ("id", a.to_string())];
    for _ in 1..mail_quota::MAX_PER_ADDRESS {
        assert_eq!(post(resend()).await.0, 303);
    }
    let (status, body) = post(resend()).await;
    assert_eq!(status, 400);
    assert!(body.contains("Too many mails"), "{body}");
    let links = "SELECT count(*) FROM one_time_tokens WHERE email_id = $1";
    assert_eq!(count(&d, links, a).await, mail_quota::MAX_PER_ADDRESS);
    // Per user: other addresses until the user's limit, then no more mail.
    let mut sent = mail_quota::MAX_PER_ADDRESS;
    let mut i = 0;
    while sent < mail_quota::MAX_PER_USER {
        i += 1;
        assert_eq!(post(add(&format!("n{i}@example.com"))).await.0, 303);
        sent += 1;
    }
    let (status, body) = post(add("last@example.com")).await;
    assert_eq!(status, 400);
    assert!(body.contains("no verification mail was sent"), "{body}");
    let all = "SELECT count(*) FROM one_time_tokens WHERE user_id = $1";
    assert_eq!(count(&d, all, me.id).await, mail_quota::MAX_PER_USER);
}

#[tokio::test]
async fn an_unverified_claim_does_not_block_the_owner() {
    let d = app(None).await;
    let squatter = d.user("squatter@example.com", false).await;
    let owner = d.user("owner@example.com", false).await;
    assert_eq!(
        add_address(&d, &squatter, "Shared@example.com", PASSWORD)
            .await
            .status(),
        303
    );
    assert_eq!(
        add_address(&d, &owner, "Shared@example.com", PASSWORD)
            .await
            .status(),
        303,
        "an unverified claim reserves nothing"
    );
    // The owner verifies (with a link we know, as the mail went to the log sink).
    let c = d.pool.get().await.unwrap();
    let eid: i64 = c
        .query_one(
            "SELECT id FROM user_emails WHERE user_id = $1 AND email = 'Shared@example.com'",
            &[&owner.id],
        )
        .await
        .unwrap()
        .get(0);
    let t = token::new_token();
    c.execute(
        "INSERT INTO one_time_tokens (token_hash, purpose, user_id, email_id, expires_at)
         VALUES ($1, 'verify', $2, $3, now() + interval '1 hour')",
        &[&token::hash(&t), &owner.id, &eid],
    )
    .await
    .unwrap();
    let r = d
        .post(&owner, &format!("/accounts/confirm-email/{t}/"), &[], true)
        .await;
    assert_eq!(r.status(), 303);
    let claims = "SELECT count(*) FROM user_emails WHERE user_id = $1 AND lower(email) = 'shared@example.com'";
    assert_eq!(
        count(&d, claims, squatter.id).await,
        0,
        "the squatter's claim is dropped"
    );
    let r = add_address(&d, &squatter, "Shared@example.com", PASSWORD).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("in use"));
    // An unverified sign-up keeps its login, so the owner cannot make that address their
    // login: a clear 400, not a database error.
    let signed_up = d.user("taken-login@example.com", false).await;
    c.execute(
        "UPDATE user_emails SET verified = false WHERE user_id = $1",
        &[&signed_up.id],
    )
    .await
    .unwrap();
    let added = add_address(&d, &owner, "taken-login@example.com", PASSWORD).await;
    assert_eq!(added.status(), 303);
    let eid: i64 = c
        .query_one(
            "SELECT id FROM user_emails WHERE user_id = $1 AND email = 'taken-login@example.com'",
            &[&owner.id],
        )
        .await
        .unwrap()
        .get(0);
    c.execute(
        "UPDATE user_emails SET verified = true WHERE id = $1",
        &[&eid],
    )
    .await
    .unwrap();
    let r = d
        .post(
            &owner,
            "/accounts/email/",
            &[
                ("action", "primary"),
                ("id", &eid.to_string()),
                ("current", PASSWORD),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Another account logs in"));
}

#[tokio::test]
async fn a_password_change_revokes_token_links_and_other_sessions() {
    let d = app(None).await;
    let me = d.user("me@example.com", false).await;
    let other = d.relogin(&me).await;
    let c = d.pool.get().await.unwrap();
    let t = token::new_token();
    c.execute(
        "INSERT INTO one_time_tokens (token_hash, purpose, user_id, expires_at)
         VALUES ($1, 'reset', $2, now() + interval '1 hour')",
        &[&token::hash(&t), &me.id],
    )
    .await
    .unwrap();
    let r = d
        .post(
            &me,
            "/accounts/password/change/",
            &[
                ("current", PASSWORD),
                ("password", "a changed secret"),
                ("password2", "a changed secret"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        d.get(&me, "/dashboard/").await.status(),
        200,
        "this browser stays"
    );
    assert_eq!(d.get(&other, "/dashboard/").await.status(), 302);
    let tok = format!("Token {}", me.api);
    assert_eq!(d.api(Some(&tok), "").await.status(), 403);
    let path = format!("/accounts/password/reset/key/{t}/");
    assert_eq!(d.get(&Who::anonymous(), &path).await.status(), 400);
}
