//! Loads a roster data set (the demo district in `seed/demo`, or any directory of the same
//! CSV files) through the application's own queries, on either backend.
//!
//! Ids are UUIDv5 derived from each row's key, so loading the same files always gives the
//! same ids: the demo is deterministic and documentation can rely on it.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{anyhow, bail, Context};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::password;

use crate::accounts::{Role, UserRow};
use crate::db::schema::{districts, enrollments};
use crate::db::{self, write_transaction, DbConnection};
use crate::lessons::library::{install_starter, load_assignments};
use crate::rosters::models::{ClassRow, School, Term};
use crate::rosters::queries;

/// Optional files of a data set: lesson assignments and completions in its classes.
pub const OPTIONAL_FILES: [&str; 2] = ["assignments.csv", "completions.csv"];

pub const FILES: [&str; 7] = [
    "district.csv",
    "schools.csv",
    "terms.csv",
    "users.csv",
    "classes.csv",
    "enrollments.csv",
    "logins.csv",
];

/// The demo data set, compiled in so `serve --demo` works from any directory.
pub fn demo_files() -> HashMap<&'static str, &'static str> {
    HashMap::from([
        ("district.csv", include_str!("../seed/demo/district.csv")),
        ("schools.csv", include_str!("../seed/demo/schools.csv")),
        ("terms.csv", include_str!("../seed/demo/terms.csv")),
        ("users.csv", include_str!("../seed/demo/users.csv")),
        ("classes.csv", include_str!("../seed/demo/classes.csv")),
        (
            "enrollments.csv",
            include_str!("../seed/demo/enrollments.csv"),
        ),
        ("logins.csv", include_str!("../seed/demo/logins.csv")),
        (
            "mentoring.json",
            include_str!("../seed/demo/mentoring.json"),
        ),
        (
            "assignments.csv",
            include_str!("../seed/demo/assignments.csv"),
        ),
        (
            "completions.csv",
            include_str!("../seed/demo/completions.csv"),
        ),
    ])
}

pub fn read_dir(dir: &Path) -> anyhow::Result<HashMap<&'static str, String>> {
    let mut files = HashMap::new();
    for name in FILES {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        files.insert(name, text);
    }
    for name in OPTIONAL_FILES {
        if let Ok(text) = std::fs::read_to_string(dir.join(name)) {
            files.insert(name, text);
        }
    }
    Ok(files)
}

#[derive(Deserialize)]
struct DistrictRecord {
    name: String,
}

#[derive(Deserialize)]
struct SchoolRecord {
    key: String,
    name: String,
    low_grade: i32,
    high_grade: i32,
}

#[derive(Deserialize)]
struct TermRecord {
    key: String,
    name: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
}

#[derive(Deserialize)]
struct UserRecord {
    username: String,
    role: String,
    school: String,
    grade: Option<i32>,
    given_name: String,
    family_name: String,
    email: String,
}

#[derive(Deserialize)]
struct ClassRecord {
    key: String,
    school: String,
    term: String,
    name: String,
    grade: Option<i32>,
    teachers: String,
}

#[derive(Deserialize)]
struct EnrollmentRecord {
    class: String,
    student: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LoginRecord {
    pub role: String,
    pub username: String,
    pub password: String,
    pub school: String,
}

fn records<T: serde::de::DeserializeOwned>(
    files: &HashMap<&str, impl AsRef<str>>,
    name: &str,
) -> anyhow::Result<Vec<T>> {
    let text = files.get(name).ok_or_else(|| anyhow!("{name} missing"))?;
    csv::Reader::from_reader(text.as_ref().as_bytes())
        .deserialize()
        .enumerate()
        .map(|(i, r)| r.with_context(|| format!("{name} line {}", i + 2)))
        .collect()
}

/// Namespace for seed ids (a fixed random UUID).
const NAMESPACE: Uuid = Uuid::from_u128(0x6c1f_4a2e_9b7d_4e55_a0c3_2d8f_17b9_e641);

fn seed_id(kind: &str, key: &str) -> String {
    Uuid::new_v5(&NAMESPACE, format!("{kind}:{key}").as_bytes()).to_string()
}

pub fn district_id(district_name: &str) -> String {
    seed_id("district", district_name)
}

pub fn logins(files: &HashMap<&str, impl AsRef<str>>) -> anyhow::Result<Vec<LoginRecord>> {
    records(files, "logins.csv")
}

/// Counts of what a load created.
#[derive(Debug, Default)]
pub struct Loaded {
    pub schools: usize,
    pub terms: usize,
    pub users: usize,
    pub classes: usize,
    pub enrollments: usize,
    pub lesson_plans: usize,
    pub assignments: usize,
    pub survey_instruments: usize,
    pub survey_windows: usize,
    pub mentoring_matches: usize,
    pub check_ins: usize,
    pub help_requests: usize,
    pub goals: usize,
    pub student_goals: usize,
}

/// The demo district, with survey windows open around the current date so a demo student
/// always has a survey to take.
pub fn load_demo(conn: &mut DbConnection) -> anyhow::Result<Loaded> {
    load_with(conn, &demo_files(), true)
}

/// Loads a data set in one transaction. Every account gets the password of `logins.csv`;
/// the district gets the starter lesson library and climate instrument.
pub fn load(
    conn: &mut DbConnection,
    files: &HashMap<&str, impl AsRef<str>>,
) -> anyhow::Result<Loaded> {
    load_with(conn, files, false)
}

fn load_with(
    conn: &mut DbConnection,
    files: &HashMap<&str, impl AsRef<str>>,
    open_windows: bool,
) -> anyhow::Result<Loaded> {
    let set = DataSet::parse(files)?;
    let mut load = Load::new(&set);
    let loaded = write_transaction(conn, |conn| -> anyhow::Result<Loaded> {
        load.district(conn)?;
        load.schools(conn)?;
        load.terms(conn)?;
        load.users(conn)?;
        load.classes(conn)?;
        load.enrollments(conn)?;
        let (publisher, instruments) = load.starter_libraries(conn)?;
        if open_windows {
            load.demo_windows(conn, &publisher, &instruments)?;
        }
        if let Some(json) = files.get("mentoring.json") {
            load.mentoring(conn, json.as_ref())?;
        }
        if let (Some(a), Some(c)) = (files.get("assignments.csv"), files.get("completions.csv")) {
            load.lesson_history(conn, a.as_ref(), c.as_ref())?;
        }
        if open_windows {
            let support = crate::support::demo::load(conn, &load.district_id, crate::db::now())?;
            load.loaded.check_ins = support.check_ins;
            load.loaded.help_requests = support.help_requests;
            let goals = crate::goals::demo::load(conn, &load.district_id, crate::db::now())?;
            load.loaded.goals = goals.goals;
            load.loaded.student_goals = goals.student_goals;
        }
        Ok(load.loaded)
    })?;
    // What the load recorded (the demo windows' openings) is chained now, as a server would
    // within a second.
    crate::audit::seal_pending(conn).map_err(|e| anyhow!("chaining the audit trail: {e:?}"))?;
    Ok(loaded)
}

/// The records of a data set, read and checked before anything is written.
struct DataSet {
    district: DistrictRecord,
    schools: Vec<SchoolRecord>,
    terms: Vec<TermRecord>,
    users: Vec<UserRecord>,
    classes: Vec<ClassRecord>,
    enrolled: Vec<EnrollmentRecord>,
    /// The hash of the one password of `logins.csv`, which every account gets.
    password_hash: String,
}

impl DataSet {
    fn parse(files: &HashMap<&str, impl AsRef<str>>) -> anyhow::Result<DataSet> {
        let district: DistrictRecord = records::<DistrictRecord>(files, "district.csv")?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow!("district.csv has no row"))?;
        let schools: Vec<SchoolRecord> = records(files, "schools.csv")?;
        let terms: Vec<TermRecord> = records(files, "terms.csv")?;
        let users: Vec<UserRecord> = records(files, "users.csv")?;
        let classes: Vec<ClassRecord> = records(files, "classes.csv")?;
        let enrolled: Vec<EnrollmentRecord> = records(files, "enrollments.csv")?;
        let logins = logins(files)?;
        let demo_password = logins
            .first()
            .map(|l| l.password.clone())
            .ok_or_else(|| anyhow!("logins.csv has no row"))?;
        if logins.iter().any(|l| l.password != demo_password) {
            bail!("every row of logins.csv must share one password");
        }
        // One hash for every account: hashing hundreds of passwords would take seconds for nothing.
        let password_hash = password::hash(&demo_password).map_err(|e| anyhow!("{e}"))?;
        Ok(DataSet {
            district,
            schools,
            terms,
            users,
            classes,
            enrolled,
            password_hash,
        })
    }
}

/// A starter instrument as installed: version key, instrument id, lowest and highest grade.
type Instrument = (String, String, i32, i32);

/// One load in progress, inside its transaction: the data set, the district it goes into,
/// the ids given to its keys so far, and the counts.
struct Load<'a> {
    set: &'a DataSet,
    district_id: String,
    /// One time for every row of the load.
    now: NaiveDateTime,
    school_ids: HashMap<&'a str, String>,
    term_ids: HashMap<&'a str, String>,
    user_ids: HashMap<&'a str, String>,
    class_ids: HashMap<&'a str, String>,
    loaded: Loaded,
}

impl<'a> Load<'a> {
    fn new(set: &'a DataSet) -> Self {
        Load {
            set,
            district_id: district_id(&set.district.name),
            now: db::now(),
            school_ids: HashMap::new(),
            term_ids: HashMap::new(),
            user_ids: HashMap::new(),
            class_ids: HashMap::new(),
            loaded: Loaded::default(),
        }
    }

    /// The district, unless a district of that name was loaded already.
    fn district(&mut self, conn: &mut DbConnection) -> anyhow::Result<()> {
        let (district_id, now) = (&self.district_id, self.now);
        let exists: i64 = districts::table
            .filter(districts::id.eq(district_id))
            .count()
            .get_result(conn)?;
        if exists > 0 {
            bail!("district {:?} is already loaded", self.set.district.name);
        }
        diesel::insert_into(districts::table)
            .values((
                districts::id.eq(district_id),
                districts::name.eq(&self.set.district.name),
                districts::created_at.eq(now),
                districts::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    fn schools(&mut self, conn: &mut DbConnection) -> anyhow::Result<()> {
        for s in &self.set.schools {
            let school = School {
                id: seed_id("school", &s.key),
                district_id: self.district_id.clone(),
                name: s.name.clone(),
                low_grade: s.low_grade,
                high_grade: s.high_grade,
                active: true,
                created_at: self.now,
                updated_at: self.now,
            };
            queries::insert_school(conn, &school).map_err(|e| anyhow!("school {}: {e}", s.key))?;
            self.school_ids.insert(s.key.as_str(), school.id);
            self.loaded.schools += 1;
        }
        Ok(())
    }

    fn terms(&mut self, conn: &mut DbConnection) -> anyhow::Result<()> {
        for t in &self.set.terms {
            let term = Term {
                id: seed_id("term", &t.key),
                district_id: self.district_id.clone(),
                name: t.name.clone(),
                starts_on: t.starts_on,
                ends_on: t.ends_on,
                created_at: self.now,
                updated_at: self.now,
                session_type: None,
                parent_id: None,
            };
            queries::insert_term(conn, &term).map_err(|e| anyhow!("term {}: {e}", t.key))?;
            self.term_ids.insert(t.key.as_str(), term.id);
            self.loaded.terms += 1;
        }
        Ok(())
    }

    /// Every account, with the data set's one password.
    fn users(&mut self, conn: &mut DbConnection) -> anyhow::Result<()> {
        for u in &self.set.users {
            let role = Role::parse(&u.role)
                .ok_or_else(|| anyhow!("user {}: unknown role {}", u.username, u.role))?;
            let school_id = match u.school.as_str() {
                "" => None,
                key => Some(
                    self.school_ids
                        .get(key)
                        .cloned()
                        .ok_or_else(|| anyhow!("user {}: unknown school {key}", u.username))?,
                ),
            };
            let row = UserRow {
                id: seed_id("user", &u.username),
                district_id: self.district_id.clone(),
                school_id,
                role,
                username: u.username.clone(),
                email: Some(u.email.clone()).filter(|e| !e.is_empty()),
                given_name: u.given_name.clone(),
                family_name: u.family_name.clone(),
                grade: u.grade,
                password_hash: Some(self.set.password_hash.clone()),
                active: true,
                failed_logins: 0,
                locked_until: None,
                created_at: self.now,
                updated_at: self.now,
            };
            queries::insert_user(conn, &row).map_err(|e| anyhow!("user {}: {e}", u.username))?;
            self.user_ids.insert(u.username.as_str(), row.id);
            self.loaded.users += 1;
        }
        Ok(())
    }

    /// Every class, with its teachers.
    fn classes(&mut self, conn: &mut DbConnection) -> anyhow::Result<()> {
        for c in &self.set.classes {
            let row = ClassRow {
                id: seed_id("class", &c.key),
                school_id: self
                    .school_ids
                    .get(c.school.as_str())
                    .cloned()
                    .ok_or_else(|| anyhow!("class {}: unknown school", c.key))?,
                term_id: self
                    .term_ids
                    .get(c.term.as_str())
                    .cloned()
                    .ok_or_else(|| anyhow!("class {}: unknown term", c.key))?,
                name: c.name.clone(),
                grade: c.grade,
                active: true,
                created_at: self.now,
                updated_at: self.now,
            };
            let teachers = c
                .teachers
                .split_whitespace()
                .map(|t| {
                    self.user_ids
                        .get(t)
                        .cloned()
                        .ok_or_else(|| anyhow!("class {}: unknown teacher {t}", c.key))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            queries::insert_class(conn, &row, &teachers)
                .map_err(|e| anyhow!("class {}: {e}", c.key))?;
            self.class_ids.insert(c.key.as_str(), row.id);
            self.loaded.classes += 1;
        }
        Ok(())
    }

    /// Every enrollment, all checked before the first is written.
    fn enrollments(&mut self, conn: &mut DbConnection) -> anyhow::Result<()> {
        let now = self.now;
        // A seeded student has been in the class since its term began (figures that count a
        // class's students over a past week take those enrolled before it).
        let term_starts: HashMap<&str, NaiveDate> = self
            .set
            .terms
            .iter()
            .map(|t| (t.key.as_str(), t.starts_on))
            .collect();
        let enrolled_since: HashMap<&str, chrono::NaiveDateTime> = self
            .set
            .classes
            .iter()
            .filter_map(|c| {
                let start = term_starts.get(c.term.as_str())?;
                Some((
                    c.key.as_str(),
                    start.and_time(chrono::NaiveTime::MIN).min(now),
                ))
            })
            .collect();
        let rows = self
            .set
            .enrolled
            .iter()
            .map(|e| {
                let class = self
                    .class_ids
                    .get(e.class.as_str())
                    .ok_or_else(|| anyhow!("enrollment: unknown class {}", e.class))?;
                let student = self
                    .user_ids
                    .get(e.student.as_str())
                    .ok_or_else(|| anyhow!("enrollment: unknown student {}", e.student))?;
                let since = enrolled_since.get(e.class.as_str()).copied().unwrap_or(now);
                Ok((
                    enrollments::class_id.eq(class.clone()),
                    enrollments::student_id.eq(student.clone()),
                    enrollments::active.eq(true),
                    enrollments::created_at.eq(since),
                    enrollments::updated_at.eq(now),
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        // Row by row inside the one transaction: the multi-backend connection has no batch insert.
        for row in &rows {
            diesel::insert_into(enrollments::table)
                .values(row.clone())
                .execute(conn)?;
        }
        self.loaded.enrollments = rows.len();
        Ok(())
    }

    /// The starter lesson library and climate instrument, published by the data set's first
    /// district administrator. Returns the publisher and the instruments.
    fn starter_libraries(
        &mut self,
        conn: &mut DbConnection,
    ) -> anyhow::Result<(String, Vec<Instrument>)> {
        let publisher = self
            .set
            .users
            .iter()
            .find(|u| u.role == Role::DistrictAdmin.as_str())
            .and_then(|u| self.user_ids.get(u.username.as_str()))
            .ok_or_else(|| {
                anyhow!("the data set needs a district_admin to publish the starter library")
            })?
            .clone();
        self.loaded.lesson_plans = install_starter(conn, &self.district_id, &publisher)?.len();
        let instruments =
            crate::surveys::library::install_starter(conn, &self.district_id, &publisher)?;
        self.loaded.survey_instruments = instruments.len();
        Ok((publisher, instruments))
    }

    /// The demo's survey windows: open ones around today, and closed ones with answers,
    /// opened through the survey job's own code path, as the server would.
    fn demo_windows(
        &mut self,
        conn: &mut DbConnection,
        publisher: &str,
        instruments: &[Instrument],
    ) -> anyhow::Result<()> {
        let school_grades: Vec<(String, i32, i32)> = self
            .set
            .schools
            .iter()
            .filter_map(|s| {
                self.school_ids
                    .get(s.key.as_str())
                    .map(|id| (id.clone(), s.low_grade, s.high_grade))
            })
            .collect();
        self.loaded.survey_windows = crate::surveys::library::open_demo_windows(
            conn,
            &self.district_id,
            publisher,
            instruments,
            &school_grades,
        )?;
        let closed = crate::surveys::demo::closed_demo_windows(
            conn,
            &self.district_id,
            publisher,
            instruments,
            &school_grades,
        )?;
        let keys = crate::seal::SealKeys::demo();
        for window in &closed {
            crate::reports::opening::open(
                conn,
                window,
                &keys,
                chrono::TimeDelta::zero(),
                crate::db::now(),
            )
            .map_err(|e| anyhow!("opening {}: {e:?}", window.title))?;
        }
        self.loaded.survey_windows += closed.len();
        Ok(())
    }

    /// `mentoring.json`: programs, participants, pairs, matches and meetings, dated from today.
    fn mentoring(&mut self, conn: &mut DbConnection, json: &str) -> anyhow::Result<()> {
        let people: HashMap<String, crate::mentoring::demo::SeedStudent> = self
            .set
            .users
            .iter()
            .filter_map(|u| {
                let id = self.user_ids.get(u.username.as_str())?;
                Some((
                    u.username.clone(),
                    crate::mentoring::demo::SeedStudent {
                        id: id.clone(),
                        school_key: u.school.clone(),
                        grade: u.grade,
                    },
                ))
            })
            .collect();
        let schools_by_key: HashMap<String, String> = self
            .school_ids
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        self.loaded.mentoring_matches = crate::mentoring::demo::load(
            conn,
            json,
            &self.district_id,
            &schools_by_key,
            &people,
            crate::dates::today(),
        )?;
        Ok(())
    }

    /// `assignments.csv` and `completions.csv`: lessons assigned in the classes, and completed.
    fn lesson_history(
        &mut self,
        conn: &mut DbConnection,
        assignments_csv: &str,
        completions_csv: &str,
    ) -> anyhow::Result<()> {
        self.loaded.assignments = load_assignments(
            conn,
            assignments_csv,
            completions_csv,
            &self.class_ids,
            &self.user_ids,
            &self.district_id,
        )?;
        Ok(())
    }
}

/// True when no district exists yet (so `serve --demo` may load the demo).
pub fn database_is_empty(conn: &mut DbConnection) -> anyhow::Result<bool> {
    let n: i64 = districts::table.count().get_result(conn)?;
    Ok(n == 0)
}
