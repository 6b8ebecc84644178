//! The starter library (seed/lessons/library.json): published into every new district so
//! teachers have real lessons on day one, and the demo's assignments built on it.

use std::collections::HashMap;

use anyhow::{anyhow, Context};
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Deserialize;
use uuid::Uuid;
use validator::Validate;

use super::models::{
    AssignmentRow, AssignmentStatus, CompletionRow, OwnerLevel, PlanContent, PlanRow, VersionStatus,
};
use super::queries;
use super::vocab::Emotion;
use crate::db::schema::lesson_completions;
use crate::db::{self, DbConnection};

pub const STARTER_LIBRARY: &str = include_str!("../../seed/lessons/library.json");

/// Deterministic per district, so a district's copy of a starter plan has a stable id.
fn starter_id(district_id: &str, kind: &str, key: &str) -> String {
    let namespace = Uuid::from_u128(0x2b8e_51c4_7d0a_4f3e_9c61_5a7e_0d4b_c913);
    Uuid::new_v5(&namespace, format!("{district_id}:{kind}:{key}").as_bytes()).to_string()
}

pub fn parse_library(json: &str) -> anyhow::Result<Vec<(String, PlanContent)>> {
    let entries: Vec<serde_json::Value> = serde_json::from_str(json).context("library.json")?;
    entries
        .into_iter()
        .enumerate()
        .map(|(i, mut entry)| {
            let key = entry
                .as_object_mut()
                .and_then(|o| o.remove("key"))
                .and_then(|k| k.as_str().map(str::to_owned))
                .ok_or_else(|| anyhow!("library entry {i} has no key"))?;
            let content: PlanContent =
                serde_json::from_value(entry).with_context(|| format!("lesson {key}"))?;
            content
                .validate()
                .map_err(|e| anyhow!("lesson {key}: {e}"))?;
            Ok((key, content))
        })
        .collect()
}

/// Publishes every starter lesson as version 1 of a district plan. Returns plan ids by key.
pub fn install_starter(
    conn: &mut DbConnection,
    district_id: &str,
    publisher_id: &str,
) -> anyhow::Result<HashMap<String, String>> {
    let now = db::now();
    let mut ids = HashMap::new();
    for (key, content) in parse_library(STARTER_LIBRARY)? {
        let plan = PlanRow {
            id: starter_id(district_id, "plan", &key),
            district_id: district_id.to_owned(),
            school_id: None,
            owner_level: OwnerLevel::District,
            created_by: publisher_id.to_owned(),
            archived: false,
            latest_version: Some(1),
            created_at: now,
            updated_at: now,
        };
        let mut version = queries::version_row(&plan.id, 1, VersionStatus::Published, &content);
        version.id = starter_id(district_id, "version", &key);
        queries::insert_plan(conn, &plan, &version).map_err(|e| anyhow!("lesson {key}: {e}"))?;
        ids.insert(key, plan.id);
    }
    Ok(ids)
}

#[derive(Deserialize)]
struct AssignmentRecord {
    key: String,
    class: String,
    lesson: String,
    teacher: String,
    scheduled_on: NaiveDate,
    due_on: Option<NaiveDate>,
    status: AssignmentStatus,
    delivered_on: Option<NaiveDate>,
    teacher_note: String,
}

#[derive(Deserialize)]
struct CompletionRecord {
    assignment: String,
    student: String,
    emotion: String,
    reflection: String,
}

/// Loads `assignments.csv` and `completions.csv` of a data set; classes, users and lessons
/// are referenced by their keys, resolved through the maps the caller built while loading.
pub fn load_assignments(
    conn: &mut DbConnection,
    assignments_csv: &str,
    completions_csv: &str,
    class_ids: &HashMap<&str, String>,
    user_ids: &HashMap<&str, String>,
    district_id: &str,
) -> anyhow::Result<usize> {
    let now = db::now();
    let mut assignment_ids = HashMap::new();
    for (i, record) in csv::Reader::from_reader(assignments_csv.as_bytes())
        .deserialize()
        .enumerate()
    {
        let r: AssignmentRecord =
            record.with_context(|| format!("assignments.csv line {}", i + 2))?;
        let lookup = |map: &HashMap<&str, String>, k: &str, what: &str| {
            map.get(k)
                .cloned()
                .ok_or_else(|| anyhow!("assignment {}: unknown {what} {k}", r.key))
        };
        let row = AssignmentRow {
            id: starter_id(district_id, "assignment", &r.key),
            class_id: lookup(class_ids, &r.class, "class")?,
            plan_id: starter_id(district_id, "plan", &r.lesson),
            plan_version_id: starter_id(district_id, "version", &r.lesson),
            assigned_by: lookup(user_ids, &r.teacher, "teacher")?,
            scheduled_on: r.scheduled_on,
            due_on: r.due_on,
            status: r.status,
            delivered_on: r.delivered_on,
            teacher_note: Some(r.teacher_note.clone()).filter(|n| !n.is_empty()),
            created_at: now,
            updated_at: now,
        };
        queries::insert_assignment(conn, &row).map_err(|e| anyhow!("assignment {}: {e}", r.key))?;
        assignment_ids.insert(r.key, row.id);
    }
    for (i, record) in csv::Reader::from_reader(completions_csv.as_bytes())
        .deserialize()
        .enumerate()
    {
        let r: CompletionRecord =
            record.with_context(|| format!("completions.csv line {}", i + 2))?;
        let emotion = match r.emotion.as_str() {
            "" => None,
            label => Some(Emotion::parse(label).ok_or_else(|| anyhow!("unknown emotion {label}"))?),
        };
        let row = CompletionRow {
            assignment_id: assignment_ids
                .get(&r.assignment)
                .cloned()
                .ok_or_else(|| anyhow!("completion: unknown assignment {}", r.assignment))?,
            student_id: user_ids
                .get(r.student.as_str())
                .cloned()
                .ok_or_else(|| anyhow!("completion: unknown student {}", r.student))?,
            emotion,
            reflection: Some(r.reflection).filter(|t| !t.is_empty()),
            completed_at: now,
            updated_at: now,
        };
        diesel::insert_into(lesson_completions::table)
            .values(&row)
            .execute(conn)?;
    }
    Ok(assignment_ids.len())
}
