//! A closed window's (school, grade) cells as one table with its margins: the unit over which
//! suppression is decided, so every report cut from it shares one pattern.

use super::aggregates::{Aggregates, Cell};
use super::disclosure::{protect_marked, Grid, Pattern, Suppression};

/// The window's cells as a schools × grades table, with merged margins.
pub(super) struct Table {
    pub schools: Vec<String>,
    pub grades: Vec<i32>,
    pub cells: Vec<Vec<Cell>>,
    /// School totals, grade totals and the district total, merged once.
    pub row_totals: Vec<Cell>,
    pub col_totals: Vec<Cell>,
    pub total: Cell,
}

impl Table {
    pub fn new(mut cells: Vec<Cell>) -> Table {
        let mut schools: Vec<String> = cells.iter().map(|c| c.school_id.clone()).collect();
        schools.sort();
        schools.dedup();
        let mut grades: Vec<i32> = cells.iter().map(|c| c.grade).collect();
        grades.sort_unstable();
        grades.dedup();
        // Moved into a map once: a district has thousands of cells.
        let mut by_key: std::collections::HashMap<(String, i32), Cell> = cells
            .drain(..)
            .map(|c| ((c.school_id.clone(), c.grade), c))
            .collect();
        let grid = schools
            .iter()
            .map(|s| {
                grades
                    .iter()
                    .map(|g| {
                        by_key.remove(&(s.clone(), *g)).unwrap_or_else(|| Cell {
                            school_id: s.clone(),
                            grade: *g,
                            eligible: 0,
                            opted_out: 0,
                            respondents: 0,
                            settled_respondents: 0,
                            aggregates: Aggregates::default(),
                        })
                    })
                    .collect()
            })
            .collect::<Vec<Vec<Cell>>>();
        let row_totals = grid.iter().map(|row| merged(row.iter())).collect();
        let col_totals = (0..grades.len())
            .map(|c| merged(grid.iter().map(|row| &row[c])))
            .collect();
        let total = merged(grid.iter().flatten());
        Table {
            schools,
            grades,
            cells: grid,
            row_totals,
            col_totals,
            total,
        }
    }

    /// The cell or margin at `at`.
    pub fn at(&self, at: At) -> &Cell {
        match at {
            At::Cell(r, c) => &self.cells[r][c],
            At::Row(r) => &self.row_totals[r],
            At::Column(c) => &self.col_totals[c],
            At::Total => &self.total,
        }
    }

    /// `mark` applied to every cell and margin (public cells and margins get no mark).
    pub fn marks(&self, mark: impl Fn(At, &Cell) -> Option<Suppression>) -> Pattern {
        let (r, c) = (self.schools.len(), self.grades.len());
        let at = |a: At| mark(a, self.at(a));
        Pattern {
            cells: (0..r)
                .map(|i| (0..c).map(|j| at(At::Cell(i, j))).collect())
                .collect(),
            rows: (0..r).map(|i| at(At::Row(i))).collect(),
            cols: (0..c).map(|j| at(At::Column(j))).collect(),
            total: at(At::Total),
        }
    }

    pub fn grid(&self, count: impl Fn(&Cell) -> u64) -> Grid {
        Grid {
            cells: self
                .cells
                .iter()
                .map(|row| row.iter().map(&count).collect())
                .collect(),
        }
    }

    /// A cell everyone knows is empty: nobody was eligible (a grade the school does not serve,
    /// or one whose every student was opted out by a guardian) and nobody answered. Hiding it
    /// protects nothing, and counting it as hidden would let its neighbour be recovered.
    pub fn public(&self, r: usize, c: usize) -> bool {
        let cell = &self.cells[r][c];
        cell.eligible == 0 && cell.respondents == 0
    }

    /// The pattern that hides the entries `initial` marks and completes it with complementary
    /// suppression, choosing complements by `count`.
    pub fn protect(&self, count: impl Fn(&Cell) -> u64, initial: &Pattern) -> Pattern {
        protect_marked(&self.grid(count), |r, c| self.public(r, c), initial)
    }
}

fn merged<'a>(cells: impl Iterator<Item = &'a Cell>) -> Cell {
    let mut out = Cell {
        school_id: String::new(),
        grade: 0,
        eligible: 0,
        opted_out: 0,
        respondents: 0,
        settled_respondents: 0,
        aggregates: Aggregates::default(),
    };
    for c in cells {
        out.eligible += c.eligible;
        out.opted_out += c.opted_out;
        out.respondents += c.respondents;
        out.settled_respondents += c.settled_respondents;
        out.aggregates.merge(&c.aggregates);
    }
    out
}

/// Where a value sits in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum At {
    Cell(usize, usize),
    Row(usize),
    Column(usize),
    Total,
}

pub(super) fn suppression(p: &Pattern, at: At) -> Option<Suppression> {
    match at {
        At::Cell(r, c) => p.cells[r][c],
        At::Row(r) => p.rows[r],
        At::Column(c) => p.cols[c],
        At::Total => p.total,
    }
}
