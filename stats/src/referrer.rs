//! The owner's referrer-hiding pattern, compiled with explicit bounds. The pattern is text an
//! owner (or a collaborator with edit rights) types into a form, and it is compiled on every
//! service page view, so both its length and the size of the compiled automaton are capped:
//! a pattern like `(a{1000}){1000}` is refused instead of costing seconds of CPU and megabytes
//! of memory per request.

use regex::{Regex, RegexBuilder};

/// Longest accepted pattern (bytes, after trimming).
pub const MAX_PATTERN_BYTES: usize = 1000;

/// Cap on the compiled program (bytes); `regex`'s own default is 10 MiB.
pub const COMPILED_SIZE_LIMIT: usize = 256 * 1024;

/// Cap on the lazy DFA's cache (bytes) while matching.
pub const DFA_SIZE_LIMIT: usize = 512 * 1024;

/// Why a pattern is refused (shown on the service form).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// Over [`MAX_PATTERN_BYTES`].
    #[error("The pattern is too long (1,000 characters at most).")]
    TooLong,
    /// Not a regular expression, or one whose compiled form is over the size limits.
    #[error("Not a valid regular expression: {0}")]
    Invalid(String),
}

/// Compiles `pattern` as every reader applies it: anchored at the start of the referrer
/// (Shynet's `re.match`). `Ok(None)` for an empty pattern (hide nothing).
///
/// Exists so the form's validation and every page view compile with the same bounds.
pub fn compile(pattern: &str) -> Result<Option<Regex>, PatternError> {
    let p = pattern.trim();
    if p.is_empty() {
        return Ok(None);
    }
    if p.len() > MAX_PATTERN_BYTES {
        return Err(PatternError::TooLong);
    }
    // Compile the bare pattern first: `^(?:…)` must not turn an unbalanced pattern such as
    // `a)|(b` into a valid one with a different meaning.
    builder(p)
        .build()
        .map_err(|e| PatternError::Invalid(e.to_string()))?;
    builder(&format!("^(?:{p})"))
        .build()
        .map(Some)
        .map_err(|e| PatternError::Invalid(e.to_string()))
}

/// The compiled pattern, or `None` when it is empty or refused (a refused pattern hides
/// nothing; the form never saves one).
pub fn compile_lenient(pattern: &str) -> Option<Regex> {
    compile(pattern).ok().flatten()
}

fn builder(p: &str) -> RegexBuilder {
    let mut b = RegexBuilder::new(p);
    b.size_limit(COMPILED_SIZE_LIMIT)
        .dfa_size_limit(DFA_SIZE_LIMIT)
        .nest_limit(64);
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn anchored_and_empty() {
        let re = compile(" https://spam\\.example ").unwrap().unwrap();
        assert!(re.is_match("https://spam.example/x"));
        assert!(!re.is_match("http://x/?r=https://spam.example"));
        assert!(compile("   ").unwrap().is_none());
    }

    #[test]
    fn refuses_huge_and_unbalanced_patterns_quickly() {
        for p in [
            "(a{1000}){1000}",
            "\\w{1000}\\w{1000}",
            "((((((((((((((((((((a{100}){100}){100})))))))))))))))))",
            "a)|(b",
            "[",
        ] {
            let started = Instant::now();
            assert!(compile(p).is_err(), "{p}");
            assert!(started.elapsed() < Duration::from_secs(2), "{p}");
        }
        assert_eq!(
            compile(&"a".repeat(1001)).err(),
            Some(PatternError::TooLong)
        );
        assert!(compile_lenient("(a{1000}){1000}").is_none());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let p = format!("{}a{}", "(".repeat(200), ")".repeat(200));
        assert!(compile(&p).is_err());
    }
}
