use std::collections::VecDeque;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::span::Span;
use super::*;

use Suppression::{Complementary, SmallCell};

fn grid(cells: &[&[u64]]) -> Grid {
    Grid {
        cells: cells.iter().map(|row| row.to_vec()).collect(),
    }
}

fn check(g: &Grid, k: u64, p: &Pattern) {
    check_public(g, k, p, &|_, _| false);
}

/// Asserts the rules' guarantees with no use of the cycle argument: small numbers are
/// suppressed unless public, nothing else is `small_cell`, and nothing is recoverable.
fn check_public(g: &Grid, k: u64, p: &Pattern, public: &dyn Fn(usize, usize) -> bool) {
    let found = recoverable(g, Some(k), p, public);
    assert!(
        found.is_empty(),
        "{found:?} recoverable in {:?} (k = {k}): {p:?}",
        g.cells
    );
}

/// The suppressed numbers that are a linear consequence of the shown and public ones (the cells
/// are the unknowns, those numbers the equations); with `k`, also asserts who is `small_cell`.
fn recoverable(
    g: &Grid,
    k: Option<u64>,
    p: &Pattern,
    public: &dyn Fn(usize, usize) -> bool,
) -> Vec<String> {
    let (r, c) = (g.cells.len(), g.cells[0].len());
    let unit = |i: usize, j: usize| {
        let mut v = vec![0i128; r * c];
        v[i * c + j] = 1;
        v
    };
    let row = |i: usize| (0..c).map(|j| unit(i, j)).fold(vec![0; r * c], add);
    let col = |j: usize| (0..r).map(|i| unit(i, j)).fold(vec![0; r * c], add);
    let row_sum = |i: usize| g.cells[i].iter().sum::<u64>();
    let col_sum = |j: usize| g.cells.iter().map(|row| row[j]).sum::<u64>();
    let row_public = |i: usize| (0..c).all(|j| public(i, j));
    let col_public = |j: usize| (0..r).all(|i| public(i, j));
    // (mark, (count, public, cells it sums), name)
    let mut quantities = Vec::new();
    for i in 0..r {
        for j in 0..c {
            let cell = (g.cells[i][j], public(i, j), unit(i, j));
            quantities.push((p.cells[i][j], cell, format!("cell {i},{j}")));
        }
        let line = (row_sum(i), row_public(i), row(i));
        quantities.push((p.rows[i], line, format!("row {i}")));
    }
    for j in 0..c {
        let line = (col_sum(j), col_public(j), col(j));
        quantities.push((p.cols[j], line, format!("column {j}")));
    }
    let grand = (0..r).map(row_sum).sum::<u64>();
    let everything = (grand, (0..r).all(row_public), vec![1i128; r * c]);
    quantities.push((p.total, everything, "total".to_owned()));
    let mut shown = Span::default();
    for (mark, (value, public, vector), name) in &quantities {
        if let Some(k) = k {
            let small = *value < k && !public;
            assert_eq!(small, *mark == Some(SmallCell), "{name} of {:?}", g.cells);
            assert!(!public || mark.is_none(), "public {name} suppressed");
        }
        if mark.is_none() || *public {
            shown.add(vector.clone());
        }
    }
    quantities
        .into_iter()
        .filter(|(mark, (_, public, vector), _)| {
            mark.is_some() && !public && shown.contains(vector.clone())
        })
        .map(|(_, _, name)| name)
        .collect()
}

fn add(mut a: Vec<i128>, b: Vec<i128>) -> Vec<i128> {
    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
    a
}

#[test]
fn random_grids_leave_no_suppressed_number_recoverable() {
    let mut rng = StdRng::seed_from_u64(20_261_127);
    for _ in 0..3_000 {
        let (r, c) = (rng.gen_range(1..=6), rng.gen_range(1..=7));
        let small_share = rng.gen_range(0.0..0.6);
        let cells = (0..r)
            .map(|_| {
                (0..c)
                    .map(|_| {
                        if rng.gen_bool(small_share) {
                            rng.gen_range(0..=9)
                        } else {
                            rng.gen_range(0..=30)
                        }
                    })
                    .collect()
            })
            .collect();
        let g = Grid { cells };
        for k in [5, 10] {
            check(&g, k, &protect(&g, k));
        }
    }
}

#[test]
fn random_grids_with_public_zeros_leave_no_suppressed_number_recoverable() {
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..2_000 {
        let (r, c) = (rng.gen_range(1..=6), rng.gen_range(1..=7));
        let cells: Vec<Vec<u64>> = (0..r)
            .map(|_| (0..c).map(|_| rng.gen_range(0..=25)).collect())
            .collect();
        let known: Vec<Vec<bool>> = cells
            .iter()
            .map(|row| row.iter().map(|v| *v == 0 && rng.gen_bool(0.7)).collect())
            .collect();
        let g = Grid { cells };
        let public = |i: usize, j: usize| known[i][j];
        for k in [5, 10] {
            check_public(&g, k, &protect_with_public(&g, public, k), &public);
        }
    }
}

#[test]
fn a_zero_everyone_knows_protects_nothing() {
    // School 0 does not serve grade 0, so everyone knows that cell is 0.
    let g = grid(&[&[0, 3, 40], &[30, 60, 70], &[35, 65, 80]]);
    let public = |i: usize, j: usize| (i, j) == (0, 0);
    let naive = protect(&g, 10);
    assert_eq!(naive.cells[0], vec![Some(SmallCell), Some(SmallCell), None]);
    // Knowing the 0, a reader recovers the 3 beside it, and then the partners of both.
    assert_eq!(
        recoverable(&g, None, &naive, &public),
        ["cell 0,1", "cell 1,0", "cell 1,1"]
    );
    let known = protect_with_public(&g, public, 10);
    assert_eq!(
        known.cells[0],
        vec![None, Some(SmallCell), Some(Complementary)]
    );
    check_public(&g, 10, &known, &public);
}

#[test]
fn every_small_grid_over_a_few_values_is_protected() {
    let shapes: [(usize, usize, &[u64]); 4] = [
        (2, 2, &[0, 3, 7, 12, 40]),
        (2, 3, &[2, 6, 11, 30]),
        (3, 2, &[2, 6, 11, 30]),
        (3, 3, &[1, 8, 25]),
    ];
    for (r, c, values) in shapes {
        let cells = r * c;
        for code in 0..values.len().pow(cells as u32) {
            let mut rest = code;
            let mut flat = Vec::with_capacity(cells);
            for _ in 0..cells {
                flat.push(values[rest % values.len()]);
                rest /= values.len();
            }
            let g = Grid {
                cells: flat.chunks(c).map(<[u64]>::to_vec).collect(),
            };
            for k in [5, 10] {
                check(&g, k, &protect(&g, k));
            }
        }
    }
}

#[test]
fn nothing_is_suppressed_when_every_cell_is_large_enough() {
    let g = grid(&[&[10, 12, 40], &[11, 10, 99]]);
    let p = protect(&g, 10);
    assert!(p.cells.iter().flatten().all(Option::is_none));
    assert!(p.rows.iter().chain(&p.cols).all(Option::is_none));
    assert_eq!(p.total, None);
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..200 {
        let g = Grid {
            cells: (0..rng.gen_range(1..=6))
                .map(|_| (0..5).map(|_| rng.gen_range(5..=30)).collect())
                .collect(),
        };
        let p = protect(&g, 5);
        assert!(
            p.cells.iter().flatten().all(Option::is_none),
            "{:?}",
            g.cells
        );
    }
}

#[test]
fn one_small_grade_hides_the_next_smallest_grade_and_a_partner_school() {
    let g = grid(&[&[3, 40, 50], &[30, 60, 70], &[35, 65, 80]]);
    let p = protect(&g, 10);
    assert_eq!(
        p.cells,
        vec![
            vec![Some(SmallCell), Some(Complementary), None],
            vec![Some(Complementary), Some(Complementary), None],
            vec![None, None, None],
        ]
    );
    assert!(p.rows.iter().chain(&p.cols).all(Option::is_none));
    assert_eq!(p.total, None);
    check(&g, 10, &p);
}

#[test]
fn a_small_school_hides_the_next_smallest_school_total() {
    let g = grid(&[&[1, 2, 1], &[20, 30, 40], &[25, 35, 45]]);
    let p = protect(&g, 10);
    assert_eq!(p.cells[0], vec![Some(SmallCell); 3]);
    assert_eq!(p.cells[1], vec![Some(Complementary); 3]);
    assert_eq!(p.cells[2], vec![None; 3]);
    assert_eq!(p.rows, vec![Some(SmallCell), Some(Complementary), None]);
    assert!(p.cols.iter().all(Option::is_none));
    assert_eq!(p.total, None);
    check(&g, 10, &p);
}

#[test]
fn a_single_school_hides_the_same_grades_in_the_district_totals() {
    let g = grid(&[&[3, 40, 50]]);
    let p = protect(&g, 10);
    let hidden = vec![Some(SmallCell), Some(Complementary), None];
    assert_eq!(p.cells, vec![hidden.clone()]);
    assert_eq!(p.cols, hidden);
    assert_eq!((p.rows[0], p.total), (None, None));
    check(&g, 10, &p);
}

#[test]
fn a_number_on_no_cycle_gets_the_cheapest_cycle() {
    // Every line has two or more suppressed numbers, yet cell (0, 2) joins two separate
    // cycles and follows from the lines around them; (1, 2) closes a cycle through it.
    let g = grid(&[
        &[2, 3, 4, 50],
        &[5, 6, 30, 60],
        &[40, 70, 7, 8],
        &[45, 80, 9, 1],
    ]);
    let p = protect(&g, 10);
    let complementary: Vec<(usize, usize)> = (0..4)
        .flat_map(|i| (0..4).map(move |j| (i, j)))
        .filter(|&(i, j)| p.cells[i][j] == Some(Complementary))
        .collect();
    assert_eq!(complementary, vec![(1, 2)]);
    assert!(p.rows.iter().chain(&p.cols).all(Option::is_none));
    check(&g, 10, &p);
}

#[test]
fn empty_tables_only_hide_their_zero_margins() {
    let p = protect(&Grid { cells: Vec::new() }, 10);
    assert!(p.cells.is_empty() && p.rows.is_empty() && p.cols.is_empty());
    assert_eq!(p.total, Some(SmallCell));
    let p = protect(
        &Grid {
            cells: vec![Vec::new(), Vec::new()],
        },
        10,
    );
    assert_eq!(p.rows, vec![Some(SmallCell); 2]);
}

/// Whether the suppressed entry at (i, j) of the table with margins lies on a cycle, by search.
fn on_cycle(marks: &[Vec<bool>], i: usize, j: usize) -> bool {
    let (rows, cols) = (marks.len(), marks[0].len());
    let mut seen = vec![false; rows + cols];
    let mut queue = VecDeque::from([i]);
    seen[i] = true;
    while let Some(v) = queue.pop_front() {
        let next: Vec<usize> = if v < rows {
            (0..cols)
                .filter(|&b| marks[v][b] && (v, b) != (i, j))
                .map(|b| rows + b)
                .collect()
        } else {
            let b = v - rows;
            (0..rows)
                .filter(|&a| marks[a][b] && (a, b) != (i, j))
                .collect()
        };
        for u in next {
            if !seen[u] {
                seen[u] = true;
                queue.push_back(u);
            }
        }
    }
    seen[rows + j]
}

#[test]
fn a_district_of_two_hundred_schools_is_protected_quickly() {
    let mut rng = StdRng::seed_from_u64(42);
    let spans = [0..6, 6..9, 9..13, 0..9];
    let cells: Vec<Vec<u64>> = (0..200)
        .map(|_| {
            let span = spans[rng.gen_range(0..spans.len())].clone();
            let size = rng.gen_range(3..=120);
            (0..13)
                .map(|g| {
                    if span.contains(&g) {
                        rng.gen_range(0..=size)
                    } else {
                        0
                    }
                })
                .collect()
        })
        .collect();
    let g = Grid { cells };
    let started = Instant::now();
    let p = protect(&g, 10);
    eprintln!("200 × 13 protected in {:?}", started.elapsed());
    let mut marks: Vec<Vec<bool>> = p
        .cells
        .iter()
        .zip(&p.rows)
        .map(|(row, total)| row.iter().chain([total]).map(Option::is_some).collect())
        .collect();
    marks.push(
        p.cols
            .iter()
            .chain([&p.total])
            .map(Option::is_some)
            .collect(),
    );
    for i in 0..marks.len() {
        for j in 0..marks[0].len() {
            assert!(
                !marks[i][j] || on_cycle(&marks, i, j),
                "({i}, {j}) is recoverable"
            );
        }
    }
    for (i, row) in g.cells.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            assert_eq!(*v < 10, p.cells[i][j] == Some(SmallCell));
        }
    }
}
