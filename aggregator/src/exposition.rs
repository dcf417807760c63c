//! Prometheus' text exposition format (version 0.0.4), written by hand: a few dozen series do
//! not justify a metrics framework, and writing them here keeps every name in one place.
//!
//! Each family gets its `# HELP` and `# TYPE` lines once, before its first sample, however many
//! label sets follow; counter names must end in `_total` (checked in debug builds and by the
//! tests), label values are escaped as the format requires.

use std::fmt::Write;

/// Content type of the format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The kind of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up (resets when the process restarts).
    Counter,
    /// Goes up and down.
    Gauge,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
        }
    }
}

/// A scrape being written.
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
    /// Families already introduced (their HELP/TYPE lines written).
    families: Vec<&'static str>,
}

impl Exposition {
    /// An empty scrape.
    pub fn new() -> Exposition {
        Exposition::default()
    }

    /// One counter sample.
    pub fn counter(&mut self, name: &'static str, help: &str, labels: &[(&str, &str)], value: u64) {
        debug_assert!(
            name.ends_with("_total"),
            "counter {name} must end in _total"
        );
        self.sample(name, Kind::Counter, help, labels, &value.to_string());
    }

    /// One gauge sample.
    pub fn gauge(&mut self, name: &'static str, help: &str, labels: &[(&str, &str)], value: f64) {
        debug_assert!(
            !name.ends_with("_total"),
            "gauge {name} must not end in _total"
        );
        self.sample(name, Kind::Gauge, help, labels, &number(value));
    }

    /// The text to serve.
    pub fn finish(self) -> String {
        self.out
    }

    fn sample(
        &mut self,
        name: &'static str,
        kind: Kind,
        help: &str,
        labels: &[(&str, &str)],
        value: &str,
    ) {
        debug_assert!(valid_name(name), "invalid metric name {name}");
        if !self.families.contains(&name) {
            self.families.push(name);
            let _ = writeln!(self.out, "# HELP {name} {}", escape_help(help));
            let _ = writeln!(self.out, "# TYPE {name} {}", kind.as_str());
        }
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                debug_assert!(valid_name(k), "invalid label name {k}");
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape_label(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }
}

/// Names of metrics and labels: `[a-zA-Z_][a-zA-Z0-9_]*` (no colons: those are for recording
/// rules).
fn valid_name(n: &str) -> bool {
    let mut chars = n.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

fn escape_help(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_and_type_once_per_family_then_samples() {
        let mut e = Exposition::new();
        e.counter("shynet_x_total", "Things.", &[("route", "pixel")], 3);
        e.counter("shynet_x_total", "Things.", &[("route", "script")], 4);
        e.gauge("shynet_depth", "Depth.", &[], 0.5);
        assert_eq!(
            e.finish(),
            "# HELP shynet_x_total Things.\n# TYPE shynet_x_total counter\n\
             shynet_x_total{route=\"pixel\"} 3\nshynet_x_total{route=\"script\"} 4\n\
             # HELP shynet_depth Depth.\n# TYPE shynet_depth gauge\nshynet_depth 0.5\n"
        );
    }

    #[test]
    fn escapes_label_values_and_help() {
        let mut e = Exposition::new();
        e.gauge("shynet_g", "a\\b\nc", &[("k", "q\"\\\n")], f64::NAN);
        assert_eq!(
            e.finish(),
            "# HELP shynet_g a\\\\b\\nc\n# TYPE shynet_g gauge\nshynet_g{k=\"q\\\"\\\\\\n\"} NaN\n"
        );
    }

    #[test]
    fn names_follow_the_format() {
        assert!(valid_name("shynet_ingest_requests_total"));
        assert!(!valid_name("1abc") && !valid_name("a-b") && !valid_name("a:b") && !valid_name(""));
    }
}
