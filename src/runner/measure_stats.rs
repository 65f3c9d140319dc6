//! The figures of a unit the statistics collector tells: temporary files
//! written (database-wide counters, so on a shared server other sessions'
//! sorts count too; in a rehearsal's sandbox only the rehearsal runs) and
//! rows inserted, updated and deleted per table. The backend reports its
//! counters to the collector in batches, so each mark first asks for the
//! next report to happen at once (PostgreSQL 15+) and reads after it.

use std::collections::BTreeMap;

use postgres::Client;
use serde::Serialize;

use crate::error::{Error, Result};

/// Rows one unit changed in one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowsTouched {
    pub relation: String,
    pub inserted: i64,
    pub updated: i64,
    pub deleted: i64,
}

/// The counters at one moment.
#[derive(Debug, Clone, Default)]
pub struct StatsMark {
    temp_files: i64,
    temp_bytes: i64,
    /// relid → (name, inserted, updated, deleted), cumulative.
    tables: BTreeMap<u32, (String, i64, i64, i64)>,
}

/// What changed between two marks.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatsDelta {
    pub temp_files: i64,
    pub temp_bytes: i64,
    pub rows: Vec<RowsTouched>,
}

/// Whether a server of `server_version_num` can be asked to report its
/// counters now; older servers report them within half a second of each
/// transaction instead.
pub fn can_force_flush(server_version_num: i32) -> bool {
    server_version_num >= 150_000
}

/// Reads the counters. `flush`: ask the backend to hand its pending
/// counters over first — it does so when the flush call's statement ends,
/// so the reads that follow see them.
pub fn mark(client: &mut Client, flush: bool) -> Result<StatsMark> {
    if flush {
        client
            .batch_execute("SELECT pg_catalog.pg_stat_force_next_flush()")
            .map_err(|e| Error::sql("asking for the statistics of the delta", e))?;
    }
    let db = client
        .query_one(
            "SELECT coalesce(temp_files, 0), coalesce(temp_bytes, 0) \
             FROM pg_catalog.pg_stat_database WHERE datname = current_database()",
            &[],
        )
        .map_err(|e| Error::sql("reading the database's temporary files", e))?;
    let tables = client
        .query(
            "SELECT relid, quote_ident(schemaname) || '.' || quote_ident(relname), \
                    n_tup_ins, n_tup_upd, n_tup_del \
             FROM pg_catalog.pg_stat_user_tables",
            &[],
        )
        .map_err(|e| Error::sql("reading the tables' row counters", e))?
        .iter()
        .map(|r| {
            let relid: u32 = r.get(0);
            (relid, (r.get(1), r.get(2), r.get(3), r.get(4)))
        })
        .collect();
    Ok(StatsMark {
        temp_files: db.get(0),
        temp_bytes: db.get(1),
        tables,
    })
}

impl StatsMark {
    /// What happened since `before`: tables with no change are left out,
    /// a table created in between counts from zero.
    pub fn since(&self, before: &StatsMark) -> StatsDelta {
        let rows = self
            .tables
            .iter()
            .filter_map(|(relid, (name, ins, upd, del))| {
                let (_, i0, u0, d0) =
                    before
                        .tables
                        .get(relid)
                        .cloned()
                        .unwrap_or((String::new(), 0, 0, 0));
                let touched = RowsTouched {
                    relation: name.clone(),
                    inserted: ins - i0,
                    updated: upd - u0,
                    deleted: del - d0,
                };
                (touched.inserted != 0 || touched.updated != 0 || touched.deleted != 0)
                    .then_some(touched)
            })
            .collect();
        StatsDelta {
            temp_files: self.temp_files - before.temp_files,
            temp_bytes: self.temp_bytes - before.temp_bytes,
            rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_tables_count_and_new_ones_from_zero() {
        let before = StatsMark {
            temp_files: 2,
            temp_bytes: 100,
            tables: BTreeMap::from([
                (1, ("public.a".into(), 10, 0, 0)),
                (2, ("public.b".into(), 5, 5, 5)),
            ]),
        };
        let after = StatsMark {
            temp_files: 3,
            temp_bytes: 4196,
            tables: BTreeMap::from([
                (1, ("public.a".into(), 10, 7, 0)),
                (2, ("public.b".into(), 5, 5, 5)),
                (3, ("public.c".into(), 40, 0, 0)),
            ]),
        };
        let d = after.since(&before);
        assert_eq!((d.temp_files, d.temp_bytes), (1, 4096));
        let names: Vec<_> = d.rows.iter().map(|r| r.relation.as_str()).collect();
        assert_eq!(names, ["public.a", "public.c"]);
        assert_eq!(d.rows[0].updated, 7);
        assert_eq!(d.rows[1].inserted, 40);
    }
}
