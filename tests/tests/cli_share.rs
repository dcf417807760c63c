//! `shynet share create|list|revoke`, run as the real binary against a real Postgres: what each
//! command prints, the password read from the environment or standard input (no prompt), and
//! the clear message, non-zero exit and unchanged table of every kind of bad input.

mod support;

use support::*;
use uuid::Uuid;

/// No password from the test's own environment reaches a command.
const UNSET: &[&str] = &["SHYNET_SHARE_PASSWORD"];
/// Commands without a password in their environment.
const SHYNET: Cli = Cli {
    env: &[],
    unset: UNSET,
};

/// The output of a command that must succeed, with `env` and `stdin`.
fn ok(url: &str, args: &[&str], env: &[(&str, &str)], stdin: &str) -> String {
    Cli { env, unset: UNSET }.ok_with_stdin(url, args, stdin)
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
    SHYNET.fails(
        &url,
        &["share", "create", "--service", &s, "--epsilon", "abc"],
        "invalid epsilon",
    );
    SHYNET.fails(
        &url,
        &["share", "create", "--service", &s, "--epsilon", "0"],
        "between",
    );
    SHYNET.fails(
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
    SHYNET.fails(
        &url,
        &["share", "create", "--service", &s, "--expires", "tomorrow"],
        "invalid expiry",
    );
    SHYNET.fails(
        &url,
        &["share", "create", "--service", &s, "--password"],
        "no password",
    );
    let unknown = Uuid::new_v4().to_string();
    SHYNET.fails(
        &url,
        &["share", "create", "--service", &unknown],
        "no service",
    );
    SHYNET.fails(
        &url,
        &["share", "list", "--service", &unknown],
        "no service",
    );
    SHYNET.fails(
        &url,
        &["share", "create", "--service", "not-a-uuid"],
        "invalid value",
    );
    SHYNET.fails(&url, &["share", "revoke", "nope"], "give a link id");
    SHYNET.fails(&url, &["share", "revoke", "999"], "no live share link");
    assert_eq!(links().await, 3);

    // Revoke by token, then by id; a second revoke says so.
    let out = ok(&url, &["share", "revoke", token], &[], "");
    assert_eq!(out.trim(), "share 1 revoked");
    SHYNET.fails(&url, &["share", "revoke", token], "no live share link");
    assert!(ok(&url, &["share", "revoke", "2"], &[], "").contains("share 2 revoked"));
    let list = ok(&url, &["share", "list", "--service", &s], &[], "");
    assert_eq!(list.matches("revoked").count(), 2, "{list}");
}
