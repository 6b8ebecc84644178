//! The hash chain: each district's events are numbered 1, 2, 3… and each stores the SHA-256 of
//! its own content and of the previous event's hash. The head (last number and hash) is kept in
//! `audit_chains`.
//!
//! Recording an event is one insert into `audit_pending`, so that no request (a report read, a
//! sign-in) waits on its district's chain head. The sealer (`seal_pending`) chains pending events
//! into `audit_events` in the order they were recorded: in the server every
//! `AUDIT_SEAL_INTERVAL_MS`, before the trail is listed, and with `securebase audit seal`.
//! Every row of `audit_events` is in its chain (`seq`, `prev_hash` and `hash` are NOT NULL; the
//! events from before the chain were chained once, by migration 2026-12-06-000011).
//!
//! `verify` detects a row changed, removed or inserted anywhere but at the end, and any row that
//! is not in its chain. Truncating the end and rewinding the head, or rewriting the whole chain,
//! is detected by comparing with heads exported earlier (`heads`), signed with a key the
//! database does not hold (`verify_against`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Actor;
use crate::db::schema::{audit_chains, audit_events, audit_pending};
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

/// Records an event, to be chained by the sealer: one insert, in the caller's transaction.
pub fn append(
    conn: &mut DbConnection,
    actor: Actor,
    action: &str,
    scope: &serde_json::Value,
) -> Result<(), ApiError> {
    diesel::insert_into(audit_pending::table)
        .values((
            audit_pending::id.eq(db::new_id()),
            audit_pending::district_id.eq(actor.district_id),
            audit_pending::actor_id.eq(actor.user_id),
            audit_pending::actor_role.eq(actor.role),
            audit_pending::action.eq(action),
            audit_pending::scope.eq(scope.to_string()),
            audit_pending::occurred_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

type PendingRow = (
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    NaiveDateTime,
);

/// Pending events chained per transaction.
const SEAL_BATCH: i64 = 2_000;

/// Chains every pending event into its district's chain, in the order they were recorded (as far
/// as they have committed); returns how many. Several servers may seal at once: on PostgreSQL a
/// transaction-scoped advisory lock lets one seal at a time (SQLite's write transaction is
/// exclusive already).
pub fn seal_pending(conn: &mut DbConnection) -> Result<usize, ApiError> {
    let mut sealed = 0;
    loop {
        let n = db::write_transaction(conn, seal_batch)?;
        sealed += n;
        if n < SEAL_BATCH as usize {
            return Ok(sealed);
        }
    }
}

fn seal_batch(conn: &mut DbConnection) -> Result<usize, ApiError> {
    // Any fixed number: the lock is only ever taken here.
    db::exclusive_transaction_lock(conn, 7301201)?;
    let rows: Vec<PendingRow> = audit_pending::table
        .order(audit_pending::pos.asc())
        .limit(SEAL_BATCH)
        .select((
            audit_pending::pos,
            audit_pending::id,
            audit_pending::district_id,
            audit_pending::actor_id,
            audit_pending::actor_role,
            audit_pending::action,
            audit_pending::scope,
            audit_pending::occurred_at,
        ))
        .load(conn)?;
    let Some(last) = rows.last().map(|r| r.0) else {
        return Ok(0);
    };
    let mut heads: std::collections::HashMap<String, (i64, String)> = Default::default();
    for (_, id, district, actor_id, actor_role, action, scope, occurred_at) in &rows {
        if !heads.contains_key(district) {
            let head: Option<(i64, String)> = audit_chains::table
                .find(district)
                .select((audit_chains::seq, audit_chains::hash))
                .first(conn)
                .optional()?;
            heads.insert(district.clone(), head.unwrap_or((0, GENESIS.to_owned())));
        }
        let (seq, prev) = heads.get_mut(district).expect("inserted above");
        *seq += 1;
        let hash = event_hash(
            prev,
            *seq,
            id,
            district,
            actor_id.as_deref().unwrap_or_default(),
            actor_role,
            action,
            scope,
            *occurred_at,
        );
        diesel::insert_into(audit_events::table)
            .values((
                audit_events::id.eq(id),
                audit_events::district_id.eq(district),
                audit_events::actor_id.eq(actor_id),
                audit_events::actor_role.eq(actor_role),
                audit_events::action.eq(action),
                audit_events::scope.eq(scope),
                audit_events::occurred_at.eq(occurred_at),
                audit_events::seq.eq(*seq),
                audit_events::prev_hash.eq(&*prev),
                audit_events::hash.eq(&hash),
            ))
            .execute(conn)?;
        *prev = hash;
    }
    for (district, (seq, hash)) in &heads {
        let updated = diesel::update(audit_chains::table.find(district))
            .set((audit_chains::seq.eq(seq), audit_chains::hash.eq(hash)))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(audit_chains::table)
                .values((
                    audit_chains::district_id.eq(district),
                    audit_chains::seq.eq(seq),
                    audit_chains::hash.eq(hash),
                ))
                .execute(conn)?;
        }
    }
    diesel::delete(audit_pending::table.filter(audit_pending::pos.le(last))).execute(conn)?;
    Ok(rows.len())
}

/// The outcome of checking one district's chain.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChainReport {
    pub district_id: String,
    /// Events checked.
    pub events: u64,
    /// Events recorded but not chained yet (the sealer's tail): not covered by this check.
    pub pending: u64,
    /// The chain's last event: keep it elsewhere (`heads`) to detect a rewrite of the chain or a
    /// truncation of its end.
    pub head_seq: i64,
    pub head_hash: String,
    /// What is wrong, first problem first; empty when the chain holds.
    pub problems: Vec<String>,
}

/// A row as `verify` reads it: the chain columns read as nullable, since a row written around
/// the schema (its constraints dropped) must be reported, not fail the check.
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

/// Checks every district's chain: every row in its chain, numbering without gaps or repeats,
/// each link, each hash, and the head.
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
    let pending: Vec<String> = audit_pending::table
        .select(audit_pending::district_id)
        .load(conn)?;
    for district in heads.iter().map(|h| &h.0).chain(&pending) {
        if !districts.contains(district) {
            districts.push(district.clone());
        }
    }
    districts.sort();
    let mut reports = Vec::new();
    for district in districts {
        let mut walk = Walk::new(&district);
        walk.report.pending = pending.iter().filter(|d| **d == district).count() as u64;
        // Keyset pages by (number, id): every row is read once, whatever its number.
        let mut after: Option<(i64, String)> = None;
        loop {
            let mut query = audit_events::table
                .filter(audit_events::district_id.eq(&district))
                .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
                    "seq IS NOT NULL",
                ))
                .into_boxed::<db::DbBackend>();
            if let Some((seq, id)) = &after {
                query = query.filter(
                    audit_events::seq.gt(*seq).or(audit_events::seq
                        .eq(*seq)
                        .and(audit_events::id.gt(id.clone()))),
                );
            }
            let page: Vec<ChainRow> = query
                .order((audit_events::seq.asc(), audit_events::id.asc()))
                .limit(PAGE)
                .select((
                    audit_events::id,
                    audit_events::district_id,
                    audit_events::actor_id,
                    audit_events::actor_role,
                    audit_events::action,
                    audit_events::scope,
                    audit_events::occurred_at,
                    audit_events::seq,
                    audit_events::prev_hash.nullable(),
                    audit_events::hash.nullable(),
                ))
                .load(conn)?;
            let Some(last) = page.last() else { break };
            after = Some((last.7, last.0.clone()));
            for row in &page {
                walk.step(row);
            }
        }
        // A row without a number (were the NOT NULL constraint dropped) is in no page above.
        let unnumbered: Vec<String> = audit_events::table
            .filter(audit_events::district_id.eq(&district))
            .filter(diesel::dsl::sql::<diesel::sql_types::Bool>("seq IS NULL"))
            .select(audit_events::id)
            .load(conn)?;
        if !unnumbered.is_empty() {
            walk.report.problems.push(format!(
                "{} event(s) are not in the chain (ids {})",
                unnumbered.len(),
                unnumbered.join(", ")
            ));
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
                pending: 0,
                head_seq: 0,
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
        if seq == self.expected_seq - 1 {
            self.report.problems.push(format!(
                "event {seq} appears twice (id {id} is not in the chain)"
            ));
            return;
        }
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
        let hash = hash.as_deref().unwrap_or_default();
        if recomputed != hash {
            self.report.problems.push(format!(
                "event {seq} (id {id}) was changed after it was recorded"
            ));
        }
        self.prev = hash.to_owned();
        self.expected_seq = seq + 1;
    }

    fn finish(mut self, head: Option<&(String, i64, String)>) -> ChainReport {
        let last = self.expected_seq - 1;
        match head {
            Some((_, head_seq, head_hash)) if *head_seq != last || *head_hash != self.prev => {
                self.report.problems.push(format!(
                    "the chain ends at event {last} but its head says {head_seq}: events were \
                     removed from the end, or added after it"
                ));
            }
            Some(_) => {}
            None if self.report.events > 0 => self
                .report
                .problems
                .push("the chain's head is missing".to_owned()),
            None => {}
        }
        self.report.head_seq = last;
        self.report.head_hash = self.prev;
        self.report
    }
}

/// The heads of every district's chain at one moment, signed (HMAC-SHA256) with a key the
/// database does not hold, to be kept off-site and checked later (`verify_against`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SignedHeads {
    pub format: String,
    /// When the heads were read (UTC, RFC 3339).
    pub signed_at: String,
    pub heads: Vec<Head>,
    /// HMAC-SHA256 over the fields above, hex.
    pub mac: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Head {
    pub district_id: String,
    pub seq: i64,
    pub hash: String,
}

const HEADS_FORMAT: &str = "securebase-audit-heads/v1";

type HmacSha256 = hmac::Hmac<Sha256>;

fn heads_mac(key: &[u8], signed: &SignedHeads) -> HmacSha256 {
    use hmac::Mac;
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    let mut field = |value: &str| {
        mac.update(&(value.len() as u64).to_be_bytes());
        mac.update(value.as_bytes());
    };
    field(&signed.format);
    field(&signed.signed_at);
    for h in &signed.heads {
        field(&h.district_id);
        field(&h.seq.to_string());
        field(&h.hash);
    }
    mac
}

/// The current head of every district's chain, signed with `key`.
pub fn heads(conn: &mut DbConnection, key: &[u8]) -> QueryResult<SignedHeads> {
    use hmac::Mac;
    let heads: Vec<Head> = audit_chains::table
        .order(audit_chains::district_id.asc())
        .select((
            audit_chains::district_id,
            audit_chains::seq,
            audit_chains::hash,
        ))
        .load::<(String, i64, String)>(conn)?
        .into_iter()
        .map(|(district_id, seq, hash)| Head {
            district_id,
            seq,
            hash,
        })
        .collect();
    let mut signed = SignedHeads {
        format: HEADS_FORMAT.to_owned(),
        signed_at: crate::dates::format_utc(db::now()),
        heads,
        mac: String::new(),
    };
    signed.mac = heads_mac(key, &signed)
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(signed)
}

fn from_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Checks that every chain still holds the event each signed head names: a chain rewritten, or
/// cut below an exported head, fails. Returns the problems found (empty: all hold).
pub fn verify_against(
    conn: &mut DbConnection,
    signed: &SignedHeads,
    key: &[u8],
) -> QueryResult<Vec<String>> {
    use hmac::Mac;
    let genuine = signed.format == HEADS_FORMAT
        && from_hex(&signed.mac)
            .is_some_and(|mac| heads_mac(key, signed).verify_slice(&mac).is_ok());
    if !genuine {
        return Ok(vec![
            "the heads file is not signed with this key, or was changed".to_owned(),
        ]);
    }
    let mut problems = Vec::new();
    for head in &signed.heads {
        let found: Option<String> = audit_events::table
            .filter(audit_events::district_id.eq(&head.district_id))
            .filter(audit_events::seq.eq(head.seq))
            .select(audit_events::hash)
            .first(conn)
            .optional()?;
        match found {
            Some(hash) if hash == head.hash => {}
            Some(_) => problems.push(format!(
                "district {}: event {} is not the one signed: the chain was rewritten",
                head.district_id, head.seq
            )),
            None => problems.push(format!(
                "district {}: event {} is gone: the chain was cut below the signed head",
                head.district_id, head.seq
            )),
        }
    }
    Ok(problems)
}
