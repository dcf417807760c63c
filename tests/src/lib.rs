//! Helpers for the cross-process tests: the real `shynet` binary, a real headless Chromium
//! driven through ChromeDriver, and a throwaway Postgres cluster from the system binaries.
//!
//! A browser test starts its server with [`browser_app::BrowserApp`], writes its rows with
//! [`seed`], signs in with [`sign_in::signed_in_browser`] and, when a tracked page is needed,
//! serves it with [`tracked_site::serve_pages`].

pub mod audit;
pub mod browser_app;
pub mod seed;
pub mod sign_in;
pub mod tracked_site;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Builds (if needed) and returns the `shynet` binary of this workspace. Integration tests of
/// another package cannot use `CARGO_BIN_EXE_*`, so ask cargo, which is a no-op when fresh.
pub fn shynet_bin() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = Command::new(cargo)
                .args(["build", "-p", "aggregator", "--bin", "shynet"])
                .current_dir(workspace_root())
                .status()
                .expect("run cargo build");
            assert!(status.success(), "building shynet failed");
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| workspace_root().join("target"));
            target.join("debug").join("shynet")
        })
        .clone()
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A ChromeDriver process, killed on drop.
pub struct ChromeDriver {
    child: Child,
    /// Its WebDriver URL.
    pub url: String,
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts Debian's chromedriver. Fails (never skips) when it is missing: run scripts/setup.
pub fn chromedriver() -> ChromeDriver {
    aggregator::embedded_pg::throwaway::sweep_stale(aggregator::testkit::SCRATCH_TAGS);
    let bin = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("chromedriver not found: install chromium-driver (scripts/setup does)");
    let port = free_port();
    let child = Command::new(bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    ChromeDriver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

/// A headless Chromium session with a fresh profile.
pub async fn browser(driver: &ChromeDriver) -> fantoccini::Client {
    let profile = std::env::temp_dir().join(format!(
        "shynet-chrome-{}-{}",
        std::process::id(),
        free_port()
    ));
    let binary = ["/usr/bin/chromium", "/usr/lib/chromium/chromium"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("chromium not found: install chromium (scripts/setup does)");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": binary,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("start a Chromium session")
}

/// Polls `f` until it returns `Some`, for at most `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where screenshots and other CI artifacts go.
pub fn artifacts_dir() -> PathBuf {
    let d = workspace_root().join("artifacts").join("screenshots");
    let _ = std::fs::create_dir_all(&d);
    d
}

/// Saves a screenshot of the browser's window under [`artifacts_dir`].
pub async fn shot(b: &fantoccini::Client, name: &str) {
    let png = b.screenshot().await.expect("screenshot");
    std::fs::write(artifacts_dir().join(name), png).expect("write screenshot");
}

/// Opens `url` and waits until an element matching `css` is on the page.
pub async fn open_until(b: &fantoccini::Client, url: &str, css: &str) {
    b.goto(url).await.unwrap_or_else(|e| panic!("{url}: {e}"));
    b.wait()
        .for_element(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{url}: no {css}: {e}"));
}

/// The text of the first element matching `css` (panics naming the selector when none does).
pub async fn text_of(b: &fantoccini::Client, css: &str) -> String {
    b.find(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("element text")
}
