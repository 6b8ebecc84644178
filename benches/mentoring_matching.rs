//! How `suggest` scales with program size: `cargo bench --bench mentoring_matching`.
//!
//! Programs are seeded and shaped like a real high school's: mentors in grades 10–12 with two
//! open slots each, mentees in grades 9–10 (twice as many as mentors), interests from the
//! vocabulary of 12, availability from 5 weekdays × 3 periods, and about 2% of mentor–mentee
//! pairs marked do-not-match. Only `suggest` is timed, not building the program.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use securebase::mentoring::matching::{suggest, Mentee, Mentor, Problem, Rules};
use securebase::mentoring::models::Slot;
use securebase::mentoring::vocab::{Interest, Period, Weekday};

const SIZES: [(usize, usize); 5] = [(50, 100), (100, 200), (200, 400), (300, 600), (400, 800)];
const RUNS: usize = 5;

struct Program {
    rules: Rules,
    mentors: Vec<Mentor>,
    mentees: Vec<Mentee>,
    do_not_match: HashSet<(String, String)>,
}

fn pick(rng: &mut StdRng, vocabulary: &[String], min: usize, max: usize) -> Vec<String> {
    let n = rng.gen_range(min..=max);
    vocabulary.choose_multiple(rng, n).cloned().collect()
}

fn program(mentors: usize, mentees: usize, seed: u64) -> Program {
    let mut rng = StdRng::seed_from_u64(seed);
    // The real vocabularies, as the API stores them.
    let interests: Vec<String> = Interest::ALL
        .iter()
        .map(|i| i.as_str().to_owned())
        .collect();
    let slots: Vec<String> = Weekday::ALL
        .iter()
        .flat_map(|&day| {
            Period::ALL
                .iter()
                .map(move |&period| Slot { day, period }.key())
        })
        .collect();
    let mentors: Vec<Mentor> = (0..mentors)
        .map(|i| Mentor {
            id: format!("mentor-{i:04}"),
            grade: rng.gen_range(10..=12),
            open_slots: 2,
            interests: pick(&mut rng, &interests, 2, 8),
            availability: pick(&mut rng, &slots, 2, 6),
        })
        .collect();
    let mentees: Vec<Mentee> = (0..mentees)
        .map(|i| Mentee {
            id: format!("mentee-{i:04}"),
            grade: rng.gen_range(9..=10),
            interests: pick(&mut rng, &interests, 2, 8),
            availability: pick(&mut rng, &slots, 2, 6),
        })
        .collect();
    let mut do_not_match = HashSet::new();
    for m in &mentors {
        for e in &mentees {
            if rng.gen_bool(0.02) {
                do_not_match.insert((m.id.clone(), e.id.clone()));
            }
        }
    }
    let rules = Rules {
        mentor_grades: vec![10, 11, 12],
        mentee_grades: vec![9, 10],
        min_grade_gap: 1,
        preferred_grade_gap: 2,
    };
    Program {
        rules,
        mentors,
        mentees,
        do_not_match,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    println!("suggest(): {RUNS} runs per size, release build");
    for (i, &(mentors, mentees)) in SIZES.iter().enumerate() {
        let p = program(mentors, mentees, 1000 + i as u64);
        let problem = Problem {
            rules: &p.rules,
            mentors: &p.mentors,
            mentees: &p.mentees,
            do_not_match: &p.do_not_match,
        };
        let mut times = Vec::with_capacity(RUNS);
        let mut result = None;
        for _ in 0..RUNS {
            let start = Instant::now();
            let s = std::hint::black_box(suggest(std::hint::black_box(&problem)));
            times.push(start.elapsed());
            result = Some(s);
        }
        times.sort();
        let s = result.expect("RUNS > 0");
        println!(
            "mentors {mentors:>3} x 2 slots, mentees {mentees:>3}: median {:>8.1} ms  \
             (min {:.1}, max {:.1})  matched {:>3}, total score {}",
            ms(times[RUNS / 2]),
            ms(times[0]),
            ms(times[RUNS - 1]),
            s.pairs.len(),
            s.total_score,
        );
    }
}
