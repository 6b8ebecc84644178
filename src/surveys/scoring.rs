//! How answers become indicator scores (scoring rules `2026-12-06.1`). The one place these rules
//! live; the README's "Indicators" section states them with their sources.
//!
//! - **Favorable answers.** An agreement (or frequency) item is favorable when its value after
//!   reverse scoring (6 − v for reverse-scored items) is 4 or 5, "Agree" or "Strongly agree": the
//!   top-two-box rule of percent-favorable reporting (Panorama Education's and the CORE
//!   Districts' school-climate reports). A `yes_no` item is favorable when "Yes" (or, reverse
//!   scored, "No").
//! - **Scale indicators** (belonging, safety, emotion regulation, trusted adult, peer support):
//!   - *favorable*: more than half of the respondent's answered items of the indicator are
//!     favorable (2 of 3, 3 of 4, 4 of 6). Those reports pool item answers; the rule counts
//!     students instead, so a share is a share of students, its interval is a binomial one and
//!     the small-cell rules apply to students. A "No" on the one yes/no item of three leaves a
//!     student favorable when the other two are favorable;
//!   - *index*: the mean of the respondent's answered 5-point items (after reverse scoring),
//!     1–5. Yes/no items stay out of it: placed at 1 and 5 they would dominate its spread.
//! - **Bullying victimization** (the Olweus Bullying Questionnaire's frequency scale and
//!   cut-off, Solberg & Olweus 2003):
//!   - *frequent victimization* (the headline): any victimization item answered "2–3 times a
//!     month" or more often (value ≥ 3) in the reference period;
//!   - *any victimization*: any item "once or twice" or more (value ≥ 2), or a victimization
//!     yes/no item answered "Yes" (which says nothing of frequency, so it never makes a
//!     student frequently victimized);
//!   - *per form* (physical, verbal, social, cyber): frequent victimization over the items of
//!     that form.
//! - An indicator with no answered item has no score for that respondent.

use std::collections::BTreeMap;

use super::vocab::{BullyingForm, Indicator, Scale};

/// Changes whenever a rule above changes; stored with each window's aggregates and shown in
/// its reports. Windows opened under an earlier version are scored again from their stored
/// answers (`reports::rescoring`).
pub const SCORING_RULES_VERSION: &str = "2026-12-06.1";

/// An agreement answer at or above this (after reverse scoring) is favorable.
pub const FAVORABLE_AT: i32 = 4;
/// The Olweus cut-off: "2–3 times a month" or more often.
pub const FREQUENT_AT: i32 = 3;
/// "Once or twice" or more often.
pub const ANY_AT: i32 = 2;

/// One respondent's score on one indicator.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct IndicatorScore {
    /// Scale indicators: mean of the respondent's 5-point items on 1–5 (none when they
    /// answered only yes/no items).
    pub mean: Option<f64>,
    /// Scale indicators: more than half of the answered items favorable.
    pub favorable: Option<bool>,
    /// Bullying victimization: frequent victimization (the Olweus cut-off).
    pub victimized: Option<bool>,
    /// Bullying victimization: any victimization.
    pub any_victimization: Option<bool>,
    /// Bullying victimization: frequent victimization per form (in `BullyingForm::ALL`
    /// order), for the forms the respondent answered an item of.
    pub forms: [Option<bool>; 4],
}

/// What scoring needs to know about an item.
pub struct ScoredItem {
    pub scale: Scale,
    pub indicator: Indicator,
    pub reverse_scored: bool,
    pub form: Option<BullyingForm>,
}

pub fn form_index(form: BullyingForm) -> usize {
    BullyingForm::ALL
        .iter()
        .position(|f| *f == form)
        .expect("every form is in ALL")
}

/// Whether one answer is favorable (scale indicators).
fn favorable_answer(item: &ScoredItem, value: i32) -> bool {
    match item.scale {
        Scale::YesNo => (value == 2) != item.reverse_scored,
        _ => {
            let v = if item.reverse_scored {
                6 - value
            } else {
                value
            };
            v >= FAVORABLE_AT
        }
    }
}

#[derive(Default)]
struct ScaleTally {
    answered: u32,
    favorable: u32,
    five_point_sum: f64,
    five_point_n: u32,
}

pub fn score(answers: &[(&ScoredItem, i32)]) -> BTreeMap<Indicator, IndicatorScore> {
    let mut scales: BTreeMap<Indicator, ScaleTally> = BTreeMap::new();
    let mut bullying: Option<IndicatorScore> = None;
    for (item, value) in answers {
        let value = *value;
        if item.indicator == Indicator::BullyingVictimization {
            let b = bullying.get_or_insert_with(|| IndicatorScore {
                victimized: Some(false),
                any_victimization: Some(false),
                ..IndicatorScore::default()
            });
            let (frequent, any) = match item.scale {
                Scale::Frequency5 => (value >= FREQUENT_AT, value >= ANY_AT),
                Scale::YesNo => (false, value == 2),
                Scale::Agreement5 => (false, false),
            };
            b.victimized = Some(b.victimized == Some(true) || frequent);
            b.any_victimization = Some(b.any_victimization == Some(true) || any);
            if let Some(form) = item.form {
                let slot = &mut b.forms[form_index(form)];
                *slot = Some(*slot == Some(true) || frequent);
            }
            continue;
        }
        let t = scales.entry(item.indicator).or_default();
        t.answered += 1;
        t.favorable += u32::from(favorable_answer(item, value));
        if item.scale != Scale::YesNo {
            let v = if item.reverse_scored {
                6 - value
            } else {
                value
            };
            t.five_point_sum += f64::from(v);
            t.five_point_n += 1;
        }
    }
    let mut scores: BTreeMap<Indicator, IndicatorScore> = scales
        .into_iter()
        .map(|(indicator, t)| {
            let score = IndicatorScore {
                mean: (t.five_point_n > 0).then(|| t.five_point_sum / f64::from(t.five_point_n)),
                favorable: Some(2 * t.favorable > t.answered),
                ..IndicatorScore::default()
            };
            (indicator, score)
        })
        .collect();
    if let Some(b) = bullying {
        scores.insert(Indicator::BullyingVictimization, b);
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
            form: None,
        }
    }

    fn victimization(form: BullyingForm) -> ScoredItem {
        ScoredItem {
            form: Some(form),
            ..item(Scale::Frequency5, Indicator::BullyingVictimization, false)
        }
    }

    #[test]
    fn the_index_averages_five_point_items_after_reverse_scoring_and_leaves_yes_no_out() {
        let agree = item(Scale::Agreement5, Indicator::Belonging, false);
        let outsider = item(Scale::Agreement5, Indicator::Belonging, true);
        let adult = item(Scale::YesNo, Indicator::TrustedAdult, false);
        let cares = item(Scale::Agreement5, Indicator::TrustedAdult, false);
        let scores = score(&[(&agree, 5), (&outsider, 2), (&adult, 2), (&cares, 3)]);
        // (5 + (6 - 2)) / 2 = 4.5
        assert_eq!(scores[&Indicator::Belonging].mean, Some(4.5));
        assert_eq!(scores[&Indicator::Belonging].favorable, Some(true));
        // The yes/no item is not in the index: only the agreement answer 3 is.
        assert_eq!(scores[&Indicator::TrustedAdult].mean, Some(3.0));
        assert!(!scores.contains_key(&Indicator::Safety));
    }

    #[test]
    fn favorable_needs_more_than_half_of_the_answered_items_favorable() {
        let a = item(Scale::Agreement5, Indicator::Safety, false);
        let fav = |answers: &[i32]| {
            let given: Vec<(&ScoredItem, i32)> = answers.iter().map(|v| (&a, *v)).collect();
            score(&given)[&Indicator::Safety].favorable
        };
        assert_eq!(fav(&[4, 4, 3]), Some(true)); // 2 of 3
        assert_eq!(fav(&[5, 3, 3]), Some(false)); // 1 of 3, though the mean is 3.67
        assert_eq!(fav(&[4, 5, 3, 2]), Some(false)); // 2 of 4 is not more than half
        assert_eq!(fav(&[4, 5, 4, 2]), Some(true)); // 3 of 4
    }

    #[test]
    fn a_no_on_the_yes_no_item_can_still_be_favorable() {
        let adult = item(Scale::YesNo, Indicator::TrustedAdult, false);
        let cares = item(Scale::Agreement5, Indicator::TrustedAdult, false);
        let listens = item(Scale::Agreement5, Indicator::TrustedAdult, false);
        let s = score(&[(&adult, 1), (&cares, 5), (&listens, 4)]);
        assert_eq!(s[&Indicator::TrustedAdult].favorable, Some(true));
        assert_eq!(s[&Indicator::TrustedAdult].mean, Some(4.5));
        let s = score(&[(&adult, 1), (&cares, 5), (&listens, 3)]);
        assert_eq!(s[&Indicator::TrustedAdult].favorable, Some(false));
        // Reverse-scored yes/no: "No" is the favorable answer.
        let worried = item(Scale::YesNo, Indicator::Safety, true);
        assert_eq!(
            score(&[(&worried, 1)])[&Indicator::Safety].favorable,
            Some(true)
        );
        assert_eq!(score(&[(&worried, 1)])[&Indicator::Safety].mean, None);
    }

    #[test]
    fn frequent_victimization_starts_at_two_or_three_times_a_month() {
        let physical = victimization(BullyingForm::Physical);
        let cyber = victimization(BullyingForm::Cyber);
        let b = |p: i32, c: i32| {
            score(&[(&physical, p), (&cyber, c)])[&Indicator::BullyingVictimization]
        };
        let never = b(1, 1);
        assert_eq!(never.victimized, Some(false));
        assert_eq!(never.any_victimization, Some(false));
        let once = b(1, 2);
        assert_eq!(once.victimized, Some(false));
        assert_eq!(once.any_victimization, Some(true));
        assert_eq!(once.mean, None);
        let monthly = b(3, 1);
        assert_eq!(monthly.victimized, Some(true));
        assert_eq!(monthly.any_victimization, Some(true));
        assert_eq!(
            monthly.forms[form_index(BullyingForm::Physical)],
            Some(true)
        );
        assert_eq!(monthly.forms[form_index(BullyingForm::Cyber)], Some(false));
        // Forms nobody asked about stay unscored.
        assert_eq!(monthly.forms[form_index(BullyingForm::Verbal)], None);
    }

    #[test]
    fn a_victimization_yes_counts_as_any_but_never_as_frequent() {
        let asked = item(Scale::YesNo, Indicator::BullyingVictimization, false);
        let s = score(&[(&asked, 2)])[&Indicator::BullyingVictimization];
        assert_eq!(s.any_victimization, Some(true));
        assert_eq!(s.victimized, Some(false));
    }
}
