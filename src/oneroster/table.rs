//! Reading one OneRoster CSV table: header checks, then each row decoded and handed on with its
//! line number. Columns may come in any order; a UTF-8 byte-order mark is ignored; quoted fields
//! may hold commas and line breaks (the `csv` crate parses them).

use std::io::Read;

use super::report::Problems;

/// One data row, holding the wanted columns (absent optional columns read as empty).
pub struct Row<'a> {
    pub file: &'static str,
    /// Line of the file where the row starts (the header is line 1).
    pub line: u64,
    wanted: &'a [&'static str],
    values: &'a [String],
}

impl Row<'_> {
    /// The trimmed value of `column`, empty when blank or absent.
    pub fn get(&self, column: &str) -> &str {
        self.wanted
            .iter()
            .position(|w| *w == column)
            .map(|i| self.values[i].as_str())
            .unwrap_or("")
    }

    pub fn opt(&self, column: &str) -> Option<&str> {
        Some(self.get(column)).filter(|v| !v.is_empty())
    }

    /// Records a problem with `column` of this row.
    pub fn problem(&self, problems: &mut Problems, column: &str, message: impl Into<String>) {
        problems.push(self.file, Some(self.line), Some(column), message.into());
    }
}

/// The columns of one table: all that OneRoster 1.1 defines, and those this importer needs.
pub struct Shape {
    pub file: &'static str,
    pub known: &'static [&'static str],
    pub required: &'static [&'static str],
}

/// Reads every row of a table, calling `on_row` for each well-formed one; returns the number
/// of data rows. Problems (missing columns, ragged rows, bad bytes) go to `problems`.
pub fn read_rows(
    shape: &Shape,
    input: &mut dyn Read,
    problems: &mut Problems,
    notices: &mut Vec<String>,
    mut on_row: impl FnMut(&Row, &mut Problems),
) -> u64 {
    let file = shape.file;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(input);
    let headers = match reader.byte_headers() {
        Ok(headers) => headers.clone(),
        Err(e) => {
            problems.push(file, Some(1), None, describe(&e));
            return 0;
        }
    };
    let names: Vec<String> = headers
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim_start_matches('\u{feff}')
                .trim()
                .to_owned()
        })
        .collect();
    if names.iter().all(String::is_empty) {
        problems.push(
            file,
            Some(1),
            None,
            "the file is empty: a header row is required".into(),
        );
        return 0;
    }
    let mut missing = false;
    for required in shape.required {
        if !names.iter().any(|n| n == required) {
            problems.push(
                file,
                Some(1),
                Some(required),
                "required column is missing".into(),
            );
            missing = true;
        }
    }
    let unknown: Vec<&str> = names
        .iter()
        .filter(|n| !shape.known.contains(&n.as_str()))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        notices.push(format!(
            "{file}: columns not in OneRoster 1.1 were ignored: {}",
            unknown.join(", ")
        ));
    }
    if missing {
        return 0;
    }
    let positions: Vec<Option<usize>> = shape
        .known
        .iter()
        .map(|k| names.iter().position(|n| n == k))
        .collect();
    let mut record = csv::ByteRecord::new();
    let mut values: Vec<String> = vec![String::new(); shape.known.len()];
    let mut rows = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                rows += 1;
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                let mut decoded = true;
                for (slot, position) in values.iter_mut().zip(&positions) {
                    slot.clear();
                    let Some(position) = position else { continue };
                    match std::str::from_utf8(record.get(*position).unwrap_or_default()) {
                        Ok(text) => slot.push_str(text.trim()),
                        Err(_) => {
                            problems.push(
                                file,
                                Some(line),
                                Some(&names[*position]),
                                "not valid UTF-8 (save the file as UTF-8)".into(),
                            );
                            decoded = false;
                        }
                    }
                }
                if decoded {
                    let row = Row {
                        file,
                        line,
                        wanted: shape.known,
                        values: &values,
                    };
                    on_row(&row, problems);
                }
            }
            Err(e) => {
                let fatal = matches!(e.kind(), csv::ErrorKind::Io(_));
                let line = e.position().map(|p| p.line());
                problems.push(file, line, None, describe(&e));
                if fatal {
                    break;
                }
            }
        }
    }
    rows
}

fn describe(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("the row has {len} fields but the header has {expected_len}"),
        csv::ErrorKind::Io(io) => io.to_string(),
        _ => format!("unreadable CSV: {e}"),
    }
}
