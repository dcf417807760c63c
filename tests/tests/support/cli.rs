//! Running the real `shynet` binary once against a test database, as an operator would type a
//! command: its output, or its success or its refusal checked.

use e2e_tests::shynet_bin;
use std::ffi::OsStr;
use std::fmt::Debug;
use std::io::Write;
use std::process::{Command, Output, Stdio};

/// The environment a test's commands run with, besides `DATABASE_URL` and a quiet log.
#[derive(Clone, Copy, Debug)]
pub struct Cli<'a> {
    /// Variables set for the command.
    pub env: &'a [(&'a str, &'a str)],
    /// Variables of the test's own environment the command must not see.
    pub unset: &'a [&'a str],
}

/// No extra environment.
pub const CLI: Cli<'static> = Cli {
    env: &[],
    unset: &[],
};

impl Cli<'_> {
    /// Runs `shynet ARGS` against `url` with nothing on standard input.
    pub fn run(&self, url: &str, args: &[impl AsRef<OsStr> + Debug]) -> Output {
        self.run_with_stdin(url, args, "")
    }

    /// Runs `shynet ARGS` against `url` with `stdin` on its standard input.
    pub fn run_with_stdin(
        &self,
        url: &str,
        args: &[impl AsRef<OsStr> + Debug],
        stdin: &str,
    ) -> Output {
        let mut cmd = Command::new(shynet_bin());
        cmd.args(args)
            .env("DATABASE_URL", url)
            .env("SHYNET_LOG", "warn");
        for k in self.unset {
            cmd.env_remove(k);
        }
        let mut child = cmd
            .envs(self.env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run shynet");
        child
            .stdin
            .take()
            .expect("its standard input")
            .write_all(stdin.as_bytes())
            .expect("write its standard input");
        child.wait_with_output().expect("wait for shynet")
    }

    /// The standard output of `shynet ARGS`, which must succeed.
    pub fn ok(&self, url: &str, args: &[impl AsRef<OsStr> + Debug]) -> String {
        self.ok_with_stdin(url, args, "")
    }

    /// Like [`Cli::ok`], with `stdin` on its standard input.
    pub fn ok_with_stdin(
        &self,
        url: &str,
        args: &[impl AsRef<OsStr> + Debug],
        stdin: &str,
    ) -> String {
        let out = self.run_with_stdin(url, args, stdin);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `shynet ARGS` must fail, saying `says` on standard error.
    pub fn fails(&self, url: &str, args: &[impl AsRef<OsStr> + Debug], says: &str) {
        let out = self.run(url, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(err.contains(says), "{args:?}: expected `{says}` in: {err}");
    }
}
