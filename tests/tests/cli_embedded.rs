//! The `shynet` binary end to end with its embedded Postgres: created on first use under the
//! data dir (as root it runs as an unprivileged user), shared by a second command while `serve`
//! is up, stopped cleanly by the last one out, and beacons flushed on SIGTERM.

use e2e_tests::shynet_bin;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn shynet(data: &Path) -> Command {
    let mut c = Command::new(shynet_bin());
    c.env_remove("DATABASE_URL")
        .env("SHYNET_DATA_DIR", data)
        .env("SHYNET_LOG", "warn");
    c
}

fn run_ok(mut c: Command) -> String {
    let out = c.output().expect("run shynet");
    assert!(
        out.status.success(),
        "shynet failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn cluster_running(data: &Path) -> bool {
    data.join("pg/postmaster.pid").exists()
}

#[test]
fn embedded_postgres_lifecycle_and_commands() {
    let data = std::env::temp_dir().join(format!("shynet-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);

    // First use creates the cluster; a one-shot command stops it again when it exits.
    let mut c = shynet(&data);
    c.args(["createadmin", "admin@example.com"]);
    let out = run_ok(c);
    assert!(out.contains("Password: "), "{out}");
    assert!(data.join("pg/PG_VERSION").exists());
    assert!(
        !cluster_running(&data),
        "a one-shot command stops the cluster it started"
    );

    // A duplicate admin is a clear error, not a crash.
    let out = shynet(&data)
        .args(["createadmin", "ADMIN@example.com"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));

    // serve, timed to readiness.
    let started = Instant::now();
    let mut serve = shynet(&data)
        .args(["serve", "--listen", "127.0.0.1:0", "--metrics-listen", ""])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(serve.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("shynet listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_owned();
    eprintln!("serve ready in {:?}", started.elapsed());

    // A second command while serve is up joins the running cluster and leaves it running.
    let mut c = shynet(&data);
    c.args([
        "service",
        "create",
        "--name",
        "CLI site",
        "--owner",
        "admin@example.com",
        "--public-url",
        &format!("http://{addr}"),
    ]);
    let out = run_ok(c);
    let id = out.lines().next().unwrap().trim().to_owned();
    assert!(out.contains(&format!("http://{addr}/ingress/{id}/script.js")));
    assert!(out.contains("<noscript>"));
    assert!(
        cluster_running(&data),
        "the second command must not stop serve's cluster"
    );
    let mut c = shynet(&data);
    c.args(["service", "list"]);
    assert!(run_ok(c).contains("CLI site"));
    // The settings given at start apply to the running cluster.
    let show = Command::new("psql")
        .arg("-h")
        .arg(data.join("run"))
        .args(["-U", "shynet", "-d", "shynet", "-qAt", "-c"])
        .arg("SELECT current_setting('max_parallel_workers_per_gather') || ' ' || current_setting('jit')")
        .output()
        .expect("run psql");
    assert_eq!(
        String::from_utf8_lossy(&show.stdout).trim(),
        "0 off",
        "{show:?}"
    );

    // A pixel hit, then SIGTERM: the beacon is flushed before exit.
    let resp = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .args([
            "-H",
            "Referer: https://e.com/x",
            "-A",
            "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        ])
        .arg(format!("http://{addr}/ingress/{id}/pixel.gif"))
        .output();
    let code = match resp {
        Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
        Err(_) => {
            // No curl: use a raw socket.
            let mut s = std::net::TcpStream::connect(&addr).unwrap();
            write!(s, "GET /ingress/{id}/pixel.gif HTTP/1.1\r\nHost: {addr}\r\nReferer: https://e.com/x\r\nConnection: close\r\n\r\n").unwrap();
            let mut buf = String::new();
            let _ = std::io::Read::read_to_string(&mut s, &mut buf);
            buf[9..12].to_owned()
        }
    };
    assert_eq!(code, "200");
    nix_kill(serve.id());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = serve.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "serve did not exit on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "serve exits 0 on SIGTERM");
    assert!(
        !cluster_running(&data),
        "the last one out stops the cluster"
    );

    // stats sees the flushed hit.
    let mut c = shynet(&data);
    c.args(["stats", "--service", &id, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&run_ok(c)).unwrap();
    assert_eq!(v["stats"]["hit_count"], 1);
    assert_eq!(v["stats"]["session_count"], 1);
    assert_eq!(v["stats"]["browsers"][0]["key"], "Firefox");

    // Bad input to the CLI: clear messages, non-zero exit.
    let out = shynet(&data)
        .args(["stats", "--service", &id, "--start", "01/01/2000"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("use YYYY-MM-DD"));
    let _ = std::fs::remove_dir_all(&data);
}

fn nix_kill(pid: u32) {
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn missing_postgres_binaries_explain_how_to_install() {
    let empty = std::env::temp_dir().join(format!("shynet-nopg-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let out = Command::new(shynet_bin())
        .env_remove("DATABASE_URL")
        .env("SHYNET_PG_BIN_DIR", &empty)
        .env("SHYNET_DATA_DIR", empty.join("data"))
        .args(["service", "list"])
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&empty);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no PostgreSQL server binaries"), "{err}");
    assert!(err.contains("apt-get install postgresql"), "{err}");
}

#[test]
fn ua_and_geoip_tools() {
    let mut child = Command::new(shynet_bin())
        .arg("ua")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1\nMozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["browser"], "Mobile Safari");
    assert_eq!(lines[0]["os"], "iOS");
    assert_eq!(lines[0]["device_type"], "PHONE");
    assert_eq!(lines[0]["is_robot"], false);
    assert_eq!(lines[1]["device_type"], "ROBOT");
    assert_eq!(lines[1]["is_robot"], true);
    for key in ["browser_version", "os_version", "device"] {
        assert!(lines[0].get(key).is_some(), "{key}");
    }

    let geo = e2e_tests::workspace_root().join("aggregator/testdata/geoip");
    let out = Command::new(shynet_bin())
        .args(["geoip", "81.2.69.160"])
        .env("MAXMIND_CITY_DB", geo.join("GeoIP2-City-Test.mmdb"))
        .env("MAXMIND_ASN_DB", geo.join("GeoLite2-ASN-Test.mmdb"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["country"], "GB");
    assert_eq!(v["city"], "London");
    let out = Command::new(shynet_bin())
        .args(["geoip", "not-an-ip"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an IP address"));
}
