//! The statistics of a report row and how they are published.
//!
//! - Means come with a 95% confidence interval from Student's t with n − 1 degrees of freedom.
//! - Shares (favorable, victimized) come with a 95% Wilson score interval, which stays inside
//!   0–100% and behaves at small n and near 0% or 100%, unlike the normal approximation.
//! - A share of 5% or less, or 95% or more, is published only as "<5" or ">95", without its
//!   interval: near-unanimous answers in a small group say what almost every member answered.
//! - An item's answer counts are published only when no option holds all or all but one of
//!   the answers, for the same reason.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
    /// respondent both; bullying victimization only a flag, so its `sum`s stay 0.
    pub n: u64,
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
            self.sum += v;
            self.sum_sq += v * v;
        }
        if hit == Some(true) {
            self.hits += 1;
        }
    }

    pub fn merge(&mut self, other: &Sums) {
        self.n += other.n;
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
        self.hits += other.hits;
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanCi {
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

/// The mean with its 95% confidence interval (Student's t, n − 1 degrees of freedom); `None`
/// below two respondents, where there is no spread to estimate. Meaningful for indicators whose
/// scored respondents all have a value (the scale indicators).
pub fn mean_ci(s: &Sums) -> Option<MeanCi> {
    if s.n < 2 {
        return None;
    }
    let n = s.n as f64;
    let mean = s.sum / n;
    // Rounding can take a zero spread slightly below zero.
    let variance = ((s.sum_sq - s.sum * mean) / (n - 1.0)).max(0.0);
    let half = t_975(s.n - 1) * (variance / n).sqrt();
    Some(MeanCi {
        mean,
        low: mean - half,
        high: mean + half,
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proportion {
    pub p: f64,
    pub low: f64,
    pub high: f64,
}

/// `hits / n` with its 95% Wilson score interval; `None` when `n` is 0 (or `hits` exceeds it).
pub fn wilson(hits: u64, n: u64) -> Option<Proportion> {
    if n == 0 || hits > n {
        return None;
    }
    let nf = n as f64;
    let p = hits as f64 / nf;
    let z2 = Z_975 * Z_975;
    let denominator = 1.0 + z2 / nf;
    let center = (p + z2 / (2.0 * nf)) / denominator;
    let half = Z_975 / denominator * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
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
    Some(Proportion { p, low, high })
}

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

/// A percentage (0–100) as published: exact when strictly between 5 and 95, else coarsened.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Percent {
    /// Rounded to 0.1; null when coarsened.
    pub value: Option<f64>,
    /// "37.5", or "<5" / ">95" when coarsened.
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
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Distribution {
    /// Respondents who answered the item.
    pub n: u64,
    /// Null when coarsened.
    pub counts: Option<Vec<OptionCount>>,
    /// One option holds all or all but one of the answers (or nobody answered).
    pub coarsened: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OptionCount {
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
