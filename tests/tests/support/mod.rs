//! Shared by the fault, hostile-client, privacy and command-line tests: a Postgres cluster this
//! test can stop and start (the embedded `Cluster`, run as the unprivileged user), the real
//! `shynet serve` binary pointed at it, a way to send beacons, one-shot commands (`cli.rs`) and
//! database dumps (`pg_dump.rs`).

#![allow(dead_code)]

mod cli;
mod pg_dump;
// Each test binary uses some of these.
#[allow(unused_imports)]
pub use cli::{Cli, CLI};
#[allow(unused_imports)]
pub use pg_dump::dump;

use aggregator::embedded_pg::{Cluster, DB_NAME, SOCKET_PORT};
use e2e_tests::shynet_bin;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A Postgres cluster in its own directory, stopped and removed on drop.
pub struct Pg {
    /// Data directory.
    pub dir: PathBuf,
    cluster: Option<Cluster>,
}

impl Pg {
    /// Creates and starts a cluster under a fresh temp directory.
    pub fn start(tag: &str) -> Pg {
        aggregator::embedded_pg::throwaway::sweep_stale(aggregator::testkit::SCRATCH_TAGS);
        let dir = std::env::temp_dir().join(format!("shynet-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let cluster = Cluster::ensure_running(&dir).expect("start a Postgres cluster");
        Pg {
            dir,
            cluster: Some(cluster),
        }
    }

    /// The `postmaster` pid, if it runs.
    fn postmaster_pid(&self) -> Option<i32> {
        let text = std::fs::read_to_string(self.dir.join("pg/postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// Stops the server (fast shutdown: clients are disconnected) and waits until it is gone.
    pub fn stop(&mut self) {
        let pid = self.postmaster_pid().expect("postgres runs");
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGINT,
        )
        .expect("signal postgres");
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.dir.join("pg/postmaster.pid").exists() {
            assert!(Instant::now() < deadline, "postgres did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
        // The old handle's lock registration is void; drop it without stopping anything.
        self.cluster.take();
    }

    /// Starts the server again after [`Pg::stop`].
    pub fn restart(&mut self) {
        self.cluster = Some(Cluster::ensure_running(&self.dir).expect("restart postgres"));
    }

    /// A connection string for `db` on this cluster.
    pub fn url(&self, db: &str) -> String {
        format!(
            "host={} port={SOCKET_PORT} user={DB_NAME} dbname={db}",
            self.dir.join("run").display()
        )
    }

    /// Creates database `db`, applies migrations with `shynet migrate`, and returns its URL.
    pub async fn database(&self, db: &str) -> String {
        let (client, conn) = tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls)
            .await
            .expect("connect");
        let task = tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE DATABASE {db}"))
            .await
            .expect("create database");
        drop(client);
        let _ = task.await;
        let url = self.url(db);
        CLI.ok(&url, &["migrate"]);
        url
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        if self.postmaster_pid().is_some() {
            if let Some(c) = self.cluster.take() {
                let _ = c.release();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A client to `url`.
pub async fn db(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    client
}

/// Inserts an owner and a service accepting any origin; returns the service id.
pub async fn service(url: &str, collect_ips: bool) -> Uuid {
    let c = db(url).await;
    let owner: i64 = c
        .query_one(
            "INSERT INTO users (email, password_hash) VALUES ($1, 'x') \
             ON CONFLICT DO NOTHING RETURNING id",
            &[&format!("owner-{}@example.com", Uuid::new_v4())],
        )
        .await
        .expect("insert owner")
        .get(0);
    let id = Uuid::new_v4();
    c.execute(
        "INSERT INTO services (id, name, owner_id, origins, collect_ips) VALUES ($1, 'Site', $2, '*', $3)",
        &[&id, &owner, &collect_ips],
    )
    .await
    .expect("insert service");
    id
}

/// A running `shynet serve`, killed on drop.
pub struct Shynet {
    child: Child,
    /// `http://127.0.0.1:port`.
    pub base: String,
}

impl Shynet {
    /// Starts `shynet serve` on a free port against `url`, with extra environment.
    pub fn serve(url: &str, env: &[(&str, &str)]) -> Shynet {
        let mut cmd = Command::new(shynet_bin());
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--skip-migrations"])
            .env("DATABASE_URL", url)
            .env("SHYNET_LOG", "warn,warp=off")
            .env("SHYNET_IP_HEADERS", "x-forwarded-for")
            // Several servers run at once here: none takes the default metrics port.
            .env("SHYNET_METRICS_LISTEN", "")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start shynet serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the first line");
        let addr = line
            .trim()
            .strip_prefix("shynet listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        Shynet {
            child,
            base: format!("http://{addr}"),
        }
    }

    /// The process id.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Resident memory (KiB) from /proc.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("read /proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    /// Sends `sig`.
    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid()), sig).expect("signal");
    }

    /// Waits for the process to exit (at most `timeout`); returns whether it exited 0.
    pub fn wait(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                return s.success();
            }
            assert!(Instant::now() < deadline, "shynet did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Shynet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Chrome User-Agent.
pub const CHROME_UA: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                             Chrome/120.0.0.0 Safari/537.36";

/// Sends one script beacon: a page view (or heartbeat, for a repeated `token`) of `location`
/// from `ip`; returns the status (0 when the connection failed).
pub async fn beacon(
    http: &reqwest::Client,
    base: &str,
    svc: Uuid,
    ip: &str,
    ua: &str,
    token: &str,
    location: &str,
) -> u16 {
    let body = serde_json::json!({
        "idempotency": token,
        "referrer": "https://news.example/",
        "location": location,
        "loadTime": 100,
    });
    match http
        .post(format!("{base}/ingress/{svc}/script.js"))
        .header("x-forwarded-for", ip)
        .header("user-agent", ua)
        .header("content-type", "text/plain")
        .body(body.to_string())
        .send()
        .await
    {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

/// Polls until `f` is true or `timeout` passes.
pub async fn until<F, Fut>(timeout: Duration, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if f().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
