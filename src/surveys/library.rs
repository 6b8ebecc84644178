//! The starter climate instrument (seed/surveys/school-climate.json), published into every new
//! district, and the demo's open survey windows.

use anyhow::{anyhow, Context};
use chrono::TimeDelta;
use serde::Deserialize;
use uuid::Uuid;
use validator::Validate;

use super::dto::{NewInstrument, NewItem, NewSection};
use super::instruments::instrument_rows;
use super::models::{InstrumentStatus, WindowRow};
use super::queries;
use crate::db::{self, DbConnection};

pub const STARTER_INSTRUMENT: &str = include_str!("../../seed/surveys/school-climate.json");

#[derive(Deserialize)]
struct Library {
    lineage_key: String,
    versions: Vec<VersionEntry>,
}

#[derive(Deserialize)]
struct VersionEntry {
    key: String,
    title: String,
    description: String,
    grade_min: i32,
    grade_max: i32,
    sections: Vec<SectionEntry>,
}

#[derive(Deserialize)]
struct SectionEntry {
    title: String,
    /// Items as in the API (`NewItem`) plus a `key` naming them in the file.
    items: Vec<serde_json::Value>,
}

fn item(mut entry: serde_json::Value) -> anyhow::Result<NewItem> {
    if let Some(o) = entry.as_object_mut() {
        o.remove("key");
    }
    Ok(serde_json::from_value(entry)?)
}

pub(super) fn stable_id(district_id: &str, kind: &str, key: &str) -> String {
    let namespace = Uuid::from_u128(0x7f3a_0c2e_55b1_4d98_8e07_b6c4_1a9d_2e53);
    Uuid::new_v5(&namespace, format!("{district_id}:{kind}:{key}").as_bytes()).to_string()
}

/// Publishes each grade version of the starter instrument. Returns (version key, instrument id, grades).
pub fn install_starter(
    conn: &mut DbConnection,
    district_id: &str,
    publisher_id: &str,
) -> anyhow::Result<Vec<(String, String, i32, i32)>> {
    let library: Library =
        serde_json::from_str(STARTER_INSTRUMENT).context("school-climate.json")?;
    let mut installed = Vec::new();
    for v in library.versions {
        let new = NewInstrument {
            title: v.title,
            description: v.description,
            grade_min: v.grade_min,
            grade_max: v.grade_max,
            lineage_id: None,
            sections: v
                .sections
                .into_iter()
                .map(|s| {
                    Ok(NewSection {
                        title: s.title,
                        items: s
                            .items
                            .into_iter()
                            .map(item)
                            .collect::<anyhow::Result<_>>()?,
                    })
                })
                .collect::<anyhow::Result<_>>()
                .with_context(|| format!("instrument {}", v.key))?,
        };
        new.validate()
            .map_err(|e| anyhow!("instrument {}: {e}", v.key))?;
        let lineage = stable_id(
            district_id,
            "lineage",
            &format!("{}:{}", library.lineage_key, v.key),
        );
        let (mut row, mut items) = instrument_rows(district_id, publisher_id, lineage, 1, &new);
        row.id = stable_id(district_id, "instrument", &v.key);
        for item in &mut items {
            item.instrument_id = row.id.clone();
            item.id = stable_id(district_id, "item", &format!("{}:{}", v.key, item.position));
        }
        row.status = InstrumentStatus::Published;
        row.published_at = Some(db::now());
        queries::insert_instrument(conn, &row, &items)
            .map_err(|e| anyhow!("instrument {}: {e}", v.key))?;
        installed.push((v.key, row.id, new.grade_min, new.grade_max));
    }
    Ok(installed)
}

/// Opens one window per starter version for the schools that teach its grades, from a week
/// ago to three weeks ahead, so the demo always has a survey students can take.
pub fn open_demo_windows(
    conn: &mut DbConnection,
    district_id: &str,
    opened_by: &str,
    instruments: &[(String, String, i32, i32)],
    schools: &[(String, i32, i32)],
) -> anyhow::Result<usize> {
    let now = db::now();
    let mut opened = 0;
    for (key, instrument_id, grade_min, grade_max) in instruments {
        let school_ids: Vec<String> = schools
            .iter()
            .filter(|(_, low, high)| low <= grade_max && high >= grade_min)
            .map(|(id, _, _)| id.clone())
            .collect();
        if school_ids.is_empty() {
            continue;
        }
        let grades: Vec<i32> = (*grade_min..=*grade_max).collect();
        // Frozen by the server on first use, with the server's own seal key.
        let row = WindowRow::new(
            stable_id(district_id, "window", key),
            district_id,
            instrument_id,
            format!("Fall 2026 climate survey (grades {grade_min}-{grade_max})"),
            now - TimeDelta::days(7),
            now + TimeDelta::days(21),
            &grades,
            10,
            opened_by,
            now,
        );
        queries::insert_window(conn, &row, &school_ids)
            .map_err(|e| anyhow!("window {key}: {e}"))?;
        opened += 1;
    }
    Ok(opened)
}
