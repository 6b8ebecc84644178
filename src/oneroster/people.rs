//! users.csv: accounts of students, teachers and school administrators.

use super::fields::{self, Grade, Status, USERS};
use super::plan::State;
use super::report::Problems;
use super::slots::{Slot, UserData};
use super::table::Row;
use crate::accounts::Role;
use crate::db;
use crate::rosters::dto::validate_username;

/// OneRoster roles securebase has no account for: counted, and their enrollments skipped.
const NOT_IMPORTED_ROLES: [&str; 5] = ["aide", "guardian", "parent", "relative", "proctor"];

impl State {
    /// A student securebase has, active, whom this row moves to a grade it does not serve:
    /// the account will be deactivated (bulk) or left as it is (delta); named either way.
    fn notice_unserved_student(&mut self, source_id: &str, code: Option<&str>) {
        let Some(index) = self.roster.users.find(source_id) else {
            return;
        };
        let Some(current) = self.roster.users.list[index]
            .current
            .as_ref()
            .filter(|c| c.active)
        else {
            return;
        };
        let what = match self.mode(USERS.file) {
            fields::Mode::Bulk => "is deactivated",
            fields::Mode::Delta => "is left unchanged",
        };
        self.notices.push(format!(
            "student {source_id} ({}) {what}: grade {} is outside KG-12",
            current.username,
            code.unwrap_or("?")
        ));
    }

    pub fn read_user(&mut self, row: &Row, problems: &mut Problems) {
        let Some(header) = self.new_row(row, problems) else {
            return;
        };
        let source_id = header.sourced_id;
        let one_roster_role = row.get("role");
        let role = match one_roster_role {
            "student" => Role::Student,
            "teacher" => Role::Teacher,
            "administrator" => Role::SchoolAdmin,
            other if NOT_IMPORTED_ROLES.contains(&other) => {
                self.skipped_users.insert(source_id.to_owned());
                self.skip(format!("user role {other}"));
                return;
            }
            other => {
                row.problem(
                    problems,
                    "role",
                    format!(
                        "unknown role \"{other}\" (expected student, teacher, administrator, aide, \
                         guardian, parent, relative or proctor)"
                    ),
                );
                return;
            }
        };
        let Ok(school) = self.school_of(row, problems) else {
            return;
        };
        let Some(school) = school else {
            if role == Role::SchoolAdmin {
                self.skipped_users.insert(source_id.to_owned());
                self.skip("administrator of no school (district level)");
            } else {
                row.problem(
                    problems,
                    "orgSourcedIds",
                    format!("a {one_roster_role} must belong to a school org"),
                );
            }
            return;
        };
        let grade = if role == Role::Student {
            match fields::first_grade(row, problems) {
                Err(()) => return,
                Ok(None) => {
                    row.problem(problems, "grades", "a student needs a grade (KG or 01-12)");
                    return;
                }
                Ok(Some(Grade::NotServed)) => {
                    self.skipped_users.insert(source_id.to_owned());
                    self.skip("student in a grade outside KG-12");
                    self.notice_unserved_student(source_id, fields::list(row.get("grades")).next());
                    return;
                }
                Ok(Some(Grade::Served(grade))) => {
                    if fields::list(row.get("grades")).next() == Some("TK") && !self.tk_noticed {
                        self.tk_noticed = true;
                        self.notices.push(
                            "grade TK (transitional kindergarten) is imported as kindergarten \
                             (grade 0)"
                                .to_owned(),
                        );
                    }
                    Some(grade)
                }
            }
        } else {
            None
        };
        let username = row.get("username").to_lowercase();
        if let Err(e) = validate_username(&username) {
            let why = e.message.map(|m| m.to_string()).unwrap_or_default();
            row.problem(problems, "username", format!("\"{username}\" {why}"));
            return;
        }
        for column in ["givenName", "familyName"] {
            if row.get(column).is_empty() {
                row.problem(problems, column, "required value is empty");
                return;
            }
        }
        let email = row.opt("email").map(str::to_owned);
        if email
            .as_ref()
            .is_some_and(|e| e.len() > 254 || !e.contains('@'))
        {
            row.problem(problems, "email", "not an email address");
            return;
        }
        let enabled = fields::boolean(row, "enabledUser", true, problems);
        if self.roster.users.find(source_id).is_none()
            && self
                .roster
                .users
                .find(&super::anonymized_source(&self.district_id, source_id))
                .is_some()
            && !(enabled && header.status == Status::Active)
        {
            // Retention anonymized this former student; the SIS still lists them as inactive.
            self.skipped_users.insert(source_id.to_owned());
            self.skip("former student anonymized by retention");
            return;
        }

        let Some(index) = self.user_slot(row, source_id, &username, problems) else {
            return;
        };
        let stored = self.roster.users.list[index].current_modified;
        let exists = self.roster.users.list[index].current.is_some();
        if self.is_stale(USERS.file, stored, header.modified)
            || (header.status == Status::ToBeDeleted && !exists)
        {
            self.roster.users.list[index].seen = true;
            return;
        }
        let slot = &self.roster.users.list[index];
        // OneRoster has no counselor role: one set here survives re-imports.
        let kept_role = match slot.current.as_ref().map(|c| c.role) {
            Some(Role::Counselor) if role != Role::Student => Role::Counselor,
            _ => role,
        };
        let data = UserData {
            username: username.clone(),
            role: kept_role,
            school_id: Some(self.roster.schools.list[school].id.clone()),
            grade,
            given_name: row.get("givenName").to_owned(),
            family_name: row.get("familyName").to_owned(),
            email,
            active: enabled && header.status == Status::Active,
        };
        if let Some(old) = slot.effective().map(|d| d.username.clone()) {
            if old != username && self.roster.user_by_username.get(&old) == Some(&index) {
                self.roster.user_by_username.remove(&old);
            }
        }
        self.roster.user_by_username.insert(username, index);
        let slot = &mut self.roster.users.list[index];
        slot.seen = true;
        slot.line = row.line;
        slot.desired_modified = header.modified;
        slot.desired = Some(data);
    }

    /// The first school among `orgSourcedIds`; Err when a listed org is unknown or foreign.
    fn school_of(&self, row: &Row, problems: &mut Problems) -> Result<Option<usize>, ()> {
        let mut school = None;
        let mut ok = true;
        for org in fields::list(row.get("orgSourcedIds")) {
            if let Some(index) = self.roster.schools.find(org) {
                school = school.or(Some(index));
            } else if self.foreign_orgs.contains(org) {
                row.problem(
                    problems,
                    "orgSourcedIds",
                    format!("org \"{org}\" is outside the district being imported into"),
                );
                ok = false;
            } else if !self.district_orgs.contains(org) && !self.other_orgs.contains(org) {
                row.problem(problems, "orgSourcedIds", format!("unknown org \"{org}\""));
                ok = false;
            }
        }
        if ok {
            Ok(school)
        } else {
            Err(())
        }
    }

    /// The account a row describes: found by sourcedId, adopted by username (an account made by
    /// hand), or new. None (with a problem) when the username belongs to another account.
    fn user_slot(
        &mut self,
        row: &Row,
        source_id: &str,
        username: &str,
        problems: &mut Problems,
    ) -> Option<usize> {
        let users = &mut self.roster.users;
        let holder = self.roster.user_by_username.get(username).copied();
        let owner = match (users.find(source_id), holder) {
            (Some(index), Some(other)) if other != index => other,
            (Some(index), _) => return Some(index),
            (None, Some(other)) if adoptable(&users.list[other]) => {
                users.adopt(other, source_id);
                self.adopted_users += 1;
                return Some(other);
            }
            (None, Some(other)) => other,
            (None, None) => return Some(users.push(Slot::new(db::new_id(), source_id))),
        };
        let owner = &users.list[owner];
        let message = if owner.seen {
            format!(
                "username \"{username}\" is used twice in this file (line {})",
                owner.line
            )
        } else {
            format!(
                "username \"{username}\" is already used by another account{}",
                owner
                    .source_id
                    .as_deref()
                    .map(|s| format!(" (sourcedId \"{s}\")"))
                    .unwrap_or_default()
            )
        };
        row.problem(problems, "username", message);
        None
    }
}

/// An account made by hand that a OneRoster row may take over (never a district administrator).
fn adoptable(slot: &Slot<UserData>) -> bool {
    slot.source_id.is_none()
        && slot
            .current
            .as_ref()
            .is_some_and(|c| c.role != Role::DistrictAdmin)
}
