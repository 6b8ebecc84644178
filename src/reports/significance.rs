//! Whether a change between two windows is larger than chance, for trends.
//!
//! - The index: Welch's t test on the difference of the two means, with their
//!   finite-population corrected standard errors and the Welch–Satterthwaite degrees of
//!   freedom `(a + b)² / (a²/(n₁ − 1) + b²/(n₂ − 1))`, `a = se₁²`, `b = se₂²`.
//! - Shares: the two-proportion z test (Wald, unpooled) on the difference, with each share's
//!   finite-population corrected standard error, Cochran's unbiased `(1 − f)·p(1 − p)/(n − 1)`.
//! - Two censuses (everyone eligible answered both windows) have no sampling error: their
//!   difference is the populations' own, so any difference is reported with p = 0 and none
//!   with p = 1. Both are then sums of whole numbers of students, so "any difference" is a
//!   difference of at least one student's answer.
//! - Both treat the two windows as independent samples. Mostly the same students answer both,
//!   and one student's answers in two terms are positively correlated, so the true variance of
//!   a change is smaller than the sum used here: the tests are conservative (they find fewer
//!   changes than a paired analysis of the same students would), never the other way round.
//! - A trend tests many changes at once (every indicator, every pair of consecutive windows,
//!   index and share), so the p-values are adjusted with the Benjamini–Hochberg procedure
//!   (Benjamini & Hochberg 1995), which keeps the expected share of false discoveries among the
//!   changes called significant at [`FALSE_DISCOVERY_RATE`].

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// The false discovery rate that Benjamini–Hochberg controls over one trend's changes.
pub const FALSE_DISCOVERY_RATE: f64 = 0.05;

/// One side of a comparison: an estimate, its standard error and its number of respondents.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub se: f64,
    pub n: u64,
}

/// Two-sided p-value of Welch's t test for `after − before` (means).
pub fn welch_p(before: Estimate, after: Estimate) -> Option<f64> {
    if before.n < 2 || after.n < 2 {
        return None;
    }
    let (a, b) = (before.se * before.se, after.se * after.se);
    let diff = after.value - before.value;
    if a + b == 0.0 {
        // Two censuses: the difference is the populations' own.
        return Some(if diff == 0.0 { 1.0 } else { 0.0 });
    }
    let t = diff / (a + b).sqrt();
    let df = (a + b).powi(2) / (a * a / (before.n - 1) as f64 + b * b / (after.n - 1) as f64);
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    Some((2.0 * (1.0 - dist.cdf(t.abs()))).clamp(0.0, 1.0))
}

/// Two-sided p-value of the two-proportion z test for `after − before` (shares, 0–1).
pub fn two_proportion_p(before: Estimate, after: Estimate) -> Option<f64> {
    if before.n == 0 || after.n == 0 {
        return None;
    }
    let variance = before.se * before.se + after.se * after.se;
    let diff = after.value - before.value;
    if variance == 0.0 {
        return Some(if diff == 0.0 { 1.0 } else { 0.0 });
    }
    let z = diff / variance.sqrt();
    let normal = Normal::standard();
    Some((2.0 * (1.0 - normal.cdf(z.abs()))).clamp(0.0, 1.0))
}

/// Benjamini–Hochberg adjusted p-values (q-values), in the order given: `q₍ᵢ₎ = min over
/// j ≥ i of (m/j)·p₍ⱼ₎`, capped at 1, with `p₍₁₎ ≤ … ≤ p₍ₘ₎`. A change is significant when its
/// q-value is at most the false discovery rate.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|a, b| p[*a].total_cmp(&p[*b]));
    let mut q = vec![0.0; m];
    let mut running = 1.0_f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        q[i] = running.min(1.0);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn benjamini_hochberg_matches_the_reference_implementation() {
        // statsmodels: multipletests([0.01, 0.04, 0.03, 0.005, 0.2], method="fdr_bh")[1]
        //   = [0.025, 0.05, 0.05, 0.025, 0.2]
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005, 0.2]);
        for (got, want) in q.iter().zip([0.025, 0.05, 0.05, 0.025, 0.2]) {
            assert!(close(*got, want, 1e-12), "{q:?}");
        }
        // Benjamini & Hochberg (1995), section 4: of their 15 p-values, the four smallest are
        // rejected at q = 0.05.
        let paper = [
            0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262,
            0.5719, 0.6528, 0.7590, 1.000,
        ];
        let q = benjamini_hochberg(&paper);
        let rejected = q.iter().filter(|q| **q <= FALSE_DISCOVERY_RATE).count();
        assert_eq!(rejected, 4, "{q:?}");
        assert!(benjamini_hochberg(&[]).is_empty());
    }

    #[test]
    fn welch_matches_a_hand_computation() {
        // se² 0.01 and 0.04: t = 0.3 / √0.05 = 1.3416408; df = 0.0025 / (0.0001/49 +
        // 0.0016/29) = 43.696187; scipy 1.x: 2 * scipy.stats.t.sf(1.3416408, 43.696187)
        // = 0.18664362.
        let p = welch_p(
            Estimate {
                value: 3.5,
                se: 0.1,
                n: 50,
            },
            Estimate {
                value: 3.8,
                se: 0.2,
                n: 30,
            },
        )
        .unwrap();
        assert!(close(p, 0.186_643_62, 1e-6), "{p}");
    }

    #[test]
    fn two_proportions_match_the_normal_distribution() {
        // z = 0.1 / √(0.03² + 0.04²) = 2: p = 2·(1 − Φ(2)) = 0.0455003.
        let p = two_proportion_p(
            Estimate {
                value: 0.5,
                se: 0.03,
                n: 200,
            },
            Estimate {
                value: 0.6,
                se: 0.04,
                n: 150,
            },
        )
        .unwrap();
        assert!(close(p, 0.045_500_26, 1e-6), "{p}");
    }
}
