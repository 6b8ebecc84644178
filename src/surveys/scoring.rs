//! How answers become indicator scores. The one place these rules live; the README documents them.
//!
//! - Every answer is first put on a 1–5 scale where higher is better: agreement and frequency
//!   values as given, `yes_no` as No = 1, Yes = 5; then reverse-scored items are flipped (6 − v).
//!   Frequency items are only used by bullying victimization, where higher is worse (see below).
//! - Scale indicators (belonging, safety, emotion regulation, trusted adult, peer support): the
//!   respondent's score is the mean of their answered items of that indicator (1–5), and the
//!   respondent is *favorable* when that mean is at least 4 (the top two of five on average).
//! - Bullying victimization: a respondent is *victimized* when any answered victimization item is
//!   "once or twice" or more often (value ≥ 2) in the reference period.
//! - An indicator with no answered item has no score for that respondent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::vocab::{Indicator, Scale};

/// Changes whenever a rule above changes; stored with every response and shown in reports.
pub const SCORING_RULES_VERSION: &str = "2026-11-27.1";

pub const FAVORABLE_AT: f64 = 4.0;
pub const VICTIMIZED_AT: i32 = 2;

/// One respondent's score on one indicator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IndicatorScore {
    /// Mean of the respondent's items on 1–5 (scale indicators only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// Mean ≥ 4 (scale indicators only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub favorable: Option<bool>,
    /// Any victimization reported (bullying victimization only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub victimized: Option<bool>,
}

/// What scoring needs to know about an item.
pub struct ScoredItem {
    pub scale: Scale,
    pub indicator: Indicator,
    pub reverse_scored: bool,
}

/// A 1–5 value where higher is better, before reverse scoring.
fn on_five(scale: Scale, value: i32) -> f64 {
    match scale {
        Scale::YesNo => {
            if value == 2 {
                5.0
            } else {
                1.0
            }
        }
        _ => f64::from(value),
    }
}

pub fn score(answers: &[(&ScoredItem, i32)]) -> BTreeMap<Indicator, IndicatorScore> {
    let mut sums: BTreeMap<Indicator, (f64, u32)> = BTreeMap::new();
    let mut victimized: Option<bool> = None;
    for (item, value) in answers {
        if item.indicator == Indicator::BullyingVictimization {
            let hit = *value >= VICTIMIZED_AT && item.scale == Scale::Frequency5
                || item.scale == Scale::YesNo && *value == 2;
            victimized = Some(victimized.unwrap_or(false) || hit);
            continue;
        }
        let v = on_five(item.scale, *value);
        let v = if item.reverse_scored { 6.0 - v } else { v };
        let entry = sums.entry(item.indicator).or_insert((0.0, 0));
        entry.0 += v;
        entry.1 += 1;
    }
    let mut scores: BTreeMap<Indicator, IndicatorScore> = sums
        .into_iter()
        .map(|(indicator, (sum, n))| {
            let mean = sum / f64::from(n);
            (
                indicator,
                IndicatorScore {
                    mean: Some(mean),
                    favorable: Some(mean >= FAVORABLE_AT),
                    victimized: None,
                },
            )
        })
        .collect();
    if let Some(v) = victimized {
        scores.insert(
            Indicator::BullyingVictimization,
            IndicatorScore {
                mean: None,
                favorable: None,
                victimized: Some(v),
            },
        );
    }
    scores
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(scale: Scale, indicator: Indicator, reverse_scored: bool) -> ScoredItem {
        ScoredItem {
            scale,
            indicator,
            reverse_scored,
        }
    }

    #[test]
    fn scale_means_reverse_score_and_count_yes_as_five() {
        let agree = item(Scale::Agreement5, Indicator::Belonging, false);
        let outsider = item(Scale::Agreement5, Indicator::Belonging, true);
        let adult = item(Scale::YesNo, Indicator::TrustedAdult, false);
        let scores = score(&[(&agree, 5), (&outsider, 2), (&adult, 2)]);
        // (5 + (6 - 2)) / 2 = 4.5
        assert_eq!(scores[&Indicator::Belonging].mean, Some(4.5));
        assert_eq!(scores[&Indicator::Belonging].favorable, Some(true));
        assert_eq!(scores[&Indicator::TrustedAdult].mean, Some(5.0));
        assert!(!scores.contains_key(&Indicator::Safety));
    }

    #[test]
    fn favorable_starts_at_a_mean_of_four() {
        let a = item(Scale::Agreement5, Indicator::Safety, false);
        assert_eq!(
            score(&[(&a, 4), (&a, 4)])[&Indicator::Safety].favorable,
            Some(true)
        );
        assert_eq!(
            score(&[(&a, 4), (&a, 3)])[&Indicator::Safety].favorable,
            Some(false)
        );
    }

    #[test]
    fn any_victimization_at_once_or_twice_or_more_counts() {
        let v = item(Scale::Frequency5, Indicator::BullyingVictimization, false);
        let never = score(&[(&v, 1), (&v, 1)]);
        assert_eq!(
            never[&Indicator::BullyingVictimization].victimized,
            Some(false)
        );
        let once = score(&[(&v, 1), (&v, 2)]);
        assert_eq!(
            once[&Indicator::BullyingVictimization].victimized,
            Some(true)
        );
        assert_eq!(once[&Indicator::BullyingVictimization].mean, None);
    }
}
