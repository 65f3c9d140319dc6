//! `pum fleet check`: every database of the fleet compared with one
//! reference. The reference's catalog is read once; each database's on its
//! own connection, one query per object kind as `pum check` reads it.

use std::collections::BTreeMap;
use std::time::Instant;

use super::{DatabaseRun, Target};
use crate::catalog::{self, Catalog};
use crate::db::identity::DatabaseId;
use crate::diff::{self, Options};
use crate::error::Result;

/// The reference, read once for the whole fleet.
pub struct Reference {
    id: DatabaseId,
    catalog: Catalog,
}

impl Reference {
    pub fn read(params: &crate::service::ConnParams, opts: &Options) -> Result<Reference> {
        let (id, catalog) = catalog::read_identified(params, &opts.filters())?;
        Ok(Reference { id, catalog })
    }
}

/// One database compared with the reference: `ok` with no differences,
/// `differs` with a count per kind, `failed` when it could not be read.
pub fn check(reference: &Reference, opts: &Options, target: &Target) -> DatabaseRun {
    let started = Instant::now();
    let (id, catalog) = match catalog::read_identified(&target.params, &opts.filters()) {
        Ok(read) => read,
        Err(err) => return DatabaseRun::failed(target, &err, started),
    };
    let mut run = DatabaseRun {
        status: "ok",
        ok: true,
        duration_ms: started.elapsed().as_millis() as u64,
        ..DatabaseRun::skipped(target)
    };
    if id.is(&reference.id) {
        run.verdict = Some("the reference itself".into());
        run.differences = Some(0);
        return run;
    }
    let differences = diff::compare(&catalog, &reference.catalog, opts);
    run.differences = Some(differences.len());
    if !differences.is_empty() {
        let mut per_kind: BTreeMap<&str, usize> = BTreeMap::new();
        for d in &differences {
            *per_kind.entry(d.kind.name()).or_default() += 1;
        }
        let summary: Vec<String> = per_kind.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        run.ok = false;
        run.status = "differs";
        run.verdict = Some(summary.join(", "));
    }
    run.duration_ms = started.elapsed().as_millis() as u64;
    run
}
