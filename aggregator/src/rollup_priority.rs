//! The rollup and retention run on a Postgres backend at a lower CPU priority. A pass over a
//! dense hour keeps a backend busy for many minutes, and it is work that can wait: the writer's
//! backends and the HTTP workers should have the cores first. On a saturated machine this is not
//! enough to keep ingest latency flat (a soak at the default rates still saw p99 go from about 10
//! to 15–24 ms during such a pass, against 15–26 ms at normal priority): the pass's I/O and
//! WAL compete too, and the niced backend still got about an eighth of the CPU time.
//!
//! Only a backend that is a process on this machine can be niced: the embedded cluster, or any
//! Postgres reached over its Unix socket. A TCP connection's backend pid belongs to another
//! machine (or another pid namespace), so it is left alone.

/// The niceness given to the rollup's backend (0 is normal, 19 the lowest priority). At 10 a
/// busy process gets about a tenth of the CPU time of a normal one that wants the same core.
pub const ROLLUP_NICE: i32 = 10;

/// Lowers the CPU priority of the backend serving `client` to [`ROLLUP_NICE`] when it is a
/// local `postgres` process; returns whether it did (a backend of another user cannot be niced
/// by an unprivileged process, and that is not an error).
pub async fn lower(client: &tokio_postgres::Client) -> Result<bool, tokio_postgres::Error> {
    let row = client
        .query_one("SELECT pg_backend_pid(), inet_server_addr() IS NULL", &[])
        .await?;
    let (pid, over_socket): (i32, bool) = (row.get(0), row.get(1));
    Ok(over_socket && is_postgres(pid) && renice(pid, ROLLUP_NICE))
}

/// The niceness of local process `pid` (field 19 of `/proc/PID/stat`), if it can be read.
pub fn niceness(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces; count after it.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(16)?.parse().ok()
}

/// Whether local process `pid` is a Postgres backend (its title starts with `postgres`).
fn is_postgres(pid: i32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with(b"postgres"))
}

fn renice(pid: i32, nice: i32) -> bool {
    let Ok(pid) = nix::libc::id_t::try_from(pid) else {
        return false;
    };
    // SAFETY: setpriority takes plain integers and touches no memory of this process.
    let rc = unsafe { nix::libc::setpriority(nix::libc::PRIO_PROCESS, pid, nice) };
    if rc != 0 {
        tracing::debug!(pid, error = %std::io::Error::last_os_error(), "rollup backend not niced");
    }
    rc == 0
}
