//! What the importer knows of each record: its state in the database and the state the bundle
//! asks for. Comparing the two gives the changes (and makes a re-import of the same bundle a no-op).

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};

use super::report::Changes;
use crate::accounts::Role;

/// One record (school, term, user, class or enrollment).
#[derive(Debug, Clone)]
pub struct Slot<T> {
    /// Our id (existing, or generated for a record to create). Empty for enrollments.
    pub id: String,
    /// The sourcedId the record will keep.
    pub source_id: Option<String>,
    /// The sourcedId stored now (None for hand-made records and records to create).
    pub stored_source_id: Option<String>,
    pub current: Option<T>,
    pub current_modified: Option<NaiveDateTime>,
    pub desired: Option<T>,
    pub desired_modified: Option<NaiveDateTime>,
    /// Named by a row of this bundle (so bulk deactivation passes it by).
    pub seen: bool,
    /// The line that named it, for problems found after reading (e.g. a taken username).
    pub line: u64,
}

impl<T> Slot<T> {
    pub fn existing(
        id: String,
        source_id: Option<String>,
        current: T,
        modified: Option<NaiveDateTime>,
    ) -> Slot<T> {
        Slot {
            id,
            stored_source_id: source_id.clone(),
            source_id,
            current: Some(current),
            current_modified: modified,
            desired: None,
            desired_modified: None,
            seen: false,
            line: 0,
        }
    }

    pub fn new(id: String, source_id: &str) -> Slot<T> {
        Slot {
            id,
            source_id: Some(source_id.to_owned()),
            stored_source_id: None,
            current: None,
            current_modified: None,
            desired: None,
            desired_modified: None,
            seen: false,
            line: 0,
        }
    }

    /// The state after the import.
    pub fn effective(&self) -> Option<&T> {
        self.desired.as_ref().or(self.current.as_ref())
    }
}

/// Whether a record is active (counted as a deactivation when it stops being).
pub trait Activity: Clone + PartialEq {
    fn is_active(&self) -> bool;
    fn set_active(&mut self, active: bool);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Create,
    Update,
    Deactivate,
    Unchanged,
}

impl<T: Activity> Slot<T> {
    /// What writing this slot does; None when the bundle did not touch it.
    pub fn change(&self) -> Option<Change> {
        let desired = self.desired.as_ref()?;
        Some(match &self.current {
            None => Change::Create,
            Some(current) => {
                if current == desired && self.stored_source_id == self.source_id {
                    Change::Unchanged
                } else if current.is_active() && !desired.is_active() {
                    Change::Deactivate
                } else {
                    Change::Update
                }
            }
        })
    }

    /// Asks for the record as it is, but inactive.
    pub fn deactivate(&mut self) {
        if let Some(mut state) = self.effective().cloned() {
            state.set_active(false);
            self.desired = Some(state);
        }
    }
}

/// Records of one kind, found by sourcedId.
#[derive(Debug)]
pub struct Slots<T> {
    pub list: Vec<Slot<T>>,
    pub by_source: HashMap<String, usize>,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            list: Vec::new(),
            by_source: HashMap::new(),
        }
    }
}

impl<T> Slots<T> {
    pub fn push(&mut self, slot: Slot<T>) -> usize {
        let index = self.list.len();
        if let Some(source) = &slot.source_id {
            self.by_source.insert(source.clone(), index);
        }
        self.list.push(slot);
        index
    }

    pub fn find(&self, source_id: &str) -> Option<usize> {
        self.by_source.get(source_id).copied()
    }

    /// Links an existing record (made by hand, no sourcedId) to `source_id`.
    pub fn adopt(&mut self, index: usize, source_id: &str) {
        self.list[index].source_id = Some(source_id.to_owned());
        self.by_source.insert(source_id.to_owned(), index);
    }
}

impl<T: Activity> Slots<T> {
    pub fn count(&self, into: &mut Changes) {
        for slot in &self.list {
            count(slot.change(), into);
        }
    }
}

pub fn count(change: Option<Change>, into: &mut Changes) {
    match change {
        Some(Change::Create) => into.created += 1,
        Some(Change::Update) => into.updated += 1,
        Some(Change::Deactivate) => into.deactivated += 1,
        Some(Change::Unchanged) => into.unchanged += 1,
        None => {}
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SchoolData {
    pub name: String,
    pub low_grade: i32,
    pub high_grade: i32,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TermData {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The OneRoster session type; None for a term made by hand.
    pub session_type: Option<String>,
    /// The parent session's sourcedId.
    pub parent_source: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserData {
    pub username: String,
    pub role: Role,
    pub school_id: Option<String>,
    pub grade: Option<i32>,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClassData {
    pub school_id: String,
    pub term_id: String,
    pub name: String,
    pub grade: Option<i32>,
    pub active: bool,
}

/// An enrollment or a teacher's assignment: only whether it is active.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    pub active: bool,
}

macro_rules! active_field {
    ($($t:ty),+) => {$(
        impl Activity for $t {
            fn is_active(&self) -> bool {
                self.active
            }
            fn set_active(&mut self, active: bool) {
                self.active = active;
            }
        }
    )+};
}
active_field!(SchoolData, UserData, ClassData, Link);

impl Activity for TermData {
    fn is_active(&self) -> bool {
        true
    }
    fn set_active(&mut self, _: bool) {}
}
