//! `shynet serve`'s admin listener as an operator meets it: `--metrics-listen` (or
//! `SHYNET_METRICS_LISTEN`) opens a second listening socket that serves `/metrics`; an empty
//! value opens none; a malformed address or a taken port stops the server with a clear error.

mod support;

use e2e_tests::shynet_bin;
use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::*;

/// The TCP ports process `pid` listens on (its socket inodes matched against the kernel's
/// table of listening sockets).
fn listening_ports(pid: i32) -> BTreeSet<u16> {
    let inodes: BTreeSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter_map(|l| {
            let l = l.to_string_lossy().into_owned();
            Some(l.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
        })
        .collect();
    let mut ports = BTreeSet::new();
    for table in ["tcp", "tcp6"] {
        let text = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            // local_address, state 0A = LISTEN, inode in column 10.
            if f.len() > 9 && f[3] == "0A" && inodes.contains(f[9]) {
                let port = f[1].rsplit(':').next().unwrap();
                ports.insert(u16::from_str_radix(port, 16).unwrap());
            }
        }
    }
    ports
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn port_of(base: &str) -> u16 {
    base.rsplit(':').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_second_listener_serves_metrics_and_empty_turns_it_off() {
    let pg = Pg::start("metrics-admin");
    let url = pg.database("metrics").await;
    let http = reqwest::Client::new();

    let port = free_port();
    let on = Shynet::serve(
        &url,
        &[("SHYNET_METRICS_LISTEN", &format!("127.0.0.1:{port}"))],
    );
    assert_eq!(
        listening_ports(on.pid()),
        BTreeSet::from([port_of(&on.base), port])
    );
    let r = http
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(text.contains("# TYPE shynet_queue_depth gauge"), "{text}");
    assert!(text.contains("\nshynet_queue_capacity 20000\n"), "{text}");
    assert!(text.contains("\nshynet_database_up 1\n"), "{text}");
    let public = http
        .get(format!("{}/metrics", on.base))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 404);
    drop(on);

    // The test support sets SHYNET_METRICS_LISTEN to "" for every server it starts.
    let off = Shynet::serve(&url, &[]);
    assert_eq!(
        listening_ports(off.pid()),
        BTreeSet::from([port_of(&off.base)])
    );
}

#[test]
fn a_malformed_address_or_a_taken_port_stops_serve_with_the_reason() {
    let out = Command::new(shynet_bin())
        .args(["serve", "--metrics-listen", "localhost"])
        .env("DATABASE_URL", "host=/nonexistent dbname=x")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not an address with a port"), "{err}");

    let rt = tokio::runtime::Runtime::new().unwrap();
    let pg = Pg::start("metrics-taken");
    let url = rt.block_on(pg.database("taken"));
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut child = Command::new(shynet_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--skip-migrations"])
        .args(["--metrics-listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &url)
        .env("SHYNET_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let exited = rt.block_on(until(Duration::from_secs(30), || {
        let done = child.try_wait().unwrap().is_some();
        async move { done }
    }));
    assert!(
        exited,
        "serve must not run without the metrics listener it was asked for"
    );
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("metrics listener on 127.0.0.1:{port}")),
        "{err}"
    );
    drop(taken);
}
