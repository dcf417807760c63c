//! The dashboard speaks the browser's language (`Accept-Language`, q-values honoured, anything
//! unusable → English) unless the signed-in user chose one on `/accounts/preferences/` (CSRF-
//! checked, unknown codes refused without a change); numbers and dates follow the language, and
//! `<html lang>` says which it is.

mod common;
mod dashboard_support;
mod smtp_support;

use chrono::{DateTime, Datelike, Utc};
use dashboard_support::*;

const PREFS: &str = "/accounts/preferences/";
const GERMAN: &str = "de-DE,de;q=0.9";

/// GET as `who` with an `Accept-Language` header (none for `None`): status and body.
async fn get_in(d: &Dash, who: &Who, path: &str, accept: Option<&str>) -> (u16, String) {
    let mut r = d.http.get(d.url(path));
    if !who.cookie.is_empty() {
        r = r.header("cookie", &who.cookie);
    }
    if let Some(a) = accept {
        r = r.header("accept-language", a);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn page_in(d: &Dash, who: &Who, path: &str, accept: Option<&str>) -> String {
    let (status, body) = get_in(d, who, path, accept).await;
    assert_eq!(status, 200, "{path} in {accept:?}");
    body
}

async fn stored(d: &Dash, who: &Who) -> String {
    let c = d.pool.get().await.unwrap();
    c.query_one("SELECT language FROM users WHERE id = $1", &[&who.id])
        .await
        .unwrap()
        .get(0)
}

/// 1233 more bounced sessions beside the helper's one, so the page shows 1,234 sessions and a
/// bounce rate of 99.9%.
async fn more_sessions(d: &Dash, svc: uuid::Uuid) {
    let c = d.pool.get().await.unwrap();
    c.execute(
        "INSERT INTO sessions (id, service_id, start_time, last_seen, browser, os, device_type,
                               country, as_org, hit_count, is_bounce)
         SELECT gen_random_uuid(), $1, now() - interval '1 hour', now() - interval '1 hour',
                'Firefox', 'Linux', 'DESKTOP', 'FR', 'Other Net', 1, true
           FROM generate_series(1, 1233)",
        &[&svc],
    )
    .await
    .unwrap();
    stats::rollup::rewind(&**c, Utc::now() - chrono::Duration::hours(3))
        .await
        .unwrap();
}

fn german_month(m: u32) -> &'static str {
    [
        "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.",
        "Dez.",
    ][m as usize - 1]
}

#[tokio::test]
async fn pages_follow_the_browser_unless_the_user_chose_a_language() {
    let d = spawn(Default::default()).await;
    let owner = d.user("owner@example.com", false).await;
    let (svc, sid) = d.service(&owner, None, "Sprachen").await;
    more_sessions(&d, svc).await;
    let service = format!("/dashboard/service/{svc}/");

    // German from the header: text, `<html lang>`, numbers.
    let de = page_in(&d, &owner, &service, Some(GERMAN)).await;
    assert!(de.contains(r#"<html lang="de">"#), "{de}");
    for text in [
        "Sitzungen nach Land",
        "Letzte Sitzungen",
        "Absprungrate",
        "Letzte 30 Tage",
        "Abmelden",
        r#"<div class="value">1.234</div>"#,
        r#"<div class="value">99,9 %</div>"#,
    ] {
        assert!(de.contains(text), "German page lacks {text:?}");
    }
    assert!(!de.contains("Sessions by country"));
    assert!(!de.contains("1,234"));

    // English from the header, and without one.
    for accept in [Some("en"), Some("en-GB,en;q=0.9,de;q=0.8"), None] {
        let en = page_in(&d, &owner, &service, accept).await;
        assert!(en.contains(r#"<html lang="en">"#), "{accept:?}");
        assert!(en.contains("Sessions by country"), "{accept:?}");
        assert!(
            en.contains(r#"<div class="value">1,234</div>"#),
            "{accept:?}"
        );
        assert!(
            en.contains(r#"<div class="value">99.9%</div>"#),
            "{accept:?}"
        );
    }
    // q-values decide, not the order; a malformed header is English, never an error.
    let de = page_in(&d, &owner, &service, Some("en;q=0.2, de;q=0.7")).await;
    assert!(de.contains("Sitzungen nach Land"));
    for bad in ["de;q=abc", ";;;,,", "de_DE", "*", "x-klingon"] {
        let en = page_in(&d, &owner, &service, Some(bad)).await;
        assert!(en.contains("Sessions by country"), "{bad:?}");
    }

    // Pages differ by language, and say so to caches.
    let r = d
        .http
        .get(d.url("/accounts/login/"))
        .header("accept-language", GERMAN)
        .send()
        .await
        .unwrap();
    let vary: Vec<_> = r.headers().get_all("vary").iter().collect();
    assert!(
        vary.iter()
            .any(|v| v.to_str().unwrap().contains("Accept-Language")),
        "{vary:?}"
    );

    // The login page, to someone not signed in.
    let anon = Who::anonymous();
    let login = page_in(&d, &anon, "/accounts/login/", Some(GERMAN)).await;
    assert!(login.contains(r#"<html lang="de">"#));
    assert!(login.contains("Passwort vergessen?"), "{login}");
    assert!(login.contains(">Anmelden</button>"), "{login}");
    let login = page_in(&d, &anon, "/accounts/login/", Some("en-US")).await;
    assert!(login.contains("Forgot your password?"));
    // Error pages too.
    let missing = format!("/dashboard/service/{}/", uuid::Uuid::new_v4());
    let (status, body) = get_in(&d, &owner, &missing, Some(GERMAN)).await;
    assert_eq!(status, 404);
    assert!(body.contains("Nicht gefunden"), "{body}");

    // The user's setting wins over the header. Without the CSRF token nothing changes; an
    // unknown language is refused with a reason and changes nothing.
    assert_eq!(stored(&d, &owner).await, "auto");
    let form = page_in(&d, &owner, PREFS, None).await;
    assert!(form.contains(r#"value="auto" checked"#), "{form}");
    assert!(form.contains(r#"lang="de">Deutsch</label>"#), "{form}");
    let r = d
        .post(
            &owner,
            PREFS,
            &[("date_style", "iso"), ("language", "de")],
            false,
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(stored(&d, &owner).await, "auto");
    for bad in ["fr", "", "DE", "de-DE", "auto'; --"] {
        let r = d
            .post(
                &owner,
                PREFS,
                &[("date_style", "iso"), ("language", bad)],
                true,
            )
            .await;
        assert_eq!(r.status(), 400, "{bad:?}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains("Choose one of the languages offered."),
            "{body}"
        );
        assert_eq!(stored(&d, &owner).await, "auto");
    }
    let r = d
        .post(
            &owner,
            PREFS,
            &[("date_style", "day-month"), ("language", "de")],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(stored(&d, &owner).await, "de");
    let de = page_in(&d, &owner, &service, Some("en")).await;
    assert!(de.contains(r#"<html lang="de">"#));
    assert!(de.contains("Sitzungen nach Land"));
    let saved = page_in(
        &d,
        &owner,
        "/accounts/preferences/?msg=preferences",
        Some("en"),
    )
    .await;
    assert!(saved.contains("Einstellungen gespeichert."), "{saved}");
    assert!(saved.contains(r#"value="de" checked"#));
    // German dates in the chosen style: `5. Dez. 2026, 14:03`.
    let start: DateTime<Utc> = {
        let c = d.pool.get().await.unwrap();
        c.query_one("SELECT start_time FROM sessions WHERE id = $1", &[&sid])
            .await
            .unwrap()
            .get(0)
    };
    let german_date = format!(
        "{}. {} {}, {}",
        start.day(),
        german_month(start.month()),
        start.year(),
        start.format("%H:%M")
    );
    let detail = format!("/dashboard/service/{svc}/sessions/{sid}/");
    let body = page_in(&d, &owner, &detail, Some("en")).await;
    assert!(body.contains(&german_date), "{german_date}");

    // English chosen: English whatever the browser says; automatic: the browser again.
    let r = d
        .post(
            &owner,
            PREFS,
            &[("date_style", "iso"), ("language", "en")],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    let en = page_in(&d, &owner, &service, Some(GERMAN)).await;
    assert!(en.contains("Sessions by country"));
    let r = d
        .post(
            &owner,
            PREFS,
            &[("date_style", "iso"), ("language", "auto")],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(stored(&d, &owner).await, "auto");
    let de = page_in(&d, &owner, &service, Some(GERMAN)).await;
    assert!(de.contains("Sitzungen nach Land"));
}

/// A password reset as a browser that prefers German would ask for it.
async fn ask_reset(d: &Dash, email: &str) {
    let anon = Who::anonymous();
    let r = d
        .http
        .post(d.url("/accounts/password/reset/"))
        .header("cookie", &anon.cookie)
        .header("accept-language", GERMAN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email={}&csrf={}",
            email.replace('@', "%40"),
            anon.csrf
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn account_mail_is_written_in_the_recipients_language() {
    let mut smtp = smtp_support::Smtp::start().await;
    let d = spawn(dashboard::DashboardArgs {
        dashboard_url: Some("http://stats.test".into()),
        email_host: Some("127.0.0.1".into()),
        email_port: smtp.port,
        email_use_ssl: false,
        email_use_tls: false,
        ..Default::default()
    })
    .await;
    let german = d.user("german@example.com", false).await;
    d.user("auto@example.com", false).await;
    {
        let c = d.pool.get().await.unwrap();
        c.execute(
            "UPDATE users SET language = 'de' WHERE id = $1",
            &[&german.id],
        )
        .await
        .unwrap();
    }
    // The user's setting decides, not the browser that asked.
    ask_reset(&d, "german@example.com").await;
    let body = smtp_support::unqp(&smtp.next_mail().await);
    assert!(body.contains("Hallo,"), "{body}");
    assert!(
        body.contains("jemand (hoffentlich Sie) hat angefordert"),
        "{body}"
    );
    assert!(body.contains("http://stats.test/accounts/password/reset/key/"));
    // Automatic means English in mail: a mail has no browser to ask.
    ask_reset(&d, "auto@example.com").await;
    let body = smtp_support::unqp(&smtp.next_mail().await);
    assert!(body.contains("someone (hopefully you) asked"), "{body}");
    assert!(!body.contains("Hallo"));
}
