//! A closed window's (school, grade) cells as one table with its margins: the unit over which
//! suppression is decided, so every report cut from it shares one pattern.

use super::aggregates::{Aggregates, Cell};
use super::disclosure::{protect_with_public, Grid, Pattern, Suppression};

/// The window's cells as a schools × grades table, with merged margins.
pub(super) struct Table {
    pub schools: Vec<String>,
    pub grades: Vec<i32>,
    pub cells: Vec<Vec<Cell>>,
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
            .collect();
        Table {
            schools,
            grades,
            cells: grid,
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

    /// A cell everyone knows is empty (a grade nobody at the school was offered): hiding it
    /// protects nothing, and counting it as hidden would let its neighbour be recovered.
    pub fn public(&self, r: usize, c: usize) -> bool {
        let cell = &self.cells[r][c];
        cell.eligible == 0 && cell.opted_out == 0 && cell.respondents == 0
    }

    pub fn protect(&self, count: impl Fn(&Cell) -> u64, k: u64) -> Pattern {
        protect_with_public(&self.grid(count), |r, c| self.public(r, c), k)
    }

    pub fn merged<'a>(&self, cells: impl Iterator<Item = &'a Cell>) -> Cell {
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

    pub fn row(&self, r: usize) -> Cell {
        self.merged(self.cells[r].iter())
    }

    pub fn column(&self, c: usize) -> Cell {
        self.merged(self.cells.iter().map(|row| &row[c]))
    }

    pub fn total(&self) -> Cell {
        self.merged(self.cells.iter().flatten())
    }
}

/// Where a value sits in the table.
#[derive(Clone, Copy)]
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
