//! `shynet share create|list|revoke`, run as the real binary against a real Postgres: what each
//! command prints, the password read from the environment or standard input (no prompt), and
//! the clear message, non-zero exit and unchanged table of every kind of bad input.

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use support::*;
use uuid::Uuid;

fn shynet(url: &str, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut child = Command::new(e2e_tests::shynet_bin())
        .args(args)
        .env("DATABASE_URL", url)
        .env("SHYNET_LOG", "warn")
        .env_remove("SHYNET_SHARE_PASSWORD")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run shynet");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn ok(url: &str, args: &[&str], env: &[(&str, &str)], stdin: &str) -> String {
    let out = shynet(url, args, env, stdin);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn fails(url: &str, args: &[&str], says: &str) {
    let out = shynet(url, args, &[], "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(err.contains(says), "{args:?}: expected `{says}` in: {err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn share_commands_and_their_errors() {
    let pg = Pg::start("cli-share");
    let url = pg.database("share").await;
    let svc = service(&url, false).await;
    let s = svc.to_string();
    let links = || async {
        let c = db(&url).await;
        let n: i64 = c
            .query_one("SELECT count(*) FROM share_links", &[])
            .await
            .unwrap()
            .get(0);
        n
    };

    let out = ok(
        &url,
        &[
            "share",
            "create",
            "--service",
            &s,
            "--epsilon",
            "0.5",
            "--expires",
            "2099-12-31",
        ],
        &[],
        "",
    );
    assert!(out.starts_with("share 1 created: /share/"), "{out}");
    let token = out
        .trim()
        .rsplit("/share/")
        .next()
        .unwrap()
        .trim_end_matches('/');
    assert_eq!(token.len(), 64);
    // The password from the environment, then from standard input.
    ok(
        &url,
        &["share", "create", "--service", &s, "--password"],
        &[("SHYNET_SHARE_PASSWORD", "from the env 1")],
        "",
    );
    ok(
        &url,
        &["share", "create", "--service", &s, "--password"],
        &[],
        "piped password\n",
    );
    let list = ok(&url, &["share", "list", "--service", &s], &[], "");
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    assert!(lines[2].contains("noised ε=0.5") && lines[2].contains("expires 2099-12-31"));
    assert!(lines[0].contains("password") && lines[0].contains("live"));

    // Bad input: a clear error, nothing stored.
    fails(
        &url,
        &["share", "create", "--service", &s, "--epsilon", "abc"],
        "invalid epsilon",
    );
    fails(
        &url,
        &["share", "create", "--service", &s, "--epsilon", "0"],
        "between",
    );
    fails(
        &url,
        &[
            "share",
            "create",
            "--service",
            &s,
            "--expires",
            "2001-01-01",
        ],
        "invalid expiry",
    );
    fails(
        &url,
        &["share", "create", "--service", &s, "--expires", "tomorrow"],
        "invalid expiry",
    );
    fails(
        &url,
        &["share", "create", "--service", &s, "--password"],
        "no password",
    );
    let unknown = Uuid::new_v4().to_string();
    fails(
        &url,
        &["share", "create", "--service", &unknown],
        "no service",
    );
    fails(
        &url,
        &["share", "list", "--service", &unknown],
        "no service",
    );
    fails(
        &url,
        &["share", "create", "--service", "not-a-uuid"],
        "invalid value",
    );
    fails(&url, &["share", "revoke", "nope"], "give a link id");
    fails(&url, &["share", "revoke", "999"], "no live share link");
    assert_eq!(links().await, 3);

    // Revoke by token, then by id; a second revoke says so.
    let out = ok(&url, &["share", "revoke", token], &[], "");
    assert_eq!(out.trim(), "share 1 revoked");
    fails(&url, &["share", "revoke", token], "no live share link");
    assert!(ok(&url, &["share", "revoke", "2"], &[], "").contains("share 2 revoked"));
    let list = ok(&url, &["share", "list", "--service", &s], &[], "");
    assert_eq!(list.matches("revoked").count(), 2, "{list}");
}
