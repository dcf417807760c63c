//! `shynet report send` run as the real binary against a real Postgres: the clear message and
//! non-zero exit of each kind of bad input, and of a missing mail setup. (A report actually
//! mailed over SMTP is tested in `aggregator/tests/notify.rs`.)

mod support;

use support::*;

/// No mail setup from the test's own environment reaches a command.
const SHYNET: Cli = Cli {
    env: &[],
    unset: &["EMAIL_HOST"],
};

#[tokio::test(flavor = "multi_thread")]
async fn report_send_refuses_bad_input_with_a_reason() {
    let pg = Pg::start("cli-report");
    let url = pg.database("report").await;
    let svc = service(&url, false).await.to_string();
    let unknown = uuid::Uuid::new_v4().to_string();
    let smtp = ["--email-host", "127.0.0.1", "--email-port", "9"];
    let send = |rest: &[&str]| -> Vec<String> {
        ["report", "send"]
            .iter()
            .chain(rest)
            .map(|a| a.to_string())
            .collect()
    };
    let run = |args: Vec<String>, says: &str| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        SHYNET.fails(&url, &a, says);
    };
    run(
        send(&[&["--service", &unknown, "--to", "a@example.com"], &smtp[..]].concat()),
        &format!("no service with id {unknown}"),
    );
    run(
        send(&[&["--service", &svc, "--to", "not-an-address"], &smtp[..]].concat()),
        "is not a valid email address",
    );
    run(
        send(&["--service", &svc, "--to", "a@example.com"]),
        "no SMTP server configured",
    );
    run(
        send(&[
            "--service",
            &svc,
            "--to",
            "a@example.com",
            "--period",
            "year",
        ]),
        "invalid value 'year'",
    );
    run(
        send(&["--service", "nope", "--to", "a@example.com"]),
        "invalid value 'nope'",
    );
    // The SMTP server is down (nothing listens on port 9): the error says so.
    run(
        send(&[&["--service", &svc, "--to", "a@example.com"], &smtp[..]].concat()),
        "sending the report",
    );
}
