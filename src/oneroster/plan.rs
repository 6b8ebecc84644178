//! Reading a bundle into a plan: every file validated and resolved against the stored roster,
//! before anything is written.

use std::collections::{BTreeMap, HashMap, HashSet};

use diesel::prelude::*;

use super::bundle::Bundle;
use super::current::{self, Roster};
use super::fields::{self, Mode, MANIFEST};
use super::report::{FileSummary, ImportReport, Problems};
use super::slots::{self, Activity, Slots};
use super::table::{read_rows, Row, Shape};
use crate::db::schema::{schools, users};
use crate::db::DbConnection;

/// The six tables a manifest describes, with their manifest keys.
const TABLES: [(&str, &str); 6] = [
    ("orgs.csv", "file.orgs"),
    ("academicSessions.csv", "file.academicSessions"),
    ("courses.csv", "file.courses"),
    ("users.csv", "file.users"),
    ("classes.csv", "file.classes"),
    ("enrollments.csv", "file.enrollments"),
];

/// Everything learned while reading the bundle.
pub struct State {
    pub district_id: String,
    pub roster: Roster,
    pub modes: HashMap<&'static str, Mode>,
    /// sourcedIds of the file being read, with the line that named them.
    pub ids_in_file: HashMap<String, u64>,
    /// The district org of the bundle that maps to the target district.
    pub district_orgs: HashSet<String>,
    /// Orgs that are neither schools nor the target district (departments, states…).
    pub other_orgs: HashSet<String>,
    /// Orgs of another district, and their schools: references to them are errors.
    pub foreign_orgs: HashSet<String>,
    /// Course titles by sourcedId.
    pub courses: HashMap<String, String>,
    /// Users not imported (guardians, pre-K students…): their enrollments are skipped too.
    pub skipped_users: HashSet<String>,
    /// The district org to record on the district, when this import first names it.
    pub bind_district_source: Option<String>,
    pub skipped: BTreeMap<String, u64>,
    /// Accounts made by hand that rows took over by username.
    pub adopted_users: u64,
    pub stale: HashMap<&'static str, u64>,
    pub notices: Vec<String>,
    /// Whether the notice on grade TK was given.
    pub tk_noticed: bool,
    /// The day of the import: enrollments are active only between their `beginDate` and
    /// `endDate` around it.
    pub today: chrono::NaiveDate,
    /// Enrollments imported inactive because they ended before today, or begin after it.
    pub ended_enrollments: u64,
    pub future_enrollments: u64,
    /// Classes of several sessions linked to the session holding them all.
    pub spanning_classes: u64,
}

impl State {
    pub fn skip(&mut self, reason: impl Into<String>) {
        *self.skipped.entry(reason.into()).or_default() += 1;
    }

    pub fn mode(&self, file: &str) -> Mode {
        self.modes.get(file).copied().unwrap_or(Mode::Bulk)
    }

    /// The leading columns of a row whose sourcedId is new to its file; None (with problems
    /// recorded) otherwise.
    pub fn new_row<'r>(
        &mut self,
        row: &'r Row,
        problems: &mut Problems,
    ) -> Option<fields::Header<'r>> {
        let header = fields::header(row, problems)?;
        self.first_sighting(row, header.sourced_id, problems)
            .then_some(header)
    }

    /// Records a row's sourcedId; false (with a problem) when the file already had it.
    fn first_sighting(&mut self, row: &Row, source_id: &str, problems: &mut Problems) -> bool {
        match self.ids_in_file.get(source_id) {
            Some(first) => {
                row.problem(
                    problems,
                    "sourcedId",
                    format!("duplicate sourcedId \"{source_id}\" (first on line {first})"),
                );
                false
            }
            None => {
                self.ids_in_file.insert(source_id.to_owned(), row.line);
                true
            }
        }
    }

    /// True when a delta row is not newer than what is stored, so it must not overwrite it.
    pub fn is_stale(
        &mut self,
        file: &'static str,
        stored: Option<chrono::NaiveDateTime>,
        modified: Option<chrono::NaiveDateTime>,
    ) -> bool {
        let stale = is_stale(self.mode(file), stored, modified);
        if stale {
            *self.stale.entry(file).or_default() += 1;
        }
        stale
    }
}

/// A delta row not newer than the stored record must not overwrite it.
pub fn is_stale(
    mode: Mode,
    stored: Option<chrono::NaiveDateTime>,
    modified: Option<chrono::NaiveDateTime>,
) -> bool {
    mode == Mode::Delta && matches!((modified, stored), (Some(row), Some(stored)) if row <= stored)
}

/// A bundle read and checked: the report so far, and the changes to write when it is clean.
pub struct Plan {
    pub report: ImportReport,
    pub problems: Problems,
    pub state: State,
}

impl Plan {
    pub fn read(
        conn: &mut DbConnection,
        district_id: &str,
        bundle: &mut Bundle,
        dry_run: bool,
    ) -> QueryResult<Plan> {
        let mut plan = Plan {
            report: ImportReport::new(district_id, dry_run),
            problems: Problems::default(),
            state: State {
                district_id: district_id.to_owned(),
                roster: current::load(conn, district_id)?,
                modes: HashMap::new(),
                ids_in_file: HashMap::new(),
                district_orgs: HashSet::new(),
                other_orgs: HashSet::new(),
                foreign_orgs: HashSet::new(),
                courses: HashMap::new(),
                skipped_users: HashSet::new(),
                bind_district_source: None,
                skipped: BTreeMap::new(),
                adopted_users: 0,
                stale: HashMap::new(),
                notices: Vec::new(),
                tk_noticed: false,
                today: crate::dates::today(),
                ended_enrollments: 0,
                future_enrollments: 0,
                spanning_classes: 0,
            },
        };
        if !plan.read_manifest(bundle) {
            return Ok(plan.finish());
        }
        if let Some(source) = plan.state.roster.district_source.clone() {
            plan.state.district_orgs.insert(source);
        }
        let mut orgs = Vec::new();
        plan.read_table(bundle, &fields::ORGS, |state, row, problems| {
            state.read_org(row, problems, &mut orgs)
        });
        plan.state.place_orgs(orgs, &mut plan.problems);
        plan.check_foreign_schools(conn)?;
        plan.read_table(bundle, &fields::SESSIONS, State::read_session);
        plan.state.settle_session_parents();
        plan.read_table(bundle, &fields::COURSES, State::read_course);
        plan.read_table(bundle, &fields::USERS, State::read_user);
        plan.check_usernames_elsewhere(conn)?;
        plan.read_table(bundle, &fields::CLASSES, State::read_class);
        plan.read_table(bundle, &fields::ENROLLMENTS, State::read_enrollment);
        // A row with a problem was not taken in: deactivating "absent" records would then count
        // rows that are merely broken.
        if plan.problems.is_empty() {
            plan.state.deactivate_absent();
        }
        plan.state.fit_school_grades();
        Ok(plan.finish())
    }

    /// Reads the manifest; false when the bundle cannot be read further.
    fn read_manifest(&mut self, bundle: &mut Bundle) -> bool {
        let mut properties: HashMap<String, (String, u64)> = HashMap::new();
        let (problems, notices) = (&mut self.problems, &mut self.report.notices);
        let read = bundle.read(MANIFEST.file, |input| {
            read_rows(&MANIFEST, input, problems, notices, |row, _| {
                properties.insert(
                    row.get("propertyName").to_owned(),
                    (row.get("value").to_owned(), row.line),
                );
            })
        });
        if let Err(e) = read {
            self.problems
                .push(MANIFEST.file, None, None, format!("unreadable: {e}"));
        }
        if !self.problems.is_empty() {
            return false;
        }
        if let Some((version, line)) = properties.get("oneroster.version") {
            if version != "1.1" {
                self.problems.push(
                    MANIFEST.file,
                    Some(*line),
                    Some("value"),
                    format!(
                        "oneroster.version is \"{version}\"; this importer reads OneRoster 1.1"
                    ),
                );
            }
        }
        for (file, key) in TABLES {
            let declared = properties.get(key);
            let mode = match declared.map(|(v, line)| (v.to_ascii_lowercase(), *line)) {
                Some((v, _)) if v == "bulk" => Some(Mode::Bulk),
                Some((v, _)) if v == "delta" => Some(Mode::Delta),
                Some((v, _)) if v == "absent" => None,
                None => None,
                Some((v, line)) => {
                    self.problems.push(
                        MANIFEST.file,
                        Some(line),
                        Some("value"),
                        format!("{key} is \"{v}\" (expected bulk, delta or absent)"),
                    );
                    None
                }
            };
            match (mode, bundle.has(file)) {
                (Some(mode), true) => {
                    self.state.modes.insert(file, mode);
                }
                (Some(mode), false) => self.problems.push(
                    MANIFEST.file,
                    declared.map(|(_, line)| *line),
                    Some("value"),
                    format!("{key} is {} but the bundle has no {file}", mode.as_str()),
                ),
                (None, true) => self.report.notices.push(format!(
                    "{file} is in the bundle but manifest.csv does not list it as bulk or delta; ignored"
                )),
                (None, false) => {}
            }
        }
        for name in bundle.ignored() {
            self.report
                .notices
                .push(format!("{name}: not used by securebase; ignored"));
        }
        self.problems.is_empty()
    }

    /// Reads one table (when the manifest lists it), handing each row to `on_row`.
    fn read_table(
        &mut self,
        bundle: &mut Bundle,
        shape: &'static Shape,
        mut on_row: impl FnMut(&mut State, &Row, &mut Problems),
    ) {
        let Some(mode) = self.state.modes.get(shape.file).copied() else {
            return;
        };
        self.state.ids_in_file.clear();
        let (problems, notices, state) = (
            &mut self.problems,
            &mut self.report.notices,
            &mut self.state,
        );
        let read = bundle.read(shape.file, |input| {
            read_rows(shape, input, problems, notices, |row, problems| {
                on_row(state, row, problems)
            })
        });
        match read {
            Ok(Some(rows)) => self.report.files.push(FileSummary {
                file: shape.file.to_owned(),
                mode: mode.as_str().to_owned(),
                rows,
            }),
            Ok(None) => {}
            Err(e) => self
                .problems
                .push(shape.file, None, None, format!("unreadable: {e}")),
        }
        self.state.ids_in_file = HashMap::new();
    }

    /// A school org already imported into another district cannot move into this one.
    fn check_foreign_schools(&mut self, conn: &mut DbConnection) -> QueryResult<()> {
        let new_sources: Vec<(String, u64)> = self
            .state
            .roster
            .schools
            .list
            .iter()
            .filter(|s| s.current.is_none())
            .filter_map(|s| s.source_id.clone().map(|id| (id, s.line)))
            .collect();
        for chunk in new_sources.chunks(500) {
            let ids: Vec<&String> = chunk.iter().map(|(id, _)| id).collect();
            let taken: Vec<String> = schools::table
                .filter(schools::source_id.eq_any(ids))
                .filter(schools::district_id.ne(&self.state.district_id))
                .select(schools::source_id.assume_not_null())
                .load(conn)?;
            for (id, line) in chunk.iter().filter(|(id, _)| taken.contains(id)) {
                self.problems.push(
                    fields::ORGS.file,
                    Some(*line),
                    Some("sourcedId"),
                    format!("school \"{id}\" belongs to another district of this server"),
                );
            }
        }
        Ok(())
    }

    /// Usernames are unique across the server: a new one must not belong to another district.
    fn check_usernames_elsewhere(&mut self, conn: &mut DbConnection) -> QueryResult<()> {
        let wanted: Vec<(String, u64)> = self
            .state
            .roster
            .users
            .list
            .iter()
            .filter_map(|slot| {
                let desired = slot.desired.as_ref()?;
                let changed = slot.current.as_ref().map(|c| &c.username) != Some(&desired.username);
                changed.then(|| (desired.username.clone(), slot.line))
            })
            .collect();
        for chunk in wanted.chunks(1000) {
            let names: Vec<&String> = chunk.iter().map(|(name, _)| name).collect();
            let taken: HashSet<String> = users::table
                .filter(users::username.eq_any(names))
                .filter(users::district_id.ne(&self.state.district_id))
                .select(users::username)
                .load::<String>(conn)?
                .into_iter()
                .collect();
            for (name, line) in chunk.iter().filter(|(name, _)| taken.contains(name)) {
                self.problems.push(
                    fields::USERS.file,
                    Some(*line),
                    Some("username"),
                    format!("username \"{name}\" is taken by an account of another district"),
                );
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Plan {
        let roster = &self.state.roster;
        let report = &mut self.report;
        roster.schools.count(&mut report.schools);
        roster.terms.count(&mut report.terms);
        roster.users.count(&mut report.users);
        roster.classes.count(&mut report.classes);
        for slot in roster.enrollments.values() {
            slots::count(slot.change(), &mut report.enrollments);
        }
        for slot in roster.teachers.values() {
            slots::count(slot.change(), &mut report.class_teachers);
        }
        let stale = |file: &str| self.state.stale.get(file).copied().unwrap_or(0);
        report.schools.stale = stale(fields::ORGS.file);
        report.terms.stale = stale(fields::SESSIONS.file);
        report.users.stale = stale(fields::USERS.file);
        report.classes.stale = stale(fields::CLASSES.file);
        report.enrollments.stale = stale(fields::ENROLLMENTS.file);
        report.skipped = self.state.skipped.clone();
        if self.state.adopted_users > 0 {
            report.notices.push(format!(
                "{} account(s) made by hand were linked to users.csv rows by username",
                self.state.adopted_users
            ));
        }
        if self.state.spanning_classes > 0 {
            report.notices.push(format!(
                "{} class(es) listing several sessions (e.g. both semesters) were linked to the \
                 session that holds them all (the school year), so they run from the first \
                 one's start to the last one's end",
                self.state.spanning_classes
            ));
        }
        report.notices.extend(self.state.session_notices());
        if self.state.ended_enrollments > 0 {
            report.notices.push(format!(
                "{} enrollment(s) with an endDate before {} were imported inactive (dropped)",
                self.state.ended_enrollments, self.state.today
            ));
        }
        if self.state.future_enrollments > 0 {
            report.notices.push(format!(
                "{} enrollment(s) with a beginDate after {} were imported inactive until an \
                 import on or after that day",
                self.state.future_enrollments, self.state.today
            ));
        }
        report.notices.append(&mut self.state.notices);
        report.error_count = self.problems.total;
        report.errors = std::mem::take(&mut self.problems.listed);
        self
    }
}

impl<T: Activity> Slots<T> {
    /// Asks for every imported record the bundle did not name to be deactivated.
    pub fn deactivate_unseen(&mut self) {
        for slot in &mut self.list {
            if slot.stored_source_id.is_some() && !slot.seen {
                slot.deactivate();
            }
        }
    }
}
