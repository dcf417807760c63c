//! The live view over HTTP against a real Postgres: who may open it, and that its figures come
//! from the right rows (the last 30 minutes of this service only, online sessions by their latest
//! page, entry referrers without the hidden ones); its refresh and the way to pause it; the
//! strict CSP; and the window's exact bounds on the stats function itself.

mod common;
mod dashboard_support;

use aggregator::config::TrackingArgs;
use chrono::{DateTime, Duration, Utc};
use dashboard_support::{Dash, DashOpts, Who};
use stats::live::{live, window_start, LIVE_MINUTES};
use uuid::Uuid;

/// An app whose "online" window is two minutes (heartbeat 60 s), so a session written a moment
/// before the request is still online however slow the machine is.
async fn app() -> Dash {
    let (pool, cfg) = common::fresh_db().await;
    let opts = DashOpts {
        tracking: TrackingArgs {
            script_heartbeat_frequency: 60_000,
            ..TrackingArgs::default()
        },
        ..Default::default()
    };
    dashboard_support::spawn_with(pool.clone(), cfg, pool, opts).await
}

/// A session of `svc` starting at `start` with page views at the given instants (the first is
/// the entry, with `referrer`), last seen at `last_seen`.
async fn session(
    d: &Dash,
    svc: Uuid,
    start: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    referrer: &str,
    pages: &[(DateTime<Utc>, &str)],
) -> Uuid {
    let c = d.pool.get().await.unwrap();
    let id = Uuid::new_v4();
    c.execute(
        "INSERT INTO sessions (id, service_id, start_time, last_seen, hit_count, is_bounce)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &id,
            &svc,
            &start,
            &last_seen,
            &(pages.len() as i32),
            &(pages.len() == 1),
        ],
    )
    .await
    .unwrap();
    for (i, (at, page)) in pages.iter().enumerate() {
        c.execute(
            "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker,
                               location, referrer)
             VALUES ($1, $2, $3, $4, $4, 'JS', $5, $6)",
            &[
                &id,
                &svc,
                &(i == 0),
                at,
                &format!("https://example.com{page}"),
                &if i == 0 { referrer } else { "" },
            ],
        )
        .await
        .unwrap();
    }
    id
}

#[tokio::test]
async fn only_those_who_may_view_the_service_open_it() {
    let d = app().await;
    let owner = d.user("owner@example.com", false).await;
    let collab = d.user("collab@example.com", false).await;
    let stranger = d.user("stranger@example.com", false).await;
    let (svc, _) = d.service(&owner, Some(&collab), "Live").await;
    let path = format!("/dashboard/service/{svc}/live/");
    for who in [&owner, &collab] {
        let r = d.get(who, &path).await;
        assert_eq!(r.status(), 200, "{}", who.email);
        assert!(r.text().await.unwrap().contains("Live: Live"));
    }
    // Someone else's service does not exist for a stranger.
    let r = d.get(&stranger, &path).await;
    assert_eq!(r.status(), 404);
    assert!(!r.text().await.unwrap().contains("Live: Live"));
    // Anonymous: to the login page, coming back here afterwards.
    let r = d.get(&Who::anonymous(), &path).await;
    assert_eq!(r.status(), 302);
    let to = r.headers()["location"].to_str().unwrap();
    assert!(to.starts_with("/accounts/login/?next="), "{to}");
    assert!(to.contains("live"), "{to}");
    // Malformed and unknown ids: 404, not 5xx.
    assert_eq!(
        d.get(&owner, "/dashboard/service/not-a-uuid/live/")
            .await
            .status(),
        404
    );
    let other = Uuid::new_v4();
    assert_eq!(
        d.get(&owner, &format!("/dashboard/service/{other}/live/"))
            .await
            .status(),
        404
    );
    // Only GET.
    assert_eq!(d.post(&owner, &path, &[], true).await.status(), 405);
}

#[tokio::test]
async fn shows_the_last_half_hour_of_this_service_and_refreshes_itself() {
    let d = app().await;
    let owner = d.user("owner@example.com", false).await;
    let (svc, _) = d.service(&owner, None, "Live").await;
    let (other, _) = d.service(&owner, None, "Other").await;
    let c = d.pool.get().await.unwrap();
    c.execute(
        "UPDATE services SET hide_referrer_regex = 'https://spam\\.example' WHERE id = $1",
        &[&svc],
    )
    .await
    .unwrap();
    drop(c);
    let now = Utc::now();
    let three_ago = now - Duration::minutes(3);
    // Online now, on /pricing after /: the current page is /pricing.
    session(
        &d,
        svc,
        three_ago,
        now,
        "https://news.example/item",
        &[(three_ago, "/"), (three_ago, "/pricing")],
    )
    .await;
    // Online now, entered from a hidden referrer, on /pricing.
    session(
        &d,
        svc,
        three_ago,
        now,
        "https://spam.example/x",
        &[(three_ago, "/pricing")],
    )
    .await;
    // Gone (last seen ten minutes ago), direct, on /.
    let ten_ago = now - Duration::minutes(10);
    session(&d, svc, ten_ago, ten_ago, "", &[(ten_ago, "/")]).await;
    // Outside the window (40 minutes ago), and another service's rows: not counted.
    let forty_ago = now - Duration::minutes(40);
    session(
        &d,
        svc,
        forty_ago,
        forty_ago,
        "https://old.example/",
        &[(forty_ago, "/old")],
    )
    .await;
    session(
        &d,
        other,
        three_ago,
        now,
        "https://other.example/",
        &[(three_ago, "/elsewhere")],
    )
    .await;

    let path = format!("/dashboard/service/{svc}/live/");
    let r = d.get(&owner, &path).await;
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let html = r.text().await.unwrap();
    assert!(!html.contains("<script"), "the live view runs no script");
    assert!(
        html.contains("<meta http-equiv=\"refresh\" content=\"15\">"),
        "{html}"
    );
    // Two sessions online; four page views in the window (3 + 1), none from 40 minutes ago.
    assert!(html.contains("id=\"live-online\">2<"), "{html}");
    assert!(html.contains("id=\"live-pageviews\">4<"), "{html}");
    // The minute three minutes ago holds three page views, ten minutes ago one.
    let row = |at: DateTime<Utc>, n: i64| {
        format!(
            "<tr><td>{}</td><td class=\"num\">{n}</td></tr>",
            at.format("%H:%M")
        )
    };
    assert!(html.contains(&row(three_ago, 3)), "{html}");
    assert!(html.contains(&row(ten_ago, 1)), "{html}");
    assert_eq!(
        html.matches("<rect class=\"live-bar\"").count(),
        LIVE_MINUTES as usize
    );
    // Pages: /pricing has both online visitors and two views; / has none online and two views.
    let pages = section(&html, "live-pages");
    assert!(
        pages.contains(
            ">https://example.com/pricing</a></td><td class=\"num\">2</td><td class=\"num\">2</td>"
        ),
        "{pages}"
    );
    assert!(
        pages.contains(
            ">https://example.com/</a></td><td class=\"num\">0</td><td class=\"num\">2</td>"
        ),
        "{pages}"
    );
    assert!(pages.find("/pricing").unwrap() < pages.find("example.com/<").unwrap());
    assert!(!html.contains("/old") && !html.contains("/elsewhere"));
    // Referrers: the entry referrer and Direct, never the hidden one or other windows'.
    let refs = section(&html, "live-referrers");
    assert!(refs.contains(">https://news.example/item</a>"), "{refs}");
    assert!(refs.contains("<span>Direct</span>"), "{refs}");
    assert!(!refs.contains("spam.example") && !refs.contains("old.example"));
    assert!(!refs.contains("other.example"));

    // Paused: no refresh, and a way back.
    let paused = d
        .get(&owner, &format!("{path}?pause=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!paused.contains("http-equiv=\"refresh\""));
    assert!(paused.contains(&format!("href=\"{path}\">Resume auto-refresh")));
    assert!(html.contains(&format!("href=\"{path}?pause=1\">Pause auto-refresh")));

    // The service page links here; other pages do not refresh themselves.
    let service_page = d
        .get(&owner, &format!("/dashboard/service/{svc}/"))
        .await
        .text()
        .await
        .unwrap();
    assert!(service_page.contains(&format!("href=\"{path}\">Live view</a>")));
    assert!(!service_page.contains("http-equiv=\"refresh\""));
}

/// The table with this id, up to its end.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("id=\"{id}\"")).expect(id);
    let rest = &html[start..];
    &rest[..rest.find("</table>").unwrap()]
}

#[tokio::test]
async fn the_window_starts_at_a_whole_minute_and_ends_now() {
    let d = app().await;
    let owner = d.user("owner@example.com", false).await;
    let (svc, _) = d.service(&owner, None, "Bounds").await;
    let now: DateTime<Utc> = "2026-03-01T12:34:56Z".parse().unwrap();
    let from = window_start(now);
    let us = Duration::microseconds(1);
    session(&d, svc, from, from, "", &[(from, "/first")]).await;
    session(&d, svc, from - us, from - us, "", &[(from - us, "/before")]).await;
    session(&d, svc, now, now, "", &[(now, "/last")]).await;
    session(&d, svc, now + us, now + us, "", &[(now + us, "/after")]).await;
    let c = d.pool.get().await.unwrap();
    let l = live(&**c, svc, Duration::seconds(10), None, now)
        .await
        .unwrap();
    assert_eq!(l.minutes.len(), LIVE_MINUTES as usize);
    assert_eq!(l.minutes[0].start, from);
    assert_eq!(l.minutes[0].pageviews, 1);
    assert_eq!(l.minutes[LIVE_MINUTES as usize - 1].pageviews, 1);
    assert_eq!(l.pageviews, 2);
    let pages: Vec<&str> = l.pages.iter().map(|p| p.page.as_str()).collect();
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert!(pages.contains(&"https://example.com/first"));
    assert!(pages.contains(&"https://example.com/last"));
    // The session seen exactly at `now` is online (seen within 10 s); the one at `from` is not.
    let last = l.pages.iter().find(|p| p.page.ends_with("/last")).unwrap();
    assert_eq!((last.now, last.pageviews), (1, 1));
    assert_eq!(l.pages[0].page, "https://example.com/last");
    assert_eq!(l.referrers.len(), 1);
    assert_eq!((l.referrers[0].key.as_str(), l.referrers[0].count), ("", 2));
}
