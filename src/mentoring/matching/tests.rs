use super::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

fn rules() -> Rules {
    Rules {
        mentor_grades: vec![11, 12],
        mentee_grades: vec![9, 10],
        min_grade_gap: 1,
        preferred_grade_gap: 2,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn mentor(
    id: &str,
    grade: i32,
    open_slots: u32,
    interests: &[&str],
    availability: &[&str],
) -> Mentor {
    Mentor {
        id: id.into(),
        grade,
        open_slots,
        interests: strings(interests),
        availability: strings(availability),
    }
}

fn mentee(id: &str, grade: i32, interests: &[&str], availability: &[&str]) -> Mentee {
    Mentee {
        id: id.into(),
        grade,
        interests: strings(interests),
        availability: strings(availability),
    }
}

fn dnm(pairs: &[(&str, &str)]) -> HashSet<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn solve(
    rules: &Rules,
    mentors: &[Mentor],
    mentees: &[Mentee],
    do_not_match: &HashSet<(String, String)>,
) -> Suggestions {
    suggest(&Problem {
        rules,
        mentors,
        mentees,
        do_not_match,
    })
}

fn ids(s: &Suggestions) -> Vec<(&str, &str)> {
    s.pairs
        .iter()
        .map(|p| (p.mentor_id.as_str(), p.mentee_id.as_str()))
        .collect()
}

fn unmatched(s: &Suggestions) -> Vec<(&str, UnmatchedReason)> {
    s.unmatched_mentees
        .iter()
        .map(|u| (u.mentee_id.as_str(), u.reason))
        .collect()
}

/// Best remaining pair first, the strategy the optimum must beat: (served, total).
fn greedy(p: &Problem) -> (usize, i64) {
    let mut cells: Vec<(i64, usize, usize)> = Vec::new();
    for (m, a) in p.mentors.iter().enumerate() {
        for (e, b) in p.mentees.iter().enumerate() {
            if eligible(p, a, b) {
                cells.push((score(p.rules, a, b).total, m, e));
            }
        }
    }
    cells.sort_by(|a, b| b.cmp(a));
    let mut left: Vec<u32> = p.mentors.iter().map(|m| m.open_slots).collect();
    let mut served = vec![false; p.mentees.len()];
    let mut result = (0, 0);
    for (s, m, e) in cells {
        if left[m] > 0 && !served[e] {
            left[m] -= 1;
            served[e] = true;
            result = (result.0 + 1, result.1 + s);
        }
    }
    result
}

fn brute_force(p: &Problem) -> (usize, i64) {
    fn go(p: &Problem, e: usize, left: &mut [u32], now: (usize, i64), best: &mut (usize, i64)) {
        if e == p.mentees.len() {
            *best = (*best).max(now);
            return;
        }
        go(p, e + 1, left, now, best);
        for m in 0..p.mentors.len() {
            if left[m] > 0 && eligible(p, &p.mentors[m], &p.mentees[e]) {
                left[m] -= 1;
                let total = now.1 + score(p.rules, &p.mentors[m], &p.mentees[e]).total;
                go(p, e + 1, left, (now.0 + 1, total), best);
                left[m] += 1;
            }
        }
    }
    let mut left: Vec<u32> = p.mentors.iter().map(|m| m.open_slots).collect();
    let mut best = (0, 0);
    go(p, 0, &mut left, (0, 0), &mut best);
    best
}

/// Every invariant of a result that does not depend on which optimum was chosen.
fn assert_valid(p: &Problem, s: &Suggestions) {
    let mentor = |id: &str| p.mentors.iter().find(|m| m.id == id).unwrap();
    let mentee = |id: &str| p.mentees.iter().find(|e| e.id == id).unwrap();
    let mut seen = HashSet::new();
    for pair in &s.pairs {
        let (r, e) = (mentor(&pair.mentor_id), mentee(&pair.mentee_id));
        assert!(eligible(p, r, e), "ineligible pair {pair:?}");
        assert_eq!(pair.score, score(p.rules, r, e));
        assert!(seen.insert(&pair.mentee_id), "mentee matched twice");
    }
    for r in p.mentors {
        let used = s.pairs.iter().filter(|x| x.mentor_id == r.id).count();
        assert!(used <= r.open_slots as usize, "{} over capacity", r.id);
    }
    for u in &s.unmatched_mentees {
        assert!(!seen.contains(&u.mentee_id));
        let any = p
            .mentors
            .iter()
            .any(|r| eligible(p, r, mentee(&u.mentee_id)));
        let want = if any {
            UnmatchedReason::CapacityTaken
        } else {
            UnmatchedReason::NoEligibleMentor
        };
        assert_eq!(u.reason, want);
    }
    assert_eq!(s.pairs.len() + s.unmatched_mentees.len(), p.mentees.len());
    assert_eq!(
        s.total_score,
        s.pairs.iter().map(|x| x.score.total).sum::<i64>()
    );
    assert!(s
        .pairs
        .windows(2)
        .all(|w| (&w[0].mentor_id, &w[0].mentee_id) < (&w[1].mentor_id, &w[1].mentee_id)));
    assert!(s
        .unmatched_mentees
        .windows(2)
        .all(|w| w[0].mentee_id < w[1].mentee_id));
}

#[test]
fn grades_outside_the_program_lists_are_never_paired() {
    let mentors = [
        mentor("m10", 10, 2, &[], &[]),
        mentor("m12", 12, 1, &[], &[]),
    ];
    let mentees = [mentee("e8", 8, &[], &[]), mentee("e9", 9, &[], &[])];
    let none = HashSet::new();
    let s = solve(&rules(), &mentors, &mentees, &none);
    assert_eq!(ids(&s), [("m12", "e9")]);
    assert_eq!(unmatched(&s), [("e8", UnmatchedReason::NoEligibleMentor)]);
    let p = Problem {
        rules: &rules(),
        mentors: &mentors,
        mentees: &mentees,
        do_not_match: &none,
    };
    assert!(
        !eligible(&p, &mentors[0], &mentees[1]),
        "grade 10 is not a mentor grade"
    );
    assert!(
        !eligible(&p, &mentors[1], &mentees[0]),
        "grade 8 is not a mentee grade"
    );
}

#[test]
fn min_grade_gap_is_enforced() {
    let rules = Rules {
        min_grade_gap: 2,
        ..rules()
    };
    let mentors = [mentor("m11", 11, 2, &["chess"], &[])];
    let mentees = [
        mentee("e9", 9, &[], &[]),
        mentee("e10", 10, &["chess"], &[]),
    ];
    let s = solve(&rules, &mentors, &mentees, &HashSet::new());
    assert_eq!(
        ids(&s),
        [("m11", "e9")],
        "a gap of exactly the minimum is allowed"
    );
    assert_eq!(unmatched(&s), [("e10", UnmatchedReason::NoEligibleMentor)]);
}

#[test]
fn do_not_match_applies_in_either_order() {
    // Without the exclusions a–x and b–y would be the perfect pairs.
    let mentors = [
        mentor("a", 11, 1, &["art"], &[]),
        mentor("b", 11, 1, &["code"], &[]),
    ];
    let mentees = [
        mentee("x", 9, &["art"], &[]),
        mentee("y", 9, &["code"], &[]),
    ];
    let excluded = dnm(&[("a", "x"), ("y", "b")]);
    let s = solve(&rules(), &mentors, &mentees, &excluded);
    assert_eq!(ids(&s), [("a", "y"), ("b", "x")]);
    let p = Problem {
        rules: &rules(),
        mentors: &mentors,
        mentees: &mentees,
        do_not_match: &excluded,
    };
    assert!(!eligible(&p, &mentors[0], &mentees[0]));
    assert!(!eligible(&p, &mentors[1], &mentees[1]));
    let only_one = dnm(&[("x", "a"), ("b", "x")]);
    let s = solve(&rules(), &mentors, &mentees, &only_one);
    assert_eq!(ids(&s), [("b", "y")]);
    assert_eq!(unmatched(&s), [("x", UnmatchedReason::NoEligibleMentor)]);
}

#[test]
fn capacity_is_respected() {
    let mentors = [
        mentor("m", 11, 2, &[], &[]),
        mentor("z", 12, 0, &["art"], &[]),
    ];
    let mentees: Vec<Mentee> = (1..=4)
        .map(|i| mentee(&format!("e{i}"), 9, &["art"], &[]))
        .collect();
    let s = solve(&rules(), &mentors, &mentees, &HashSet::new());
    assert_eq!(s.pairs.len(), 2);
    assert!(
        s.pairs.iter().all(|p| p.mentor_id == "m"),
        "a mentor with no open slot gets nobody"
    );
    assert!(s
        .unmatched_mentees
        .iter()
        .all(|u| u.reason == UnmatchedReason::CapacityTaken));
    // A huge capacity is capped by the candidates instead of becoming a huge matrix.
    let roomy = [mentor("m", 11, u32::MAX, &[], &[])];
    let s = solve(&rules(), &roomy, &mentees, &HashSet::new());
    assert_eq!(s.pairs.len(), 4);
}

#[test]
fn serves_more_mentees_than_greedy_best_score() {
    // a–x is a perfect 70 and the only pair for b is x, a low 15 (b may not take y). Taking
    // a–x, as greedy and plain maximum compatibility both would, leaves y unserved.
    let everything = ["art", "chess", "music"];
    let week = ["mon", "tue", "wed", "thu"];
    let mentors = [
        mentor("a", 11, 1, &everything, &week),
        mentor("b", 12, 1, &[], &[]),
    ];
    let mentees = [
        mentee("x", 9, &everything, &week),
        mentee("y", 9, &["code"], &[]),
    ];
    let excluded = dnm(&[("b", "y")]);
    let p = Problem {
        rules: &rules(),
        mentors: &mentors,
        mentees: &mentees,
        do_not_match: &excluded,
    };
    assert_eq!(greedy(&p), (1, 70));
    let s = suggest(&p);
    assert_eq!(ids(&s), [("a", "y"), ("b", "x")]);
    assert_eq!(
        s.total_score,
        20 + 15,
        "a–y gap only, b–x one grade off the preferred gap"
    );
    assert!(s.unmatched_mentees.is_empty());
}

#[test]
fn beats_greedy_total_when_everyone_is_served() {
    let mentors = [
        mentor("a", 11, 1, &["art", "chess", "music"], &["mon", "tue"]),
        mentor("b", 11, 1, &["art", "chess"], &["wed", "thu"]),
    ];
    let mentees = [
        mentee(
            "x",
            9,
            &["art", "chess", "music"],
            &["mon", "tue", "wed", "thu"],
        ),
        mentee("y", 9, &["music"], &["mon", "tue"]),
    ];
    let none = HashSet::new();
    let p = Problem {
        rules: &rules(),
        mentors: &mentors,
        mentees: &mentees,
        do_not_match: &none,
    };
    // a–x 60, a–y 40, b–x 50, b–y 20: greedy takes a–x then b–y.
    assert_eq!(greedy(&p), (2, 80));
    let s = suggest(&p);
    assert_eq!(ids(&s), [("a", "y"), ("b", "x")]);
    assert_eq!(s.total_score, 90);
}

#[test]
fn score_breakdown_arithmetic() {
    let r = mentor(
        "m",
        12,
        1,
        &["robotics", "art", "chess", "music", "art"],
        &["mon1", "tue1", "wed1", "thu1", "fri1", "fri2"],
    );
    let e = mentee(
        "e",
        9,
        &["music", "chess", "soccer", "art", "robotics"],
        &["fri2", "fri1", "thu1", "wed1", "tue1"],
    );
    let s = score(&rules(), &r, &e);
    assert_eq!(
        s.shared_interests,
        ["art", "chess", "music", "robotics"],
        "sorted, deduplicated, all listed"
    );
    assert_eq!(s.interest_points, 30, "at most 3 interests counted");
    assert_eq!(
        s.shared_availability,
        ["fri1", "fri2", "thu1", "tue1", "wed1"]
    );
    assert_eq!(s.availability_points, 20, "at most 4 slots counted");
    assert_eq!(
        (s.grade_gap, s.grade_gap_points),
        (3, 15),
        "one grade from the preferred 2"
    );
    assert_eq!(s.total, 65);

    let gap_points = |mentor_grade, mentee_grade| {
        score(
            &rules(),
            &mentor("m", mentor_grade, 1, &[], &[]),
            &mentee("e", mentee_grade, &[], &[]),
        )
        .grade_gap_points
    };
    assert_eq!(gap_points(11, 9), 20);
    assert_eq!(gap_points(10, 10), 10, "two below the preferred gap");
    assert_eq!(gap_points(12, 6), 0, "four away, exactly zero");
    assert_eq!(gap_points(12, 1), 0, "never below zero");
    let plain = score(
        &rules(),
        &mentor("m", 11, 1, &["art"], &["mon"]),
        &mentee("e", 9, &["code"], &["tue"]),
    );
    assert_eq!(
        (
            plain.interest_points,
            plain.availability_points,
            plain.total
        ),
        (0, 0, 20)
    );
    assert!(plain.shared_interests.is_empty() && plain.shared_availability.is_empty());
    let one_each = score(
        &rules(),
        &mentor("m", 11, 1, &["art"], &["mon"]),
        &mentee("e", 9, &["art"], &["mon"]),
    );
    assert_eq!(
        (
            one_each.interest_points,
            one_each.availability_points,
            one_each.total
        ),
        (10, 5, 35)
    );
}

#[test]
fn more_mentees_than_slots_keeps_the_best() {
    let mentors = [
        mentor("a", 11, 1, &["art"], &[]),
        mentor("b", 12, 1, &["code"], &[]),
    ];
    let mentees = [
        mentee("p", 9, &[], &[]),
        mentee("q", 9, &["art"], &[]),
        mentee("r", 10, &["code"], &[]),
        mentee("s", 10, &[], &[]),
    ];
    let s = solve(&rules(), &mentors, &mentees, &HashSet::new());
    assert_eq!(ids(&s), [("a", "q"), ("b", "r")]);
    assert_eq!(s.total_score, 30 + 30);
    assert_eq!(
        unmatched(&s),
        [
            ("p", UnmatchedReason::CapacityTaken),
            ("s", UnmatchedReason::CapacityTaken)
        ]
    );
}

#[test]
fn empty_programs() {
    let none = HashSet::new();
    let s = solve(&rules(), &[], &[mentee("e", 9, &[], &[])], &none);
    assert_eq!(unmatched(&s), [("e", UnmatchedReason::NoEligibleMentor)]);
    let s = solve(&rules(), &[mentor("m", 11, 2, &[], &[])], &[], &none);
    assert!(s.pairs.is_empty() && s.unmatched_mentees.is_empty() && s.total_score == 0);
}

#[test]
fn result_is_independent_of_input_order() {
    let mut rng = StdRng::seed_from_u64(7);
    // Identical mentors and mentees make many optimal assignments tie.
    let mut mentors: Vec<Mentor> = (0..6)
        .map(|i| mentor(&format!("m{i}"), 11, 2, &["art"], &["mon"]))
        .collect();
    let mut mentees: Vec<Mentee> = (0..9)
        .map(|i| mentee(&format!("e{i}"), 9 + i % 2, &["art"], &["mon"]))
        .collect();
    let none = HashSet::new();
    let first = solve(&rules(), &mentors, &mentees, &none);
    for _ in 0..10 {
        mentors.shuffle(&mut rng);
        mentees.shuffle(&mut rng);
        assert_eq!(solve(&rules(), &mentors, &mentees, &none), first);
    }
}

struct Instance {
    rules: Rules,
    mentors: Vec<Mentor>,
    mentees: Vec<Mentee>,
    excluded: HashSet<(String, String)>,
}

fn random_instance(rng: &mut StdRng) -> Instance {
    const INTERESTS: [&str; 5] = ["art", "chess", "code", "music", "soccer"];
    const SLOTS: [&str; 4] = ["mon", "tue", "wed", "thu"];
    let pick = |rng: &mut StdRng, vocab: &[&str]| -> Vec<String> {
        let n = rng.gen_range(0..=vocab.len());
        vocab
            .choose_multiple(rng, n)
            .map(|s| s.to_string())
            .collect()
    };
    let rules = Rules {
        mentor_grades: vec![10, 11, 12],
        mentee_grades: vec![6, 7, 8, 9, 10],
        min_grade_gap: rng.gen_range(0..=2),
        preferred_grade_gap: rng.gen_range(0..=3),
    };
    let mentors: Vec<Mentor> = (0..rng.gen_range(1..=4))
        .map(|i| Mentor {
            id: format!("m{i}"),
            grade: rng.gen_range(9..=12),
            open_slots: if rng.gen_bool(0.1) {
                0
            } else {
                rng.gen_range(1..=2)
            },
            interests: pick(rng, &INTERESTS),
            availability: pick(rng, &SLOTS),
        })
        .collect();
    let mentees: Vec<Mentee> = (0..rng.gen_range(2..=5))
        .map(|i| Mentee {
            id: format!("e{i}"),
            grade: rng.gen_range(6..=11),
            interests: pick(rng, &INTERESTS),
            availability: pick(rng, &SLOTS),
        })
        .collect();
    let mut excluded = HashSet::new();
    for r in &mentors {
        for e in &mentees {
            if rng.gen_bool(0.3) {
                let pair = if rng.gen() {
                    (r.id.clone(), e.id.clone())
                } else {
                    (e.id.clone(), r.id.clone())
                };
                excluded.insert(pair);
            }
        }
    }
    Instance {
        rules,
        mentors,
        mentees,
        excluded,
    }
}

#[test]
fn matches_brute_force_on_random_instances() {
    let mut rng = StdRng::seed_from_u64(20_240_915);
    for round in 0..200 {
        let Instance {
            rules,
            mentors,
            mentees,
            excluded,
        } = random_instance(&mut rng);
        let p = Problem {
            rules: &rules,
            mentors: &mentors,
            mentees: &mentees,
            do_not_match: &excluded,
        };
        let s = suggest(&p);
        assert_valid(&p, &s);
        assert_eq!(
            (s.pairs.len(), s.total_score),
            brute_force(&p),
            "round {round}: {p:?}"
        );
        for r in &mentors {
            for e in &mentees {
                let (a, b) = (
                    Lists::new(&r.interests, &r.availability),
                    Lists::new(&e.interests, &e.availability),
                );
                let quick = points(
                    count_common(&a.interests, &b.interests),
                    count_common(&a.availability, &b.availability),
                    grade_gap(r, e),
                    rules.preferred_grade_gap,
                );
                assert_eq!(
                    quick.iter().sum::<i64>(),
                    score(&rules, r, e).total,
                    "fast path agrees"
                );
            }
        }
    }
}
