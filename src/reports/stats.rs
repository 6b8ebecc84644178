//! The statistics of a report row and how they are published.
//!
//! - **Intervals** describe how far a figure could be from that of all the eligible students of
//!   its cell or margin, had a different subset of them answered; they say nothing of
//!   non-response bias, which the `low_response` flag warns of instead.
//!   - Means (1–5) come with a 95% interval from Student's t on the logit of the scale
//!     position, finite-population corrected, with a floor on the spread ([`mean_interval`]):
//!     inside the scale's bounds, wide at small n, never zero-width at unanimity.
//!   - Shares (favorable, victimized) come with a 95% Wilson score interval at the effective
//!     sample size of a finite population ([`wilson_in`]), which stays inside 0–100% and
//!     behaves at small n and near 0% or 100%, unlike the normal approximation.
//! - Whether a number is too telling is decided on counts, not on rounded percentages (the
//!   threshold rule with the "n − 1" group-disclosure rule of statistical disclosure control:
//!   a published value must not imply that all, or all but one, members of a group gave one
//!   answer):
//!   - a share of `h` hits among `n` is sensitive when `h ≤ L(n)` or `n − h ≤ L(n)`, where
//!     `L(n) = max(1, ⌊n / 20⌋)` — that is `h ≤ 1`, `h ≥ n − 1`, `h/n ≤ 5%` or `h/n ≥ 95%`
//!     ([`share_sensitive`]). It is shown at most as the coarse category [`coarse_share`]:
//!     "<=X" with `X = ⌈1000·L(n)/n⌉/10` (true for every `h ≤ L(n)`, so it admits at least the
//!     two counts 0 and 1) or ">=Y" with `Y = ⌊1000·(n − L(n))/n⌋/10`, never with an interval;
//!   - a mean is sensitive when `n ≤ 1`, when the respondents are unanimous or all but one
//!     unanimous with that one a score step away (their sum of squared deviations
//!     `Σx² − (Σx)²/n` is at most `step²·(n − 1)/n`, up to rounding bounded by `64·ε·n·Σx²`), or
//!     when their total distance from the top (`5n − Σx`) or the bottom (`Σx − n`) of the
//!     scale is at most two score steps, where a score step is the smallest non-zero distance
//!     of one respondent's score from an end of the scale (1 ÷ items, 4 ÷ items for yes/no
//!     items): below two steps at most one respondent can differ from the extreme answer
//!     ([`mean_sensitive`]);
//!   - an item's answer counts are sensitive when one option holds all or all but one of the
//!     answers (`max + 1 ≥ answered`), or fewer than the minimum cell size answered
//!     ([`distribution_sensitive`]).
//! - Sensitive values are not merely blanked where they occur: the report marks them and
//!   complementary suppression hides enough other values that none can be recovered (see
//!   `climate` and `disclosure`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::surveys::vocab::Scale;

/// Two-sided 95% quantile of the standard normal distribution.
pub const Z_975: f64 = 1.959_963_984_540_054;

/// Shares at or beyond these percentages are coarsened.
pub const COARSE_LOW: f64 = 5.0;
pub const COARSE_HIGH: f64 = 95.0;

/// Running sums of one indicator over respondents. Additive, so a school's or the district's
/// sums are the merged sums of its cells (up to floating-point rounding of `sum` and `sum_sq`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Sums {
    /// Respondents with a score: a value, a flag or both. Scale indicators give every scored
    /// respondent a flag and most a value too; bullying victimization only a flag, so its
    /// `sum`s stay 0.
    pub n: u64,
    /// Respondents with a value (scale indicators: those who answered a 5-point item), whom
    /// `sum` and `sum_sq` add up. Absent from aggregates stored before scoring rules
    /// 2026-12-06.1, when every scored respondent had a value (`with_legacy_values`).
    #[serde(default)]
    pub valued: u64,
    pub sum: f64,
    pub sum_sq: f64,
    /// Respondents flagged: favorable, or victimized.
    pub hits: u64,
}

impl Sums {
    pub fn add(&mut self, value: Option<f64>, hit: Option<bool>) {
        if value.is_none() && hit.is_none() {
            return;
        }
        self.n += 1;
        if let Some(v) = value {
            self.valued += 1;
            self.sum += v;
            self.sum_sq += v * v;
        }
        if hit == Some(true) {
            self.hits += 1;
        }
    }

    pub fn merge(&mut self, other: &Sums) {
        self.n += other.n;
        self.valued += other.valued;
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
        self.hits += other.hits;
    }

    /// Sums stored before `valued` existed, when every scored respondent of a scale indicator
    /// had a value: `valued` is then `n`.
    pub fn with_legacy_values(mut self) -> Sums {
        if self.valued == 0 && self.sum > 0.0 {
            self.valued = self.n;
        }
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanCi {
    pub mean: f64,
    pub low: f64,
    pub high: f64,
    /// The standard error of the mean (finite-population corrected), on the 1–5 scale.
    pub se: f64,
    /// Respondents the mean is over.
    pub n: u64,
}

/// The share of a population of `population` that `n` respondents are (`f = n/N`, at most 1);
/// 0 when the population is not known (`population` 0), which leaves intervals uncorrected.
fn sampled_fraction(n: u64, population: u64) -> f64 {
    if population == 0 {
        0.0
    } else {
        (n as f64 / population as f64).min(1.0)
    }
}

/// The mean of a scale indicator (1–5) with its 95% interval (module documentation,
/// "Intervals"): `None` below two respondents with a value. `step` is the indicator's score
/// step (`score_step`), `population` the eligible students the respondents are drawn from.
///
/// - standard error `se = √((1 − f) · s² / n)` with `f = n/N` (the finite population
///   correction, Cochran 1977, theorem 2.2) and `s² = max(sample variance, step²/n)`: never
///   less spread than a sample where one respondent answered one step differently, so
///   unanimous answers do not claim perfect precision;
/// - the interval is Student's t (n − 1 degrees of freedom) on the logit of the scale position
///   `u = (mean − 1)/4`, with the delta-method standard error `se / (4·u·(1 − u))`, mapped back:
///   `1 + 4·expit(logit(u) ± t·se/(4u(1 − u)))`. It stays inside 1–5 and is asymmetric near
///   an end, as the logit interval for proportions near 0 or 1 is (NCES Statistical Standards,
///   2012, standard 5-1). A mean at an end is moved in by a quarter of a step first; such means
///   are never published (`mean_sensitive`).
pub fn mean_interval(s: &Sums, population: u64, step: f64) -> Option<MeanCi> {
    let n = s.valued;
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let mean = s.sum / nf;
    // Rounding can take a zero spread slightly below zero.
    let variance = ((s.sum_sq - s.sum * mean) / (nf - 1.0)).max(0.0);
    let variance = variance.max(step * step / nf);
    let se = ((1.0 - sampled_fraction(n, population)) * variance / nf).sqrt();
    if se == 0.0 {
        // A census: the population's mean is known exactly.
        return Some(MeanCi {
            mean,
            low: mean,
            high: mean,
            se,
            n,
        });
    }
    let edge = step / (4.0 * 4.0 * nf);
    let u = ((mean - 1.0) / 4.0).clamp(edge, 1.0 - edge);
    let logit = (u / (1.0 - u)).ln();
    let half = t_975(n - 1) * se / (4.0 * u * (1.0 - u));
    let back = |x: f64| 1.0 + 4.0 / (1.0 + (-x).exp());
    Some(MeanCi {
        mean,
        low: back(logit - half),
        high: back(logit + half),
        se,
        n,
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proportion {
    pub p: f64,
    pub low: f64,
    pub high: f64,
    /// The standard error of `p` (finite-population corrected).
    pub se: f64,
    /// Respondents the share is over.
    pub n: u64,
}

/// `hits / n` with its 95% Wilson score interval (Wilson 1927; Newcombe 1998, method 3);
/// `None` when `n` is 0 (or `hits` exceeds it). Without a known population.
pub fn wilson(hits: u64, n: u64) -> Option<Proportion> {
    wilson_in(hits, n, 0)
}

/// `hits / n` of respondents drawn from `population` eligible students, with its 95% Wilson
/// score interval at the effective sample size `n* = n·(N − 1)/(N − n)`: the variance of a
/// share sampled without replacement is `(N − n)/(N − 1) · p(1 − p)/n` (Cochran 1977, theorem
/// 3.2), and Wilson's interval is taken at the `n*` whose binomial variance equals it (the
/// effective-sample-size approach of Korn & Graubard 1998). It stays inside 0–100% and behaves
/// at small n and at 0 or n hits. When everyone eligible answered (`n ≥ N`) the share is the
/// population's and the interval is the point.
pub fn wilson_in(hits: u64, n: u64, population: u64) -> Option<Proportion> {
    if n == 0 || hits > n {
        return None;
    }
    let nf = n as f64;
    let p = hits as f64 / nf;
    let f = sampled_fraction(n, population);
    if f >= 1.0 {
        return Some(Proportion {
            p,
            low: p,
            high: p,
            se: 0.0,
            n,
        });
    }
    let correction = if population > 1 {
        (population - n) as f64 / (population - 1) as f64
    } else {
        1.0
    };
    let n_eff = nf / correction;
    let z2 = Z_975 * Z_975;
    let denominator = 1.0 + z2 / n_eff;
    let center = (p + z2 / (2.0 * n_eff)) / denominator;
    let half = Z_975 / denominator * (p * (1.0 - p) / n_eff + z2 / (4.0 * n_eff * n_eff)).sqrt();
    // At 0 and n the bounds are exactly 0 and 1; rounding would leave a trace instead.
    let low = if hits == 0 {
        0.0
    } else {
        (center - half).max(0.0)
    };
    let high = if hits == n {
        1.0
    } else {
        (center + half).min(1.0)
    };
    Some(Proportion {
        p,
        low,
        high,
        se: (p * (1.0 - p) / n_eff).sqrt(),
        n,
    })
}

/// Cells whose response rate is below this percentage are flagged `low_response`: the
/// threshold under which the CDC's Youth Risk Behavior Survey does not weight (and so does not
/// report as representative) a school or district's results; below it non-response can bias a
/// figure by more than its interval shows.
pub const LOW_RESPONSE_BELOW: f64 = 60.0;

/// Two-sided 95% critical values of Student's t for 1–30 degrees of freedom.
const T_975: [f64; 30] = [
    12.706_205, 4.302_653, 3.182_446, 2.776_445, 2.570_582, 2.446_912, 2.364_624, 2.306_004,
    2.262_157, 2.228_139, 2.200_985, 2.178_813, 2.160_369, 2.144_787, 2.131_450, 2.119_905,
    2.109_816, 2.100_922, 2.093_024, 2.085_963, 2.079_614, 2.073_873, 2.068_658, 2.063_899,
    2.059_539, 2.055_529, 2.051_831, 2.048_407, 2.045_230, 2.042_272,
];

/// The two-sided 95% critical value of Student's t with `df` degrees of freedom (infinite for
/// 0). Tabulated to 30; beyond, the Cornish–Fisher expansion around the normal quantile
/// (Abramowitz & Stegun 26.7.5), which is within 1e-7 there.
pub fn t_975(df: u64) -> f64 {
    match df {
        0 => f64::INFINITY,
        1..=30 => T_975[df as usize - 1],
        _ => {
            let (z, v) = (Z_975, df as f64);
            let z2 = z * z;
            let g1 = (z2 + 1.0) * z / 4.0;
            let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
            let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
            let g4 =
                ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92_160.0;
            z + (g1 + (g2 + (g3 + g4 / v) / v) / v) / v
        }
    }
}

/// Whether `hits` of `n` is too telling to publish exactly (module rules): `n` is 0, or the
/// hits or the misses number at most `max(1, ⌊n/20⌋)`.
pub fn share_sensitive(hits: u64, n: u64) -> bool {
    let l = (n / 20).max(1);
    n == 0 || hits <= l || n.saturating_sub(hits) <= l
}

/// The coarse category a sensitive share is published as: "<=X" when the hits are at most
/// `L = max(1, ⌊n/20⌋)`, else ">=Y" (the misses are at most `L`); X is rounded up and Y down
/// to a tenth, so the display is true for every count of its category, and each category
/// holds at least two counts (0 and 1 hits, or n − 1 and n).
pub fn coarse_share(hits: u64, n: u64) -> Percent {
    let n1 = n.max(1);
    let l = (n1 / 20).max(1);
    let display = if hits <= l {
        let tenths = (1000 * l).div_ceil(n1).min(1000);
        format!("<={}.{}", tenths / 10, tenths % 10)
    } else {
        let tenths = 1000 * (n1 - l.min(n1)) / n1;
        format!(">={}.{}", tenths / 10, tenths % 10)
    };
    Percent {
        value: None,
        display,
        coarsened: true,
        low: None,
        high: None,
    }
}

/// The smallest non-zero distance of one respondent's index from either end of the 1–5 scale,
/// for a scale indicator whose items have these scales: one answer one option away, averaged
/// over the indicator's 5-point items (yes/no items are not in the index, `surveys::scoring`).
pub fn score_step(scales: &[Scale]) -> f64 {
    let five_point = scales.iter().filter(|s| **s != Scale::YesNo).count();
    if five_point == 0 {
        return 1.0;
    }
    1.0 / five_point as f64
}

/// Whether a scale indicator's mean (and its interval) is too telling to publish (module
/// rules): one respondent or none, respondents unanimous or all but one of them unanimous with
/// that one a single score step away (their sum of squared deviations is below one step²,
/// `step²·(n − 1)/n` at most: exactly where `mean_interval`'s spread floor applies, so the
/// interval would tell it), or at most one respondent away from the top or the bottom of the
/// scale.
pub fn mean_sensitive(s: &Sums, step: f64) -> bool {
    if s.valued <= 1 {
        return true;
    }
    let n = s.valued as f64;
    let squares = s.sum_sq - s.sum * s.sum / n;
    // Summing n equal scores in floating point errs by at most a few n·ε relative.
    let rounding = 64.0 * f64::EPSILON * n * s.sum_sq.max(1.0);
    let unanimous = squares <= step * step * (n - 1.0) / n + rounding;
    let slack = 1e-9 * n;
    let near_top = 5.0 * n - s.sum <= 2.0 * step + slack;
    let near_bottom = s.sum - n <= 2.0 * step + slack;
    unanimous || near_top || near_bottom
}

/// Whether an item's answer counts are too telling to publish: fewer than `k` answered, or one
/// option holds all or all but one of the answers.
pub fn distribution_sensitive(counts: &[(i32, u64)], k: u64) -> bool {
    let n: u64 = counts.iter().map(|(_, c)| c).sum();
    let largest = counts.iter().map(|(_, c)| *c).max().unwrap_or(0);
    n < k || largest + 1 >= n
}

/// A percentage (0–100) as published: exact, or coarsened to a category when its count is
/// sensitive (at most max(1, ⌊n/20⌋) hits or misses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Percent {
    /// Rounded to 0.1; null when coarsened.
    pub value: Option<f64>,
    /// "37.5"; when coarsened, a bound true for every count of its category: "<=X" (at most
    /// max(1, ⌊n/20⌋) hits, which is at most X percent) or ">=Y" (at most that many misses).
    pub display: String,
    pub coarsened: bool,
    /// The 95% interval in percent, rounded to 0.1; null when coarsened, where a bound of 0 or
    /// 100 would give the value away.
    pub low: Option<f64>,
    pub high: Option<f64>,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// How `prop` is published.
pub fn percent(prop: &Proportion) -> Percent {
    // Shares are hits / n, so one within 1e-9 of a threshold is on it (5% can come out as
    // 5.000000000000001); a real share that close to it would need n beyond 10^9.
    const EPS: f64 = 1e-9;
    let pct = prop.p * 100.0;
    let coarse = |display: &str| Percent {
        value: None,
        display: display.to_owned(),
        coarsened: true,
        low: None,
        high: None,
    };
    if pct <= COARSE_LOW + EPS {
        coarse("<5")
    } else if pct >= COARSE_HIGH - EPS {
        coarse(">95")
    } else {
        let value = round1(pct);
        Percent {
            value: Some(value),
            display: format!("{value:.1}"),
            coarsened: false,
            low: Some(round1(prop.low * 100.0)),
            high: Some(round1(prop.high * 100.0)),
        }
    }
}

/// An item's answers as published: counts per option, unless coarsened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Distribution {
    /// Respondents who answered the item.
    pub n: u64,
    /// Null when coarsened.
    pub counts: Option<Vec<OptionCount>>,
    /// One option holds all or all but one of the answers (or nobody answered).
    pub coarsened: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OptionCount {
    #[schema(minimum = 1, maximum = 5)]
    pub value: i32,
    pub count: u64,
}

/// How an item's `(option value, count)` pairs are published, in the order given.
pub fn distribution(counts: &[(i32, u64)]) -> Distribution {
    let n: u64 = counts.iter().map(|(_, c)| c).sum();
    let largest = counts.iter().map(|(_, c)| *c).max().unwrap_or(0);
    let coarsened = largest + 1 >= n;
    Distribution {
        n,
        counts: (!coarsened).then(|| {
            counts
                .iter()
                .map(|&(value, count)| OptionCount { value, count })
                .collect()
        }),
        coarsened,
    }
}

#[cfg(test)]
mod tests;
