//! The hash chain: each district's events are numbered 1, 2, 3… and each stores the SHA-256 of
//! its own content and of the previous event's hash. The head (last number and hash) is kept in
//! `audit_chains`; updating it first serializes concurrent appends within a district.
//!
//! The chain detects a row changed, removed or inserted by someone without the means to rewrite
//! every later row and the head. Keeping the head hash outside the database (as printed by
//! `securebase audit verify`) detects a rewrite of the whole chain as well.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Actor;
use crate::db::schema::{audit_chains, audit_events};
use crate::db::{self, DbConnection};
use crate::error::ApiError;

/// The `prev_hash` of a district's first event.
const GENESIS: &str = "genesis";

#[allow(clippy::too_many_arguments)]
fn event_hash(
    prev: &str,
    seq: i64,
    id: &str,
    district_id: &str,
    actor_id: &str,
    actor_role: &str,
    action: &str,
    scope: &str,
    occurred_at: NaiveDateTime,
) -> String {
    let mut hasher = Sha256::new();
    // Length-prefixed fields: no two different events serialize to the same bytes.
    for field in [
        prev,
        &seq.to_string(),
        id,
        district_id,
        actor_id,
        actor_role,
        action,
        scope,
        &occurred_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
    ] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    format!("{:x}", hasher.finalize())
}

pub fn append(
    conn: &mut DbConnection,
    actor: Actor,
    action: &str,
    scope: &serde_json::Value,
) -> Result<(), ApiError> {
    let district = actor.district_id;
    // The head row of a district's first event; the conflict clause makes concurrent firsts safe.
    match conn {
        DbConnection::Pg(c) => diesel::insert_into(audit_chains::table)
            .values((
                audit_chains::district_id.eq(district),
                audit_chains::seq.eq(0i64),
                audit_chains::hash.eq(GENESIS),
            ))
            .on_conflict_do_nothing()
            .execute(c)?,
        DbConnection::Sqlite(c) => diesel::insert_into(audit_chains::table)
            .values((
                audit_chains::district_id.eq(district),
                audit_chains::seq.eq(0i64),
                audit_chains::hash.eq(GENESIS),
            ))
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    // Taking the next number first locks the head until this transaction ends.
    diesel::update(audit_chains::table.find(district))
        .set(audit_chains::seq.eq(audit_chains::seq + 1))
        .execute(conn)?;
    let (seq, prev): (i64, String) = audit_chains::table
        .find(district)
        .select((audit_chains::seq, audit_chains::hash))
        .first(conn)?;
    let id = db::new_id();
    let occurred_at = db::now();
    let scope = scope.to_string();
    let hash = event_hash(
        &prev,
        seq,
        &id,
        district,
        actor.user_id.unwrap_or_default(),
        actor.role,
        action,
        &scope,
        occurred_at,
    );
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::id.eq(&id),
            audit_events::district_id.eq(district),
            audit_events::actor_id.eq(actor.user_id),
            audit_events::actor_role.eq(actor.role),
            audit_events::action.eq(action),
            audit_events::scope.eq(&scope),
            audit_events::occurred_at.eq(occurred_at),
            audit_events::seq.eq(Some(seq)),
            audit_events::prev_hash.eq(Some(&prev)),
            audit_events::hash.eq(Some(&hash)),
        ))
        .execute(conn)?;
    diesel::update(audit_chains::table.find(district))
        .set(audit_chains::hash.eq(&hash))
        .execute(conn)?;
    Ok(())
}

/// The outcome of checking one district's chain.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChainReport {
    pub district_id: String,
    /// Events checked.
    pub events: u64,
    /// Events recorded before the chain existed (not covered).
    pub unchained: u64,
    /// The hash of the last event: keep it elsewhere to detect a rewrite of the whole chain.
    pub head_hash: String,
    /// What is wrong, first problem first; empty when the chain holds.
    pub problems: Vec<String>,
}

type ChainRow = (
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    NaiveDateTime,
    i64,
    Option<String>,
    Option<String>,
);

/// Events checked per query: a district's trail is read in pages, never held whole.
const PAGE: i64 = 5_000;

/// Checks every district's chain: numbering without gaps, each link, each hash, and the head.
pub fn verify(conn: &mut DbConnection) -> QueryResult<Vec<ChainReport>> {
    let mut districts: Vec<String> = audit_events::table
        .select(audit_events::district_id)
        .distinct()
        .load(conn)?;
    let heads: Vec<(String, i64, String)> = audit_chains::table
        .select((
            audit_chains::district_id,
            audit_chains::seq,
            audit_chains::hash,
        ))
        .load(conn)?;
    for (district, _, _) in &heads {
        if !districts.contains(district) {
            districts.push(district.clone());
        }
    }
    districts.sort();
    let mut reports = Vec::new();
    for district in districts {
        let mut walk = Walk::new(&district);
        walk.report.unchained = audit_events::table
            .filter(audit_events::district_id.eq(&district))
            .filter(audit_events::seq.is_null())
            .count()
            .get_result::<i64>(conn)? as u64;
        let mut after = 0i64;
        loop {
            let page: Vec<ChainRow> = audit_events::table
                .filter(audit_events::district_id.eq(&district))
                .filter(audit_events::seq.gt(after))
                .order(audit_events::seq.asc())
                .limit(PAGE)
                .select((
                    audit_events::id,
                    audit_events::district_id,
                    audit_events::actor_id,
                    audit_events::actor_role,
                    audit_events::action,
                    audit_events::scope,
                    audit_events::occurred_at,
                    audit_events::seq.assume_not_null(),
                    audit_events::prev_hash,
                    audit_events::hash,
                ))
                .load(conn)?;
            let Some(last) = page.last() else { break };
            after = last.7;
            for row in &page {
                walk.step(row);
            }
        }
        let head = heads.iter().find(|(d, _, _)| d == &district);
        reports.push(walk.finish(head));
    }
    Ok(reports)
}

/// One district's chain, checked event by event in order.
struct Walk {
    report: ChainReport,
    expected_seq: i64,
    prev: String,
}

impl Walk {
    fn new(district: &str) -> Walk {
        Walk {
            report: ChainReport {
                district_id: district.to_owned(),
                events: 0,
                unchained: 0,
                head_hash: GENESIS.to_owned(),
                problems: Vec::new(),
            },
            expected_seq: 1,
            prev: GENESIS.to_owned(),
        }
    }

    fn step(&mut self, row: &ChainRow) {
        let (
            id,
            district_id,
            actor_id,
            actor_role,
            action,
            scope,
            occurred_at,
            seq,
            prev_hash,
            hash,
        ) = row;
        let seq = *seq;
        self.report.events += 1;
        if seq != self.expected_seq {
            self.report.problems.push(format!(
                "event {} is missing (found {seq} next, id {id})",
                self.expected_seq
            ));
        }
        let prev_hash = prev_hash.as_deref().unwrap_or_default();
        if prev_hash != self.prev {
            self.report.problems.push(format!(
                "event {seq} (id {id}) does not link to the event before it"
            ));
        }
        let recomputed = event_hash(
            prev_hash,
            seq,
            id,
            district_id,
            actor_id.as_deref().unwrap_or_default(),
            actor_role,
            action,
            scope,
            *occurred_at,
        );
        let hash = hash.clone().unwrap_or_default();
        if recomputed != hash {
            self.report.problems.push(format!(
                "event {seq} (id {id}) was changed after it was recorded"
            ));
        }
        self.prev = hash;
        self.expected_seq = seq + 1;
    }

    fn finish(mut self, head: Option<&(String, i64, String)>) -> ChainReport {
        let last = self.expected_seq - 1;
        match head {
            Some((_, head_seq, head_hash)) if *head_seq != last || *head_hash != self.prev => {
                self.report.problems.push(format!(
                    "the chain ends at event {last} but its head says {head_seq}: events were \
                     removed from the end"
                ));
            }
            Some(_) => {}
            None if self.report.events > 0 => self
                .report
                .problems
                .push("the chain's head is missing".to_owned()),
            None => {}
        }
        self.report.head_hash = self.prev;
        self.report
    }
}
