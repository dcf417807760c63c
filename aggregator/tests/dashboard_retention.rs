//! Retention on the dashboard: the manage page saves raw and rollup retention with validation
//! (rollups kept at least as long as raw rows, empty = for ever), only managers may change it,
//! and the service page and session list say where raw data (and with it session details) ends.

mod common;
mod dashboard_support;

use dashboard_support::{owner_with_service, spawn, Dash, Who};
use uuid::Uuid;

async fn retention(d: &Dash, svc: Uuid) -> (Option<i32>, Option<i32>) {
    let c = d.pool.get().await.unwrap();
    let r = c
        .query_one(
            "SELECT raw_retention_days, rollup_retention_days FROM services WHERE id = $1",
            &[&svc],
        )
        .await
        .unwrap();
    (r.get(0), r.get(1))
}

async fn save(d: &Dash, who: &Who, svc: Uuid, raw: &str, rollup: &str) -> (u16, String) {
    let r = d
        .post(
            who,
            &format!("/dashboard/service/{svc}/manage/"),
            &[
                ("name", "Site"),
                ("origins", "*"),
                ("respect_dnt", "yes"),
                ("raw_retention_days", raw),
                ("rollup_retention_days", rollup),
            ],
            true,
        )
        .await;
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

#[tokio::test]
async fn owner_saves_valid_retention_and_sees_it_on_the_form() {
    let (d, owner, svc, _) = owner_with_service("Site").await;
    assert_eq!(retention(&d, svc).await, (None, None));

    let (status, _) = save(&d, &owner, svc, "30", "400").await;
    assert_eq!(status, 303);
    assert_eq!(retention(&d, svc).await, (Some(30), Some(400)));
    let page = d
        .get(&owner, &format!("/dashboard/service/{svc}/manage/"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"name="raw_retention_days" value="30""#),
        "{page}"
    );
    assert!(page.contains(r#"name="rollup_retention_days" value="400""#));

    // Raw only (rollups for ever), equal values, then back to "for ever".
    assert_eq!(save(&d, &owner, svc, " 7 ", "").await.0, 303);
    assert_eq!(retention(&d, svc).await, (Some(7), None));
    assert_eq!(save(&d, &owner, svc, "7", "7").await.0, 303);
    assert_eq!(retention(&d, svc).await, (Some(7), Some(7)));
    assert_eq!(save(&d, &owner, svc, "", "").await.0, 303);
    assert_eq!(retention(&d, svc).await, (None, None));

    // A new service can get retention from the start.
    let admin = d.user("admin@example.com", true).await;
    let r = d
        .post(
            &admin,
            "/dashboard/service/new/",
            &[
                ("name", "New"),
                ("raw_retention_days", "90"),
                ("rollup_retention_days", ""),
            ],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    let id: Uuid = loc.split('/').nth(3).unwrap().parse().unwrap();
    assert_eq!(retention(&d, id).await, (Some(90), None));
}

#[tokio::test]
async fn invalid_retention_is_refused_with_a_message_per_field() {
    let (d, owner, svc, _) = owner_with_service("Site").await;
    assert_eq!(save(&d, &owner, svc, "30", "60").await.0, 303);

    let cases = [
        (
            "0",
            "",
            "raw_retention_days",
            "whole number of days from 1 to 36500",
        ),
        ("-5", "", "raw_retention_days", "whole number of days"),
        ("36501", "", "raw_retention_days", "whole number of days"),
        ("ten", "", "raw_retention_days", "whole number of days"),
        ("30", "1.5", "rollup_retention_days", "whole number of days"),
        (
            "",
            "30",
            "rollup_retention_days",
            "raw data, which is kept for ever",
        ),
        ("60", "30", "rollup_retention_days", "60 days or more"),
    ];
    for (raw, rollup, field, msg) in cases {
        let (status, page) = save(&d, &owner, svc, raw, rollup).await;
        assert_eq!(status, 400, "{raw:?}/{rollup:?}");
        assert!(page.contains("Please fix the fields marked below."));
        assert!(page.contains(msg), "{raw:?}/{rollup:?}: {msg} missing");
        // The message sits under its field, and what was typed is shown again.
        let at = page.find(&format!(r#"name="{field}""#)).unwrap();
        let err = page[at..].find("field-error").unwrap();
        assert!(page[at + err..].find(msg).unwrap() < 200);
        assert!(page.contains(&format!(r#"name="raw_retention_days" value="{raw}""#)));
        // Nothing was saved.
        assert_eq!(retention(&d, svc).await, (Some(30), Some(60)));
    }
}

#[tokio::test]
async fn only_managers_change_retention() {
    let d = spawn(Default::default()).await;
    let owner = d.user("owner@example.com", false).await;
    let collab = d.user("collab@example.com", false).await;
    let stranger = d.user("stranger@example.com", false).await;
    let admin = d.user("admin@example.com", true).await;
    let (svc, _) = d.service(&owner, Some(&collab), "Site").await;

    assert_eq!(save(&d, &Who::anonymous(), svc, "1", "").await.0, 302);
    assert_eq!(save(&d, &stranger, svc, "1", "").await.0, 404);
    assert_eq!(save(&d, &collab, svc, "1", "").await.0, 403);
    assert_eq!(retention(&d, svc).await, (None, None));
    // The collaborator does not even see the form.
    let r = d
        .get(&collab, &format!("/dashboard/service/{svc}/manage/"))
        .await;
    assert_eq!(r.status(), 403);
    assert!(!r.text().await.unwrap().contains("raw_retention_days"));

    assert_eq!(save(&d, &owner, svc, "10", "").await.0, 303);
    assert_eq!(retention(&d, svc).await, (Some(10), None));
    assert_eq!(save(&d, &admin, svc, "20", "40").await.0, 303);
    assert_eq!(retention(&d, svc).await, (Some(20), Some(40)));
}

#[tokio::test]
async fn pages_say_where_raw_data_ends() {
    let d = spawn(Default::default()).await;
    let owner = d.user("owner@example.com", false).await;
    let collab = d.user("collab@example.com", false).await;
    let (svc, _) = d.service(&owner, Some(&collab), "Site").await;
    let service = format!("/dashboard/service/{svc}/");
    let sessions = format!("/dashboard/service/{svc}/sessions/");
    let notice = "Session details are not available before ";

    // No retention: no notice.
    for p in [&service, &sessions] {
        let page = d.get(&owner, p).await.text().await.unwrap();
        assert!(!page.contains(notice), "{p}");
        assert!(!page.contains(r#"class="notice""#), "{p}");
    }

    // Raw rows purged up to 10 days ago (what the retention job records).
    let c = d.pool.get().await.unwrap();
    let since: chrono::DateTime<chrono::Utc> = c
        .query_one(
            "UPDATE services SET raw_retention_days = 10,
                 raw_purged_before = date_trunc('minute', now()) - interval '10 days'
             WHERE id = $1 RETURNING raw_purged_before",
            &[&svc],
        )
        .await
        .unwrap()
        .get(0);
    drop(c);
    let expected = format!(
        "{notice}{}: raw data is kept 10 days; totals, charts and tables still come from hourly rollups.",
        since.format("%Y-%m-%d %H:%M")
    );
    // The default window (30 days) reaches before it, for viewers and managers alike.
    for who in [&owner, &collab] {
        for p in [&service, &sessions] {
            let r = d.get(who, p).await;
            assert_eq!(r.status(), 200);
            let page = r.text().await.unwrap();
            assert!(page.contains(&expected), "{p}: {page}");
            assert!(!page.contains("No figures are kept before"));
        }
    }
    // A window after it: no notice.
    let today = chrono::Utc::now().date_naive();
    for p in [&service, &sessions] {
        let page = d
            .get(&owner, &format!("{p}?startDate={today}&endDate={today}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(!page.contains(notice), "{p}");
    }

    // Rollups expiring too: a window before their cutoff says figures are gone.
    let c = d.pool.get().await.unwrap();
    c.execute(
        "UPDATE services SET rollup_retention_days = 20 WHERE id = $1",
        &[&svc],
    )
    .await
    .unwrap();
    drop(c);
    let page = d.get(&owner, &service).await.text().await.unwrap();
    assert!(page.contains(&expected));
    assert!(page.contains("No figures are kept before "));
    assert!(page.contains(": hourly rollups are kept 20 days."));
}
