//! What one unit did to the database, measured while it ran: the
//! heavyweight locks its backend held (sampled from a second connection, so
//! locks taken inside one long statement are seen too), the relations whose
//! storage it rewrote, the indexes it built, the WAL it wrote, and what the
//! statistics tell of its temporary files and rows (see [`measure_stats`]).
//!
//! [`measure_stats`]: super::measure_stats
//!
//! Only a run asked to measure pays for this; the runner never builds a
//! [`Measurer`] otherwise.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use postgres::Client;
use serde::Serialize;

use super::measure_stats::{self, StatsDelta, StatsMark};
use crate::db::SYSTEM_SCHEMA_FILTER;
use crate::error::{Error, Result};
use crate::service::ConnParams;

/// How often the sampler reads `pg_locks`: a lock held for less than this
/// may be missed, and every held time is this precise.
pub const SAMPLE_INTERVAL: Duration = Duration::from_millis(10);

/// The lock modes of PostgreSQL's relation locks, weakest first.
pub const LOCK_MODES: [&str; 8] = [
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
];

/// The weakest lock mode that blocks others enough to gate on: from here
/// on, writers (and from `ExclusiveLock` on, readers) of the relation wait
/// behind it.
pub const GATED_FROM: &str = "ShareRowExclusiveLock";

/// The strength of `mode` (0 = weakest; unknown modes count as weakest).
pub fn strength(mode: &str) -> usize {
    LOCK_MODES.iter().position(|m| *m == mode).unwrap_or(0)
}

/// One lock a unit held on one relation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LockHeld {
    /// Schema-qualified name (the OID when the relation is gone by the end).
    pub relation: String,
    pub mode: String,
    /// First seen → released, to [`SAMPLE_INTERVAL`].
    pub held_ms: u64,
    /// Whether the relation existed before the unit ran.
    pub existing: bool,
}

/// One statement of a delta run statement by statement (`-- pum:no-transaction`),
/// measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatementMeasured {
    /// Where the statement starts in the file.
    pub line: usize,
    /// Its first line, cut at 80 characters.
    pub sql: String,
    pub duration_ms: u64,
    pub wal_bytes: i64,
}

/// The statement's opening, as a label.
pub fn statement_label(text: &str) -> String {
    let first = text.trim().lines().next().unwrap_or("");
    match first.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &first[..cut]),
        None => first.to_string(),
    }
}

/// What was measured of one unit (in the report beside its duration).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Measured {
    pub wal_bytes: i64,
    pub locks: Vec<LockHeld>,
    /// Tables and materialized views whose storage was rewritten.
    pub rewrites: Vec<String>,
    /// Indexes that did not exist before the unit.
    pub indexes_built: Vec<String>,
    /// Temporary files and rows per table; absent where the counters
    /// cannot be read yet (inside `--single-transaction`, they are
    /// reported at its commit).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub stats: Option<StatsDelta>,
}

impl Measured {
    /// The strongest lock held on a relation that existed before, longest first.
    pub fn strongest_lock(&self) -> Option<&LockHeld> {
        self.locks
            .iter()
            .filter(|l| l.existing)
            .max_by_key(|l| (strength(&l.mode), l.held_ms))
    }
}

/// A relation as the catalog describes it before and after a unit.
#[derive(Debug, Clone)]
struct Relation {
    name: String,
    relfilenode: u32,
    kind: i8,
}

/// Relations outside the system schemas, by OID.
fn relations(client: &mut Client) -> Result<BTreeMap<u32, Relation>> {
    let sql = format!(
        "SELECT c.oid, c.relfilenode, c.relkind, \
                quote_ident(n.nspname) || '.' || quote_ident(c.relname) \
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE {SYSTEM_SCHEMA_FILTER} AND c.relkind IN ('r', 'm', 'i', 'p', 'I')"
    );
    let rows = client
        .query(&sql, &[])
        .map_err(|e| Error::sql("reading relations to measure a delta", e))?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r.get(0),
                Relation {
                    relfilenode: r.get(1),
                    kind: r.get(2),
                    name: r.get(3),
                },
            )
        })
        .collect())
}

/// Locks seen by the sampler, by (relation OID, mode): first seen, and
/// released (None while still held).
type Seen = BTreeMap<(u32, String), (Instant, Option<Instant>)>;

/// The lock sampler's own connection, its statement prepared: opened for
/// the first measured unit of a run and handed on from unit to unit, so
/// that a run of many units opens one connection, not one per unit.
pub struct Watcher {
    client: Client,
    stmt: postgres::Statement,
    /// What the last unit's end read: the next unit starts from it rather
    /// than reading the same again (nothing runs between two units).
    carried: Option<Carried>,
}

/// The relations and the counters as a unit's end found them.
struct Carried {
    relations: BTreeMap<u32, Relation>,
    /// `None` inside an open transaction, where the counters are not read.
    stats: Option<StatsMark>,
}

impl Watcher {
    pub fn open(params: &ConnParams) -> Result<Watcher> {
        let mut client = crate::db::connect(params)?;
        let stmt = client
            .prepare(SAMPLE)
            .map_err(|e| Error::sql("preparing the lock sampler", e))?;
        Ok(Watcher {
            client,
            stmt,
            carried: None,
        })
    }
}

/// What the sampler thread hands back: its connection (for the next unit)
/// and the locks it saw.
type Sampled = (Watcher, Result<Seen>);

/// Watches one unit: started just before it, finished just after.
pub struct Measurer {
    before: BTreeMap<u32, Relation>,
    flush: bool,
    stats: StatsMark,
    lsn: String,
    stop: Arc<AtomicBool>,
    sampler: Option<JoinHandle<Sampled>>,
}

const SAMPLE: &str = "SELECT l.relation, l.mode FROM pg_catalog.pg_locks l \
     WHERE l.pid = $1 AND l.locktype = 'relation' AND l.granted \
       AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())";

impl Measurer {
    /// Reads the relations and the WAL position on `client`, then starts
    /// sampling its backend's locks on `watcher`'s connection.
    pub fn start(client: &mut Client, mut watcher: Watcher) -> Result<Measurer> {
        // One round trip for the session, the WAL position and the version.
        let row = client
            .query_one(
                "SELECT pg_backend_pid(), pg_current_wal_insert_lsn()::text, \
                 current_setting('server_version_num')::int",
                &[],
            )
            .map_err(|e| Error::sql("reading the WAL position", e))?;
        let pid: i32 = row.get(0);
        let lsn: String = row.get(1);
        let flush = measure_stats::can_force_flush(row.get(2));
        let (before, stats) = match watcher.carried.take() {
            Some(Carried {
                relations,
                stats: Some(stats),
            }) => (relations, stats),
            Some(Carried {
                relations,
                stats: None,
            }) => (relations, measure_stats::mark(client, flush)?),
            None => {
                let stats = measure_stats::mark(client, flush)?;
                (relations(client)?, stats)
            }
        };
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let sampler = std::thread::spawn(move || {
            let mut watcher = watcher;
            let seen = sample(&mut watcher, pid, &stopping);
            (watcher, seen)
        });
        Ok(Measurer {
            before,
            flush,
            stats,
            lsn,
            stop,
            sampler: Some(sampler),
        })
    }

    /// Stops the sampler and compares the catalog and WAL with the start;
    /// hands back the sampler's connection unless it failed.
    pub fn finish(mut self, client: &mut Client) -> (Option<Watcher>, Result<Measured>) {
        let ended = Instant::now();
        match self.stop_sampler() {
            Some((mut watcher, Ok(seen))) => {
                let measured = self
                    .compare(client, seen, ended)
                    .map(|(measured, carried)| {
                        watcher.carried = Some(carried);
                        measured
                    });
                (Some(watcher), measured)
            }
            Some((_, Err(e))) => (None, Err(e)),
            None => (
                None,
                self.compare(client, Seen::new(), ended)
                    .map(|(measured, _)| measured),
            ),
        }
    }

    fn compare(
        &self,
        client: &mut Client,
        seen: Seen,
        ended: Instant,
    ) -> Result<(Measured, Carried)> {
        let wal_bytes = crate::db::wal_since(client, &self.lsn)?;
        let after = relations(client)?;
        let name = |oid: u32| {
            after
                .get(&oid)
                .or_else(|| self.before.get(&oid))
                .map(|r| r.name.clone())
        };
        let mut locks: Vec<LockHeld> = seen
            .into_iter()
            .filter_map(|((oid, mode), (first, released))| {
                // Catalog locks are not the unit's doing: skip what we cannot name.
                let relation = name(oid)?;
                let held = released.unwrap_or(ended).saturating_duration_since(first);
                Some(LockHeld {
                    relation,
                    mode,
                    held_ms: (held.as_millis() as u64).max(1),
                    existing: self.before.contains_key(&oid),
                })
            })
            .collect();
        locks.sort_by(|a, b| {
            (strength(&b.mode), b.held_ms, &a.relation).cmp(&(
                strength(&a.mode),
                a.held_ms,
                &b.relation,
            ))
        });
        let rewrites = after
            .iter()
            .filter(|(oid, r)| {
                matches!(r.kind as u8, b'r' | b'm')
                    && self
                        .before
                        .get(oid)
                        .is_some_and(|b| b.relfilenode != r.relfilenode)
            })
            .map(|(_, r)| r.name.clone())
            .collect();
        let indexes_built = after
            .iter()
            .filter(|(oid, r)| r.kind as u8 == b'i' && !self.before.contains_key(oid))
            .map(|(_, r)| r.name.clone())
            .collect();
        let end = self.stats_at_end(client)?;
        let measured = Measured {
            wal_bytes,
            locks,
            rewrites,
            indexes_built,
            stats: end.as_ref().map(|mark| mark.since(&self.stats)),
        };
        let carried = Carried {
            relations: after,
            stats: end,
        };
        Ok((measured, carried))
    }

    /// The counters at the unit's end, unless its transaction is still
    /// open: a backend reports its counters only between transactions.
    fn stats_at_end(&self, client: &mut Client) -> Result<Option<StatsMark>> {
        // Outside a transaction block each statement is its own
        // transaction, so its start is the statement's start.
        // (The simple protocol: the extended one restarts the statement's
        // clock between its messages.)
        let in_block = client
            .simple_query("SELECT now() <> statement_timestamp()")
            .map_err(|e| Error::sql("reading the transaction state", e))?
            .iter()
            .any(|m| matches!(m, postgres::SimpleQueryMessage::Row(r) if r.get(0) == Some("t")));
        if in_block {
            return Ok(None);
        }
        Ok(Some(measure_stats::mark(client, self.flush)?))
    }

    fn stop_sampler(&mut self) -> Option<Sampled> {
        self.stop.store(true, Ordering::Release);
        self.sampler.take().map(|handle| {
            handle.thread().unpark();
            handle.join().expect("the lock sampler does not panic")
        })
    }
}

/// Samples `pid`'s relation locks until `stop`, and once more after it, so
/// that nothing the unit held at its end is missed.
fn sample(watcher: &mut Watcher, pid: i32, stop: &AtomicBool) -> Result<Seen> {
    let mut seen = Seen::new();
    loop {
        let last = stop.load(Ordering::Acquire);
        let rows = watcher
            .client
            .query(&watcher.stmt, &[&pid])
            .map_err(|e| Error::sql("sampling the delta's locks", e))?;
        let now = Instant::now();
        let held: Vec<(u32, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        for (key, (_, released)) in seen.iter_mut() {
            if released.is_none() && !held.contains(key) {
                *released = Some(now);
            }
        }
        for key in held {
            let entry = seen.entry(key).or_insert((now, None));
            // Taken again after a release (a retried statement).
            entry.1 = None;
        }
        if last {
            return Ok(seen);
        }
        // Woken early by the stop: the unit's end need not wait out the
        // interval.
        std::thread::park_timeout(SAMPLE_INTERVAL);
    }
}

impl Drop for Measurer {
    /// A unit that failed leaves no sampler behind.
    fn drop(&mut self) {
        let _ = self.stop_sampler();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_strongest_lock_on_an_existing_relation_wins() {
        let lock = |relation: &str, mode: &str, held_ms, existing| LockHeld {
            relation: relation.into(),
            mode: mode.into(),
            held_ms,
            existing,
        };
        let m = Measured {
            locks: vec![
                lock("public.a", "ShareLock", 500, true),
                lock("public.b", "AccessExclusiveLock", 40, true),
                lock("public.new", "AccessExclusiveLock", 900, false),
            ],
            ..Default::default()
        };
        assert_eq!(m.strongest_lock().unwrap().relation, "public.b");
        assert!(strength("AccessExclusiveLock") > strength("ShareRowExclusiveLock"));
        assert_eq!(strength("nonsense"), 0);
    }
}
