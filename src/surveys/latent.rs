//! The latent model behind the demo's and `securebase synthetic`'s survey answers, so that their
//! reports look like a real district's rather than noise. The README ("Demo and synthetic
//! answers") documents it with the published figures it was tuned toward; the tests below check
//! those figures on simulated students.
//!
//! **Traits.** Every student has six latent traits, one per indicator, each standard normal
//! within a (school, grade, term): belonging (connectedness), trusted adult, safety,
//! victimization propensity (higher = bullied more), emotion regulation and peer support. They
//! are correlated by [`CORRELATION`]: the positive traits go together (0.25–0.60) and
//! victimization runs against belonging (−0.35), safety (−0.40) and peer support (−0.35).
//!
//! **Stable and occasional parts.** A trait is `mean + L·(√(1−τ²)·z + τ·w)` with `L` the
//! Cholesky factor of [`CORRELATION`], `z` the student's own standard normals (the same in every
//! window: [`Model::student`] draws them from a generator seeded by the data set's seed and the
//! student) and `w` fresh standard normals for each window; `τ² =` [`OCCASION_SHARE`] (0.25), so
//! a student's traits correlate 0.75 between two windows and the traits correlate with each
//! other as [`CORRELATION`] says.
//!
//! **Means.** `mean = (climate + term)·c + grade(g)`, where `c` is [`CLIMATE_LOADING`]
//! (1, 0.8, 1, −0.8, 0.4, 0.7 in the order above):
//! - *School climate* ([`school_climate`]): one number per school, derived from the seed and
//!   the school's index — a golden-ratio sequence over (0, 1) started at a hash of the seed,
//!   kept to 5–95% and mapped through the logistic approximation of the normal quantile, times
//!   [`SCHOOL_SD`] (0.35) — so even two or three schools differ clearly and no school is
//!   extreme (at most ±0.61).
//! - *Grade* ([`grade_effect`], relative to grade 6): belonging −0.06, trusted adult −0.05,
//!   safety −0.03 and peer support −0.02 per grade; emotion regulation +0.02 per grade;
//!   victimization +0.15 up to grade 6, then 0.12 lower per grade (−0.57 in grade 12).
//! - *Term*: a shift of the whole climate for one window (the demo's earlier window is lower
//!   than this term's, so trends show a change).
//!
//! **Items: a graded-response model (Samejima), in its cumulative-logit form.** An item of
//! indicator `i` with `K` options has ordered thresholds `b₁ < … < b_{K−1}` on the trait `θᵢ`,
//! and `P(answer > k) = σ(a·(θᵢ − b_k))` with `σ` the logistic function and discrimination
//! `a =` [`DISCRIMINATION`] (1.8). It is drawn as the latent response `y = a·θᵢ + ε`, `ε`
//! standard logistic (`ln(u / (1 − u))`, one uniform), the answer being one more than the number
//! of thresholds (times `a`) below `y`: the item-level noise, at one uniform and one logarithm
//! per answer.
//! - Agreement items: [`AGREEMENT_THRESHOLDS`] (−2.6, −1.7, −0.7, 1.0), plus an offset by the
//!   item's rank within its indicator ([`RANK_OFFSETS`]: some items are easier to agree with)
//!   and safety's −0.15. The draw is in the favorable direction; a reverse-scored item reports
//!   `6 − v`.
//! - Yes/no items: Yes when `y` exceeds [`YES_THRESHOLD`] (−0.95, plus the rank offset) — a
//!   logistic on the trait.
//! - Victimization items (frequency, driven by the victimization propensity): the first
//!   threshold ("once or twice" or more) depends on the form of bullying the item asks about
//!   ([`first_victimization_threshold`]: verbal 0.9, social 1.25, physical 1.8, cyber 2.0, an
//!   item without a form 1.4), and the next ones follow at [`FREQUENCY_STEPS`] (+1.0, +1.7,
//!   +2.3).
//! - Optional items are skipped with probability [`SKIP_OPTIONAL`] (4%).
//!
//! Everything per item is computed once ([`Plan`]) and the means once per student and window
//! ([`Model::means`]: a few additions); an answer costs one uniform draw, one logarithm and a few
//! comparisons, and allocates nothing ([`Plan::answers`] allocates only the answers it returns,
//! which the submission path takes).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::dto::Answer;
use super::models::ItemRow;
use super::vocab::{BullyingForm, Indicator, Scale};

/// Number of latent traits.
pub const TRAITS: usize = 6;

/// The latent traits, in the order of every `[f64; TRAITS]` here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trait {
    Belonging = 0,
    TrustedAdult = 1,
    Safety = 2,
    Victimization = 3,
    EmotionRegulation = 4,
    PeerSupport = 5,
}

impl Trait {
    pub fn of(indicator: Indicator) -> Trait {
        match indicator {
            Indicator::Belonging => Trait::Belonging,
            Indicator::TrustedAdult => Trait::TrustedAdult,
            Indicator::Safety => Trait::Safety,
            Indicator::BullyingVictimization => Trait::Victimization,
            Indicator::EmotionRegulation => Trait::EmotionRegulation,
            Indicator::PeerSupport => Trait::PeerSupport,
        }
    }
}

/// Correlations between the traits within a (school, grade, term), in [`Trait`] order.
pub const CORRELATION: [[f64; TRAITS]; TRAITS] = [
    [1.00, 0.55, 0.50, -0.35, 0.35, 0.60],
    [0.55, 1.00, 0.45, -0.20, 0.30, 0.40],
    [0.50, 0.45, 1.00, -0.40, 0.25, 0.40],
    [-0.35, -0.20, -0.40, 1.00, -0.20, -0.35],
    [0.35, 0.30, 0.25, -0.20, 1.00, 0.30],
    [0.60, 0.40, 0.40, -0.35, 0.30, 1.00],
];

/// How much a school's climate (and a term's shift) moves each trait, in [`Trait`] order: a
/// better climate raises the positive traits and lowers victimization.
pub const CLIMATE_LOADING: [f64; TRAITS] = [1.0, 0.8, 1.0, -0.8, 0.4, 0.7];

/// Standard deviation of school climates.
pub const SCHOOL_SD: f64 = 0.35;

/// Share of a trait's variance that is new in each window (τ²); the rest is the student's own.
pub const OCCASION_SHARE: f64 = 0.25;

/// Item discrimination `a` of the graded-response model (logistic metric).
pub const DISCRIMINATION: f64 = 1.8;

/// Thresholds of an agreement item, on the trait, for answering 2 or more … 5 (favorable
/// direction, before the item's offsets).
pub const AGREEMENT_THRESHOLDS: [f64; 4] = [-2.6, -1.7, -0.7, 1.0];

/// Threshold of a yes/no item for Yes (before the item's rank offset).
pub const YES_THRESHOLD: f64 = -0.95;

/// Threshold offsets by an item's rank within its indicator (in position order, repeating).
pub const RANK_OFFSETS: [f64; 6] = [-0.25, 0.15, 0.0, 0.2, -0.1, 0.1];

/// Threshold offsets by indicator, in [`Trait`] order (victimization has its own thresholds).
pub const INDICATOR_OFFSETS: [f64; TRAITS] = [0.0, 0.0, -0.15, 0.0, 0.0, 0.0];

/// Thresholds of a victimization item for "2-3 times a month", "about once a week" and
/// "several times a week", above its first ("once or twice").
pub const FREQUENCY_STEPS: [f64; 3] = [1.0, 1.7, 2.3];

/// Probability that a student skips an optional item.
pub const SKIP_OPTIONAL: f64 = 0.04;

/// Threshold on the victimization propensity for answering "once or twice" or more, by the form
/// of bullying the item asks about (`ItemRow::bullying_form`): verbal and social bullying are
/// the common forms, physical and cyber bullying the rarer ones.
pub fn first_victimization_threshold(form: Option<BullyingForm>) -> f64 {
    match form {
        Some(BullyingForm::Verbal) => 0.9,
        Some(BullyingForm::Social) => 1.25,
        None => 1.4,
        Some(BullyingForm::Physical) => 1.8,
        Some(BullyingForm::Cyber) => 2.0,
    }
}

/// A well-mixed 64-bit hash of a 64-bit value (SplitMix64's finalizer).
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable 64-bit key for a student from text (FNV-1a, then mixed): the same in every run and
/// Rust version, unlike `std`'s hasher.
pub fn key(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

/// A school's climate (latent shift, in standard deviations of the traits) from the data set's
/// seed and the school's index: see the module documentation.
pub fn school_climate(seed: u64, school: usize) -> f64 {
    const GOLDEN: f64 = 0.618_033_988_749_894_9;
    let start = (mix(seed) >> 11) as f64 / (1u64 << 53) as f64;
    let u = (start + school as f64 * GOLDEN).fract().clamp(0.05, 0.95);
    // The logistic approximation of the standard normal quantile: logit(u) / 1.702.
    SCHOOL_SD * (u / (1.0 - u)).ln() / 1.702
}

/// The grade's shift of each trait, relative to grade 6 (grades outside 3–12 count as the
/// nearest surveyed grade).
pub fn grade_effect(grade: i32) -> [f64; TRAITS] {
    let g = f64::from(grade.clamp(3, 12) - 6);
    [
        -0.06 * g,
        -0.05 * g,
        -0.03 * g,
        0.15 - 0.12 * g.max(0.0),
        0.02 * g,
        -0.02 * g,
    ]
}

/// Two independent standard normal draws by the Box–Muller transform (`rand` 0.8 has no normal
/// sampler and the project does not depend on `rand_distr`).
fn normal_pair<R: Rng + ?Sized>(rng: &mut R) -> (f64, f64) {
    // 1 − [0, 1) is (0, 1]: the logarithm is finite.
    let u1 = 1.0 - rng.gen::<f64>();
    let u2: f64 = rng.gen();
    let r = (-2.0 * u1.ln()).sqrt();
    let (sin, cos) = (std::f64::consts::TAU * u2).sin_cos();
    (r * cos, r * sin)
}

fn standard_normals<R: Rng + ?Sized>(rng: &mut R) -> [f64; TRAITS] {
    let mut z = [0.0; TRAITS];
    for pair in z.chunks_mut(2) {
        let (a, b) = normal_pair(rng);
        pair[0] = a;
        if let Some(second) = pair.get_mut(1) {
            *second = b;
        }
    }
    z
}

/// The lower Cholesky factor of a symmetric positive-definite matrix; `None` if it is not.
fn cholesky(a: &[[f64; TRAITS]; TRAITS]) -> Option<[[f64; TRAITS]; TRAITS]> {
    let mut l = [[0.0; TRAITS]; TRAITS];
    for i in 0..TRAITS {
        for j in 0..=i {
            let s = a[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if i == j {
                if s <= 0.0 {
                    return None;
                }
                l[i][j] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    Some(l)
}

/// A student's own (stable) part of the traits, the same in every window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Student([f64; TRAITS]);

/// One student's traits in one window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Traits(pub [f64; TRAITS]);

/// The model: the correlation's Cholesky factor, computed once.
#[derive(Debug, Clone)]
pub struct Model {
    factor: [[f64; TRAITS]; TRAITS],
}

impl Default for Model {
    fn default() -> Self {
        Model::new()
    }
}

impl Model {
    pub fn new() -> Model {
        Model {
            factor: cholesky(&CORRELATION).expect("CORRELATION is positive definite"),
        }
    }

    fn correlate(&self, z: &[f64; TRAITS], scale: f64) -> [f64; TRAITS] {
        let mut out = [0.0; TRAITS];
        for (i, row) in self.factor.iter().enumerate() {
            out[i] = scale * (0..=i).map(|j| row[j] * z[j]).sum::<f64>();
        }
        out
    }

    /// The trait means of a (school, grade, term): `climate` from [`school_climate`], `term` a
    /// shift of the climate for one window (0 for none).
    pub fn means(&self, climate: f64, grade: i32, term: f64) -> [f64; TRAITS] {
        let grade = grade_effect(grade);
        let mut m = [0.0; TRAITS];
        for (i, m) in m.iter_mut().enumerate() {
            *m = (climate + term) * CLIMATE_LOADING[i] + grade[i];
        }
        m
    }

    /// The stable part of a student's traits, from the data set's seed and the student's key
    /// (its index, or [`key`] of its id): the same student gets the same part in every window.
    pub fn student(&self, seed: u64, student: u64) -> Student {
        let mut rng = StdRng::seed_from_u64(mix(seed ^ mix(student)));
        let z = standard_normals(&mut rng);
        Student(self.correlate(&z, (1.0 - OCCASION_SHARE).sqrt()))
    }

    /// The student's traits in one window with the given means.
    pub fn traits<R: Rng + ?Sized>(
        &self,
        student: &Student,
        means: &[f64; TRAITS],
        rng: &mut R,
    ) -> Traits {
        let w = standard_normals(rng);
        let occasion = self.correlate(&w, OCCASION_SHARE.sqrt());
        let mut t = [0.0; TRAITS];
        for (i, t) in t.iter_mut().enumerate() {
            *t = means[i] + student.0[i] + occasion[i];
        }
        Traits(t)
    }
}

/// One item, ready to draw.
#[derive(Debug, Clone, Copy)]
struct Planned {
    trait_index: usize,
    /// Thresholds times the discrimination, ascending; `cuts` of them are used.
    thresholds: [f64; 4],
    cuts: usize,
    /// What to report for a drawn `v`: `v`, `6 − v` (reverse-scored 5-point) or `3 − v`
    /// (reverse-scored yes/no).
    flip: Option<i32>,
    optional: bool,
}

/// An instrument's items, ready to draw answers from traits.
#[derive(Debug, Clone)]
pub struct Plan {
    items: Vec<Planned>,
}

impl Plan {
    /// `items` in position order, as `queries::instrument_items` returns them.
    pub fn new(items: &[ItemRow]) -> Plan {
        let planned = items
            .iter()
            .map(|item| {
                let indicator = item.indicator();
                let scale = item.scale();
                let trait_index = Trait::of(indicator) as usize;
                let rank = items
                    .iter()
                    .filter(|o| o.indicator() == indicator && o.position < item.position)
                    .count();
                let mut thresholds = [0.0; 4];
                let (cuts, reversible) = if indicator == Indicator::BullyingVictimization {
                    // Higher is more often; reverse scoring means nothing here.
                    let first = first_victimization_threshold(item.bullying_form());
                    thresholds[0] = first;
                    for (t, step) in thresholds[1..].iter_mut().zip(FREQUENCY_STEPS) {
                        *t = first + step;
                    }
                    (if scale == Scale::YesNo { 1 } else { 4 }, false)
                } else {
                    let offset =
                        RANK_OFFSETS[rank % RANK_OFFSETS.len()] + INDICATOR_OFFSETS[trait_index];
                    if scale == Scale::YesNo {
                        thresholds[0] = YES_THRESHOLD + offset;
                        (1, true)
                    } else {
                        for (t, b) in thresholds.iter_mut().zip(AGREEMENT_THRESHOLDS) {
                            *t = b + offset;
                        }
                        (4, true)
                    }
                };
                for t in &mut thresholds {
                    *t *= DISCRIMINATION;
                }
                let flip =
                    (reversible && item.reverse_scored).then_some(if cuts == 1 { 3 } else { 6 });
                Planned {
                    trait_index,
                    thresholds,
                    cuts,
                    flip,
                    optional: !item.required,
                }
            })
            .collect();
        Plan { items: planned }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The answer to item `index` (as given to [`Plan::new`]) of a student with these traits;
    /// `None` when an optional item is skipped.
    pub fn draw<R: Rng + ?Sized>(&self, index: usize, traits: &Traits, rng: &mut R) -> Option<i32> {
        let p = &self.items[index];
        if p.optional && rng.gen::<f64>() < SKIP_OPTIONAL {
            return None;
        }
        // Standard logistic noise; u = 0 gives −∞, the logistic's own lower end.
        let u: f64 = rng.gen();
        let y = DISCRIMINATION * traits.0[p.trait_index] + (u / (1.0 - u)).ln();
        let v = 1 + p.thresholds[..p.cuts]
            .iter()
            .take_while(|t| y > **t)
            .count() as i32;
        Some(p.flip.map_or(v, |f| f - v))
    }

    /// A student's answers to `items` (the items this plan was made from).
    pub fn answers<R: Rng + ?Sized>(
        &self,
        items: &[ItemRow],
        traits: &Traits,
        rng: &mut R,
    ) -> Vec<Answer> {
        debug_assert_eq!(items.len(), self.items.len());
        let mut answers = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            if let Some(value) = self.draw(index, traits, rng) {
                answers.push(Answer {
                    item_id: item.id.clone(),
                    value,
                });
            }
        }
        answers
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::surveys::library::STARTER_INSTRUMENT;

    /// The starter instrument's versions as item rows: (grade_min, grade_max, items).
    fn versions() -> Vec<(i32, i32, Vec<ItemRow>)> {
        let json: serde_json::Value = serde_json::from_str(STARTER_INSTRUMENT).unwrap();
        json["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let mut items = Vec::new();
                for section in v["sections"].as_array().unwrap() {
                    for item in section["items"].as_array().unwrap() {
                        let position = items.len() as i32 + 1;
                        items.push(ItemRow {
                            id: item["key"].as_str().unwrap().to_owned(),
                            instrument_id: v["key"].as_str().unwrap().to_owned(),
                            position,
                            section: section["title"].as_str().unwrap().to_owned(),
                            prompt: item["prompt"].as_str().unwrap().to_owned(),
                            scale: Scale::parse(item["scale"].as_str().unwrap()).unwrap(),
                            indicator: Indicator::parse(item["indicator"].as_str().unwrap())
                                .unwrap(),
                            reverse_scored: item["reverse_scored"].as_bool().unwrap(),
                            required: item["required"].as_bool().unwrap(),
                            ppra_areas: "[]".to_owned(),
                            bullying_form: item["bullying_form"]
                                .as_str()
                                .map(|f| BullyingForm::parse(f).unwrap()),
                        });
                    }
                }
                (
                    v["grade_min"].as_i64().unwrap() as i32,
                    v["grade_max"].as_i64().unwrap() as i32,
                    items,
                )
            })
            .collect()
    }

    /// Counts of one group of respondents under the reports' rules: an item is favorable at 4–5
    /// after reverse scoring (Yes for yes/no); a student is favorable on an indicator when more
    /// than half of their answered items of it are; frequently victimized when any
    /// victimization item is 3 or more, victimized at all when any is 2 or more.
    #[derive(Debug, Default, Clone)]
    struct Tally {
        students: u32,
        scored: BTreeMap<Indicator, u32>,
        favorable: BTreeMap<Indicator, u32>,
        frequent: u32,
        any: u32,
    }

    impl Tally {
        fn add(&mut self, items: &[ItemRow], answers: &[Answer]) {
            self.students += 1;
            let mut counts: BTreeMap<Indicator, (u32, u32)> = BTreeMap::new();
            let mut worst = 1;
            for a in answers {
                let item = items.iter().find(|i| i.id == a.item_id).unwrap();
                let indicator = item.indicator();
                if indicator == Indicator::BullyingVictimization {
                    worst = worst.max(a.value);
                    continue;
                }
                let good = match item.scale() {
                    Scale::YesNo => (a.value == 2) != item.reverse_scored,
                    _ => {
                        let v = if item.reverse_scored {
                            6 - a.value
                        } else {
                            a.value
                        };
                        v >= 4
                    }
                };
                let c = counts.entry(indicator).or_default();
                c.0 += u32::from(good);
                c.1 += 1;
            }
            for (indicator, (good, answered)) in counts {
                *self.scored.entry(indicator).or_default() += 1;
                if 2 * good > answered {
                    *self.favorable.entry(indicator).or_default() += 1;
                }
            }
            self.frequent += u32::from(worst >= 3);
            self.any += u32::from(worst >= 2);
        }

        fn merge(&mut self, other: &Tally) {
            self.students += other.students;
            for (k, v) in &other.scored {
                *self.scored.entry(*k).or_default() += v;
            }
            for (k, v) in &other.favorable {
                *self.favorable.entry(*k).or_default() += v;
            }
            self.frequent += other.frequent;
            self.any += other.any;
        }

        fn favorable(&self, indicator: Indicator) -> f64 {
            100.0 * f64::from(self.favorable.get(&indicator).copied().unwrap_or(0))
                / f64::from(self.scored[&indicator])
        }

        fn frequent(&self) -> f64 {
            100.0 * f64::from(self.frequent) / f64::from(self.students)
        }

        fn any(&self) -> f64 {
            100.0 * f64::from(self.any) / f64::from(self.students)
        }
    }

    /// Simulates `per_cell` students in each (school, grade) of `schools` (climate, grades) with
    /// one term shift; returns a tally per (school index, grade).
    fn simulate(
        seed: u64,
        schools: &[(f64, std::ops::RangeInclusive<i32>)],
        per_cell: u32,
        term: f64,
    ) -> BTreeMap<(usize, i32), Tally> {
        let model = Model::new();
        let versions = versions();
        let plans: Vec<Plan> = versions
            .iter()
            .map(|(_, _, items)| Plan::new(items))
            .collect();
        let mut rng = StdRng::seed_from_u64(seed);
        let mut out = BTreeMap::new();
        let mut student = 0u64;
        for (s, (climate, grades)) in schools.iter().enumerate() {
            for grade in grades.clone() {
                let v = versions
                    .iter()
                    .position(|(min, max, _)| (*min..=*max).contains(&grade))
                    .unwrap();
                let items = &versions[v].2;
                let means = model.means(*climate, grade, term);
                let tally: &mut Tally = out.entry((s, grade)).or_default();
                for _ in 0..per_cell {
                    student += 1;
                    let traits = model.traits(&model.student(seed, student), &means, &mut rng);
                    tally.add(items, &plans[v].answers(items, &traits, &mut rng));
                }
            }
        }
        out
    }

    fn total<'a>(tallies: impl Iterator<Item = &'a Tally>) -> Tally {
        let mut t = Tally::default();
        for x in tallies {
            t.merge(x);
        }
        t
    }

    fn report(label: &str, t: &Tally) {
        eprintln!(
            "{label:>16}: n {:>5}  belonging {:5.1}  trusted adult {:5.1}  safety {:5.1}  \
             emotion regulation {:5.1}  peer support {:5.1}  frequent {:5.1}  any {:5.1}",
            t.students,
            t.favorable(Indicator::Belonging),
            t.favorable(Indicator::TrustedAdult),
            t.favorable(Indicator::Safety),
            t.favorable(Indicator::EmotionRegulation),
            t.favorable(Indicator::PeerSupport),
            t.frequent(),
            t.any(),
        );
    }

    fn within(label: &str, value: f64, low: f64, high: f64) {
        assert!(
            (low..=high).contains(&value),
            "{label}: {value:.1}% is outside {low}–{high}%"
        );
    }

    #[test]
    fn the_correlation_is_positive_definite_and_reproduced() {
        let model = Model::new();
        // L·Lᵀ = R.
        for (i, row) in CORRELATION.iter().enumerate() {
            for (j, expected) in row.iter().enumerate() {
                let r: f64 = model.factor[i]
                    .iter()
                    .zip(&model.factor[j])
                    .map(|(a, b)| a * b)
                    .sum();
                assert!((r - expected).abs() < 1e-12, "{i} {j}");
            }
        }
        // Sampled traits: unit variance, the stated correlations.
        let mut rng = StdRng::seed_from_u64(3);
        let n = 40_000;
        let mut sum = [0.0; TRAITS];
        let mut cross = [[0.0; TRAITS]; TRAITS];
        for s in 0..n {
            let t = model
                .traits(&model.student(3, s), &[0.0; TRAITS], &mut rng)
                .0;
            for (i, ti) in t.iter().enumerate() {
                sum[i] += ti;
                for (j, tj) in t.iter().enumerate() {
                    cross[i][j] += ti * tj;
                }
            }
        }
        let n = n as f64;
        let cov = |a: usize, b: usize| cross[a][b] / n - sum[a] * sum[b] / (n * n);
        for (i, row) in CORRELATION.iter().enumerate() {
            assert!((sum[i] / n).abs() < 0.03, "mean of trait {i}");
            for (j, expected) in row.iter().enumerate() {
                let r = cov(i, j) / (cov(i, i) * cov(j, j)).sqrt();
                assert!((r - expected).abs() < 0.03, "r({i},{j}) = {r}");
            }
        }
    }

    #[test]
    fn verbal_and_social_bullying_are_commoner_than_physical_and_cyber() {
        let model = Model::new();
        let (_, _, items) = versions().pop().unwrap();
        let plan = Plan::new(&items);
        let mut rng = StdRng::seed_from_u64(5);
        let means = model.means(0.0, 6, 0.0);
        let mut any: BTreeMap<BullyingForm, (u32, u32)> = BTreeMap::new();
        for s in 0..5_000 {
            let traits = model.traits(&model.student(5, s), &means, &mut rng);
            for (i, item) in items.iter().enumerate() {
                if let (Some(form), Some(v)) =
                    (item.bullying_form(), plan.draw(i, &traits, &mut rng))
                {
                    let e = any.entry(form).or_default();
                    e.0 += u32::from(v >= 2);
                    e.1 += 1;
                }
            }
        }
        let rate = |f: BullyingForm| f64::from(any[&f].0) / f64::from(any[&f].1);
        eprintln!("any victimization per item, grade 6: {any:?}");
        assert!(rate(BullyingForm::Verbal) > rate(BullyingForm::Social));
        assert!(rate(BullyingForm::Social) > rate(BullyingForm::Physical));
        assert!(rate(BullyingForm::Physical) > rate(BullyingForm::Cyber));
    }

    #[test]
    fn answers_stay_on_their_scales_and_reverse_items_flip() {
        let mut rng = StdRng::seed_from_u64(11);
        for (_, _, items) in versions() {
            let plan = Plan::new(&items);
            assert_eq!(plan.len(), items.len());
            // A student far above average on every positive trait and never bullied (ten standard
            // deviations: any other answer has a probability below 1e-7).
            let mut best = [10.0; TRAITS];
            best[Trait::Victimization as usize] = -10.0;
            let traits = Traits(best);
            for _ in 0..50 {
                let answers = plan.answers(&items, &traits, &mut rng);
                for a in &answers {
                    let item = items.iter().find(|i| i.id == a.item_id).unwrap();
                    assert!(item.scale().accepts(a.value), "{} = {}", item.id, a.value);
                    if item.indicator() == Indicator::BullyingVictimization {
                        assert_eq!(a.value, 1, "{}", item.id);
                    } else if item.reverse_scored {
                        assert!(a.value <= 2, "{} = {}", item.id, a.value);
                    } else if item.scale() == Scale::YesNo {
                        assert_eq!(a.value, 2);
                    } else {
                        assert!(a.value >= 4, "{} = {}", item.id, a.value);
                    }
                }
                // Required items are always answered.
                for item in items.iter().filter(|i| i.required) {
                    assert!(answers.iter().any(|a| a.item_id == item.id));
                }
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_answers() {
        let run = |seed: u64| {
            let model = Model::new();
            let (_, _, items) = versions().pop().unwrap();
            let plan = Plan::new(&items);
            let mut rng = StdRng::seed_from_u64(seed);
            let means = model.means(school_climate(seed, 1), 8, 0.0);
            (0..200)
                .flat_map(|s| {
                    let traits = model.traits(&model.student(seed, s), &means, &mut rng);
                    plan.answers(&items, &traits, &mut rng)
                })
                .map(|a| (a.item_id, a.value))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42), run(43));
        assert_eq!(school_climate(9, 4), school_climate(9, 4));
        assert_eq!(key("a student"), key("a student"));
        assert_ne!(key("a student"), key("another student"));
    }

    #[test]
    fn school_climates_differ_clearly_and_stay_moderate() {
        for seed in 0..50 {
            let c: Vec<f64> = (0..3).map(|i| school_climate(seed, i)).collect();
            let spread = c.iter().cloned().fold(f64::MIN, f64::max)
                - c.iter().cloned().fold(f64::MAX, f64::min);
            assert!(spread > 0.3, "seed {seed}: {c:?}");
            assert!(c.iter().all(|x| x.abs() <= 0.61), "seed {seed}: {c:?}");
        }
    }

    /// 20,000 students: four schools (their climates from seed 1: +0.06, −0.31, +0.29, −0.07)
    /// × grades 3–12 × 500.
    #[test]
    fn a_district_looks_like_published_school_climate_figures() {
        let schools: Vec<(f64, std::ops::RangeInclusive<i32>)> =
            (0..4).map(|s| (school_climate(1, s), 3..=12)).collect();
        let cells = simulate(1, &schools, 500, 0.0);
        let district = total(cells.values());
        assert_eq!(district.students, 20_000);
        report("district", &district);
        within(
            "belonging",
            district.favorable(Indicator::Belonging),
            55.0,
            72.0,
        );
        within(
            "trusted adult",
            district.favorable(Indicator::TrustedAdult),
            60.0,
            85.0,
        );
        within("safety", district.favorable(Indicator::Safety), 55.0, 80.0);
        within("frequent victimization", district.frequent(), 10.0, 25.0);
        within("any victimization", district.any(), 30.0, 55.0);

        let mut belonging = Vec::new();
        for (s, (climate, _)) in schools.iter().enumerate() {
            let school = total(cells.iter().filter(|(k, _)| k.0 == s).map(|(_, t)| t));
            report(&format!("school {s} ({climate:+.2})"), &school);
            let b = school.favorable(Indicator::Belonging);
            within("a school's belonging", b, 50.0, 75.0);
            belonging.push(b);
        }
        let spread = belonging.iter().cloned().fold(f64::MIN, f64::max)
            - belonging.iter().cloned().fold(f64::MAX, f64::min);
        assert!(spread >= 8.0, "schools differ: {belonging:?}");

        for grade in 3..=12 {
            report(
                &format!("grade {grade}"),
                &total(cells.iter().filter(|(k, _)| k.1 == grade).map(|(_, t)| t)),
            );
        }
        let band = |grades: std::ops::RangeInclusive<i32>| {
            total(
                cells
                    .iter()
                    .filter(|(k, _)| grades.contains(&k.1))
                    .map(|(_, t)| t),
            )
        };
        let (younger, older) = (band(3..=6), band(9..=12));
        within(
            "frequent victimization, grades 3-6",
            younger.frequent(),
            15.0,
            28.0,
        );
        within(
            "frequent victimization, grades 9-12",
            older.frequent(),
            7.0,
            16.0,
        );
        assert!(younger.frequent() - older.frequent() >= 5.0);
        assert!(younger.any() > older.any());
        assert!(
            younger.favorable(Indicator::Belonging) > older.favorable(Indicator::Belonging),
            "belonging declines with grade"
        );
    }

    /// The demo district's three schools (their grade spans and climates as `demo` sets them),
    /// with many students per grade, in this term's window.
    #[test]
    fn the_demo_schools_look_plausible() {
        use crate::surveys::demo;
        let schools: Vec<(f64, std::ops::RangeInclusive<i32>)> = [3..=5, 6..=8, 9..=12]
            .into_iter()
            .enumerate()
            .map(|(i, grades)| (school_climate(demo::MODEL_SEED, i), grades))
            .collect();
        let latest = demo::term_shift(demo::PAST_WINDOWS - 1);
        let cells = simulate(demo::MODEL_SEED, &schools, 2_000, latest);
        let district = total(cells.values());
        report("demo district", &district);
        within(
            "belonging",
            district.favorable(Indicator::Belonging),
            55.0,
            75.0,
        );
        within(
            "trusted adult",
            district.favorable(Indicator::TrustedAdult),
            60.0,
            85.0,
        );
        within("safety", district.favorable(Indicator::Safety), 55.0, 80.0);
        within("frequent victimization", district.frequent(), 10.0, 25.0);
        within("any victimization", district.any(), 30.0, 55.0);
        let mut by_school = Vec::new();
        for s in 0..schools.len() {
            let school = total(cells.iter().filter(|(k, _)| k.0 == s).map(|(_, t)| t));
            report(&format!("demo school {s}"), &school);
            within(
                "belonging",
                school.favorable(Indicator::Belonging),
                50.0,
                80.0,
            );
            within(
                "trusted adult",
                school.favorable(Indicator::TrustedAdult),
                60.0,
                85.0,
            );
            within("safety", school.favorable(Indicator::Safety), 50.0, 80.0);
            by_school.push(school);
        }
        // Elementary > high school in frequent victimization, as published.
        assert!(by_school[0].frequent() > by_school[2].frequent());
        // The earlier window reads lower on belonging than this term's.
        let earlier =
            total(simulate(demo::MODEL_SEED, &schools, 2_000, demo::term_shift(0)).values());
        assert!(
            earlier.favorable(Indicator::Belonging) + 2.0
                < district.favorable(Indicator::Belonging)
        );
    }
}
