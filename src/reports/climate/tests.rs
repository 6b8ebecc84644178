//! The climate report's disclosure control, attacked with exact linear algebra: every number any
//! report of a window shows becomes an equation over per-cell unknowns, with every identity an
//! attacker knows from the scoring rules, and no withheld number may follow from them.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use chrono::NaiveDateTime;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::reports::aggregates::{Aggregates, Cell};
use crate::reports::disclosure::span::Span;
use crate::surveys::scoring::{score, ScoredItem, FAVORABLE_AT, FREQUENT_AT};

fn window(k: i32) -> WindowRow {
    WindowRow::new(
        "w".into(),
        "d",
        "ins",
        "Fall".into(),
        NaiveDateTime::default(),
        NaiveDateTime::default(),
        &[],
        k,
        "u",
        NaiveDateTime::default(),
    )
}

fn instrument() -> InstrumentRow {
    InstrumentRow {
        id: "ins".into(),
        district_id: "d".into(),
        lineage_id: "l".into(),
        version: 1,
        status: crate::surveys::models::InstrumentStatus::Published,
        title: "Climate".into(),
        description: String::new(),
        grade_min: 1,
        grade_max: 12,
        created_by: "u".into(),
        published_at: None,
        created_at: NaiveDateTime::default(),
        updated_at: NaiveDateTime::default(),
    }
}

fn item(id: &str, scale: &str, indicator: &str, reverse: bool, required: bool) -> ItemRow {
    ItemRow {
        id: id.into(),
        instrument_id: "ins".into(),
        position: 0,
        section: "s".into(),
        prompt: id.into(),
        scale: Scale::parse(scale).unwrap(),
        indicator: Indicator::parse(indicator).unwrap(),
        reverse_scored: reverse,
        required,
        ppra_areas: "[]".into(),
        bullying_form: None,
    }
}

/// Two belonging items (one reverse-scored), one safety item, one victimization item: a
/// multi-item and a single-item scale indicator and a single victimization item. Tests give
/// the victimization answer as 1 (never) or 2 (victimized), which `cell` records as 3, "2–3
/// times a month", the frequent-victimization cut-off.
fn items(required: [bool; 4]) -> Vec<ItemRow> {
    let mut v = vec![
        item("b1", "agreement_5", "belonging", false, required[0]),
        item("b2", "agreement_5", "belonging", true, required[1]),
        item("s1", "agreement_5", "safety", false, required[2]),
        item(
            "v1",
            "frequency_5",
            "bullying_victimization",
            false,
            required[3],
        ),
    ];
    for (i, it) in v.iter_mut().enumerate() {
        it.position = i as i32 + 1;
    }
    v
}

/// A cell from its respondents' answers (one per item, `None` = skipped).
fn cell(
    items: &[ItemRow],
    (school, grade): (&str, i32),
    eligible: i64,
    opted_out: i64,
    answers: &[Vec<Option<i32>>],
) -> Cell {
    let mut aggregates = Aggregates::default();
    let scored: Vec<ScoredItem> = items
        .iter()
        .map(|i| ScoredItem {
            scale: i.scale(),
            indicator: i.indicator(),
            reverse_scored: i.reverse_scored,
            form: i.bullying_form(),
        })
        .collect();
    for respondent in answers {
        let respondent: Vec<Option<i32>> = items
            .iter()
            .zip(respondent)
            .map(|(i, a)| match (i.scale(), a) {
                (Scale::Frequency5, Some(2)) => Some(FREQUENT_AT),
                _ => *a,
            })
            .collect();
        let respondent = &respondent;
        let given: Vec<(&ScoredItem, i32)> = scored
            .iter()
            .zip(respondent)
            .filter_map(|(s, a)| a.map(|v| (s, v)))
            .collect();
        let map: BTreeMap<String, i32> = items
            .iter()
            .zip(respondent)
            .filter_map(|(i, a)| a.map(|v| (i.id.clone(), v)))
            .collect();
        aggregates.add_response(map.iter().map(|(k, v)| (k.as_str(), *v)), &score(&given));
    }
    Cell {
        school_id: school.into(),
        grade,
        eligible,
        opted_out,
        respondents: answers.len() as i64,
        settled_respondents: answers.len() as i64,
        aggregates,
    }
}

/// `n` respondents with varied answers (every option of every item used when n ≥ 5).
fn varied(n: usize, seed: usize) -> Vec<Vec<Option<i32>>> {
    (0..n)
        .map(|i| {
            let j = i + seed;
            vec![
                Some((j % 5) as i32 + 1),
                Some(((j * 3 + 1) % 5) as i32 + 1),
                Some(((j * 2 + 2) % 5) as i32 + 1),
                Some(i32::from(j.is_multiple_of(3)) + 1),
            ]
        })
        .collect()
}

/// Every report of the window: the district alone, with its schools, and each school.
fn every_report(ctx: &Context, cells: &[Cell]) -> Vec<(Scope, ClimateReport)> {
    let mut schools: Vec<String> = cells.iter().map(|c| c.school_id.clone()).collect();
    schools.sort();
    schools.dedup();
    let mut scopes = vec![
        Scope::District { schools: false },
        Scope::District { schools: true },
    ];
    scopes.extend(schools.into_iter().map(Scope::School));
    scopes
        .into_iter()
        .map(|scope| {
            let again = match &scope {
                Scope::District { schools } => Scope::District { schools: *schools },
                Scope::School(s) => Scope::School(s.clone()),
            };
            (again, assemble(ctx, cells.to_vec(), scope))
        })
        .collect()
}

/// One unknown kind of one indicator at a cell.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Q {
    N,
    Hits,
    Sum,
    SumSq,
    /// Item index within the indicator, option value.
    Option(usize, i32),
}

/// A number of the window: respondents (`None`) or an indicator's quantity, at an entry.
type Fact = (At2, Option<(Indicator, Q)>);

/// `At` with an order, for sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum At2 {
    Cell(usize, usize),
    Row(usize),
    Column(usize),
    Total,
}

/// What the attack learned about one window.
#[derive(Default, Debug)]
struct Outcome {
    /// Withheld numbers that follow from the shown ones.
    recovered: Vec<String>,
    /// Withheld numbers checked.
    checked: usize,
    /// Of them, withheld for being too telling in themselves.
    coarsened: usize,
}

/// The attack (module documentation), over every report of the window.
fn attack(ctx: &Context, cells: &[Cell]) -> Outcome {
    let table = Table::new(cells.to_vec());
    let (rows, cols) = (table.schools.len(), table.grades.len());
    let ncells = rows * cols;
    let entry_cells = |at: At2| -> Vec<usize> {
        match at {
            At2::Cell(r, c) => vec![r * cols + c],
            At2::Row(r) => (0..cols).map(|c| r * cols + c).collect(),
            At2::Column(c) => (0..rows).map(|r| r * cols + c).collect(),
            At2::Total => (0..ncells).collect(),
        }
    };
    let public: Vec<bool> = (0..ncells)
        .map(|x| table.public(x / cols, x % cols))
        .collect();
    let entry_public = |at: At2| entry_cells(at).iter().all(|x| public[*x]) && ncells > 0;
    let indicators: Vec<Indicator> = {
        let mut v: Vec<Indicator> = ctx.items.iter().map(|i| i.indicator()).collect();
        v.sort();
        v.dedup();
        v
    };
    let items_of = |ind: Indicator| -> Vec<&ItemRow> {
        ctx.items.iter().filter(|i| i.indicator() == ind).collect()
    };
    // Shown and withheld numbers, over all reports.
    let mut shown: BTreeSet<Fact> = BTreeSet::new();
    let mut answered_shown: BTreeSet<(At2, Indicator, usize)> = BTreeSet::new();
    let mut withheld: BTreeMap<Fact, (String, bool)> = BTreeMap::new();
    let mut hold = |fact: Fact, label: String, coarse: bool| {
        withheld.entry(fact).or_insert((label, coarse));
    };
    for (scope, report) in every_report(ctx, cells) {
        let mut rows_at: Vec<(&ReportRow, At2)> = Vec::new();
        match &scope {
            Scope::District { .. } => {
                rows_at.push((&report.total, At2::Total));
                for row in &report.schools {
                    let r = table
                        .schools
                        .iter()
                        .position(|s| Some(s) == row.school_id.as_ref())
                        .unwrap();
                    rows_at.push((row, At2::Row(r)));
                }
                for (c, row) in report.grades.iter().enumerate() {
                    rows_at.push((row, At2::Column(c)));
                }
            }
            Scope::School(s) => {
                let r = table.schools.iter().position(|x| x == s).unwrap();
                rows_at.push((&report.total, At2::Row(r)));
                for (c, row) in report.grades.iter().enumerate() {
                    rows_at.push((row, At2::Cell(r, c)));
                }
            }
        }
        let total_at = rows_at[0].1;
        for (row, at) in &rows_at {
            let at = *at;
            match row.respondents {
                Some(_) => {
                    shown.insert((at, None));
                }
                None => hold((at, None), format!("respondents at {at:?}"), false),
            }
            for ind in &row.indicators {
                let i = ind.indicator;
                let coarse = ind.suppressed == Some(Suppression::Coarsened);
                let mut fact = |q: Q, is_shown: bool| {
                    let f = (at, Some((i, q.clone())));
                    if is_shown {
                        shown.insert(f);
                    } else {
                        hold(f, format!("{i:?} {q:?} at {at:?}"), coarse);
                    }
                };
                fact(Q::N, ind.n.is_some());
                let share = ind.favorable.as_ref().or(ind.prevalence.as_ref());
                fact(Q::Hits, share.is_some_and(|p| p.value.is_some()));
                if i != Indicator::BullyingVictimization {
                    fact(Q::Sum, ind.mean.is_some());
                    fact(Q::SumSq, ind.mean_ci_low.is_some());
                }
            }
        }
        for it in &report.items {
            let ind = it.indicator;
            let index = items_of(ind)
                .iter()
                .position(|x| x.id == it.item_id)
                .unwrap();
            let coarse = it.suppressed == Some(Suppression::Coarsened);
            if let Some(d) = &it.distribution {
                answered_shown.insert((total_at, ind, index));
                if let Some(counts) = &d.counts {
                    for c in counts {
                        shown.insert((total_at, Some((ind, Q::Option(index, c.value)))));
                    }
                    continue;
                }
            }
            for (v, _) in it.scale.options() {
                hold(
                    (total_at, Some((ind, Q::Option(index, *v)))),
                    format!("{} option {v} at {total_at:?}", it.item_id),
                    coarse,
                );
            }
        }
    }
    let withheld: Vec<(Fact, (String, bool))> = withheld
        .into_iter()
        .filter(|(f, _)| !shown.contains(f) && !entry_public(f.0))
        .collect();

    // Respondents: columns 0..ncells. Indicator g: its quantities per cell, then respondents.
    let respondent_eqs: Vec<Vec<i128>> = shown
        .iter()
        .filter(|(_, q)| q.is_none())
        .map(|(at, _)| {
            let mut v = vec![0i128; ncells];
            entry_cells(*at).iter().for_each(|x| v[*x] = 1);
            v
        })
        .chain((0..ncells).filter(|x| public[*x]).map(|x| {
            let mut v = vec![0i128; ncells];
            v[x] = 1;
            v
        }))
        .collect();
    struct Sub {
        quantities: Vec<Q>,
        span: Span,
    }
    let mut subs: BTreeMap<Indicator, Sub> = BTreeMap::new();
    for &ind in &indicators {
        let its = items_of(ind);
        let mut quantities = vec![Q::N, Q::Hits];
        if ind != Indicator::BullyingVictimization {
            quantities.extend([Q::Sum, Q::SumSq]);
        }
        for (index, it) in its.iter().enumerate() {
            quantities.extend(
                it.scale()
                    .options()
                    .iter()
                    .map(|(v, _)| Q::Option(index, *v)),
            );
        }
        let nq = quantities.len();
        let width = ncells * nq + ncells;
        let col = |x: usize, q: &Q| x * nq + quantities.iter().position(|y| y == q).unwrap();
        let resp = |x: usize| ncells * nq + x;
        let mut span = Span::default();
        for eq in &respondent_eqs {
            let mut v = vec![0i128; width];
            v[ncells * nq..].copy_from_slice(eq);
            span.add(v);
        }
        // Identities from the scoring rules, cell by cell.
        for x in 0..ncells {
            let unit = |c: usize| {
                let mut v = vec![0i128; width];
                v[c] = 1;
                v
            };
            if public[x] {
                for q in &quantities {
                    span.add(unit(col(x, q)));
                }
            }
            for (index, it) in its.iter().enumerate() {
                let options = it.scale().options();
                if it.required {
                    let mut v = vec![0i128; width];
                    options
                        .iter()
                        .for_each(|(o, _)| v[col(x, &Q::Option(index, *o))] = 1);
                    v[resp(x)] = -1;
                    span.add(v);
                }
            }
            if its.iter().any(|i| i.required) {
                let mut v = unit(col(x, &Q::N));
                v[resp(x)] = -1;
                span.add(v);
            }
            if let [it] = its.as_slice() {
                let options = it.scale().options();
                let value = |o: i32| -> i128 {
                    let v = if it.scale() == Scale::YesNo {
                        if o == 2 {
                            5
                        } else {
                            1
                        }
                    } else {
                        i128::from(o)
                    };
                    if it.reverse_scored {
                        6 - v
                    } else {
                        v
                    }
                };
                let hit = |o: i32| {
                    if ind == Indicator::BullyingVictimization {
                        it.scale() == Scale::Frequency5 && o >= FREQUENT_AT
                    } else {
                        value(o) >= i128::from(FAVORABLE_AT)
                    }
                };
                let mut relations: Vec<(Q, Vec<i128>)> = vec![
                    (Q::N, options.iter().map(|_| 1).collect()),
                    (
                        Q::Hits,
                        options.iter().map(|(o, _)| i128::from(hit(*o))).collect(),
                    ),
                ];
                if ind != Indicator::BullyingVictimization {
                    let values: Vec<i128> = options.iter().map(|(o, _)| value(*o)).collect();
                    let squares = values.iter().map(|v| v * v).collect();
                    relations.push((Q::Sum, values));
                    relations.push((Q::SumSq, squares));
                }
                for (q, per) in relations {
                    let mut v = unit(col(x, &q));
                    for ((o, _), coefficient) in options.iter().zip(per) {
                        v[col(x, &Q::Option(0, *o))] -= coefficient;
                    }
                    span.add(v);
                }
            }
        }
        for (at, fact) in &shown {
            if let Some((i, q)) = fact {
                if *i == ind {
                    let mut v = vec![0i128; width];
                    entry_cells(*at).iter().for_each(|x| v[col(*x, q)] = 1);
                    span.add(v);
                }
            }
        }
        for (at, i, index) in &answered_shown {
            if *i == ind {
                let mut v = vec![0i128; width];
                for x in entry_cells(*at) {
                    for (o, _) in its[*index].scale().options() {
                        v[col(x, &Q::Option(*index, *o))] = 1;
                    }
                }
                span.add(v);
            }
        }
        subs.insert(ind, Sub { quantities, span });
    }
    // What each indicator's numbers imply about respondents alone, then shared with the others.
    let shadows: BTreeMap<Indicator, Vec<Vec<i128>>> = subs
        .iter()
        .map(|(ind, sub)| {
            let from = ncells * sub.quantities.len();
            let tail = sub.span.tail(from);
            (*ind, tail.into_iter().map(|v| v[from..].to_vec()).collect())
        })
        .collect();
    let mut respondents = Span::default();
    for v in respondent_eqs.iter().chain(shadows.values().flatten()) {
        respondents.add(v.clone());
    }
    for (ind, sub) in subs.iter_mut() {
        let from = ncells * sub.quantities.len();
        for (other, eqs) in &shadows {
            if other != ind {
                for eq in eqs {
                    let mut v = vec![0i128; from];
                    v.extend_from_slice(eq);
                    sub.span.add(v);
                }
            }
        }
    }
    let mut out = Outcome::default();
    for ((at, fact), (label, coarse)) in withheld {
        let recovered = match fact {
            None => {
                let mut v = vec![0i128; ncells];
                entry_cells(at).iter().for_each(|x| v[*x] = 1);
                respondents.contains(v)
            }
            Some((ind, q)) => {
                let sub = &subs[&ind];
                let nq = sub.quantities.len();
                let qi = sub.quantities.iter().position(|y| *y == q).unwrap();
                let mut v = vec![0i128; ncells * nq + ncells];
                entry_cells(at).iter().for_each(|x| v[x * nq + qi] = 1);
                sub.span.contains(v)
            }
        };
        if recovered {
            out.recovered.push(label);
        }
        out.checked += 1;
        out.coarsened += usize::from(coarse);
    }
    out
}

/// Asserts what every shown number must satisfy on its own: no shown share, mean or answer
/// count tells that all or all but one gave one answer, and coarse categories are true and
/// admit two counts or more.
fn check_shown(ctx: &Context, cells: &[Cell]) {
    for (_, report) in every_report(ctx, cells) {
        let rows = std::iter::once(&report.total)
            .chain(&report.schools)
            .chain(&report.grades);
        for row in rows {
            for ind in &row.indicators {
                let share = ind.favorable.as_ref().or(ind.prevalence.as_ref());
                let (Some(p), Some(n)) = (share, ind.n) else {
                    continue;
                };
                if let Some(v) = p.value {
                    // Exact shares come from at least 2 hits and 2 misses, beyond 5% and 95%.
                    assert!(v > 5.0 && v < 95.0 && n >= 4, "{ind:?}");
                    continue;
                }
                let bound: f64 = p
                    .display
                    .trim_start_matches(['<', '>', '='])
                    .parse()
                    .unwrap();
                let admits = |h: u64| {
                    let pct = 100.0 * h as f64 / n as f64;
                    if p.display.starts_with("<=") {
                        pct <= bound + 1e-9
                    } else {
                        pct >= bound - 1e-9
                    }
                };
                let admitted = (0..=n).filter(|h| admits(*h)).count();
                assert!(admitted >= 2, "{} of n = {n} pins the count", p.display);
                assert!(p.low.is_none() && p.high.is_none() && p.coarsened);
            }
        }
        for it in &report.items {
            if let Some(counts) = it.distribution.as_ref().and_then(|d| d.counts.as_ref()) {
                let n: u64 = counts.iter().map(|c| c.count).sum();
                let largest = counts.iter().map(|c| c.count).max().unwrap_or(0);
                assert!(largest + 1 < n, "{it:?}");
            }
        }
    }
}

fn context<'a>(w: &'a WindowRow, ins: &'a InstrumentRow, items: &'a [ItemRow]) -> Context<'a> {
    Context {
        window: w,
        instrument: ins,
        items,
        scoring_rules_version: crate::surveys::scoring::SCORING_RULES_VERSION,
    }
}

fn indicator(row: &ReportRow, i: Indicator) -> &IndicatorResult {
    row.indicators.iter().find(|x| x.indicator == i).unwrap()
}

// ----- The reviewer's breaks, each reproduced. -----

#[test]
fn a_grade_where_nobody_was_victimized_is_not_pinned_by_its_coarse_share() {
    let items = items([true; 4]);
    let (w, ins) = (window(10), instrument());
    let ctx = context(&w, &ins, &items);
    // Grade 7: 12 respondents, none victimized ("<5" used to pin 0 of 12).
    let mut seven = varied(12, 0);
    seven.iter_mut().for_each(|r| r[3] = Some(1));
    let cells = vec![
        cell(&items, ("a", 6), 30, 0, &varied(25, 1)),
        cell(&items, ("a", 7), 14, 0, &seven),
        cell(&items, ("a", 8), 30, 0, &varied(26, 2)),
        cell(&items, ("b", 6), 30, 0, &varied(24, 3)),
        cell(&items, ("b", 7), 30, 0, &varied(27, 4)),
        cell(&items, ("b", 8), 30, 0, &varied(23, 5)),
    ];
    let report = assemble(&ctx, cells.clone(), Scope::School("a".into()));
    let v = indicator(&report.grades[1], Indicator::BullyingVictimization);
    assert_eq!(v.suppressed, Some(Suppression::Coarsened), "{v:?}");
    let p = v.prevalence.as_ref().unwrap();
    assert_eq!((p.display.as_str(), p.value), ("<=8.4", None), "{p:?}");
    check_shown(&ctx, &cells);
    let outcome = attack(&ctx, &cells);
    assert!(outcome.recovered.is_empty(), "{outcome:?}");
}

#[test]
fn a_nearly_unanimous_grade_cannot_be_recovered_from_the_school_total() {
    let items = items([true; 4]);
    let (w, ins) = (window(10), instrument());
    let ctx = context(&w, &ins, &items);
    // Grade 8: 27 of 28 victimized (">95" used to be recovered as 27 of 28).
    let mut eight = varied(28, 0);
    eight
        .iter_mut()
        .enumerate()
        .for_each(|(i, r)| r[3] = Some(1 + i32::from(i > 0)));
    let cells = vec![
        cell(&items, ("a", 6), 30, 0, &varied(25, 1)),
        cell(&items, ("a", 7), 30, 0, &varied(22, 2)),
        cell(&items, ("a", 8), 30, 0, &eight),
        cell(&items, ("b", 6), 30, 0, &varied(24, 3)),
        cell(&items, ("b", 7), 30, 0, &varied(27, 4)),
        cell(&items, ("b", 8), 30, 0, &varied(23, 5)),
    ];
    let report = assemble(&ctx, cells.clone(), Scope::School("a".into()));
    let v = indicator(&report.grades[2], Indicator::BullyingVictimization);
    assert_eq!(v.prevalence.as_ref().unwrap().display, ">=96.4");
    // The school total or another grade is withheld beside it.
    let exact = |row: &ReportRow| {
        indicator(row, Indicator::BullyingVictimization)
            .prevalence
            .as_ref()
            .is_some_and(|p| p.value.is_some())
    };
    let shown =
        report.grades.iter().filter(|g| exact(g)).count() + usize::from(exact(&report.total));
    assert!(shown <= 2, "{report:?}");
    check_shown(&ctx, &cells);
    let outcome = attack(&ctx, &cells);
    assert!(outcome.recovered.is_empty(), "{outcome:?}");
}

#[test]
fn a_school_of_unanimous_answers_cannot_be_recovered_from_the_district_counts() {
    let items = items([true; 4]);
    let (w, ins) = (window(10), instrument());
    let ctx = context(&w, &ins, &items);
    // School a: all 36 "strongly agree" on s1 (used to follow from district minus school b).
    let strongly = |n: usize, seed: usize| {
        let mut v = varied(n, seed);
        v.iter_mut().for_each(|r| r[2] = Some(5));
        v
    };
    let cells = vec![
        cell(&items, ("a", 6), 20, 0, &strongly(18, 0)),
        cell(&items, ("a", 7), 20, 0, &strongly(18, 1)),
        cell(&items, ("b", 6), 30, 0, &varied(25, 2)),
        cell(&items, ("b", 7), 30, 0, &varied(27, 3)),
    ];
    let school = assemble(&ctx, cells.clone(), Scope::School("a".into()));
    let s1 = school.items.iter().find(|i| i.item_id == "s1").unwrap();
    assert!(s1.distribution.is_none(), "{s1:?}");
    assert_eq!(s1.suppressed, Some(Suppression::Coarsened));
    let district = assemble(&ctx, cells.clone(), Scope::District { schools: true });
    let other = assemble(&ctx, cells.clone(), Scope::School("b".into()));
    let shown = |r: &ClimateReport| {
        r.items
            .iter()
            .find(|i| i.item_id == "s1")
            .unwrap()
            .distribution
            .is_some()
    };
    assert!(!(shown(&district) && shown(&other)), "{district:?}");
    check_shown(&ctx, &cells);
    let outcome = attack(&ctx, &cells);
    assert!(outcome.recovered.is_empty(), "{outcome:?}");
}

#[test]
fn a_unanimous_top_index_is_withheld() {
    let items = items([true; 4]);
    let (w, ins) = (window(10), instrument());
    let ctx = context(&w, &ins, &items);
    // Grade 7: 18 respondents, all "strongly agree" / reverse "strongly disagree": index 5.0
    // with interval [5.0, 5.0] used to be shown.
    let mut seven = varied(18, 0);
    seven.iter_mut().for_each(|r| {
        r[0] = Some(5);
        r[1] = Some(1);
    });
    let cells = vec![
        cell(&items, ("a", 6), 30, 0, &varied(25, 1)),
        cell(&items, ("a", 7), 30, 0, &seven),
        cell(&items, ("a", 8), 30, 0, &varied(26, 2)),
        cell(&items, ("b", 6), 30, 0, &varied(24, 3)),
        cell(&items, ("b", 7), 30, 0, &varied(27, 4)),
        cell(&items, ("b", 8), 30, 0, &varied(23, 5)),
    ];
    let report = assemble(&ctx, cells.clone(), Scope::School("a".into()));
    let b = indicator(&report.grades[1], Indicator::Belonging);
    assert_eq!(b.suppressed, Some(Suppression::Coarsened));
    assert_eq!((b.mean, b.mean_ci_low, b.mean_ci_high), (None, None, None));
    assert_eq!(b.n, Some(18));
    // A unanimous middle answer is withheld too, though its share is not extreme in percent.
    let mut middle = varied(18, 0);
    middle.iter_mut().for_each(|r| {
        r[0] = Some(3);
        r[1] = Some(3);
    });
    let mut flat = cells.clone();
    flat[1] = cell(&items, ("a", 7), 30, 0, &middle);
    let report = assemble(&ctx, flat.clone(), Scope::School("a".into()));
    assert_eq!(
        indicator(&report.grades[1], Indicator::Belonging).mean,
        None
    );
    for cells in [cells, flat] {
        check_shown(&ctx, &cells);
        let outcome = attack(&ctx, &cells);
        assert!(outcome.recovered.is_empty(), "{outcome:?}");
    }
}

#[test]
fn a_fully_opted_out_grade_is_known_empty_and_protects_nothing() {
    let items = items([true; 4]);
    let (w, ins) = (window(10), instrument());
    let ctx = context(&w, &ins, &items);
    let cells = vec![
        cell(&items, ("a", 6), 0, 20, &[]),
        cell(&items, ("a", 7), 5, 0, &varied(3, 0)),
        cell(&items, ("a", 8), 45, 0, &varied(40, 1)),
        cell(&items, ("b", 6), 30, 0, &varied(24, 3)),
        cell(&items, ("b", 7), 30, 0, &varied(27, 4)),
        cell(&items, ("b", 8), 30, 0, &varied(23, 5)),
    ];
    let report = assemble(&ctx, cells.clone(), Scope::School("a".into()));
    let six = &report.grades[0];
    assert_eq!(
        (six.respondents, six.suppressed),
        (Some(0), None),
        "{six:?}"
    );
    assert_eq!(report.grades[1].suppressed, Some(Suppression::SmallCell));
    // The partner of grade 7 is a real number, not the known 0.
    assert!(report.grades[2].suppressed.is_some() || report.total.suppressed.is_some());
    check_shown(&ctx, &cells);
    let outcome = attack(&ctx, &cells);
    assert!(outcome.recovered.is_empty(), "{outcome:?}");
}

#[test]
fn too_few_settled_respondents_make_a_cell_small() {
    let items = items([true; 4]);
    let (w, ins) = (window(10), instrument());
    let ctx = context(&w, &ins, &items);
    let mut cells = vec![
        cell(&items, ("a", 6), 30, 0, &varied(25, 1)),
        cell(&items, ("a", 7), 30, 0, &varied(12, 2)),
        cell(&items, ("b", 6), 30, 0, &varied(24, 3)),
        cell(&items, ("b", 7), 30, 0, &varied(27, 4)),
    ];
    cells[1].settled_respondents = 9;
    let report = assemble(&ctx, cells.clone(), Scope::School("a".into()));
    assert_eq!(report.grades[1].suppressed, Some(Suppression::SmallCell));
    assert_eq!(report.grades[1].respondents, None);
    let outcome = attack(&ctx, &cells);
    assert!(outcome.recovered.is_empty(), "{outcome:?}");
}

// ----- The attack on many random windows. -----

/// How a cell's respondents answer.
#[derive(Clone, Copy)]
enum Style {
    Random,
    Unanimous,
    AllButOne,
    Skewed,
}

fn random_answers(
    rng: &mut StdRng,
    items: &[ItemRow],
    n: usize,
    style: Style,
) -> Vec<Vec<Option<i32>>> {
    let pick =
        |rng: &mut StdRng, it: &ItemRow| rng.gen_range(1..=it.scale().options().len() as i32);
    let base: Vec<i32> = items.iter().map(|it| pick(rng, it)).collect();
    (0..n)
        .map(|r| {
            items
                .iter()
                .enumerate()
                .map(|(i, it)| {
                    if !it.required && rng.gen_bool(0.2) {
                        return None;
                    }
                    Some(match style {
                        Style::Random => pick(rng, it),
                        Style::Unanimous => base[i],
                        Style::AllButOne if r == 0 => pick(rng, it),
                        Style::AllButOne => base[i],
                        Style::Skewed if rng.gen_bool(0.8) => base[i],
                        Style::Skewed => pick(rng, it),
                    })
                })
                .collect()
        })
        .collect()
}

#[test]
fn no_withheld_number_of_any_report_follows_from_all_the_shown_ones() {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(20_261_127);
    let ins = instrument();
    let (mut checked, mut coarsened, mut tables_coarsened, mut tables) = (0, 0, 0, 0);
    while tables < 160 {
        let k = rng.gen_range(5..=10);
        let w = window(k);
        let required = [0; 4].map(|_| rng.gen_bool(0.75));
        let items = items(required);
        let ctx = context(&w, &ins, &items);
        let (schools, grades) = (rng.gen_range(1..=5), rng.gen_range(1..=4));
        let mut cells = Vec::new();
        for s in 0..schools {
            for g in 0..grades {
                let at = (["a", "b", "c", "d", "e"][s], 6 + g);
                let style = [
                    Style::Random,
                    Style::Unanimous,
                    Style::AllButOne,
                    Style::Skewed,
                ][rng.gen_range(0..4)];
                let kind = rng.gen_range(0..20);
                let mut c = match kind {
                    // Known-empty, with or without opt-outs.
                    0..=2 => cell(&items, at, 0, rng.gen_range(0..=1) * 20, &[]),
                    // Offered, nobody answered.
                    3 => cell(&items, at, rng.gen_range(1..=20), 0, &[]),
                    // Small.
                    4..=8 => {
                        let n = rng.gen_range(1..k as usize);
                        let answers = random_answers(&mut rng, &items, n, style);
                        cell(&items, at, n as i64 + rng.gen_range(0..5), 0, &answers)
                    }
                    _ => {
                        let n = rng.gen_range(k as usize..=30);
                        let answers = random_answers(&mut rng, &items, n, style);
                        let opted = rng.gen_range(0..3);
                        cell(&items, at, n as i64 + rng.gen_range(0..8), opted, &answers)
                    }
                };
                if c.respondents > 0 && rng.gen_bool(0.15) {
                    c.settled_respondents -= rng.gen_range(0..=c.respondents.min(3));
                }
                cells.push(c);
            }
        }
        check_shown(&ctx, &cells);
        let outcome = attack(&ctx, &cells);
        assert!(
            outcome.recovered.is_empty(),
            "k = {k}: {:?} recoverable from {cells:#?}",
            outcome.recovered
        );
        checked += outcome.checked;
        coarsened += outcome.coarsened;
        tables_coarsened += usize::from(outcome.coarsened > 0);
        tables += 1;
    }
    eprintln!(
        "{tables} windows, {checked} withheld numbers ({coarsened} coarsened) checked in {:?}",
        started.elapsed()
    );
    assert!(checked > 5_000, "{checked}");
    assert!(
        coarsened > 500 && tables_coarsened > 40,
        "{coarsened} / {tables_coarsened}"
    );
}

#[test]
fn a_part_of_a_window_is_given_only_as_a_sum_of_entries_every_report_shows() {
    let items = items([true; 4]);
    let (w, ins) = (window(10), instrument());
    let ctx = context(&w, &ins, &items);
    let cells = vec![
        cell(&items, ("a", 6), 30, 0, &varied(25, 1)),
        cell(&items, ("a", 7), 30, 0, &varied(4, 2)),
        cell(&items, ("b", 6), 30, 0, &varied(24, 3)),
        cell(&items, ("b", 7), 30, 0, &varied(27, 4)),
        cell(&items, ("c", 6), 30, 0, &varied(22, 5)),
        cell(&items, ("c", 7), 30, 0, &varied(23, 6)),
    ];
    let protected = protect(&ctx, cells.clone());
    let schools = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let grades = |v: &[i32]| v.iter().copied().collect::<BTreeSet<_>>();
    let all_grades = grades(&[6, 7]);
    let whole = protected
        .part_sums(
            Indicator::Belonging,
            &schools(&["a", "b", "c"]),
            &all_grades,
        )
        .unwrap();
    assert_eq!(whole.sums.n, 25 + 4 + 24 + 27 + 22 + 23);
    assert_eq!(whole.eligible, 180);
    // The small cell alone, or with a neighbour, is never given.
    assert!(protected
        .part_sums(Indicator::Belonging, &schools(&["a"]), &grades(&[7]))
        .is_none());
    assert!(protected
        .part_sums(Indicator::Belonging, &schools(&["a", "b"]), &grades(&[7]))
        .is_none());
    // Whole schools are given exactly when the district report shows each of their rows.
    let report = assemble(&ctx, cells, Scope::District { schools: true });
    let shown = |id: &str| {
        let row = report
            .schools
            .iter()
            .find(|r| r.school_id.as_deref() == Some(id))
            .unwrap();
        indicator(row, Indicator::Belonging).suppressed.is_none()
    };
    for pair in [["a", "b"], ["b", "c"], ["a", "c"]] {
        let part = protected.part_sums(Indicator::Belonging, &schools(&pair), &all_grades);
        assert_eq!(part.is_some(), shown(pair[0]) && shown(pair[1]), "{pair:?}");
    }
    assert!(shown("b") && shown("c"), "the test needs two shown schools");
    let bc = protected
        .part_sums(Indicator::Belonging, &schools(&["b", "c"]), &all_grades)
        .unwrap();
    assert_eq!((bc.sums.n, bc.eligible), (24 + 27 + 22 + 23, 120));
}

#[test]
fn a_form_hidden_at_one_school_is_hidden_at_the_district_total_too() {
    let mut items = items([true; 4]);
    items[3].bullying_form = Some(BullyingForm::Physical);
    let mut verbal = item("v2", "frequency_5", "bullying_victimization", false, true);
    verbal.bullying_form = Some(BullyingForm::Verbal);
    verbal.position = 5;
    items.push(verbal);
    let (w, ins) = (window(10), instrument());
    let ctx = context(&w, &ins, &items);
    // Physical: school a 2 of 40 frequently victimized (sensitive: at most ⌊40/20⌋, yet its
    // item's answer counts are not), school b 12 of 40; verbal (the second item) about one in
    // four everywhere, so the headline is not sensitive.
    let victims = |n: usize, hit: usize, seed: usize| {
        let mut v = varied(n, seed);
        v.iter_mut().enumerate().for_each(|(i, r)| {
            r[3] = Some(1 + i32::from(i < hit));
            r.push(Some(1 + i32::from(i % 4 == 1)));
        });
        v
    };
    let cells = vec![
        cell(&items, ("a", 6), 50, 0, &victims(40, 2, 1)),
        cell(&items, ("b", 6), 50, 0, &victims(40, 12, 2)),
    ];
    let forms = |scope: Scope| {
        let report = assemble(&ctx, cells.clone(), scope);
        let b = indicator(&report.total, Indicator::BullyingVictimization).clone();
        (b, report)
    };
    let physical = |b: &IndicatorResult| {
        b.forms
            .iter()
            .find(|f| f.form == BullyingForm::Physical)
            .cloned()
    };
    let (school_a, report_a) = forms(Scope::School("a".into()));
    assert!(
        school_a.prevalence.as_ref().unwrap().value.is_some(),
        "{school_a:?}"
    );
    // Withheld, it shows nothing, not even a coarse category (whose absence elsewhere would
    // tell a form is not sensitive), and its item's answer counts are withheld with it.
    assert!(physical(&school_a).is_none(), "{school_a:?}");
    let item = |report: &ClimateReport, id: &str| {
        report
            .items
            .iter()
            .find(|i| i.item_id == id)
            .unwrap()
            .clone()
    };
    let v1 = item(&report_a, "v1");
    assert!(
        v1.distribution.is_none() && v1.suppressed.is_some(),
        "{v1:?}"
    );
    assert!(item(&report_a, "v2").distribution.is_some());
    let (school_b, _) = forms(Scope::School("b".into()));
    assert_eq!(physical(&school_b).unwrap().prevalence.value, Some(30.0));
    // The district's 14 of 80 is not sensitive, but beside school b's 12 it would give school
    // a's 2: it is withheld with its item, and the verbal form and the headline are not.
    let (district, report) = forms(Scope::District { schools: true });
    assert!(physical(&district).is_none(), "{district:?}");
    assert!(item(&report, "v1").distribution.is_none());
    let verbal = district
        .forms
        .iter()
        .find(|f| f.form == BullyingForm::Verbal);
    assert!(
        verbal.is_some_and(|f| f.prevalence.value.is_some()),
        "{district:?}"
    );
    assert!(district
        .prevalence
        .as_ref()
        .is_some_and(|p| p.value.is_some()));
}

// ----- Stored renderings. -----

/// Every report is read back from its stored rendering as exactly the report that was stored
/// (charts are drawn from it), whatever its suppressions.
#[test]
fn every_report_reads_back_from_its_stored_rendering() {
    let mut rng = StdRng::seed_from_u64(20_261_206);
    let ins = instrument();
    for k in [5, 10] {
        let w = window(k);
        let items = items([true, false, true, false]);
        let ctx = context(&w, &ins, &items);
        let styles = [
            Style::Random,
            Style::Skewed,
            Style::Unanimous,
            Style::AllButOne,
        ];
        let mut cells = Vec::new();
        for (s, school) in ["a", "b", "c"].into_iter().enumerate() {
            for g in 6..=8 {
                let n = rng.gen_range(0..40);
                let style = styles[(s + g as usize) % styles.len()];
                let answers = random_answers(&mut rng, &items, n, style);
                cells.push(cell(&items, (school, g), n as i64 + 5, 0, &answers));
            }
        }
        for (_, report) in every_report(&ctx, &cells) {
            let stored = crate::reports::rendering::render(&report).unwrap();
            let back = crate::reports::rendering::read_back(&stored.json).expect("reads back");
            assert_eq!(serde_json::to_string(&back).unwrap(), stored.json);
            assert_eq!(crate::reports::csv::render(&back).unwrap(), stored.csv);
        }
    }
}
