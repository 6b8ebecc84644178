//! Which respondent counts of a climate report may be published.
//!
//! The (school, grade) cells of a window form one table: a row per school, a column per grade,
//! school totals as row margins, district-wide grade totals as column margins and the district
//! total in the corner. A school report shows one row with its margin, the district report the
//! margins; one district administrator can read them all, so the pattern is computed once over
//! the whole table and no suppressed number can be recovered from the shown ones by any
//! combination of additions and subtractions, within a report or across reports.
//!
//! 1. **Small cells.** Every count below the window's minimum cell size k — a cell, a school
//!    total, a grade total or the district total — is suppressed (`small_cell`). An empty cell
//!    (0 respondents) is a small cell too, unless its count is public anyway (a grade the school
//!    does not serve): such a cell is shown and counts as shown below, since hiding it protects
//!    nothing — a reader who knows it is 0 can subtract it like any shown number.
//! 2. **Lines.** A line is a school's grades with the school total, a grade's schools with the
//!    district grade total, the school totals with the district total, or the grade totals with
//!    the district total. A line whose total is shown must not have exactly one suppressed
//!    number, and a line whose total is suppressed must have at least one: otherwise the
//!    smallest shown number of the line (the first in order on ties) is suppressed too
//!    (`complementary`). This is repeated until every line complies.
//! 3. **Linked table.** A suppressed number can still follow from several lines together (a
//!    school's small grade hidden beside its next smallest grade, both recoverable through the
//!    district grade totals). Draw each suppressed number, margins included, as an edge between
//!    its row and its column: a suppressed number is recoverable exactly when it lies on no
//!    cycle of these edges. For each such number, the shown numbers that close a cycle through
//!    it with the fewest respondents in total are suppressed too (`complementary`), until every
//!    suppressed number lies on a cycle.
//!
//! Why cycles: counting margins negatively, every line of the table with its margins sums to
//! zero, so what the shown numbers leave open is exactly the set of additions to the suppressed
//! numbers that keep every line sum at zero — the circulations of the graph above. A number is
//! fixed when every circulation leaves it alone, i.e. when it lies on no cycle. Only exact
//! recovery is prevented: the sum of a line's suppressed numbers, and the bounds that follow
//! from counts being non-negative, remain known.
//!
//! **Beyond respondent counts** ([`protect_marked`]). The same rules 2 and 3 complete any set
//! of initial marks, not only the counts below k: a climate report marks an indicator's
//! entries whose hits, mean or item answer counts are too telling (`coarsened`) and completes
//! one pattern per indicator. The argument above used nothing about the counts but that they
//! add up over the cells, so it holds for every additive measure suppressed by the pattern at
//! once — favorable or victimized counts `h`, score sums `Σx`, sums of squares `Σx²`, answer
//! counts per option `c_v`: if every suppressed entry lies on a cycle `C`, adding `±t` along
//! `C` to any one measure keeps every line sum, so no shown number changes. Identities an
//! attacker knows hold cell by cell (`Σ_v c_v = answered`, `h = Σ_{v favorable} c_v`,
//! `Σx = Σ_v v·c_v` and `Σx² = Σ_v v²·c_v` for a one-item indicator, `answered = respondents`
//! for a required item): moving `t` answers from one option `a` to another `b` along `C` (so
//! `c_a −= t`, `c_b += t`, `h`, `Σx`, `Σx²` change by `t` times the difference of their per-answer
//! values, `answered` and `n` stay) satisfies all of them together, so no suppressed measure is
//! fixed by the shown ones and the identities either. Non-negativity bounds remain known, as
//! above: this is protection against exact recovery (the standard of cell suppression in
//! statistical disclosure control: threshold rule, group disclosure "n − 1" rule, complementary
//! suppression; Hundepool et al., *Statistical Disclosure Control*, 2012, ch. 4).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Respondent counts of a schools × grades table: `cells[school][grade]`, one length per row.
pub struct Grid {
    pub cells: Vec<Vec<u64>>,
}

/// Why a number is not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Suppression {
    /// Fewer respondents than the window's minimum cell size.
    SmallCell,
    /// Hidden so that a small cell cannot be recovered from the numbers shown.
    Complementary,
    /// Would tell that all, or all but one, of the respondents gave one answer (or the only
    /// respondent's answer); shown at most as a coarse category that admits several counts.
    Coarsened,
}

/// What to suppress in a [`Grid`] and its margins (`None` = shown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pub cells: Vec<Vec<Option<Suppression>>>,
    /// School totals.
    pub rows: Vec<Option<Suppression>>,
    /// District totals per grade.
    pub cols: Vec<Option<Suppression>>,
    /// The district total.
    pub total: Option<Suppression>,
}

/// The suppression pattern of `grid` for minimum cell size `k` (the module's rules), with
/// every cell's count taken to be confidential.
///
/// # Panics
/// When the rows of `grid` differ in length.
pub fn protect(grid: &Grid, k: u64) -> Pattern {
    protect_with_public(grid, |_, _| false, k)
}

/// [`protect`], where `public(school, grade)` tells the cells whose count anyone can tell (no
/// eligible students and no respondents): they are never suppressed, and a pattern that relied
/// on hiding them would not protect what it seems to.
pub fn protect_with_public(grid: &Grid, public: impl Fn(usize, usize) -> bool, k: u64) -> Pattern {
    let (r, c) = (grid.cells.len(), grid.cells.first().map_or(0, Vec::len));
    let row_sums: Vec<u64> = grid.cells.iter().map(|row| row.iter().sum()).collect();
    let col_sums: Vec<u64> = (0..c)
        .map(|j| grid.cells.iter().map(|row| row[j]).sum())
        .collect();
    let small = |v: u64| (v < k).then_some(Suppression::SmallCell);
    let initial = Pattern {
        cells: (0..r)
            .map(|i| (0..c).map(|j| small(grid.cells[i][j])).collect())
            .collect(),
        rows: row_sums.iter().map(|v| small(*v)).collect(),
        cols: col_sums.iter().map(|v| small(*v)).collect(),
        total: small(row_sums.iter().sum()),
    };
    protect_marked(grid, public, &initial)
}

/// The general form: `initial` marks the numbers that are sensitive in themselves (cells and
/// margins, with the reason to show), `grid` gives the costs the complementary numbers are
/// chosen by, and rules 2 and 3 complete the pattern. Public entries are never marked, whatever
/// `initial` says. Every count that is additive over the cells and suppressed by the result is
/// protected by the cycle argument, whichever count the costs came from.
///
/// # Panics
/// When the rows of `grid` differ in length, or `initial` has another shape.
pub fn protect_marked(
    grid: &Grid,
    public: impl Fn(usize, usize) -> bool,
    initial: &Pattern,
) -> Pattern {
    let mut table = Table::new(grid, public);
    let (r, c) = (table.rows - 1, table.cols - 1);
    assert!(
        initial.cells.len() == r
            && initial.cells.iter().all(|row| row.len() == c)
            && initial.rows.len() == r
            && initial.cols.len() == c,
        "the initial marks have the grid's shape"
    );
    for i in 0..=r {
        for j in 0..=c {
            let mark = match (i == r, j == c) {
                (false, false) => initial.cells[i][j],
                (false, true) => initial.rows[i],
                (true, false) => initial.cols[j],
                (true, true) => initial.total,
            };
            let x = i * table.cols + j;
            if !table.public[x] {
                table.marks[x] = mark;
            }
        }
    }
    // Without a school or a grade the only numbers are margins of nothing, known to be 0.
    if table.rows > 1 && table.cols > 1 {
        table.fix_lines();
        table.close_cycles();
    }
    table.into_pattern()
}

/// The grid with its margins as a last row and column, so that lines, margins and the cycle
/// argument are the same for every line; entries are indexed row-major.
struct Table {
    rows: usize,
    cols: usize,
    values: Vec<u64>,
    /// Known to everyone, so never suppressed (a margin when all of its line is).
    public: Vec<bool>,
    marks: Vec<Option<Suppression>>,
}

impl Table {
    fn new(grid: &Grid, public: impl Fn(usize, usize) -> bool) -> Table {
        let (r, c) = (grid.cells.len(), grid.cells.first().map_or(0, Vec::len));
        assert!(
            grid.cells.iter().all(|row| row.len() == c),
            "every school needs a count for every grade"
        );
        let (rows, cols) = (r + 1, c + 1);
        let mut values = vec![0u64; rows * cols];
        // A margin is public when its line has cells and all are; an empty line's margin is
        // left to the small-cell rule like any other count.
        let mut known = vec![false; rows * cols];
        let margins = (0..r)
            .map(|i| i * cols + c)
            .chain((0..cols).map(|j| r * cols + j));
        for x in margins.filter(|_| r > 0 && c > 0) {
            known[x] = true;
        }
        for (i, row) in grid.cells.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                let p = public(i, j);
                known[i * cols + j] = p;
                for x in [i * cols + j, i * cols + c, r * cols + j, r * cols + c] {
                    values[x] += v;
                }
                for x in [i * cols + c, r * cols + j, r * cols + c] {
                    known[x] &= p;
                }
            }
        }
        Table {
            rows,
            cols,
            values,
            public: known,
            marks: vec![None; rows * cols],
        }
    }

    /// Line `l`'s entries, its margin last: rows first, then columns.
    fn line(&self, l: usize) -> Vec<usize> {
        if l < self.rows {
            (0..self.cols).map(|j| l * self.cols + j).collect()
        } else {
            let j = l - self.rows;
            (0..self.rows).map(|i| i * self.cols + j).collect()
        }
    }

    fn fix_lines(&mut self) {
        let mut changed = true;
        while changed {
            changed = false;
            for l in 0..self.rows + self.cols {
                changed |= self.fix_line(l);
            }
        }
    }

    fn fix_line(&mut self, l: usize) -> bool {
        let line = self.line(l);
        let Some((margin, entries)) = line.split_last() else {
            return false;
        };
        let hidden = entries.iter().filter(|&&e| self.marks[e].is_some()).count();
        let exposed = match self.marks[*margin] {
            Some(_) => hidden == 0,
            None => hidden == 1,
        };
        // `min_by_key` keeps the first of equal minima, which is the rule's tie-break.
        let pick = entries
            .iter()
            .copied()
            .filter(|&e| self.marks[e].is_none() && !self.public[e])
            .min_by_key(|&e| self.values[e]);
        match pick {
            // A line of one number and its margin has nothing else to give; cycles settle it.
            Some(e) if exposed => {
                self.marks[e] = Some(Suppression::Complementary);
                true
            }
            _ => false,
        }
    }

    fn close_cycles(&mut self) {
        // A closed cycle only joins two-edge-connected parts, so no edge becomes a bridge
        // again and this ends after at most one round per original bridge.
        while let Some(e) = self.first_bridge() {
            let path = self.cheapest_path(e);
            assert!(!path.is_empty(), "a bridge always has a way around it");
            for p in path {
                self.marks[p] = Some(Suppression::Complementary);
            }
        }
    }

    /// The row and column vertices of entry `x`: rows are `0..rows`, columns `rows..rows + cols`.
    fn ends(&self, x: usize) -> (usize, usize) {
        (x / self.cols, self.rows + x % self.cols)
    }

    /// The entry joining vertices `a` and `b` (a row and a column, in either order).
    fn entry(&self, a: usize, b: usize) -> usize {
        let (i, j) = if a < self.rows { (a, b) } else { (b, a) };
        i * self.cols + (j - self.rows)
    }

    /// The suppressed entry with the lowest index that lies on no cycle, if any.
    fn first_bridge(&self) -> Option<usize> {
        let n = self.rows + self.cols;
        let mut adjacent: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        for (e, mark) in self.marks.iter().enumerate() {
            if mark.is_some() {
                let (i, j) = self.ends(e);
                adjacent[i].push((j, e));
                adjacent[j].push((i, e));
            }
        }
        let mut bridges = Bridges {
            adjacent: &adjacent,
            order: vec![usize::MAX; n],
            low: vec![0; n],
            next: 0,
            found: None,
        };
        for v in 0..n {
            if bridges.order[v] == usize::MAX {
                bridges.visit(v, usize::MAX);
            }
        }
        bridges.found
    }

    /// The shown entries of the cheapest path from `e`'s row to its column that avoids `e` and
    /// public entries, costing suppressed entries nothing and shown ones their count (Dijkstra;
    /// the graph is nearly complete bipartite, so the dense O(V²) form is the right one). One
    /// exists: `e`'s row and column margins and the grand total are not public, since `e`'s
    /// lines hold `e`, and they and `e` close a cycle unless `e` is one of them, when a cell of
    /// its line and the other margins do.
    fn cheapest_path(&self, e: usize) -> Vec<usize> {
        let n = self.rows + self.cols;
        let (from, to) = self.ends(e);
        let mut cost = vec![u64::MAX; n];
        let mut via = vec![usize::MAX; n];
        let mut done = vec![false; n];
        cost[from] = 0;
        while let Some(v) = (0..n)
            .filter(|&v| !done[v] && cost[v] != u64::MAX)
            .min_by_key(|&v| cost[v])
        {
            if v == to {
                break;
            }
            done[v] = true;
            let others = if v < self.rows {
                self.rows..n
            } else {
                0..self.rows
            };
            for u in others {
                let x = self.entry(v, u);
                if x == e || done[u] || self.public[x] {
                    continue;
                }
                let step = if self.marks[x].is_some() {
                    0
                } else {
                    self.values[x]
                };
                let c = cost[v].saturating_add(step);
                if c < cost[u] {
                    cost[u] = c;
                    via[u] = x;
                }
            }
        }
        let mut path = Vec::new();
        let mut v = to;
        while v != from && via[v] != usize::MAX {
            let x = via[v];
            if self.marks[x].is_none() {
                path.push(x);
            }
            let (i, j) = self.ends(x);
            v = if v == i { j } else { i };
        }
        path
    }

    fn into_pattern(self) -> Pattern {
        let (r, c) = (self.rows - 1, self.cols - 1);
        let at = |i: usize, j: usize| self.marks[i * self.cols + j];
        Pattern {
            cells: (0..r).map(|i| (0..c).map(|j| at(i, j)).collect()).collect(),
            rows: (0..r).map(|i| at(i, c)).collect(),
            cols: (0..c).map(|j| at(r, j)).collect(),
            total: at(r, c),
        }
    }
}

/// Tarjan's bridge search, keeping the bridge with the lowest entry index.
struct Bridges<'a> {
    adjacent: &'a [Vec<(usize, usize)>],
    order: Vec<usize>,
    low: Vec<usize>,
    next: usize,
    found: Option<usize>,
}

impl Bridges<'_> {
    /// Recursion depth is at most the number of schools plus grades.
    fn visit(&mut self, v: usize, parent_edge: usize) {
        self.order[v] = self.next;
        self.low[v] = self.next;
        self.next += 1;
        for &(u, e) in &self.adjacent[v] {
            if e == parent_edge {
                continue;
            }
            if self.order[u] == usize::MAX {
                self.visit(u, e);
                self.low[v] = self.low[v].min(self.low[u]);
                if self.low[u] > self.order[v] {
                    self.found = Some(self.found.map_or(e, |f| f.min(e)));
                }
            } else {
                self.low[v] = self.low[v].min(self.order[u]);
            }
        }
    }
}

#[cfg(test)]
pub(super) mod span;
#[cfg(test)]
mod tests;
