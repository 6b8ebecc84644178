//! The CSV form of a climate report: the same numbers as the JSON, one line per row and
//! indicator and per item option, each line carrying the report's metadata. Written with the
//! project's one CSV writer (`csv_export`), safe to open in a spreadsheet.

use super::climate::{ClimateReport, IndicatorResult, ReportRow, RowKind};
use super::stats::Percent;
use crate::csv_export::CsvExport;
use crate::error::ApiError;

const HEADER: [&str; 28] = [
    "window_id",
    "instrument_id",
    "instrument_version",
    "window_opens_at",
    "window_closes_at",
    "scoring_rules_version",
    "min_cell_size",
    "section",
    "school_id",
    "grade",
    "eligible",
    "opted_out",
    "respondents",
    "response_rate_pct",
    "low_response",
    "indicator",
    "measure",
    "n",
    "mean",
    "mean_ci_low",
    "mean_ci_high",
    "percent",
    "percent_ci_low",
    "percent_ci_high",
    "item_id",
    "option_value",
    "count",
    "suppressed",
];

fn num<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn json_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub fn render(report: &ClimateReport) -> Result<String, ApiError> {
    let m = &report.meta;
    let meta = [
        m.window_id.clone(),
        m.instrument_id.clone(),
        m.instrument_version.to_string(),
        crate::dates::format_utc(m.opens_at),
        crate::dates::format_utc(m.closes_at),
        m.scoring_rules_version.clone(),
        m.min_cell_size.to_string(),
    ];
    let mut out = CsvExport::new();
    out.row(HEADER)?;
    let rows = std::iter::once(&report.total)
        .chain(report.schools.iter())
        .chain(report.grades.iter());
    for row in rows {
        let section = match row.kind {
            RowKind::Total => "total",
            RowKind::School => "school",
            RowKind::Grade => "grade",
        };
        let head = row_fields(section, row);
        for ind in &row.indicators {
            for fields in indicator_lines(ind) {
                let mut line: Vec<String> = meta.to_vec();
                line.extend(head.clone());
                line.extend(fields);
                line.extend([String::new(), String::new(), String::new()]);
                line.push(num(ind.suppressed.as_ref().map(json_name)));
                out.row(&line)?;
            }
        }
    }
    for item in &report.items {
        let values: Vec<(String, String)> = match &item.distribution {
            Some(d) => match &d.counts {
                Some(counts) => counts
                    .iter()
                    .map(|c| (c.value.to_string(), c.count.to_string()))
                    .collect(),
                None => vec![(String::new(), String::new())],
            },
            None => vec![(String::new(), String::new())],
        };
        let coarsened = item.distribution.as_ref().is_some_and(|d| d.coarsened);
        for (value, count) in values {
            let mut line: Vec<String> = meta.to_vec();
            line.extend(row_fields("item", &report.total));
            line.extend([
                json_name(&item.indicator),
                String::new(),
                num(item.distribution.as_ref().map(|d| d.n)),
            ]);
            line.extend(std::iter::repeat_n(String::new(), 6));
            line.extend([item.item_id.clone(), value, count]);
            line.push(match (&item.suppressed, coarsened) {
                (Some(s), _) => json_name(s),
                (None, true) => "coarsened".to_owned(),
                (None, false) => String::new(),
            });
            out.row(&line)?;
        }
    }
    out.finish()
}

fn row_fields(section: &str, row: &ReportRow) -> Vec<String> {
    vec![
        section.to_owned(),
        num(row.school_id.clone()),
        num(row.grade),
        row.eligible.to_string(),
        row.opted_out.to_string(),
        num(row.respondents),
        num(row.response_percent),
        num(row.low_response),
    ]
}

fn percent_fields(p: Option<&Percent>) -> [String; 3] {
    match p {
        Some(p) => [p.display.clone(), num(p.low), num(p.high)],
        None => [String::new(), String::new(), String::new()],
    }
}

/// An indicator's lines: its headline measure (percent favorable, or frequent victimization)
/// with the index, then bullying's any victimization and each form (`measure` names them).
fn indicator_lines(ind: &IndicatorResult) -> Vec<Vec<String>> {
    let name = json_name(&ind.indicator);
    let mut head = vec![
        name.clone(),
        if ind.prevalence.is_some() || ind.any_prevalence.is_some() {
            "frequent_victimization".to_owned()
        } else {
            "favorable".to_owned()
        },
        num(ind.n),
        num(ind.mean),
        num(ind.mean_ci_low),
        num(ind.mean_ci_high),
    ];
    head.extend(percent_fields(
        ind.favorable.as_ref().or(ind.prevalence.as_ref()),
    ));
    let mut lines = vec![head];
    let secondary = |measure: String, n: Option<u64>, p: &Percent| {
        let mut v = vec![
            name.clone(),
            measure,
            num(n),
            String::new(),
            String::new(),
            String::new(),
        ];
        v.extend(percent_fields(Some(p)));
        v
    };
    if let Some(any) = &ind.any_prevalence {
        lines.push(secondary("any_victimization".to_owned(), ind.n, any));
    }
    for form in &ind.forms {
        let measure = format!("frequent_{}", form.form.as_str());
        lines.push(secondary(measure, Some(form.n), &form.prevalence));
    }
    lines
}
