//! The process's resident memory split by kind, from `/proc/self/status` (Linux): anonymous
//! memory is the heap (what the memory budget is about), file-backed memory is mostly the
//! memory-mapped GeoIP databases, which the kernel can drop and re-read at will.

use serde::Serialize;

/// Resident memory by kind, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MemoryUsage {
    /// Heap and other private memory (RssAnon).
    pub anonymous_bytes: u64,
    /// Mapped files: the binary, libraries, GeoIP databases (RssFile).
    pub file_bytes: u64,
    /// Shared memory (RssShmem).
    pub shmem_bytes: u64,
    /// Everything resident (VmRSS).
    pub rss_bytes: u64,
}

/// The current usage; `None` where `/proc/self/status` is missing (not Linux).
pub fn current() -> Option<MemoryUsage> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_status(&status)
}

/// Reads the `RssAnon`, `RssFile`, `RssShmem` and `VmRSS` lines (in kB) of a status file.
pub fn parse_status(status: &str) -> Option<MemoryUsage> {
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let rest = line.get(name.len()..)?.trim_start_matches(':').trim();
        let kib: u64 = rest.strip_suffix("kB")?.trim().parse().ok()?;
        kib.checked_mul(1024)
    };
    Some(MemoryUsage {
        anonymous_bytes: field("RssAnon")?,
        file_bytes: field("RssFile")?,
        shmem_bytes: field("RssShmem").unwrap_or(0),
        rss_bytes: field("VmRSS")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_rss_lines() {
        let s = "Name:\tshynet\nVmRSS:\t   30000 kB\nRssAnon:\t   12000 kB\nRssFile:\t   17000 kB\nRssShmem:\t    1000 kB\n";
        assert_eq!(
            parse_status(s),
            Some(MemoryUsage {
                anonymous_bytes: 12000 * 1024,
                file_bytes: 17000 * 1024,
                shmem_bytes: 1000 * 1024,
                rss_bytes: 30000 * 1024,
            })
        );
        assert_eq!(parse_status("Name:\tx\n"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reads_this_process() {
        let m = current().expect("Linux has /proc/self/status");
        assert!(m.anonymous_bytes > 0 && m.file_bytes > 0);
        assert!(m.rss_bytes >= m.anonymous_bytes);
    }
}
