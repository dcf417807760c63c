//! Erasure and export over HTTP, against the real app and Postgres: the manage page's erasure
//! form (owners and admins; collaborators 403, strangers 404, anonymous to the login page, CSRF
//! required, bad input 400 with its reason, a dry run changes nothing) and the API's (token
//! only); the service page's export and the API's (a valid zip of CSV files, or NDJSON), with no
//! IP or User-Agent column or value for a service that does not collect IPs, both for one that
//! does, and 302/403/404 for those who may not see the service.

mod common;
mod dashboard_support;

use dashboard_support::{spawn, Dash, Who};
use uuid::Uuid;

const IDENT: &str = "web-erase-42";
const SECRET_UA: &str = "SecretAgent/9.9 (probe)";
const SECRET_IP: &str = "192.0.2.55";

/// A session with an identifier, a User-Agent and an IP (stored as if collected), two hits and
/// an event; returns its id.
async fn visit(d: &Dash, svc: Uuid, ident: &str) -> Uuid {
    let c = d.pool.get().await.unwrap();
    let id = Uuid::new_v4();
    c.execute(
        "INSERT INTO sessions (id, service_id, start_time, last_seen, identifier, user_agent, ip,
                               hit_count, is_bounce)
         VALUES ($1, $2, now() - interval '2 hours', now() - interval '110 minutes', $3, $4,
                 $5::text::inet, 2, false)",
        &[&id, &svc, &ident, &SECRET_UA, &SECRET_IP],
    )
    .await
    .unwrap();
    c.batch_execute(&format!(
        "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker, location)
         VALUES ('{id}', '{svc}', true, now() - interval '2 hours', now() - interval '2 hours', 'JS', 'https://a.example/'),
                ('{id}', '{svc}', false, now() - interval '115 minutes', now() - interval '110 minutes', 'JS', 'https://a.example/b');
         INSERT INTO events (service_id, session_id, session_start, start_time, name)
         VALUES ('{svc}', '{id}', now() - interval '2 hours', now() - interval '118 minutes', 'signup');"
    ))
    .await
    .unwrap();
    id
}

async fn rows(d: &Dash, svc: Uuid) -> (i64, i64, i64, i64) {
    let c = d.pool.get().await.unwrap();
    let n = |t: &'static str| {
        let c = &c;
        async move {
            let r: i64 = c
                .query_one(
                    &format!("SELECT count(*) FROM {t} WHERE service_id = $1"),
                    &[&svc],
                )
                .await
                .unwrap()
                .get(0);
            r
        }
    };
    (
        n("sessions").await,
        n("hits").await,
        n("events").await,
        n("erasures").await,
    )
}

async fn api_post(d: &Dash, token: Option<&str>, svc: &str, form: &str) -> reqwest::Response {
    let mut r = d
        .http
        .post(d.url(&format!("/api/v1/service/{svc}/erase/")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned());
    if let Some(t) = token {
        r = r.header("authorization", format!("Token {t}"));
    }
    r.send().await.unwrap()
}

async fn api_get(d: &Dash, token: Option<&str>, path: &str) -> reqwest::Response {
    let mut r = d.http.get(d.url(path));
    if let Some(t) = token {
        r = r.header("authorization", format!("Token {t}"));
    }
    r.send().await.unwrap()
}

struct World {
    d: Dash,
    owner: Who,
    collab: Who,
    stranger: Who,
    admin: Who,
}

async fn world() -> World {
    let d = spawn(Default::default()).await;
    let owner = d.user("owner@example.com", false).await;
    let collab = d.user("collab@example.com", false).await;
    let stranger = d.user("stranger@example.com", false).await;
    let admin = d.user("admin@example.com", true).await;
    World {
        d,
        owner,
        collab,
        stranger,
        admin,
    }
}

#[tokio::test]
async fn erasure_from_the_manage_page_and_the_api() {
    let w = world().await;
    let d = &w.d;
    let (svc, first) = d.service(&w.owner, Some(&w.collab), "Erase").await;
    visit(d, svc, IDENT).await;
    let path = format!("/dashboard/service/{svc}/erase/");
    let before = rows(d, svc).await;
    assert_eq!(before, (2, 4, 1, 0));
    let by_ident = [("identifier", IDENT)];
    let manage = d
        .get(&w.owner, &format!("/dashboard/service/{svc}/manage/"))
        .await;
    let html = manage.text().await.unwrap();
    assert!(
        html.contains("Delete a visitor") && html.contains(&path),
        "{html}"
    );

    // Who may not: nothing changes.
    let r = d.post(&w.collab, &path, &by_ident, true).await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        d.post(&w.stranger, &path, &by_ident, true).await.status(),
        404
    );
    let r = d.post(&Who::anonymous(), &path, &by_ident, true).await;
    assert_eq!(r.status(), 302);
    let r = d.post(&w.owner, &path, &by_ident, false).await;
    assert_eq!(r.status(), 403, "no CSRF token");
    // Bad input: 400 with the reason, nothing changes.
    for (form, says) in [
        (vec![], "exactly one selector"),
        (vec![("ip", "bogus")], "is not an IP address"),
        (vec![("session", "123")], "is not a session id"),
        (
            vec![("identifier", IDENT), ("ip", SECRET_IP)],
            "exactly one selector",
        ),
        (
            vec![("from", "2024-03-02"), ("to", "2024-03-01")],
            "is after",
        ),
        (
            vec![("from", "2024-13-01"), ("to", "2024-12-01")],
            "invalid date",
        ),
        (
            vec![("from", "2020-01-01"), ("to", "2024-01-01")],
            "the longest is 1100",
        ),
    ] {
        let r = d.post(&w.owner, &path, &form, true).await;
        assert_eq!(r.status(), 400, "{form:?}");
        let body = r.text().await.unwrap();
        assert!(body.contains(says), "{form:?}: {body}");
    }
    assert_eq!(rows(d, svc).await, before);

    // A dry run counts; then the owner deletes.
    let r = d
        .post(
            &w.owner,
            &path,
            &[("identifier", IDENT), ("dry_run", "yes")],
            true,
        )
        .await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("This would delete 1 sessions, 2 page views, 1 events"),
        "{body}"
    );
    assert_eq!(rows(d, svc).await, before);
    let r = d
        .post(
            &w.owner,
            &path,
            &[("identifier", IDENT), ("dry_run", "no")],
            true,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Deleted 1 sessions"));
    assert_eq!(rows(d, svc).await, (1, 2, 0, 1));
    let c = d.pool.get().await.unwrap();
    let audit = c
        .query_one("SELECT via, user_id, selector_kind FROM erasures", &[])
        .await
        .unwrap();
    assert_eq!(
        (
            audit.get::<_, String>(0),
            audit.get::<_, Option<i64>>(1),
            audit.get::<_, String>(2)
        ),
        ("web".into(), Some(w.owner.id), "identifier".into())
    );

    // The API: a token is required, collaborators are refused, strangers see nothing.
    let s = svc.to_string();
    let form = format!("session={first}");
    assert_eq!(api_post(d, None, &s, &form).await.status(), 403);
    assert_eq!(
        api_post(d, Some("shy_wrong"), &s, &form).await.status(),
        403
    );
    assert_eq!(
        api_post(d, Some(&w.collab.api), &s, &form).await.status(),
        403
    );
    assert_eq!(
        api_post(d, Some(&w.stranger.api), &s, &form).await.status(),
        404
    );
    assert_eq!(
        api_post(d, Some(&w.owner.api), "nope", &form)
            .await
            .status(),
        404
    );
    let r = api_post(d, Some(&w.owner.api), &s, "ip=1.2.3").await;
    assert_eq!(r.status(), 400);
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("is not an IP address"),
        "{v}"
    );
    assert_eq!(rows(d, svc).await, (1, 2, 0, 1));
    let r = api_post(d, Some(&w.admin.api), &s, &format!("{form}&dry_run=yes")).await;
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (v["dry_run"].as_bool(), v["deleted"]["sessions"].as_i64()),
        (Some(true), Some(1))
    );
    assert_eq!(rows(d, svc).await, (1, 2, 0, 1));
    let r = api_post(d, Some(&w.owner.api), &s, &form).await;
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["deleted"]["sessions"], 1);
    assert_eq!(v["deleted"]["hits"], 2);
    assert_eq!(rows(d, svc).await, (0, 0, 0, 2));
}

/// Checks an archive with Python's `zipfile` (an independent reader) and returns its files.
fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let dir = std::env::temp_dir().join(format!("shynet-zip-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("export.zip");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import json,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\n\
             print(json.dumps([[n, z.read(n).decode()] for n in z.namelist()]))",
        ])
        .arg(&path)
        .output()
        .expect("run python3");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn export_downloads_without_ips_unless_collected() {
    let w = world().await;
    let d = &w.d;
    let (svc, _) = d.service(&w.owner, Some(&w.collab), "Export").await;
    visit(d, svc, "kept").await;
    let csv = format!("/dashboard/service/{svc}/export/?format=csv");

    // The service page links to it; collaborators may download.
    let page = d
        .get(&w.collab, &format!("/dashboard/service/{svc}/"))
        .await;
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("/dashboard/service/{svc}/export/?format")),
        "{html}"
    );
    let r = d.get(&w.collab, &csv).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let files = unzip(&r.bytes().await.unwrap());
    let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(names, ["sessions.csv", "hits.csv", "events.csv"]);
    let sessions = &files[0].1;
    let header: Vec<&str> = sessions.lines().next().unwrap().split(',').collect();
    assert!(
        header.contains(&"identifier")
            && !header.contains(&"ip")
            && !header.contains(&"user_agent")
    );
    assert_eq!(sessions.lines().count(), 3, "{sessions}");
    assert_eq!(files[1].1.lines().count(), 5);
    for (_, body) in &files {
        assert!(
            !body.contains(SECRET_IP) && !body.contains(SECRET_UA),
            "{body}"
        );
    }

    // NDJSON through the API.
    let nd = format!("/api/v1/service/{svc}/export/?format=ndjson");
    let r = api_get(d, Some(&w.collab.api), &nd).await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert_eq!(text.lines().count(), 2 + 4 + 1);
    for l in text.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert!(
            v.get("ip").is_none() && v.get("user_agent").is_none(),
            "{v}"
        );
    }
    assert!(!text.contains(SECRET_IP) && !text.contains(SECRET_UA));

    // Those who may not see the service, and bad requests.
    let r = d.get(&Who::anonymous(), &csv).await;
    assert_eq!(r.status(), 302);
    assert_eq!(d.get(&w.stranger, &csv).await.status(), 404);
    assert_eq!(api_get(d, None, &nd).await.status(), 403);
    assert_eq!(api_get(d, Some(&w.stranger.api), &nd).await.status(), 404);
    let bad_format = format!("/dashboard/service/{svc}/export/?format=xml");
    assert_eq!(d.get(&w.owner, &bad_format).await.status(), 400);
    let long =
        format!("/api/v1/service/{svc}/export/?format=csv&startDate=2020-01-01&endDate=2022-01-01");
    let r = api_get(d, Some(&w.owner.api), &long).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("at most 366 days"));

    // A service that collects IPs exports both columns with their values (the positive control).
    let c = d.pool.get().await.unwrap();
    c.execute(
        "UPDATE services SET collect_ips = true WHERE id = $1",
        &[&svc],
    )
    .await
    .unwrap();
    let r = api_get(d, Some(&w.owner.api), &nd).await;
    let text = r.text().await.unwrap();
    assert!(
        text.contains(SECRET_IP) && text.contains(SECRET_UA),
        "{text}"
    );
}

#[tokio::test]
async fn one_export_at_a_time_and_a_dropped_download_frees_its_slot() {
    let w = world().await;
    let d = &w.d;
    let (svc, sid) = d.service(&w.owner, None, "Big").await;
    // Far more than the export's buffers and the sockets' hold (~60 MB of CSV), so an unread
    // download stays in progress.
    let c = d.pool.get().await.unwrap();
    c.execute(
        "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker, location)
         SELECT $1, $2, false, now() - interval '1 hour', now() - interval '1 hour', 'JS',
                'https://a.example/' || repeat('x', 200) || g
         FROM generate_series(1, 300000) g",
        &[&sid, &svc],
    )
    .await
    .unwrap();
    let csv = format!("/dashboard/service/{svc}/export/?format=csv");
    let first = d.get(&w.owner, &csv).await;
    assert_eq!(first.status(), 200);
    let second = d.get(&w.owner, &csv).await;
    assert_eq!(second.status(), 429, "a second export waits for the first");
    let r = api_get(
        d,
        Some(&w.owner.api),
        &format!("/api/v1/service/{svc}/export/?format=ndjson"),
    )
    .await;
    assert_eq!(r.status(), 429);
    // The dashboard still answers meanwhile (the export holds one connection of its pool).
    assert_eq!(
        d.get(&w.owner, &format!("/dashboard/service/{svc}/"))
            .await
            .status(),
        200
    );
    // The client goes away: the export stops and its slot comes free.
    drop(first);
    let mut freed = false;
    for _ in 0..200 {
        let r = d.get(&w.owner, &csv).await;
        if r.status() == 200 {
            freed = true;
            break;
        }
        assert_eq!(r.status(), 429);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(freed, "the slot of a dropped download was not freed");
}
