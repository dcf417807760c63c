//! A real SMTP server for tests: aiosmtpd on a free port writing each message to a maildir,
//! and helpers to read what arrived.
#![allow(dead_code)]

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Longest wait for a mail or for the SMTP server to listen.
pub const MAIL_TIMEOUT: Duration = Duration::from_secs(15);
/// aiosmtpd on a free port, storing each message as a file in a maildir.
pub struct Smtp {
    child: Child,
    pub port: u16,
    dir: PathBuf,
    seen: HashSet<PathBuf>,
}

impl Smtp {
    pub async fn start() -> Smtp {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Self::start_on(port).await
    }

    /// On a chosen port (a server "coming back" after an outage).
    pub async fn start_on(port: u16) -> Smtp {
        let python = ["/usr/bin/python3", "python3"]
            .into_iter()
            .find(|p| {
                Command::new(p)
                    .args(["-c", "import aiosmtpd"])
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            })
            .expect("python3 with aiosmtpd (scripts/setup installs python3-aiosmtpd)");
        let dir = std::env::temp_dir().join(format!("shynet-smtp-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.join("box"))
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + MAIL_TIMEOUT;
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "the SMTP server did not start");
            assert!(
                child.try_wait().unwrap().is_none(),
                "the SMTP server exited"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Smtp {
            child,
            port,
            dir,
            seen: HashSet::new(),
        }
    }

    /// The next message to arrive (raw text), waiting at most [`MAIL_TIMEOUT`].
    pub async fn next_mail(&mut self) -> String {
        let new = self.dir.join("box").join("new");
        let deadline = Instant::now() + MAIL_TIMEOUT;
        loop {
            let fresh = std::fs::read_dir(&new)
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .find(|p| !self.seen.contains(p));
            if let Some(p) = fresh {
                self.seen.insert(p.clone());
                return std::fs::read_to_string(p).unwrap();
            }
            assert!(Instant::now() < deadline, "no mail arrived");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Messages received so far.
    pub fn count(&self) -> usize {
        std::fs::read_dir(self.dir.join("box").join("new"))
            .map(|d| d.count())
            .unwrap_or(0)
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Undoes quoted-printable soft breaks and escapes (lettre encodes long lines that way).
pub fn unqp(s: &str) -> String {
    let s = s.replace("=\r\n", "").replace("=\n", "");
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
