//! `shynet goal add|list|remove` and the goal figures of `shynet stats --json`, run as the real
//! binary against a real Postgres: what each command prints, and the clear message and non-zero
//! exit of every kind of bad input.

mod support;

use support::*;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread")]
async fn goal_commands_and_their_errors() {
    let pg = Pg::start("cli-goals");
    let url = pg.database("goals").await;
    let svc = service(&url, false).await;
    let s = svc.to_string();
    let add = |rest: &[&str]| -> Vec<String> {
        ["goal", "add", "--service", s.as_str()]
            .iter()
            .chain(rest)
            .map(|a| a.to_string())
            .collect()
    };

    let out = CLI.ok(
        &url,
        &add(&[
            "--name",
            "Pro signup",
            "--event",
            "signup",
            "--prop",
            "plan=pro",
        ]),
    );
    assert!(
        out.starts_with("goal ") && out.contains("added: Pro signup (event signup with plan=pro)"),
        "{out}"
    );
    let out = CLI.ok(&url, &add(&["--name", "Docs", "--page", "/docs/**"]));
    assert!(out.contains("added: Docs (page /docs/**)"), "{out}");
    CLI.ok(&url, &add(&["--name", "Signup", "--event", "signup"]));

    let list = CLI.ok(&url, &["goal", "list", "--service", &s]);
    let lines: Vec<Vec<&str>> = list.lines().map(|l| l.split('\t').collect()).collect();
    let names: Vec<(&str, &str)> = lines.iter().map(|l| (l[1], l[2])).collect();
    assert_eq!(
        names,
        [
            ("Docs", "page /docs/**"),
            ("Pro signup", "event signup with plan=pro"),
            ("Signup", "event signup")
        ]
    );
    let docs_id = lines[0][0].to_owned();
    assert!(docs_id.parse::<i64>().is_ok(), "{list}");

    // Bad input: the reason, a non-zero exit, nothing stored.
    CLI.fails(
        &url,
        &add(&["--name", "Both", "--event", "e", "--page", "/x"]),
        "cannot be used with",
    );
    CLI.fails(&url, &add(&["--name", "Neither"]), "required");
    CLI.fails(
        &url,
        &add(&["--name", "P", "--page", "/x", "--prop", "a=b"]),
        "a property can only be given with an event",
    );
    CLI.fails(
        &url,
        &add(&["--name", "P", "--event", "e", "--prop", "plan"]),
        "write the property as key=value",
    );
    CLI.fails(
        &url,
        &add(&["--name", "G", "--page", "pricing"]),
        "must start with /",
    );
    CLI.fails(
        &url,
        &add(&["--name", "G", "--page", "/a b"]),
        "contains ` `",
    );
    CLI.fails(&url, &add(&["--name", " ", "--event", "e"]), "needs a name");
    CLI.fails(
        &url,
        &add(&["--name", "Docs", "--event", "e"]),
        "already has a goal named `Docs`",
    );
    let unknown = Uuid::new_v4().to_string();
    CLI.fails(
        &url,
        &[
            "goal",
            "add",
            "--service",
            &unknown,
            "--name",
            "X",
            "--event",
            "e",
        ],
        &format!("no service with id {unknown}"),
    );
    CLI.fails(
        &url,
        &["goal", "list", "--service", &unknown],
        "no service with id",
    );
    CLI.fails(
        &url,
        &["goal", "list", "--service", "nope"],
        "invalid value",
    );
    CLI.fails(
        &url,
        &["goal", "remove", "--service", &s],
        "required arguments were not provided",
    );
    CLI.fails(
        &url,
        &["goal", "remove", "--service", &s, "--name", "Nope"],
        "no goal named `Nope`",
    );
    assert_eq!(
        CLI.ok(&url, &["goal", "list", "--service", &s])
            .lines()
            .count(),
        3
    );

    // The limit is named in the refusal.
    for i in 3..stats::goal_spec::MAX_GOALS_PER_SERVICE {
        CLI.ok(&url, &add(&["--name", &format!("G{i}"), "--event", "e"]));
    }
    CLI.fails(
        &url,
        &add(&["--name", "One more", "--event", "e"]),
        &format!(
            "already has {} goals",
            stats::goal_spec::MAX_GOALS_PER_SERVICE
        ),
    );

    // Remove by id and by name.
    let out = CLI.ok(&url, &["goal", "remove", "--service", &s, "--id", &docs_id]);
    assert_eq!(out.trim(), "goal removed: Docs");
    let out = CLI.ok(
        &url,
        &["goal", "remove", "--service", &s, "--name", "Signup"],
    );
    assert_eq!(out.trim(), "goal removed: Signup");
    CLI.fails(
        &url,
        &["goal", "remove", "--service", &s, "--id", &docs_id],
        &format!("no goal with id {docs_id}"),
    );
    let list = CLI.ok(&url, &["goal", "list", "--service", &s]);
    assert!(
        !list.contains("Docs") && list.contains("Pro signup"),
        "{list}"
    );

    // `shynet stats --json` reports events and goals under `stats`.
    let c = db(&url).await;
    let sid = Uuid::new_v4();
    c.batch_execute(&format!(
        "INSERT INTO sessions (id, service_id, start_time, last_seen, hit_count, is_bounce)
         VALUES ('{sid}', '{svc}', now() - interval '2 hours', now() - interval '2 hours', 1, true);
         INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker, location)
         VALUES ('{sid}', '{svc}', true, now() - interval '2 hours', now() - interval '2 hours',
                 'JS', 'https://a.example/docs/a');
         INSERT INTO events (service_id, session_id, session_start, start_time, name, props)
         VALUES ('{svc}', '{sid}', now() - interval '2 hours', now() - interval '2 hours',
                 'signup', '{{\"plan\": \"pro\"}}'),
                ('{svc}', '{sid}', now() - interval '2 hours', now() - interval '2 hours',
                 'signup', '{{}}');"
    ))
    .await
    .unwrap();
    let out = CLI.ok(&url, &["stats", "--service", &s, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["stats"]["events"],
        serde_json::json!([{"key": "signup", "count": 2, "sessions": 1}])
    );
    let pro = v["stats"]["goals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Pro signup")
        .unwrap();
    assert_eq!(
        *pro,
        serde_json::json!({"name": "Pro signup", "conversions": 1, "conversion_rate_pct": 100.0})
    );
    assert_eq!(v["stats"]["session_count"], 1);

    // The help says what a goal is and how globs read.
    let help = CLI.ok(&url, &["goal", "add", "--help"]);
    assert!(
        help.contains("--prop <KEY=VALUE>") && help.contains("/docs/**"),
        "{help}"
    );
}
