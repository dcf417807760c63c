//! Account hardening over HTTP against a real Postgres: `next` stays on the site, unknown `Host`
//! headers are refused, cookie security follows the configured dashboard URL (never request
//! headers), and login throttling backs off per client address and per account, atomically.

mod common;
mod dashboard_support;

use dashboard::auth::{throttle, token};
use dashboard_support::{set_cookie, spawn, Dash, Who, PASSWORD};

/// A login POST from `ip` (as the proxy reports it in `X-Forwarded-For`).
async fn login_from(d: &Dash, ip: &str, email: &str, pw: &str) -> reqwest::Response {
    let anon = Who::anonymous();
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let body = format!(
        "email={}&password={}&csrf={}",
        enc(email),
        enc(pw),
        anon.csrf
    );
    d.http
        .post(d.url("/accounts/login/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", &anon.cookie)
        .header("x-forwarded-for", ip)
        .body(body)
        .send()
        .await
        .unwrap()
}

fn retry_after(r: &reqwest::Response) -> i64 {
    r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn failures(d: &Dash, key: &str) -> i32 {
    let c = d.pool.get().await.unwrap();
    c.query_opt(
        "SELECT failures FROM login_throttle WHERE key = $1",
        &[&key],
    )
    .await
    .unwrap()
    .map_or(0, |r| r.get(0))
}

#[tokio::test]
async fn login_next_never_leaves_the_site() {
    let d = spawn(Default::default()).await;
    let me = d.user("me@example.com", false).await;
    for raw in [
        "/%09/evil.example",
        "//evil.example",
        "///evil.example",
        "/%5Cevil.example",
        "%5C%5Cevil.example",
        "/%2F/evil.example",
        "/%2f%2fevil.example",
        "%2F%2Fevil.example",
        "/%252F%252Fevil.example",
        "https://evil.example/",
        "https:evil.example",
        "/%0d%0aSet-Cookie:%20x=1",
        "/%0a/evil.example",
        "/%20/evil.example",
        "javascript:alert(1)",
        "/%E3%80%80/evil.example",
    ] {
        let r = d.get(&me, &format!("/accounts/login/?next={raw}")).await;
        assert_eq!(r.status(), 302, "{raw}");
        assert_eq!(r.headers()["location"], "/dashboard/", "{raw}");
    }
    let r = d
        .get(&me, "/accounts/login/?next=/dashboard/service/new/")
        .await;
    assert_eq!(r.headers()["location"], "/dashboard/service/new/");
    // The form field is checked the same way.
    let r = d
        .post(
            &Who::anonymous(),
            "/accounts/login/",
            &[
                ("email", "me@example.com"),
                ("password", PASSWORD),
                ("next", "/\t/evil.example"),
            ],
            true,
        )
        .await;
    let st = r.status();
    let loc = r.headers().get("location").cloned();
    assert_eq!(st, 303, "{}", r.text().await.unwrap());
    assert_eq!(loc.unwrap(), "/dashboard/");
}

#[tokio::test]
async fn unknown_hosts_are_refused_on_every_route_but_healthz() {
    let d = spawn(Default::default()).await;
    let svc = uuid::Uuid::new_v4();
    let paths = [
        "/".to_owned(),
        "/accounts/login/".to_owned(),
        "/accounts/password/reset/".to_owned(),
        "/dashboard/".to_owned(),
        "/api/v1/dashboard/".to_owned(),
        "/static/app.css".to_owned(),
        format!("/ingress/{svc}/pixel.gif"),
        "/ingest/v1/config".to_owned(),
    ];
    let get = |path: &str, host: &str| d.http.get(d.url(path)).header("host", host).send();
    for path in &paths {
        let r = get(path, "evil.example").await.unwrap();
        assert_eq!(r.status(), 400, "{path}");
        assert!(r.text().await.unwrap().contains("Unknown host"), "{path}");
        for host in ["localhost", "127.0.0.1:9", "[::1]:8080"] {
            let r = get(path, host).await.unwrap();
            assert!(
                !r.text().await.unwrap().contains("Unknown host"),
                "{path} {host}"
            );
        }
    }
    let r = get("/healthz", "evil.example").await.unwrap();
    assert_eq!(r.status(), 200, "probes reach /healthz by any name");

    // The dashboard URL's host is always allowed; an explicit list replaces the local names.
    let d = spawn(dashboard::DashboardArgs {
        dashboard_url: Some("https://stats.example.com".into()),
        allowed_hosts: Some("t.example.com".into()),
        ..Default::default()
    })
    .await;
    for (host, ok) in [
        ("stats.example.com", true),
        ("t.example.com:443", true),
        ("localhost", false),
        ("evil.example", false),
    ] {
        let r = d
            .http
            .get(d.url("/accounts/login/"))
            .header("host", host)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status() != 400, ok, "{host}");
    }
    let d = spawn(dashboard::DashboardArgs {
        allowed_hosts: Some("*".into()),
        ..Default::default()
    })
    .await;
    let r = d
        .http
        .get(d.url("/accounts/login/"))
        .header("host", "anything.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

fn set_cookie_lines(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn cookie_security_follows_the_dashboard_url_not_request_headers() {
    // https: `__Host-` names, Secure, Path=/, no Domain, and HSTS.
    let d = spawn(dashboard::DashboardArgs {
        dashboard_url: Some("https://stats.example.com".into()),
        ..Default::default()
    })
    .await;
    let me = d.user("me@example.com", false).await;
    let r = d.http.get(d.url("/accounts/login/")).send().await.unwrap();
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    let lines = set_cookie_lines(&r);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let l = &lines[0];
    assert!(l.starts_with("__Host-shynet_csrf="), "{l}");
    assert!(
        l.contains("; Secure") && l.contains("Path=/") && !l.contains("Domain"),
        "{l}"
    );
    let t = token::new_token();
    let browser = Who {
        cookie: format!("__Host-shynet_csrf={t}"),
        csrf: t,
        ..Who::anonymous()
    };
    let r = d
        .post(
            &browser,
            "/accounts/login/",
            &[("email", "me@example.com"), ("password", PASSWORD)],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    let lines = set_cookie_lines(&r);
    let l = lines
        .iter()
        .find(|l| l.starts_with("__Host-shynet_session="))
        .expect("a __Host- session cookie");
    assert!(
        l.contains("; Secure") && l.contains("Path=/") && !l.contains("Domain"),
        "{l}"
    );
    let sess = set_cookie(&r, "__Host-shynet_session").unwrap();
    let with = |cookie: String| Who {
        cookie,
        ..me.clone()
    };
    assert_eq!(
        d.get(
            &with(format!("__Host-shynet_session={sess}")),
            "/dashboard/"
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        d.get(&with(format!("shynet_session={sess}")), "/dashboard/")
            .await
            .status(),
        302,
        "the unprefixed name is not read over https"
    );

    // http (or unset): plain names, no Secure, no HSTS, whatever X-Forwarded-Proto claims.
    let d = spawn(Default::default()).await;
    let r = d
        .http
        .get(d.url("/accounts/login/"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
    let lines = set_cookie_lines(&r);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("shynet_csrf="), "{}", lines[0]);
    assert!(!lines[0].contains("Secure"), "{}", lines[0]);
}

#[tokio::test]
async fn account_backoff_is_exponential_bounded_and_cleared_by_a_reset() {
    let d = spawn(Default::default()).await;
    let admin = d.user("admin@example.com", true).await;
    let key = throttle::account_key(&admin.email).key;
    let attacker = "203.0.113.9";
    for _ in 0..throttle::ACCOUNT_FREE_ATTEMPTS {
        let r = login_from(&d, attacker, "admin@example.com", "guess guess").await;
        assert_eq!(r.status(), 400);
    }
    // Back-off, not a lock: the admin from elsewhere waits seconds, not a fixed window.
    let r = login_from(&d, "198.51.100.7", "admin@example.com", PASSWORD).await;
    assert_eq!(r.status(), 429);
    assert_eq!(retry_after(&r), i64::from(throttle::BASE_DELAY_SECS));
    // Each further failure doubles the wait (time is moved by rewinding the last claim).
    let c = d.pool.get().await.unwrap();
    let mut waits = Vec::new();
    // The attacker rotates addresses, so only the account's key applies.
    for i in 0..4 {
        let attacker = format!("203.0.113.{}", 20 + i);
        c.execute(
            "UPDATE login_throttle SET last_at = last_at - interval '1 hour' WHERE key = $1",
            &[&key],
        )
        .await
        .unwrap();
        let r = login_from(&d, &attacker, "admin@example.com", "guess guess").await;
        assert_eq!(r.status(), 400);
        let r = login_from(&d, &attacker, "admin@example.com", "guess guess").await;
        assert_eq!(r.status(), 429);
        waits.push(retry_after(&r));
    }
    assert_eq!(waits, [4, 8, 16, 32]);
    // However long the attack, the account's wait is capped.
    c.execute(
        "UPDATE login_throttle SET failures = 60, last_at = now() WHERE key = $1",
        &[&key],
    )
    .await
    .unwrap();
    let r = login_from(&d, "198.51.100.7", "admin@example.com", PASSWORD).await;
    assert_eq!(r.status(), 429);
    let cap = i64::from(throttle::ACCOUNT_MAX_DELAY_SECS);
    assert!(
        (cap - 1..=cap).contains(&retry_after(&r)),
        "{}",
        retry_after(&r)
    );
    // A password reset (the admin proves control of the mailbox) clears the account's back-off.
    let t = token::new_token();
    c.execute(
        "INSERT INTO one_time_tokens (token_hash, purpose, user_id, expires_at)
         VALUES ($1, 'reset', $2, now() + interval '1 hour')",
        &[&token::hash(&t), &admin.id],
    )
    .await
    .unwrap();
    let r = d
        .post(
            &Who::anonymous(),
            &format!("/accounts/password/reset/key/{t}/"),
            &[
                ("password", "a new admin secret"),
                ("password2", "a new admin secret"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = login_from(
        &d,
        "198.51.100.7",
        "admin@example.com",
        "a new admin secret",
    )
    .await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn spraying_one_password_over_many_accounts_is_throttled_per_client() {
    let d = spawn(Default::default()).await;
    let sprayer = "203.0.113.50";
    let mut statuses = Vec::new();
    for i in 0..throttle::CLIENT_FREE_ATTEMPTS + 3 {
        let r = login_from(&d, sprayer, &format!("user{i}@example.com"), "Summer2024!").await;
        statuses.push(r.status().as_u16());
    }
    let free = throttle::CLIENT_FREE_ATTEMPTS as usize;
    assert!(statuses[..free].iter().all(|s| *s == 400), "{statuses:?}");
    assert!(statuses[free..].iter().all(|s| *s == 429), "{statuses:?}");
    // No single account was pushed into back-off, and other clients are not affected.
    assert_eq!(failures(&d, "account:user0@example.com").await, 1);
    let r = login_from(&d, "198.51.100.8", "user99@example.com", "Summer2024!").await;
    assert_eq!(r.status(), 400);
    // An IPv6 sprayer cannot rotate addresses inside its /64.
    for i in 0..throttle::CLIENT_FREE_ATTEMPTS {
        let r = login_from(
            &d,
            &format!("2001:db8:7:7::{i:x}"),
            &format!("v6-{i}@example.com"),
            "x",
        )
        .await;
        assert_ne!(r.status(), 429);
    }
    let r = login_from(&d, "2001:db8:7:7::ffff", "other@example.com", "x").await;
    assert_eq!(r.status(), 429);
}

#[tokio::test]
async fn parallel_guesses_get_no_more_checks_than_allowed() {
    let d = spawn(Default::default()).await;
    let victim = d.user("victim@example.com", false).await;
    let n = 20;
    let tries = (0..n).map(|i| {
        let d = &d;
        async move {
            // Each from its own address: only the account's limit applies.
            login_from(
                d,
                &format!("203.0.113.{}", 100 + i),
                "victim@example.com",
                "guess guess",
            )
            .await
            .status()
            .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(tries).await;
    let checked = statuses.iter().filter(|s| **s == 400).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        checked,
        throttle::ACCOUNT_FREE_ATTEMPTS as usize,
        "{statuses:?}"
    );
    assert_eq!(checked + throttled, n, "{statuses:?}");
    assert_eq!(
        failures(&d, &throttle::account_key(&victim.email).key).await,
        throttle::ACCOUNT_FREE_ATTEMPTS
    );
}
