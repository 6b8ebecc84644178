//! Exact linear algebra for the disclosure tests: is a number a linear consequence of others?

/// The linear span of integer vectors, kept in echelon form without fractions: every basis row
/// is zero at the pivots of the rows before it, so reducing in insertion order is exact. Basis
/// rows keep their non-zero positions, so reducing by a sparse row with a unit pivot is cheap.
#[derive(Default)]
pub struct Span {
    /// Pivot, the row, and its non-zero positions.
    basis: Vec<(usize, Vec<i128>, Vec<usize>)>,
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

/// Entries beyond this are divided by the vector's common divisor before going on.
const LARGE: i128 = 1 << 40;

fn shrink(v: &mut [i128]) {
    let g = v.iter().fold(0, |g, x| gcd(g, *x));
    if g > 1 {
        v.iter_mut().for_each(|x| *x /= g);
    }
}

impl Span {
    pub fn reduce(&self, mut v: Vec<i128>) -> Vec<i128> {
        for (p, b, nonzero) in &self.basis {
            let (a, c) = (b[*p], v[*p]);
            if c == 0 {
                continue;
            }
            let mut large = false;
            if a == 1 || a == -1 {
                // v − (c/a)·b, exact since a divides c.
                let f = c * a;
                for &i in nonzero {
                    let x = v[i]
                        .checked_sub(b[i].checked_mul(f).expect("entries stay small"))
                        .expect("entries stay small");
                    large |= x.abs() > LARGE;
                    v[i] = x;
                }
            } else {
                for (x, y) in v.iter_mut().zip(b) {
                    *x = x
                        .checked_mul(a)
                        .and_then(|x| x.checked_sub(y.checked_mul(c)?))
                        .expect("entries stay small");
                    large |= x.abs() > LARGE;
                }
            }
            if large {
                shrink(&mut v);
            }
        }
        v
    }

    pub fn add(&mut self, v: Vec<i128>) {
        let mut v = self.reduce(v);
        if let Some(p) = v.iter().position(|x| *x != 0) {
            shrink(&mut v);
            if v[p] < 0 {
                v.iter_mut().for_each(|x| *x = -*x);
            }
            let nonzero = (0..v.len()).filter(|i| v[*i] != 0).collect();
            self.basis.push((p, v, nonzero));
        }
    }

    pub fn contains(&self, v: Vec<i128>) -> bool {
        self.reduce(v).iter().all(|x| *x == 0)
    }
}

impl Span {
    /// The basis vectors whose first nonzero entry is at or after `from`: with the unknowns
    /// ordered so that the ones to eliminate come first, they span the consequences that do not
    /// involve those unknowns (a vector of the span that is zero before `from` combines no basis
    /// vector with an earlier pivot, since each is zero at the pivots of the ones before it).
    pub fn tail(&self, from: usize) -> Vec<Vec<i128>> {
        self.basis
            .iter()
            .filter(|(p, ..)| *p >= from)
            .map(|(_, v, _)| v.clone())
            .collect()
    }
}
