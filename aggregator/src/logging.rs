//! Process logging: the subscriber every command installs, in text or JSON lines, filtered by
//! `SHYNET_LOG`. Built by one function so tests capture exactly what the binary would print.

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// The filter when `SHYNET_LOG` is unset: our events at info, the libraries' only when they warn.
pub const DEFAULT_FILTER: &str = "info,tokio_postgres=warn,warp=warn,hyper=warn";

/// Environment variable holding a `tracing` filter directive (e.g. `warn,shynet::access=info`).
pub const FILTER_ENV: &str = "SHYNET_LOG";

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line (for log shippers).
    Json,
}

/// The filter from `SHYNET_LOG`, or [`DEFAULT_FILTER`].
pub fn env_filter() -> EnvFilter {
    EnvFilter::try_from_env(FILTER_ENV).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER))
}

/// A subscriber writing `format` lines to `writer`, without colour codes (they would end up
/// in log files and journals).
pub fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    subscriber_with_colour(format, filter, writer, false)
}

fn subscriber_with_colour<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
    colour: bool,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour && format == LogFormat::Text)
        .with_writer(writer);
    match format {
        LogFormat::Text => Box::new(builder.finish()),
        LogFormat::Json => Box::new(builder.json().flatten_event(true).finish()),
    }
}

/// Installs the process-wide subscriber (stderr; coloured only on a terminal). A second call
/// is ignored.
pub fn init(format: LogFormat) {
    use std::io::IsTerminal;
    let _ = tracing::subscriber::set_global_default(subscriber_with_colour(
        format,
        env_filter(),
        std::io::stderr,
        std::io::stderr().is_terminal(),
    ));
}

/// A writer into a shared buffer, for tests that assert on log output.
#[derive(Clone, Default)]
pub struct CaptureWriter(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CaptureWriter {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        let buf = self.0.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&buf).into_owned()
    }
}

impl std::io::Write for CaptureWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let mut buf = self.0.lock().unwrap_or_else(|p| p.into_inner());
        buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'w> MakeWriter<'w> for CaptureWriter {
    type Writer = CaptureWriter;

    fn make_writer(&'w self) -> Self::Writer {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_format_writes_one_object_per_line() {
        let out = CaptureWriter::default();
        let sub = subscriber(LogFormat::Json, EnvFilter::new("info"), out.clone());
        tracing::subscriber::with_default(sub, || {
            tracing::warn!(shed = 3u64, "shed 3 beacons");
            tracing::debug!("filtered out");
        });
        let text = out.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        let v: serde_json::Value = serde_json::from_str(lines[0]).expect("a JSON line");
        assert_eq!(v["level"], "WARN");
        assert_eq!(v["message"], "shed 3 beacons");
        assert_eq!(v["shed"], 3);
    }

    #[test]
    fn text_format_is_not_json() {
        let out = CaptureWriter::default();
        let sub = subscriber(LogFormat::Text, EnvFilter::new("info"), out.clone());
        tracing::subscriber::with_default(sub, || tracing::info!("hello"));
        let text = out.text();
        assert!(text.contains(" INFO ") && text.contains("hello"), "{text}");
        assert!(!text.contains('\x1b'), "no colour codes in logs: {text:?}");
        assert!(serde_json::from_str::<serde_json::Value>(text.trim()).is_err());
    }
}
