//! classes.csv and enrollments.csv, then what follows from the whole bundle: bulk
//! deactivation and school grade ranges.

use std::collections::HashMap;

use super::fields::{self, Grade, Mode, Status, CLASSES, ENROLLMENTS};
use super::plan::{is_stale, State};
use super::report::Problems;
use super::slots::{ClassData, Link, Slot};
use super::table::Row;
use crate::accounts::Role;
use crate::db;
use crate::rosters::dto::MAX_GRADE;

/// Enrollment roles that give no access to a class in securebase.
const NOT_IMPORTED_ENROLLMENTS: [&str; 6] = [
    "administrator",
    "aide",
    "guardian",
    "parent",
    "proctor",
    "relative",
];

/// How a class's sessions gave its term.
enum Spanning {
    /// One session.
    One,
    /// Several, linked to the session holding them all.
    Parent,
    /// Several without a common parent, linked to the first (the notice says so).
    First(String),
}

impl State {
    pub fn read_class(&mut self, row: &Row, problems: &mut Problems) {
        let Some(header) = self.new_row(row, problems) else {
            return;
        };
        let title = row.get("title");
        if title.is_empty() {
            row.problem(problems, "title", "required value is empty");
        }
        let school = self.resolve_school(row, "schoolSourcedId", problems);
        let listed: Vec<&str> = fields::list(row.get("termSourcedIds")).collect();
        let mut terms = Vec::with_capacity(listed.len());
        for term in &listed {
            match self.roster.terms.find(term) {
                Some(index) => terms.push(index),
                None => row.problem(
                    problems,
                    "termSourcedIds",
                    format!("unknown academic session \"{term}\""),
                ),
            }
        }
        if listed.is_empty() {
            row.problem(problems, "termSourcedIds", "required value is empty");
        }
        let mut listed = listed;
        listed.dedup();
        terms.dedup();
        let spanning = if terms.len() == listed.len() {
            self.class_term(header.sourced_id, &listed, &terms)
        } else {
            None
        };
        let term = spanning.as_ref().map(|s| s.0);
        let Ok(grade) = fields::first_grade(row, problems) else {
            return;
        };
        let course = row.get("courseSourcedId");
        let course_title = if course.is_empty() || !self.modes.contains_key("courses.csv") {
            None
        } else {
            match self.courses.get(course) {
                Some(title) => Some(title.clone()),
                None => {
                    row.problem(
                        problems,
                        "courseSourcedId",
                        format!("unknown course \"{course}\""),
                    );
                    return;
                }
            }
        };
        let (Some(school), Some(term)) = (school, term) else {
            return;
        };
        if title.is_empty() {
            return;
        }
        // The course says what is taught; the class title often only says when ("Period 2").
        let name = match course_title {
            Some(course) if !title.contains(course.as_str()) => format!("{course} — {title}"),
            _ => title.to_owned(),
        };
        let classes = &mut self.roster.classes;
        let index = classes
            .find(header.sourced_id)
            .unwrap_or_else(|| classes.push(Slot::new(db::new_id(), header.sourced_id)));
        let stored = classes.list[index].current_modified;
        let exists = classes.list[index].current.is_some();
        if self.is_stale(CLASSES.file, stored, header.modified)
            || (header.status == Status::ToBeDeleted && !exists)
        {
            self.roster.classes.list[index].seen = true;
            return;
        }
        let data = ClassData {
            school_id: self.roster.schools.list[school].id.clone(),
            term_id: self.roster.terms.list[term].id.clone(),
            name,
            grade: match grade {
                Some(Grade::Served(grade)) => Some(grade),
                Some(Grade::NotServed) | None => None,
            },
            active: header.status == Status::Active,
        };
        let slot = &mut self.roster.classes.list[index];
        slot.seen = true;
        slot.line = row.line;
        slot.desired_modified = header.modified;
        slot.desired = Some(data);
        match spanning.map(|s| s.1) {
            Some(Spanning::Parent) => self.spanning_classes += 1,
            Some(Spanning::First(notice)) => self.notices.push(notice),
            _ => {}
        }
    }

    /// The term a class is linked to: its session, or for a class of several sessions (a
    /// year-long course listed as "sem1,sem2") the session they are all part of (the school
    /// year), so the class runs from the first one's start to the last one's end; without a
    /// common parent, the first session, with a notice.
    fn class_term(
        &self,
        class: &str,
        listed: &[&str],
        terms: &[usize],
    ) -> Option<(usize, Spanning)> {
        let first = *terms.first()?;
        if terms.len() == 1 {
            return Some((first, Spanning::One));
        }
        let parents: Vec<Option<String>> = terms
            .iter()
            .map(|t| {
                self.roster.terms.list[*t]
                    .effective()
                    .and_then(|d| d.parent_source.clone())
            })
            .collect();
        let common = parents
            .first()
            .cloned()
            .flatten()
            .filter(|p| parents.iter().all(|q| q.as_deref() == Some(p.as_str())));
        match common.and_then(|p| self.roster.terms.find(&p)) {
            Some(parent) => Some((parent, Spanning::Parent)),
            None => Some((
                first,
                Spanning::First(format!(
                    "class \"{class}\" lists sessions {} that are not parts of one session: \
                     linked to the first, \"{}\"",
                    listed.join(", "),
                    listed[0]
                )),
            )),
        }
    }

    /// A school org named in `column`, which must be one of this district's schools.
    fn resolve_school(&self, row: &Row, column: &str, problems: &mut Problems) -> Option<usize> {
        let org = row.get(column);
        if org.is_empty() {
            row.problem(problems, column, "required value is empty");
            return None;
        }
        if let Some(index) = self.roster.schools.find(org) {
            return Some(index);
        }
        let message = if self.foreign_orgs.contains(org) {
            format!("school \"{org}\" is outside the district being imported into")
        } else {
            format!("unknown school org \"{org}\"")
        };
        row.problem(problems, column, message);
        None
    }

    pub fn read_enrollment(&mut self, row: &Row, problems: &mut Problems) {
        let Some(header) = self.new_row(row, problems) else {
            return;
        };
        let role = row.get("role");
        let is_student = match role {
            "student" => true,
            "teacher" => false,
            other if NOT_IMPORTED_ENROLLMENTS.contains(&other) => {
                self.skip(format!("enrollment role {other}"));
                return;
            }
            other => {
                row.problem(
                    problems,
                    "role",
                    format!("unknown enrollment role \"{other}\" (expected student or teacher)"),
                );
                return;
            }
        };
        let class_source = row.get("classSourcedId");
        let class = self.roster.classes.find(class_source);
        if class.is_none() {
            row.problem(
                problems,
                "classSourcedId",
                format!("unknown class \"{class_source}\""),
            );
        }
        let user_source = row.get("userSourcedId");
        if self.skipped_users.contains(user_source) {
            self.skip("enrollment of a user who is not imported");
            return;
        }
        let Some(user) = self.roster.users.find(user_source) else {
            row.problem(
                problems,
                "userSourcedId",
                format!("unknown user \"{user_source}\""),
            );
            return;
        };
        let Some(class) = class else { return };
        let user_role = self.roster.users.list[user].effective().map(|u| u.role);
        match (is_student, user_role) {
            (true, Some(Role::Student)) | (false, Some(Role::Teacher | Role::Counselor)) => {}
            (false, Some(Role::SchoolAdmin)) => {
                self.skip("teacher enrollment of an administrator");
                return;
            }
            (true, _) => {
                row.problem(
                    problems,
                    "role",
                    format!("user \"{user_source}\" is not a student"),
                );
                return;
            }
            (false, _) => {
                row.problem(
                    problems,
                    "role",
                    format!("user \"{user_source}\" is not a teacher"),
                );
                return;
            }
        }
        // Many systems send a dropped student as `active` with an `endDate`; an enrollment
        // counts only between its dates, on the day of the import.
        let begins = fields::optional_date(row, "beginDate", problems);
        let ends = fields::optional_date(row, "endDate", problems);
        let ended = ends.is_some_and(|d| d < self.today);
        let not_begun = begins.is_some_and(|d| d > self.today);
        let listed_active = header.status == Status::Active;
        let active = listed_active && !ended && !not_begun;
        let mode = self.mode(ENROLLMENTS.file);
        let links = if is_student {
            &mut self.roster.enrollments
        } else {
            &mut self.roster.teachers
        };
        let slot = links
            .entry((class, user))
            .or_insert_with(|| Slot::new(String::new(), header.sourced_id));
        if slot.seen {
            self.skip("repeated enrollment of a user in the same class");
            return;
        }
        slot.seen = true;
        slot.source_id = Some(header.sourced_id.to_owned());
        // A row already applied still turns its enrollment on or off as its dates pass.
        let dates_turn_it = slot.current.as_ref().is_some_and(|c| c.active != active)
            && header.status == Status::Active;
        if is_stale(mode, slot.current_modified, header.modified) && !dates_turn_it {
            *self.stale.entry(ENROLLMENTS.file).or_default() += 1;
            return;
        }
        if header.status == Status::ToBeDeleted && slot.current.is_none() {
            return;
        }
        // A teacher assignment is stored only while it grants access.
        let unstored = !is_student && !active && slot.current.is_none();
        if !unstored {
            slot.line = row.line;
            slot.desired_modified = header.modified;
            slot.desired = Some(Link { active });
        }
        if listed_active && ended {
            self.ended_enrollments += 1;
        } else if listed_active && not_begun {
            self.future_enrollments += 1;
        }
    }

    /// Bulk files are the whole truth: imported records they no longer name are deactivated.
    pub fn deactivate_absent(&mut self) {
        if self.modes.get(fields::USERS.file) == Some(&Mode::Bulk) {
            self.roster.users.deactivate_unseen();
        }
        if self.modes.get(CLASSES.file) == Some(&Mode::Bulk) {
            self.roster.classes.deactivate_unseen();
        }
        if self.modes.get(ENROLLMENTS.file) == Some(&Mode::Bulk) {
            for links in [&mut self.roster.enrollments, &mut self.roster.teachers] {
                for slot in links.values_mut() {
                    if slot.stored_source_id.is_some() && !slot.seen {
                        slot.deactivate();
                    }
                }
            }
        }
    }

    /// Schools created by the import span the grades of their students and classes; existing
    /// schools widen to include them (never narrow).
    pub fn fit_school_grades(&mut self) {
        let by_id: HashMap<&str, usize> = self
            .roster
            .schools
            .list
            .iter()
            .enumerate()
            .map(|(index, slot)| (slot.id.as_str(), index))
            .collect();
        let mut spans: HashMap<usize, (i32, i32)> = HashMap::new();
        let mut widen = |school: &str, grade: i32| {
            if let Some(&index) = by_id.get(school) {
                let span = spans.entry(index).or_insert((grade, grade));
                *span = (span.0.min(grade), span.1.max(grade));
            }
        };
        for user in &self.roster.users.list {
            if let Some(data) = user.effective() {
                if let (Some(school), Some(grade)) = (&data.school_id, data.grade) {
                    widen(school, grade);
                }
            }
        }
        for class in &self.roster.classes.list {
            if let Some(ClassData {
                school_id,
                grade: Some(grade),
                ..
            }) = class.effective()
            {
                widen(school_id, *grade);
            }
        }
        for (index, slot) in self.roster.schools.list.iter_mut().enumerate() {
            let span = spans.get(&index).copied();
            let base = slot.desired.clone().or_else(|| slot.current.clone());
            let Some(mut data) = base else { continue };
            let (low, high) = match (slot.current.as_ref(), span) {
                (Some(current), Some((lo, hi))) => {
                    (current.low_grade.min(lo), current.high_grade.max(hi))
                }
                (Some(current), None) => (current.low_grade, current.high_grade),
                (None, Some(span)) => span,
                (None, None) => (0, MAX_GRADE),
            };
            if slot.desired.is_none() && (low, high) == (data.low_grade, data.high_grade) {
                continue;
            }
            data.low_grade = low;
            data.high_grade = high;
            slot.desired = Some(data);
        }
    }
}
