//! orgs.csv (the district and its schools), academicSessions.csv (terms) and courses.csv
//! (titles for classes).

use super::fields::{self, Status, ORGS, SESSIONS};
use super::plan::State;
use super::report::Problems;
use super::slots::{SchoolData, Slot, TermData};
use super::table::Row;
use crate::db;

/// An org row kept until the whole file is read (a school may precede its district).
pub struct OrgRow {
    source_id: String,
    status: Status,
    modified: Option<chrono::NaiveDateTime>,
    name: String,
    kind: String,
    parent: String,
    line: u64,
}

const ORG_TYPES: [&str; 6] = [
    "department",
    "school",
    "district",
    "local",
    "state",
    "national",
];

impl State {
    pub fn read_org(&mut self, row: &Row, problems: &mut Problems, orgs: &mut Vec<OrgRow>) {
        let Some(header) = self.new_row(row, problems) else {
            return;
        };
        let kind = row.get("type");
        if !ORG_TYPES.contains(&kind) {
            row.problem(
                problems,
                "type",
                format!(
                    "unknown org type \"{kind}\" (expected one of {})",
                    ORG_TYPES.join(", ")
                ),
            );
            return;
        }
        if row.get("name").is_empty() {
            row.problem(problems, "name", "required value is empty");
            return;
        }
        orgs.push(OrgRow {
            source_id: header.sourced_id.to_owned(),
            status: header.status,
            modified: header.modified,
            name: row.get("name").to_owned(),
            kind: kind.to_owned(),
            parent: row.get("parentSourcedId").to_owned(),
            line: row.line,
        });
    }

    /// Decides which district org is the target district, then places each school.
    pub fn place_orgs(&mut self, orgs: Vec<OrgRow>, problems: &mut Problems) {
        let districts: Vec<&OrgRow> = orgs.iter().filter(|o| o.kind == "district").collect();
        let target = match self.roster.district_source.clone() {
            Some(bound) => Some(bound),
            None => match districts.as_slice() {
                [] => None,
                [only] => {
                    self.bind_district_source = Some(only.source_id.clone());
                    Some(only.source_id.clone())
                }
                [_, second, ..] => {
                    problems.push(
                        ORGS.file,
                        Some(second.line),
                        Some("type"),
                        "the bundle holds several district orgs: import each district into its own \
                         securebase district"
                            .to_owned(),
                    );
                    None
                }
            },
        };
        for district in &districts {
            if Some(&district.source_id) == target.as_ref() {
                self.district_orgs.insert(district.source_id.clone());
            } else {
                self.foreign_orgs.insert(district.source_id.clone());
            }
        }
        let known: std::collections::HashSet<&str> =
            orgs.iter().map(|o| o.source_id.as_str()).collect();
        for org in &orgs {
            match org.kind.as_str() {
                "district" => {}
                "school" => {
                    if self.foreign_orgs.contains(&org.parent) {
                        problems.push(
                            ORGS.file,
                            Some(org.line),
                            Some("parentSourcedId"),
                            format!(
                                "school \"{}\" belongs to district org \"{}\", not to the district \
                                 being imported into",
                                org.source_id, org.parent
                            ),
                        );
                        self.foreign_orgs.insert(org.source_id.clone());
                    } else if !org.parent.is_empty()
                        && !known.contains(org.parent.as_str())
                        && !self.district_orgs.contains(&org.parent)
                    {
                        problems.push(
                            ORGS.file,
                            Some(org.line),
                            Some("parentSourcedId"),
                            format!("unknown parent org \"{}\"", org.parent),
                        );
                    } else {
                        self.place_school(org, problems);
                    }
                }
                other => {
                    self.other_orgs.insert(org.source_id.clone());
                    self.skip(format!("org type {other}"));
                }
            }
        }
    }

    fn place_school(&mut self, org: &OrgRow, problems: &mut Problems) {
        let schools = &mut self.roster.schools;
        let index = match schools.find(&org.source_id) {
            Some(index) => index,
            None => match self.roster.school_by_name.get(&org.name).copied() {
                Some(index) if schools.list[index].source_id.is_none() => {
                    schools.adopt(index, &org.source_id);
                    self.notices.push(format!(
                        "school \"{}\" already existed and is now linked to org \"{}\"",
                        org.name, org.source_id
                    ));
                    index
                }
                Some(index) => {
                    problems.push(
                        ORGS.file,
                        Some(org.line),
                        Some("name"),
                        format!(
                            "a school named \"{}\" already exists (org \"{}\")",
                            org.name,
                            schools.list[index].source_id.as_deref().unwrap_or_default()
                        ),
                    );
                    return;
                }
                None => {
                    let index = schools.push(Slot::new(db::new_id(), &org.source_id));
                    self.roster.school_by_name.insert(org.name.clone(), index);
                    index
                }
            },
        };
        if let Some(&holder) = self.roster.school_by_name.get(&org.name) {
            if holder != index {
                problems.push(
                    ORGS.file,
                    Some(org.line),
                    Some("name"),
                    format!("another school is already named \"{}\"", org.name),
                );
                return;
            }
        }
        self.roster.school_by_name.insert(org.name.clone(), index);
        let stored = self.roster.schools.list[index].current_modified;
        if self.is_stale(ORGS.file, stored, org.modified) {
            self.roster.schools.list[index].seen = true;
            return;
        }
        let (low_grade, high_grade) = self.roster.schools.list[index]
            .current
            .as_ref()
            .map(|c| (c.low_grade, c.high_grade))
            .unwrap_or((i32::MAX, i32::MIN));
        let slot = &mut self.roster.schools.list[index];
        slot.seen = true;
        slot.line = org.line;
        slot.desired_modified = org.modified;
        slot.desired = Some(SchoolData {
            name: org.name.clone(),
            low_grade,
            high_grade,
            active: org.status == Status::Active,
        });
    }

    pub fn read_session(&mut self, row: &Row, problems: &mut Problems) {
        let Some(header) = self.new_row(row, problems) else {
            return;
        };
        let title = row.get("title");
        if title.is_empty() {
            row.problem(problems, "title", "required value is empty");
        }
        let session_type = match row.get("type") {
            t @ ("schoolYear" | "semester" | "term" | "gradingPeriod") => Some(t.to_owned()),
            "" => {
                row.problem(problems, "type", "required value is empty");
                None
            }
            other => {
                row.problem(
                    problems,
                    "type",
                    format!(
                        "unknown session type \"{other}\" (expected schoolYear, semester, term or \
                         gradingPeriod)"
                    ),
                );
                None
            }
        };
        let starts_on = fields::date(row, "startDate", problems);
        let ends_on = fields::date(row, "endDate", problems);
        let (Some(starts_on), Some(ends_on), Some(session_type)) =
            (starts_on, ends_on, session_type)
        else {
            return;
        };
        if title.is_empty() {
            return;
        }
        if ends_on < starts_on {
            row.problem(problems, "endDate", "ends before it starts");
            return;
        }
        if header.status == Status::ToBeDeleted {
            // Terms hold class history; they are never removed.
            self.skip("academic session marked tobedeleted (terms are kept)");
            return;
        }
        let terms = &mut self.roster.terms;
        let index = match terms.find(header.sourced_id) {
            Some(index) => index,
            None => match self.roster.term_by_name.get(title).copied() {
                Some(index) if terms.list[index].source_id.is_none() => {
                    terms.adopt(index, header.sourced_id);
                    self.notices.push(format!(
                        "term \"{title}\" already existed and is now linked to session \"{}\" \
                         (its dates follow the bundle)",
                        header.sourced_id
                    ));
                    index
                }
                _ => terms.push(Slot::new(db::new_id(), header.sourced_id)),
            },
        };
        let stored = self.roster.terms.list[index].current_modified;
        if self.is_stale(SESSIONS.file, stored, header.modified) {
            self.roster.terms.list[index].seen = true;
            return;
        }
        // Term names are unique in a district; two sessions may share a title across years.
        let year = row.get("schoolYear");
        let candidates = [
            title.to_owned(),
            if year.is_empty() {
                format!("{title} ({starts_on})")
            } else {
                format!("{title} ({year})")
            },
        ];
        let Some(name) = candidates.into_iter().find(|name| {
            self.roster
                .term_by_name
                .get(name)
                .is_none_or(|&other| other == index)
        }) else {
            row.problem(
                problems,
                "title",
                format!("another term is already named \"{title}\""),
            );
            return;
        };
        self.roster.term_by_name.insert(name.clone(), index);
        let slot = &mut self.roster.terms.list[index];
        slot.seen = true;
        slot.line = row.line;
        slot.desired_modified = header.modified;
        slot.desired = Some(TermData {
            name,
            starts_on,
            ends_on,
            session_type: Some(session_type),
            parent_source: row.opt("parentSourcedId").map(str::to_owned),
        });
    }

    /// Parents named by sessions of this bundle that exist nowhere (neither in the bundle nor
    /// imported before) are dropped, with a notice, so the term is stored as it will read back.
    pub fn settle_session_parents(&mut self) {
        let mut dropped = Vec::new();
        for index in 0..self.roster.terms.list.len() {
            let Some(parent) = self.roster.terms.list[index]
                .desired
                .as_ref()
                .and_then(|d| d.parent_source.clone())
            else {
                continue;
            };
            if self.roster.terms.find(&parent).is_none() {
                let slot = &mut self.roster.terms.list[index];
                if let Some(d) = slot.desired.as_mut() {
                    d.parent_source = None;
                }
                dropped.push(format!(
                    "session \"{}\" names parent \"{parent}\", which is neither in the bundle nor \
                     imported before: kept without a parent",
                    slot.source_id.as_deref().unwrap_or_default()
                ));
            }
        }
        self.notices.extend(dropped);
    }

    /// What the import did with this bundle's sessions beyond making them terms: those no
    /// class is in are kept as parts of the calendar (a school year around its semesters, a
    /// grading period) and not offered as terms; a parent that exists nowhere is dropped.
    pub fn session_notices(&self) -> Vec<String> {
        let holding: std::collections::HashSet<&str> = self
            .roster
            .classes
            .list
            .iter()
            .filter_map(|c| c.effective().map(|d| d.term_id.as_str()))
            .collect();
        let mut kept = Vec::new();
        let mut notices = Vec::new();
        for slot in self.roster.terms.list.iter().filter(|t| t.seen) {
            let Some(data) = slot.desired.as_ref() else {
                continue;
            };
            if !holding.contains(slot.id.as_str()) {
                kept.push(format!(
                    "{} ({})",
                    data.name,
                    data.session_type.as_deref().unwrap_or("term")
                ));
            }
        }
        if !kept.is_empty() {
            let more = kept.len().saturating_sub(10);
            kept.truncate(10);
            notices.push(format!(
                "{} session(s) hold no class and are kept as parts of the calendar, not offered \
                 as terms: {}{}",
                kept.len() + more,
                kept.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        notices
    }

    pub fn read_course(&mut self, row: &Row, problems: &mut Problems) {
        let Some(header) = self.new_row(row, problems) else {
            return;
        };
        let title = row.get("title");
        if title.is_empty() {
            row.problem(problems, "title", "required value is empty");
            return;
        }
        self.courses
            .insert(header.sourced_id.to_owned(), title.to_owned());
    }
}
