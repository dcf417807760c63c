//! `shynet backup` / `shynet restore` with the real binary and its embedded Postgres: a round
//! trip into a fresh data dir gives identical stats, restoring over data needs --force, and a
//! missing or foreign file is a clear error.

use e2e_tests::shynet_bin;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn shynet(data: &Path) -> Command {
    let mut c = Command::new(shynet_bin());
    c.env_remove("DATABASE_URL")
        .env("SHYNET_DATA_DIR", data)
        .env("TIME_ZONE", "UTC")
        .env("SHYNET_LOG", "warn");
    c
}

fn run(data: &Path, args: &[&str]) -> Output {
    shynet(data).args(args).output().expect("run shynet")
}

fn run_ok(data: &Path, args: &[&str]) -> Output {
    let out = run(data, args);
    assert!(
        out.status.success(),
        "shynet {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The stats of a fixed window, without the one figure that depends on the clock.
fn stats(data: &Path, id: &str, start: &str, end: &str) -> serde_json::Value {
    let out = run_ok(
        data,
        &[
            "stats",
            "--service",
            id,
            "--start",
            start,
            "--end",
            end,
            "--json",
        ],
    );
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["stats"]
        .as_object_mut()
        .expect("stats object")
        .remove("currently_online");
    v
}

struct TempDirs(Vec<PathBuf>);

impl Drop for TempDirs {
    fn drop(&mut self) {
        for d in &self.0 {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

#[test]
fn backup_restore_round_trip_and_clear_errors() {
    let base = std::env::temp_dir().join(format!("shynet-backup-{}", std::process::id()));
    let (a, b) = (base.join("a"), base.join("b"));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let _cleanup = TempDirs(vec![base.clone()]);

    run_ok(&a, &["createadmin", "admin@example.com"]);
    let out = run_ok(
        &a,
        &[
            "service",
            "create",
            "--name",
            "Backed up",
            "--owner",
            "admin@example.com",
        ],
    );
    let id = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap()
        .trim()
        .to_owned();
    let out = run_ok(
        &a,
        &["demo", "--service", &id, "--hits", "2000", "--days", "10"],
    );
    // Custom events on about one page view in five.
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    let events: u64 = said
        .split(" events written")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no event count in {said}"));
    assert!((250..600).contains(&events), "{said}");
    let today = chrono::Utc::now().date_naive();
    let (start, end) = (
        (today - chrono::Days::new(20)).to_string(),
        today.to_string(),
    );
    let before = stats(&a, &id, &start, &end);
    // The demo ends the visits it started, so it writes about (not exactly) the hits it is asked for.
    let hits = before["stats"]["hit_count"].as_i64().unwrap_or(0);
    assert!((2000..2100).contains(&hits), "{before}");

    // Backup: progress per table on stderr, a private file, no leftover partial file.
    let archive = base.join("shynet.dump");
    let out = run_ok(&a, &["backup", "--out", archive.to_str().unwrap()]);
    let err = stderr(&out);
    assert!(err.contains("dumping table public.services ("), "{err}");
    let last = err
        .lines()
        .rfind(|l| l.starts_with("dumping table"))
        .unwrap();
    let (done, total) = last
        .rsplit_once('(')
        .and_then(|(_, r)| r.trim_end_matches(')').split_once('/'))
        .unwrap();
    assert_eq!(done, total, "progress ends at the total: {last}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("backup written to"));
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(&archive).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert!(!base.join("shynet.dump.partial").exists());

    // Restore into a fresh data dir: the same stats.
    let out = run_ok(&b, &["restore", "--from", archive.to_str().unwrap()]);
    assert!(
        stderr(&out).contains("restoring table public.services ("),
        "{}",
        stderr(&out)
    );
    assert_eq!(stats(&b, &id, &start, &end), before);

    // Over existing data: refused without --force, and nothing changes.
    run_ok(
        &b,
        &[
            "demo",
            "--service",
            &id,
            "--hits",
            "100",
            "--days",
            "1",
            "--seed",
            "7",
        ],
    );
    let grown = stats(&b, &id, &start, &end);
    assert_ne!(grown, before);
    let out = run(&b, &["restore", "--from", archive.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(stats(&b, &id, &start, &end), grown);
    run_ok(
        &b,
        &["restore", "--from", archive.to_str().unwrap(), "--force"],
    );
    assert_eq!(
        stats(&b, &id, &start, &end),
        before,
        "--force replaces the data"
    );

    // Missing, foreign and damaged files: clear errors, data untouched.
    let missing = base.join("nope.dump");
    let out = run(
        &b,
        &["restore", "--from", missing.to_str().unwrap(), "--force"],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cannot read the backup"),
        "{}",
        stderr(&out)
    );
    let garbage = base.join("garbage.dump");
    std::fs::write(&garbage, b"this is not a backup at all").unwrap();
    let out = run(
        &b,
        &["restore", "--from", garbage.to_str().unwrap(), "--force"],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("is not a shynet backup"),
        "{}",
        stderr(&out)
    );
    let bytes = std::fs::read(&archive).unwrap();
    let damaged = base.join("damaged.dump");
    std::fs::write(&damaged, &bytes[..bytes.len() / 2]).unwrap();
    let out = run(
        &b,
        &["restore", "--from", damaged.to_str().unwrap(), "--force"],
    );
    assert!(!out.status.success(), "a truncated archive is refused");
    assert_eq!(
        stats(&b, &id, &start, &end),
        before,
        "a failed restore changes nothing"
    );
}
