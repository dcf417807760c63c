//! Follows a Postgres tool's `--verbose` output: one progress line per table on stderr, and the
//! last lines kept for the error message should the tool fail.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};

/// Lines of a tool's output kept for its error message.
const KEPT_LINES: usize = 20;

/// What a tool said besides progress.
#[derive(Debug, Default)]
pub struct ToolOutput {
    /// Tables seen.
    pub tables: usize,
    /// The last lines that were not progress.
    pub tail: VecDeque<String>,
}

impl ToolOutput {
    /// The lines worth showing when the tool failed: its errors, else its last words.
    pub fn error_text(&self) -> String {
        let errors: Vec<&str> = self
            .tail
            .iter()
            .map(String::as_str)
            .filter(|l| l.contains("error") || l.contains("FATAL"))
            .collect();
        if errors.is_empty() {
            self.tail.iter().cloned().collect::<Vec<_>>().join("\n")
        } else {
            errors.join("\n")
        }
    }
}

/// Reads `output` to its end; for each line containing `marker` (followed by the quoted table
/// name) prints `{label} {table} (n/total)` to stderr.
pub fn follow(output: impl Read, marker: &str, label: &str, total: usize) -> ToolOutput {
    let mut seen = ToolOutput::default();
    for line in BufReader::new(output).lines() {
        let Ok(line) = line else { break };
        if let Some((_, rest)) = line.split_once(marker) {
            seen.tables += 1;
            let table = rest.trim().trim_matches('"');
            eprintln!(
                "{label} {table} ({}/{})",
                seen.tables,
                total.max(seen.tables)
            );
            continue;
        }
        if seen.tail.len() == KEPT_LINES {
            seen.tail.pop_front();
        }
        seen.tail.push_back(line);
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_tables_and_keeps_errors() {
        let out = "pg_dump: last built-in OID is 16383\n\
                   pg_dump: dumping contents of table \"public.hits\"\n\
                   pg_dump: dumping contents of table \"public.sessions\"\n\
                   pg_dump: error: connection lost\n";
        let seen = follow(
            out.as_bytes(),
            "dumping contents of table",
            "dumping table",
            2,
        );
        assert_eq!(seen.tables, 2);
        assert_eq!(seen.error_text(), "pg_dump: error: connection lost");
    }
}
