//! Differential privacy for shared figures: the two-sided geometric (discrete Laplace)
//! mechanism, with noise fixed per (link, window, cell).
//!
//! A count `c` is released as `c + Z`, where `P(Z = z) = (1 − p)/(1 + p) · p^|z|` and
//! `p = e^−ε`. For a count that one unit (one visitor-day, one session, one hit) changes by at
//! most 1, this is ε-differentially private. Released counts below [`SUPPRESS_BELOW`] are
//! withheld (a post-processing step on the noised value, so it costs no privacy).
//!
//! Noise is not drawn from a fresh random generator on each request: reloading would then
//! give independent draws whose average converges on the true count. Instead each cell's two
//! uniform variates come from HMAC-SHA256 keyed with the link's secret over the window and the
//! cell's name, so the same question always gets the same answer, and a viewer, who knows the
//! link's token but never its key, cannot recompute the noise.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Released counts below this are suppressed (shown as withheld, not as a number).
pub const SUPPRESS_BELOW: i64 = 5;
/// Smallest ε a link may use (more noise than this makes every figure useless).
pub const MIN_EPSILON: f64 = 0.01;
/// Largest ε a link may use (beyond this the noise no longer protects anything).
pub const MAX_EPSILON: f64 = 10.0;

/// Why an ε is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EpsilonError {
    /// Not a number.
    #[error("epsilon must be a number such as 1 or 0.5")]
    NotANumber,
    /// Outside the accepted range.
    #[error("epsilon must be between {MIN_EPSILON} and {MAX_EPSILON}")]
    OutOfRange,
}

/// Parses and checks an ε as an owner types it.
pub fn parse_epsilon(s: &str) -> Result<f64, EpsilonError> {
    let e: f64 = s.trim().parse().map_err(|_| EpsilonError::NotANumber)?;
    if !e.is_finite() || !(MIN_EPSILON..=MAX_EPSILON).contains(&e) {
        return Err(EpsilonError::OutOfRange);
    }
    Ok(e)
}

/// The variance of the two-sided geometric noise at `epsilon`: `2p / (1 − p)²`, `p = e^−ε`.
pub fn variance(epsilon: f64) -> f64 {
    let p = (-epsilon).exp();
    2.0 * p / ((1.0 - p) * (1.0 - p))
}

/// One draw of two-sided geometric noise with parameter `p = e^−ε` from two uniform variates
/// in (0, 1]: the difference of two geometric variables (failures before a success of
/// probability `1 − p`), each by inversion of its distribution function.
pub fn two_sided_geometric(epsilon: f64, u1: f64, u2: f64) -> i64 {
    let ln_p = -epsilon;
    let g = |u: f64| -> i64 { (u.ln() / ln_p).floor() as i64 };
    g(u1) - g(u2)
}

/// Maps 8 bytes to a uniform variate in (0, 1]: 53 random bits, never 0 (whose logarithm is
/// infinite).
fn unit(b: &[u8]) -> f64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    let bits = u64::from_le_bytes(a) >> 11;
    (bits as f64 + 1.0) / (1u64 << 53) as f64
}

/// The mechanism of one share link.
#[derive(Clone)]
pub struct Mechanism {
    key: Vec<u8>,
    epsilon: f64,
}

impl std::fmt::Debug for Mechanism {
    /// Never prints the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mechanism")
            .field("epsilon", &self.epsilon)
            .finish_non_exhaustive()
    }
}

impl Mechanism {
    /// The mechanism with the link's secret `key` at `epsilon` (checked by [`parse_epsilon`]).
    pub fn new(key: &[u8], epsilon: f64) -> Mechanism {
        Mechanism {
            key: key.to_vec(),
            epsilon,
        }
    }

    /// The link's ε.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The noise of one cell: the same for the same (key, window, cell), independent across
    /// cells.
    pub fn noise(&self, window: &str, cell: &str) -> i64 {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            unreachable!("HMAC takes keys of any length")
        };
        mac.update(window.as_bytes());
        mac.update(&[0]);
        mac.update(cell.as_bytes());
        let d = mac.finalize().into_bytes();
        two_sided_geometric(self.epsilon, unit(&d[..8]), unit(&d[8..16]))
    }

    /// A count as released: noised, floored at 0, and `None` (suppressed) when the noised value
    /// is below [`SUPPRESS_BELOW`].
    pub fn count(&self, window: &str, cell: &str, true_count: i64) -> Option<i64> {
        let v = true_count.saturating_add(self.noise(window, cell));
        (v >= SUPPRESS_BELOW).then_some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(m: &Mechanism, n: usize) -> Vec<i64> {
        (0..n)
            .map(|i| m.noise("2026-01-01..2026-01-31", &format!("cell{i}")))
            .collect()
    }

    fn mean_var(xs: &[i64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<i64>() as f64 / n;
        let var = xs.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var)
    }

    /// Mean ≈ 0 and variance ≈ 2e^−ε/(1 − e^−ε)² over many cells, for several ε; the
    /// tolerances are several standard errors wide, so a correct mechanism passes with
    /// overwhelming probability and the fixed key makes the run reproducible.
    #[test]
    fn noise_has_the_calibrated_distribution() {
        for eps in [0.1, 0.5, 1.0, 2.0] {
            let m = Mechanism::new(b"seeded test key", eps);
            let n = 40_000;
            let xs = draws(&m, n);
            let (mean, var) = mean_var(&xs);
            let want = variance(eps);
            let se_mean = (want / n as f64).sqrt();
            assert!(mean.abs() < 5.0 * se_mean, "ε={eps}: mean {mean}");
            assert!(
                (var / want - 1.0).abs() < 0.08,
                "ε={eps}: variance {var}, want {want}"
            );
            // Symmetric: P(Z = 0) = (1 − p)/(1 + p).
            let p = (-eps).exp();
            let zero = xs.iter().filter(|&&x| x == 0).count() as f64 / n as f64;
            assert!(
                (zero - (1.0 - p) / (1.0 + p)).abs() < 0.015,
                "ε={eps}: P(0) {zero}"
            );
        }
    }

    #[test]
    fn noise_is_fixed_per_cell_and_key() {
        let m = Mechanism::new(b"k1", 0.5);
        let again = Mechanism::new(b"k1", 0.5);
        let other = Mechanism::new(b"k2", 0.5);
        let a = draws(&m, 200);
        assert_eq!(a, draws(&again, 200), "reloading must not change the noise");
        assert_ne!(a, draws(&other, 200), "another link draws other noise");
        assert_ne!(m.noise("w1", "hits"), m.noise("w1", "sessions") + 1_000_000);
        // Another window is another release.
        let w2: Vec<i64> = (0..200)
            .map(|i| m.noise("w2", &format!("cell{i}")))
            .collect();
        assert_ne!(a, w2);
    }

    #[test]
    fn small_counts_are_suppressed() {
        let m = Mechanism::new(b"seeded test key", 1.0);
        let n = 10_000;
        // A true zero is released (noise ≥ 5) with probability p^5/(1 + p): about 0.5 % at ε = 1.
        let zeros = (0..n)
            .filter(|i| m.count("w", &format!("z{i}"), 0).is_some())
            .count() as f64
            / n as f64;
        let p = (-1.0f64).exp();
        assert!((zeros - p.powi(5) / (1.0 + p)).abs() < 0.004, "{zeros}");
        // Large counts pass, noised, never below the threshold.
        let big: Vec<Option<i64>> = (0..1000)
            .map(|i| m.count("w", &format!("b{i}"), 1000))
            .collect();
        assert!(big.iter().all(|v| v.is_some_and(|v| v >= SUPPRESS_BELOW)));
        assert!(big.iter().any(|v| *v != Some(1000)), "counts are noised");
        assert!((0..1000).all(|i| m.count("w", &format!("s{i}"), 2).is_none_or(|v| v >= 5)));
    }

    #[test]
    fn epsilon_is_checked() {
        assert_eq!(parse_epsilon(" 0.5 "), Ok(0.5));
        assert_eq!(parse_epsilon("abc"), Err(EpsilonError::NotANumber));
        assert_eq!(parse_epsilon("0"), Err(EpsilonError::OutOfRange));
        assert_eq!(parse_epsilon("NaN"), Err(EpsilonError::OutOfRange));
        assert_eq!(parse_epsilon("inf"), Err(EpsilonError::OutOfRange));
        assert_eq!(parse_epsilon("11"), Err(EpsilonError::OutOfRange));
        assert!(format!("{:?}", Mechanism::new(b"secret", 1.0))
            .find("secret")
            .is_none());
    }

    #[test]
    fn unit_variates_stay_in_range() {
        assert!(unit(&[0; 8]) > 0.0);
        assert!(unit(&[0xff; 8]) <= 1.0);
        assert_eq!(two_sided_geometric(1.0, 1.0, 1.0), 0);
    }
}
