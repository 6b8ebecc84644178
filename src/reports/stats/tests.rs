use super::*;

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

#[test]
fn t_975_matches_published_critical_values() {
    for (df, t) in [
        (1, 12.706),
        (2, 4.303),
        (9, 2.262),
        (29, 2.045),
        (30, 2.042),
        (31, 2.040),
        (40, 2.021),
        (60, 2.000),
        (100, 1.984),
        (120, 1.980),
        (1000, 1.962),
    ] {
        assert!(close(t_975(df), t, 5e-4), "df {df}: {}", t_975(df));
    }
    assert!(close(t_975(1_000_000), Z_975, 1e-5));
    assert_eq!(t_975(0), f64::INFINITY);
}

#[test]
fn t_975_approximation_joins_the_table_smoothly() {
    // 31 from mpmath: 2.039513446.
    assert!(close(t_975(31), 2.039_513_446, 1e-6));
    assert!(t_975(31) < t_975(30));
    assert!((31..500).all(|df| t_975(df + 1) < t_975(df)));
}

#[test]
fn mean_interval_matches_the_reference_computation() {
    // Answers 2, 4, 4, 4, 5, 5, 3, 3 on 1-5 (one 5-point item, step 1): mean 3.75,
    // s² = 1.071429, se = √(s²/8) = 0.365963 without a population, t(7) = 2.364624; on the
    // logit of u = 0.6875 (0.788457): half = t·se/(4u(1−u)) = 1.006969, so
    // 1 + 4·expit(0.788457 ∓ 1.006969) = 2.782354 and 4.430365. Of 10 eligible: se = 0.163663,
    // 3.334942 and 4.101412. Reference: the same formula in Python with numpy and
    // scipy.stats.t.ppf(0.975, 7), written independently of this code.
    let mut s = Sums::default();
    for v in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 3.0, 3.0] {
        s.add(Some(v), Some(v >= 4.0));
    }
    let ci = mean_interval(&s, 0, 1.0).unwrap();
    assert_eq!(ci.mean, 3.75);
    assert!(close(ci.low, 2.782_354, 1e-5), "{ci:?}");
    assert!(close(ci.high, 4.430_365, 1e-5), "{ci:?}");
    assert!(close(ci.se, 0.365_963, 1e-6), "{ci:?}");
    // The same 8 of an eligible 10: se shrinks by √(1 − 8/10).
    let fpc = mean_interval(&s, 10, 1.0).unwrap();
    assert!(close(fpc.se, 0.365_963 * 0.2f64.sqrt(), 1e-6), "{fpc:?}");
    assert!(close(fpc.low, 3.334_942, 1e-5), "{fpc:?}");
    assert!(close(fpc.high, 4.101_412, 1e-5), "{fpc:?}");
    // Everyone eligible answered: the population's mean, exactly.
    let census = mean_interval(&s, 8, 1.0).unwrap();
    assert_eq!((census.low, census.high), (3.75, 3.75));
}

#[test]
fn mean_interval_stays_on_the_scale_and_keeps_a_width_at_unanimity() {
    let mut s = Sums::default();
    s.add(Some(3.0), Some(false));
    assert_eq!(mean_interval(&s, 0, 1.0), None);
    s.add(Some(3.0), Some(false));
    let ci = mean_interval(&s, 0, 1.0).unwrap();
    assert_eq!(ci.mean, 3.0);
    assert!(ci.low < 3.0 && ci.high > 3.0, "{ci:?}");
    // Answers at the top of the scale, and near it, at small n.
    for answers in [
        &[5.0, 5.0, 5.0][..],
        &[5.0, 4.0],
        &[1.0, 1.0, 2.0],
        &[4.5, 5.0, 5.0, 5.0],
    ] {
        let mut s = Sums::default();
        for v in answers {
            s.add(Some(*v), Some(*v >= 4.0));
        }
        let ci = mean_interval(&s, 0, 0.5).unwrap();
        assert!(
            1.0 < ci.low && ci.low < ci.high && ci.high < 5.0,
            "{answers:?}: {ci:?}"
        );
    }
    // Respondents with only yes/no answers have no value: the mean is over those with one.
    let mut s = Sums::default();
    s.add(None, Some(true));
    s.add(Some(4.0), Some(true));
    s.add(Some(2.0), Some(false));
    let ci = mean_interval(&s, 0, 1.0).unwrap();
    assert_eq!((ci.mean, ci.n), (3.0, 2));
}

#[test]
fn wilson_in_a_finite_population_matches_the_reference_computation() {
    // 30 favorable of 40 respondents among 50 eligible: n* = 40·49/10 = 196; statsmodels'
    // proportion_confint(0.75 * 196, 196, method="wilson") = (0.6849671, 0.8054216).
    let w = wilson_in(30, 40, 50).unwrap();
    assert!(close(w.low, 0.684_967_1, 1e-6), "{w:?}");
    assert!(close(w.high, 0.805_421_6, 1e-6), "{w:?}");
    assert!(close(w.se, (0.75f64 * 0.25 / 196.0).sqrt(), 1e-12), "{w:?}");
    // Narrower than without the population, and a census has no interval.
    let plain = wilson(30, 40).unwrap();
    assert!(plain.low < w.low && w.high < plain.high);
    let census = wilson_in(30, 40, 40).unwrap();
    assert_eq!((census.low, census.high), (0.75, 0.75));
    // Without a known population it is Wilson's interval.
    assert_eq!(wilson_in(30, 40, 0), wilson(30, 40));
}

#[test]
fn wilson_matches_published_intervals() {
    // Newcombe (1998), Statistics in Medicine 17:857, table I (method 3).
    for (hits, n, low, high) in [
        (0, 10, 0.0, 0.2775),
        (5, 10, 0.2366, 0.7634),
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ] {
        let w = wilson(hits, n).unwrap();
        assert!(
            close(w.low, low, 5e-5) && close(w.high, high, 5e-5),
            "{hits}/{n}: {w:?}"
        );
        assert_eq!(w.p, hits as f64 / n as f64);
    }
    assert_eq!(wilson(10, 10).unwrap().high, 1.0);
    assert_eq!(wilson(0, 0), None);
    assert_eq!(wilson(3, 2), None);
}

fn share(p: f64) -> Percent {
    percent(&Proportion {
        p,
        low: p / 2.0,
        high: (p + 1.0) / 2.0,
        se: 0.0,
        n: 0,
    })
}

#[test]
fn percent_coarsens_at_and_beyond_five_and_ninety_five() {
    for p in [0.0, 0.03, 0.05] {
        assert_eq!(
            (share(p).display.as_str(), share(p).coarsened),
            ("<5", true)
        );
        assert_eq!(
            (share(p).value, share(p).low, share(p).high),
            (None, None, None)
        );
    }
    for p in [0.95, 0.99, 1.0] {
        assert_eq!(
            (share(p).display.as_str(), share(p).coarsened),
            (">95", true)
        );
    }
    let just_above = share(0.0501);
    assert_eq!((just_above.value, just_above.coarsened), (Some(5.0), false));
    assert_eq!(just_above.display, "5.0");
    assert_eq!(share(0.9499).display, "95.0");
    // Shares computed from counts land on the thresholds exactly or within rounding.
    for (hits, n) in [(1, 20), (19, 20), (5, 100), (95, 100), (3, 60), (57, 60)] {
        assert!(percent(&wilson(hits, n).unwrap()).coarsened, "{hits}/{n}");
    }
}

#[test]
fn percent_rounds_value_and_interval_to_a_tenth() {
    let shown = percent(&wilson(3, 8).unwrap());
    assert_eq!(shown.display, "37.5");
    assert_eq!(shown.value, Some(37.5));
    // Wilson 3/8: 0.1368 to 0.6943.
    assert_eq!((shown.low, shown.high), (Some(13.7), Some(69.4)));
    assert!(!shown.coarsened);
}

#[test]
fn distribution_coarsens_all_or_all_but_one_in_one_option() {
    let all = distribution(&[(1, 0), (2, 12), (3, 0)]);
    assert_eq!(
        (all.n, all.counts.as_ref(), all.coarsened),
        (12, None, true)
    );
    let all_but_one = distribution(&[(1, 1), (2, 11), (3, 0)]);
    assert!(all_but_one.coarsened && all_but_one.counts.is_none());
    let spread = distribution(&[(1, 2), (2, 10), (3, 0)]);
    assert!(!spread.coarsened);
    assert_eq!(
        spread.counts,
        Some(vec![
            OptionCount { value: 1, count: 2 },
            OptionCount {
                value: 2,
                count: 10
            },
            OptionCount { value: 3, count: 0 },
        ])
    );
    assert!(distribution(&[]).coarsened);
    assert!(distribution(&[(1, 0), (2, 0)]).coarsened);
}

#[test]
fn merged_sums_equal_sums_over_all_respondents() {
    // Quarter steps are exact in binary, so the sums agree exactly in any order.
    let values = [1.0, 4.25, 5.0, 2.5, 3.75, 4.0, 1.5, 4.5, 3.0, 5.0];
    let score = |v: f64| (Some(v), Some(v >= 4.0));
    let mut all = Sums::default();
    let (mut left, mut right) = (Sums::default(), Sums::default());
    for (i, v) in values.into_iter().enumerate() {
        let (value, hit) = score(v);
        all.add(value, hit);
        if i % 3 == 0 { &mut left } else { &mut right }.add(value, hit);
    }
    // A victimization-style respondent has a flag and no value.
    all.add(None, Some(true));
    right.add(None, Some(true));
    all.add(None, None);
    left.merge(&right);
    assert_eq!(left, all);
    assert_eq!((all.n, all.hits), (11, 6));
}

#[test]
fn shares_are_sensitive_by_count_not_only_by_percent() {
    // 1 of 12 is 8.3%, beyond 5%, yet one respondent; 11 of 12 likewise.
    for (h, n) in [
        (0, 12),
        (1, 12),
        (11, 12),
        (12, 12),
        (27, 28),
        (5, 100),
        (95, 100),
    ] {
        assert!(share_sensitive(h, n), "{h}/{n}");
    }
    for (h, n) in [(2, 12), (10, 12), (6, 100), (94, 100), (2, 4)] {
        assert!(!share_sensitive(h, n), "{h}/{n}");
    }
    assert!(share_sensitive(0, 0));
}

#[test]
fn a_coarse_share_is_true_and_admits_at_least_two_counts() {
    assert_eq!(coarse_share(0, 12).display, "<=8.4");
    assert_eq!(coarse_share(1, 12).display, "<=8.4");
    assert_eq!(coarse_share(27, 28).display, ">=96.4");
    assert_eq!(coarse_share(3, 60).display, "<=5.0");
    for n in 1..=200u64 {
        for h in (0..=n).filter(|h| share_sensitive(*h, n)) {
            let p = coarse_share(h, n);
            assert!(p.coarsened && p.value.is_none() && p.low.is_none());
            let bound: f64 = p.display[2..].parse().unwrap();
            let admits = |x: u64| {
                let pct = 100.0 * x as f64 / n as f64;
                if p.display.starts_with("<=") {
                    pct <= bound + 1e-9
                } else {
                    pct >= bound - 1e-9
                }
            };
            assert!(admits(h), "{h}/{n}: {}", p.display);
            assert!((0..=n).filter(|x| admits(*x)).count() >= 2, "{h}/{n}");
        }
    }
}

#[test]
fn a_mean_is_sensitive_when_unanimous_or_one_away_from_an_end() {
    let sums = |values: &[f64]| {
        let mut s = Sums::default();
        values.iter().for_each(|v| s.add(Some(*v), Some(*v >= 4.0)));
        s
    };
    let one = score_step(&[Scale::Agreement5]);
    assert!(mean_sensitive(&sums(&[5.0; 18]), one));
    assert!(mean_sensitive(&sums(&[3.0; 18]), one));
    // All but one unanimous, that one a step away: the interval's spread floor would say so.
    let mut eleven = vec![3.0; 11];
    eleven.push(4.0);
    assert!(mean_sensitive(&sums(&eleven), one));
    let mut ten = vec![3.0; 10];
    ten.extend([4.0, 4.0]);
    assert!(!mean_sensitive(&sums(&ten), one));
    let mut apart = vec![3.0; 11];
    apart.push(5.0);
    assert!(!mean_sensitive(&sums(&apart), one));
    assert!(mean_sensitive(&sums(&[4.0 + 1.0 / 3.0; 25]), one / 3.0));
    assert!(mean_sensitive(&sums(&[4.0]), one));
    // Nine "strongly agree" and one "agree": the mean 4.9 says all but one gave the top answer.
    let mut nine = vec![5.0; 9];
    nine.push(4.0);
    assert!(mean_sensitive(&sums(&nine), one));
    let mut low = vec![1.0; 9];
    low.push(2.0);
    assert!(mean_sensitive(&sums(&low), one));
    assert!(!mean_sensitive(&sums(&[3.0, 4.0, 3.0, 2.0]), one));
    assert!(!mean_sensitive(&sums(&[5.0, 5.0, 5.0, 3.0, 2.0]), one));
    // Two items: steps of a half.
    assert!(!mean_sensitive(
        &sums(&[5.0, 5.0, 4.0, 3.5]),
        score_step(&[Scale::Agreement5; 2])
    ));
    // Yes/no items are not in the index: two agreement items and one yes/no, steps of a half.
    assert_eq!(
        score_step(&[Scale::YesNo, Scale::Agreement5, Scale::Agreement5]),
        0.5
    );
    assert_eq!(score_step(&[Scale::YesNo]), 1.0);
}

#[test]
fn distributions_are_sensitive_when_dominated_or_few() {
    assert!(distribution_sensitive(&[(1, 0), (2, 36)], 10));
    assert!(distribution_sensitive(&[(1, 1), (2, 35)], 10));
    assert!(distribution_sensitive(&[(1, 3), (2, 4)], 10));
    assert!(!distribution_sensitive(&[(1, 2), (2, 34)], 10));
}
