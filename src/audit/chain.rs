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
    NaiveDateTime,
    Option<i64>,
    Option<String>,
    Option<String>,
);

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
        let rows: Vec<ChainRow> = audit_events::table
            .filter(audit_events::district_id.eq(&district))
            .order((audit_events::seq.asc(), audit_events::id.asc()))
            .select((
                audit_events::id,
                audit_events::district_id,
                audit_events::actor_id,
                audit_events::actor_role,
                audit_events::action,
                audit_events::occurred_at,
                audit_events::seq,
                audit_events::prev_hash,
                audit_events::hash,
            ))
            .load(conn)?;
        let scopes: std::collections::HashMap<String, String> = audit_events::table
            .filter(audit_events::district_id.eq(&district))
            .select((audit_events::id, audit_events::scope))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect();
        let head = heads.iter().find(|(d, _, _)| d == &district);
        reports.push(check(&district, &rows, &scopes, head));
    }
    Ok(reports)
}

fn check(
    district: &str,
    rows: &[ChainRow],
    scopes: &std::collections::HashMap<String, String>,
    head: Option<&(String, i64, String)>,
) -> ChainReport {
    let mut report = ChainReport {
        district_id: district.to_owned(),
        events: 0,
        unchained: 0,
        head_hash: GENESIS.to_owned(),
        problems: Vec::new(),
    };
    let mut expected_seq = 1i64;
    let mut prev = GENESIS.to_owned();
    for (id, district_id, actor_id, actor_role, action, occurred_at, seq, prev_hash, hash) in rows {
        let (Some(seq), Some(prev_hash), Some(hash)) = (seq, prev_hash, hash) else {
            report.unchained += 1;
            continue;
        };
        report.events += 1;
        if *seq != expected_seq {
            report.problems.push(format!(
                "event {expected_seq} is missing (found {seq} next, id {id})"
            ));
        }
        if prev_hash != &prev {
            report.problems.push(format!(
                "event {seq} (id {id}) does not link to the event before it"
            ));
        }
        let scope = scopes.get(id).map(String::as_str).unwrap_or_default();
        let recomputed = event_hash(
            prev_hash,
            *seq,
            id,
            district_id,
            actor_id.as_deref().unwrap_or_default(),
            actor_role,
            action,
            scope,
            *occurred_at,
        );
        if &recomputed != hash {
            report.problems.push(format!(
                "event {seq} (id {id}) was changed after it was recorded"
            ));
        }
        prev = hash.clone();
        expected_seq = seq + 1;
    }
    report.head_hash = prev.clone();
    match head {
        Some((_, head_seq, head_hash)) if *head_seq != expected_seq - 1 || *head_hash != prev => {
            report.problems.push(format!(
                "the chain ends at event {} but its head says {head_seq}: events were removed \
                 from the end",
                expected_seq - 1
            ));
        }
        Some(_) => {}
        None if report.events > 0 => report
            .problems
            .push("the chain's head is missing".to_owned()),
        None => {}
    }
    report
}
