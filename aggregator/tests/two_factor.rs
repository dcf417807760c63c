//! Two-factor login over HTTP against a real Postgres: enrolment with a code computed here from
//! the secret the page shows (RFC 6238 implemented in this file, independently of the app),
//! the login's code step (wrong, replayed and older codes refused, recovery codes single-use,
//! throttling per account and per pending login), disabling, the admin's requirement that
//! forces enrolment, CSRF on every new form and that nobody can touch another user's 2FA.

mod common;
mod dashboard_support;

use dashboard_support::{csrf_in, set_cookie, spawn, Dash, Who, PASSWORD};
use hmac::{Hmac, Mac};

/// RFC 4648 base32 (no padding) back to bytes.
fn base32_decode(s: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut buf, mut bits, mut out) = (0u64, 0u32, Vec::new());
    for ch in s.bytes() {
        let v = alphabet.iter().position(|&a| a == ch).expect("base32") as u64;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}

/// The RFC 6238 code (HMAC-SHA1, 30 s, 6 digits) of a time step.
fn code(secret: &[u8], step: i64) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).unwrap();
    mac.update(&(step as u64).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = (h[19] & 15) as usize;
    let v = u32::from_be_bytes([h[o] & 0x7f, h[o + 1], h[o + 2], h[o + 3]]) % 1_000_000;
    format!("{v:06}")
}

fn step_now() -> i64 {
    chrono::Utc::now().timestamp().div_euclid(30)
}

#[test]
fn test_totp_matches_rfc6238() {
    // RFC 6238 appendix B (SHA-1), last six of the eight digits.
    let s = b"12345678901234567890";
    assert_eq!(code(s, 59 / 30), "287082");
    assert_eq!(code(s, 1_111_111_109 / 30), "081804");
    assert_eq!(code(s, 2_000_000_000 / 30), "279037");
}

/// A six-digit code valid for none of the steps around now.
fn wrong_code(secret: &[u8]) -> String {
    let s = step_now();
    let near: Vec<String> = (s - 2..=s + 3).map(|t| code(secret, t)).collect();
    (0..)
        .map(|i| format!("{:06}", 111_111 + i))
        .find(|c| !near.contains(c))
        .unwrap()
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = html.find(start)? + start.len();
    Some(&html[i..i + html[i..].find(end)?])
}

async fn two_factor_on(d: &Dash, u: &Who) -> bool {
    let c = d.pool.get().await.unwrap();
    c.query_one(
        "SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND enabled)",
        &[&u.id],
    )
    .await
    .unwrap()
    .get(0)
}

/// Enrols `u` through the page: (secret, recovery codes, step of the confirming code).
async fn enrol(d: &Dash, u: &Who) -> (Vec<u8>, Vec<String>, i64) {
    let r = d
        .post(u, "/accounts/two-factor/", &[("action", "start")], true)
        .await;
    assert_eq!(r.status(), 303);
    let page = d
        .get(u, "/accounts/two-factor/")
        .await
        .text()
        .await
        .unwrap();
    let svg = between(&page, "<div class=\"qr\"", "</div>").unwrap();
    // Inline, script-free and style-free, so the strict CSP shows it.
    assert!(svg.contains("<svg") && svg.contains("<path") && !svg.contains("<?xml"));
    assert!(!svg.contains("<script") && !svg.contains("style"));
    let secret = base32_decode(between(&page, "<code id=\"totp-secret\">", "</code>").unwrap());
    assert_eq!(secret.len(), 20);
    // A wrong code does not turn it on.
    let r = d
        .post(
            u,
            "/accounts/two-factor/",
            &[("action", "confirm"), ("code", &wrong_code(&secret))],
            true,
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(!two_factor_on(d, u).await);
    let step = step_now();
    let r = d
        .post(
            u,
            "/accounts/two-factor/",
            &[("action", "confirm"), ("code", &code(&secret, step))],
            true,
        )
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    let codes: Vec<String> = between(
        &page,
        "<pre class=\"snippet\" id=\"recovery-codes\">",
        "</pre>",
    )
    .unwrap()
    .lines()
    .map(str::to_owned)
    .filter(|l| !l.is_empty())
    .collect();
    assert_eq!(codes.len(), 10);
    assert!(two_factor_on(d, u).await);
    (secret, codes, step)
}

/// Password step: the pending token of the code form (and no session yet).
async fn password_step(d: &Dash, email: &str) -> String {
    let anon = Who::anonymous();
    let r = d
        .post(
            &anon,
            "/accounts/login/",
            &[
                ("email", email),
                ("password", PASSWORD),
                ("next", "/dashboard/"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(set_cookie(&r, "shynet_session").is_none());
    let page = r.text().await.unwrap();
    assert!(page.contains("action=\"/accounts/login/code/\""));
    between(&page, "name=\"pending\" value=\"", "\"")
        .unwrap()
        .to_owned()
}

/// Code step: status and, on success, the session cookie.
async fn code_step(d: &Dash, pending: &str, c: &str) -> (u16, Option<String>) {
    let r = d
        .post(
            &Who::anonymous(),
            "/accounts/login/code/",
            &[("pending", pending), ("code", c)],
            true,
        )
        .await;
    (r.status().as_u16(), set_cookie(&r, "shynet_session"))
}

fn session_of(who: &Who, token: &str) -> Who {
    Who {
        cookie: format!("shynet_session={token}"),
        ..who.clone()
    }
}

#[tokio::test]
async fn enrolment_login_replay_recovery_and_disable() {
    let d = spawn(Default::default()).await;
    let u = d.user("owner@example.com", false).await;
    let other = d.user("other@example.com", false).await;
    let (secret, recovery, step) = enrol(&d, &u).await;
    // Starting again while on changes nothing.
    let r = d
        .post(&u, "/accounts/two-factor/", &[("action", "start")], true)
        .await;
    assert_eq!(r.status(), 409);

    // Password, then a wrong code, then the next step's code.
    let p = password_step(&d, "owner@example.com").await;
    assert_eq!(code_step(&d, &p, &wrong_code(&secret)).await, (400, None));
    let next = code(&secret, step + 1);
    let (status, tok) = code_step(&d, &p, &next).await;
    assert_eq!(status, 303);
    let s = session_of(&u, &tok.unwrap());
    assert_eq!(d.get(&s, "/dashboard/").await.status(), 200);
    // The pending login is used up.
    assert_eq!(code_step(&d, &p, &next).await.0, 400);

    // Replay: the same code, or an older step's, on a new login is refused.
    let p = password_step(&d, "owner@example.com").await;
    assert_eq!(code_step(&d, &p, &next).await, (400, None));
    assert_eq!(code_step(&d, &p, &code(&secret, step)).await, (400, None));
    // A recovery code works once, whatever its case or dashes.
    assert_eq!(code_step(&d, &p, &recovery[0]).await.0, 303);
    let p = password_step(&d, "owner@example.com").await;
    assert_eq!(code_step(&d, &p, &recovery[0]).await, (400, None));
    let loose = recovery[1].to_lowercase().replace('-', " ");
    assert_eq!(code_step(&d, &p, &loose).await.0, 303);
    let page = d
        .get(&u, "/accounts/two-factor/")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("<span id=\"recovery-left\">8</span>"));

    // Another user cannot turn it off: the page only ever acts on its own user.
    let r = d
        .post(
            &other,
            "/accounts/two-factor/",
            &[
                ("action", "disable"),
                ("current", PASSWORD),
                ("user", &u.id.to_string()),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(two_factor_on(&d, &u).await);
    // Without CSRF token nothing happens.
    let r = d
        .post(
            &u,
            "/accounts/two-factor/",
            &[("action", "disable"), ("current", PASSWORD)],
            false,
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = d
        .post(
            &Who::anonymous(),
            "/accounts/login/code/",
            &[("pending", &p), ("code", &recovery[2])],
            false,
        )
        .await;
    assert_eq!(r.status(), 403);
    assert!(two_factor_on(&d, &u).await);
    // New recovery codes need the password; the old ones stop working.
    let r = d
        .post(
            &u,
            "/accounts/two-factor/",
            &[("action", "recovery"), ("current", "wrong")],
            true,
        )
        .await;
    assert_eq!(r.status(), 400);
    let r = d
        .post(
            &u,
            "/accounts/two-factor/",
            &[("action", "recovery"), ("current", PASSWORD)],
            true,
        )
        .await;
    assert_eq!(r.status(), 200);
    let p = password_step(&d, "owner@example.com").await;
    assert_eq!(code_step(&d, &p, &recovery[2]).await.0, 400);
    // Disabling: a wrong password is refused, the right one works and logins need no code.
    let r = d
        .post(
            &u,
            "/accounts/two-factor/",
            &[("action", "disable"), ("current", "wrong")],
            true,
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(two_factor_on(&d, &u).await);
    let r = d
        .post(
            &u,
            "/accounts/two-factor/",
            &[("action", "disable"), ("current", PASSWORD)],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(!two_factor_on(&d, &u).await);
    let c = d.pool.get().await.unwrap();
    let left: i64 = c
        .query_one("SELECT (SELECT count(*) FROM user_recovery_codes WHERE user_id = $1) + (SELECT count(*) FROM pending_logins WHERE user_id = $1)", &[&u.id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    let r = d
        .post(
            &Who::anonymous(),
            "/accounts/login/",
            &[("email", "owner@example.com"), ("password", PASSWORD)],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(set_cookie(&r, "shynet_session").is_some());
}

#[tokio::test]
async fn wrong_codes_are_throttled_per_account_and_per_pending_login() {
    let d = spawn(Default::default()).await;
    let u = d.user("owner@example.com", false).await;
    let (secret, _, step) = enrol(&d, &u).await;
    let first = password_step(&d, "owner@example.com").await;
    let second = password_step(&d, "owner@example.com").await;
    let bad = wrong_code(&secret);
    let max = dashboard::auth::throttle::ACCOUNT_FREE_ATTEMPTS;
    for _ in 0..max {
        assert_eq!(code_step(&d, &first, &bad).await.0, 400);
    }
    // The first pending login has used its attempts: even the right code is refused.
    let good = code(&secret, step + 1);
    assert_eq!(code_step(&d, &first, &good).await, (400, None));
    // The account now backs off: the right code on the other pending login waits too.
    let r = d
        .post(
            &Who::anonymous(),
            "/accounts/login/code/",
            &[("pending", &second), ("code", &good)],
            true,
        )
        .await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    // An unknown or malformed pending token is a clear 400.
    assert_eq!(code_step(&d, "bogus", &good).await.0, 400);
    assert_eq!(code_step(&d, &"x".repeat(500), &good).await.0, 400);
}

#[tokio::test]
async fn admin_requirement_forces_enrolment() {
    let d = spawn(Default::default()).await;
    let admin = d.user("admin@example.com", true).await;
    let user = d.user("user@example.com", false).await;
    let other = d.user("other@example.com", false).await;
    enrol(&d, &other).await;
    // The admin page shows who has 2FA.
    let page = d.get(&admin, "/admin/").await.text().await.unwrap();
    let row = |email: &str| {
        let i = page.find(&format!("<td>{email}</td>")).unwrap();
        page[i..].split("</tr>").next().unwrap().to_owned()
    };
    assert!(row("other@example.com").contains("<td class=\"two-factor\">On</td>"));
    assert!(row("user@example.com").contains("<td class=\"two-factor\">Off</td>"));
    // Requiring it needs the CSRF token and an admin.
    let form = [("action", "require_2fa"), ("require", "on")];
    assert_eq!(d.post(&admin, "/admin/", &form, false).await.status(), 403);
    assert_eq!(d.post(&user, "/admin/", &form, true).await.status(), 403);
    let c = d.pool.get().await.unwrap();
    assert!(!models::two_factor::required(&**c).await.unwrap());
    assert_eq!(
        d.post(
            &admin,
            "/admin/",
            &[("action", "require_2fa"), ("require", "maybe")],
            true
        )
        .await
        .status(),
        400
    );
    assert_eq!(d.post(&admin, "/admin/", &form, true).await.status(), 303);
    assert!(models::two_factor::required(&**c).await.unwrap());
    // A user without 2FA logs in and can open nothing but the enrolment page.
    let r = d
        .post(
            &Who::anonymous(),
            "/accounts/login/",
            &[("email", "user@example.com"), ("password", PASSWORD)],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    let s = session_of(&user, &set_cookie(&r, "shynet_session").unwrap());
    let s = Who {
        csrf: csrf_of(&d, &s).await,
        ..s
    };
    for path in [
        "/dashboard/",
        "/accounts/password/change/",
        "/accounts/email/",
    ] {
        let r = d.get(&s, path).await;
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(
            r.headers()["location"],
            "/accounts/two-factor/?msg=2fa_required"
        );
    }
    let r = d
        .post(
            &s,
            "/dashboard/api-token-refresh/",
            &[("current", PASSWORD)],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(d.get(&s, "/accounts/two-factor/").await.status(), 200);
    // The admin, without 2FA too, is also sent to enrol.
    assert_eq!(d.get(&admin, "/admin/").await.status(), 303);
    // Once enrolled, everything opens again; a user who had it is never stopped.
    enrol(&d, &s).await;
    assert_eq!(d.get(&s, "/dashboard/").await.status(), 200);
    assert_eq!(d.get(&other, "/dashboard/").await.status(), 200);
    // An admin resets a user's 2FA (lost device): the user must enrol again. Another user
    // cannot, and a user without 2FA cannot be reset.
    let reset = [("action", "reset_2fa"), ("user", &*other.id.to_string())];
    assert_eq!(d.post(&s, "/admin/", &reset, true).await.status(), 403);
    assert!(two_factor_on(&d, &other).await);
    enrol(&d, &admin).await;
    assert_eq!(d.post(&admin, "/admin/", &reset, true).await.status(), 303);
    assert!(!two_factor_on(&d, &other).await);
    assert_eq!(d.post(&admin, "/admin/", &reset, true).await.status(), 400);
    assert_eq!(d.get(&other, "/dashboard/").await.status(), 303);
}

/// The CSRF token of a session made by a real login.
async fn csrf_of(d: &Dash, s: &Who) -> String {
    let page = d
        .get(s, "/accounts/two-factor/")
        .await
        .text()
        .await
        .unwrap();
    csrf_in(&page).unwrap()
}

#[tokio::test]
async fn a_new_password_ends_pending_logins() {
    let d = spawn(Default::default()).await;
    let u = d.user("owner@example.com", false).await;
    let (secret, _, step) = enrol(&d, &u).await;
    let p = password_step(&d, "owner@example.com").await;
    let new = "a brand new passphrase";
    let r = d
        .post(
            &u,
            "/accounts/password/change/",
            &[("current", PASSWORD), ("password", new), ("password2", new)],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        code_step(&d, &p, &code(&secret, step + 1)).await,
        (400, None)
    );
}
