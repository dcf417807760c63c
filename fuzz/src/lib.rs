//! Shared pieces of the fuzz targets. The dashboard's pure parsers (`stats::window`,
//! `stats::referrer`) come from the `stats` crate, which needs no web stack.

/// Splits fuzz input into at most `n` parts at `\n` (the seeds use one line per field).
pub fn fields(data: &[u8], n: usize) -> Vec<&[u8]> {
    data.splitn(n, |b| *b == b'\n').collect()
}

/// Lossy text of a field.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
