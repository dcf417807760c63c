//! Each user picks how the dashboard writes dates (ISO, day first or month first) on
//! `/accounts/preferences/`: the form is CSRF-checked, refuses unknown styles without changing
//! anything, and the choice shows on that user's pages only, while date fields and links keep
//! ISO dates.

mod common;
mod dashboard_support;

use chrono::{DateTime, Utc};
use dashboard_support::*;

const PREFS: &str = "/accounts/preferences/";

async fn stored(d: &Dash, who: &Who) -> String {
    let c = d.pool.get().await.unwrap();
    c.query_one("SELECT date_style FROM users WHERE id = $1", &[&who.id])
        .await
        .unwrap()
        .get(0)
}

async fn page(d: &Dash, who: &Who, path: &str) -> String {
    let r = d.get(who, path).await;
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

#[tokio::test]
async fn a_user_chooses_how_dates_are_written() {
    let d = spawn(Default::default()).await;
    let owner = d.user("owner@example.com", false).await;
    let collab = d.user("collab@example.com", false).await;
    let (svc, sid) = d.service(&owner, Some(&collab), "Dates").await;
    let start: DateTime<Utc> = {
        let c = d.pool.get().await.unwrap();
        c.query_one("SELECT start_time FROM sessions WHERE id = $1", &[&sid])
            .await
            .unwrap()
            .get(0)
    };
    // The app's display zone is UTC.
    let iso = start.format("%Y-%m-%d %H:%M").to_string();
    let day_first = start.format("%-d %b %Y, %H:%M").to_string();
    let month_first = start.format("%b %-d, %Y, %H:%M").to_string();
    let detail = format!("/dashboard/service/{svc}/sessions/{sid}/");
    let list = format!("/dashboard/service/{svc}/sessions/");
    let service = format!("/dashboard/service/{svc}/");

    // ISO by default, and the form says so.
    assert_eq!(stored(&d, &owner).await, "iso");
    let form = page(&d, &owner, PREFS).await;
    assert!(form.contains(r#"value="iso" checked"#), "{form}");
    assert!(page(&d, &owner, &detail).await.contains(&iso));

    // Without the CSRF token nothing changes.
    let r = d
        .post(&owner, PREFS, &[("date_style", "day-month")], false)
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(stored(&d, &owner).await, "iso");
    // An unknown style is refused with a reason, and nothing changes.
    for bad in ["dmy", "", "ISO", "iso'; --"] {
        let r = d.post(&owner, PREFS, &[("date_style", bad)], true).await;
        assert_eq!(r.status(), 400, "{bad:?}");
        let body = r.text().await.unwrap();
        assert!(body.contains("Choose one of the date styles"), "{body}");
        assert_eq!(stored(&d, &owner).await, "iso");
    }
    // Anonymous visitors are sent to log in.
    let r = d.get(&Who::anonymous(), PREFS).await;
    assert_eq!(r.status(), 302);

    // Day first.
    let r = d
        .post(&owner, PREFS, &[("date_style", "day-month")], true)
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "/accounts/preferences/?msg=preferences"
    );
    assert_eq!(stored(&d, &owner).await, "day-month");
    let form = page(&d, &owner, PREFS).await;
    assert!(form.contains(r#"value="day-month" checked"#), "{form}");
    for path in [&detail, &list, &service] {
        let body = page(&d, &owner, path).await;
        assert!(body.contains(&day_first), "{path}: {day_first}");
        assert!(!body.contains(&iso), "{path}: no ISO date-time left");
    }
    // Date fields and the chart's day links stay ISO, whatever the preference.
    let body = page(&d, &owner, &service).await;
    let today = Utc::now().date_naive().to_string();
    assert!(
        body.contains(&format!(r#"name="endDate" value="{today}""#)),
        "the date field keeps its ISO value"
    );
    // The chart's table writes days in the chosen style.
    let chart_day = start.date_naive().format("%-d %b %Y").to_string();
    assert!(
        body.contains(&format!("<th scope=\"row\">{chart_day}</th>")),
        "chart table: {chart_day}"
    );

    // The preference is the user's own: the collaborator still reads ISO.
    assert!(page(&d, &collab, &detail).await.contains(&iso));

    // Month first.
    let r = d
        .post(&owner, PREFS, &[("date_style", "month-day")], true)
        .await;
    assert_eq!(r.status(), 303);
    assert!(page(&d, &owner, &detail).await.contains(&month_first));
}
