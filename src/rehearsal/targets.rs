//! The rehearsal's first step: which databases production, the test
//! database and the reference really are (asked of their servers), the
//! refusals that follow before anything is copied or dropped, and what a
//! copy needs to know of production.

use postgres::Client;

use crate::db;
use crate::db::fingerprint::{self, Fingerprint};
use crate::db::identity::{self, Located};
use crate::db::roles::Roles;
use crate::dump::guard::{self, Protected};
use crate::error::{Error, Result};
use crate::service::ConnParams;

use super::{ProductionCheck, Reference, Rehearsal};

/// The test database, identified (it may not exist yet), and what the copy
/// into it must never write into: production, the reference and every
/// protected service.
pub struct Targets {
    pub test: Option<Located>,
    pub protected: Vec<Protected>,
}

fn named(p: &ConnParams) -> String {
    format!("{} ({})", p.origin(), p.target())
}

/// Identifies the databases on `prod_client` and the others' own
/// connections, and refuses every overlap: a test database that is
/// production, the reference or a protected service, and a reference that
/// is production.
pub fn identify(r: &Rehearsal<'_>, prod_client: &mut Client) -> Result<Targets> {
    let prod = identity::of_session(prod_client)?;
    let same_as_prod = |what: &str, p: &ConnParams| {
        Error::Refused(format!(
            "{what} {} is production itself — the same database on the same server (OID {}), \
             however it is spelt; nothing was copied or changed. Name another database",
            named(p),
            prod.oid
        ))
    };
    let reference = match &r.reference {
        Reference::Database(p) => match identity::locate(p)? {
            Located::Exists(id) if id.is(&prod) => return Err(same_as_prod("the reference (-pc)", p)),
            Located::Exists(id) => Some(id),
            Located::Missing { name, .. } => {
                return Err(Error::State(format!(
                    "the reference database {name} ({}) does not exist; build it first or use --reference-sql",
                    named(p)
                )))
            }
        },
        Reference::Scripts(_) => None,
    };
    let mut protected = vec![Protected {
        id: prod.clone(),
        what: "production".into(),
    }];
    if let Some(id) = &reference {
        protected.push(Protected {
            id: id.clone(),
            what: "the reference (-pc)".into(),
        });
    }
    protected.extend(r.protected.iter().cloned());
    let test = match &r.test {
        Some(p) => {
            let here = identity::locate(p)?;
            if here.is(&Located::Exists(prod.clone())) {
                return Err(same_as_prod("the test database (-pt)", p));
            }
            guard::refuse_protected(&here, &protected, "the test database (-pt)")?;
            Some(here)
        }
        None => None,
    };
    Ok(Targets { test, protected })
}

/// What the rehearsal needs to know of production, read on the one
/// connection it already has.
pub struct ProdFacts {
    pub major: i32,
    pub roles: Roles,
    pub fingerprint: Fingerprint,
}

impl ProdFacts {
    pub fn read(client: &mut Client) -> Result<ProdFacts> {
        Ok(ProdFacts {
            major: db::server_version_num(client)? / 10000,
            roles: Roles::read(client)?,
            fingerprint: fingerprint::read(client)?,
        })
    }
}

/// Production as it was when the rehearsal started.
pub struct Before {
    pub version: Option<String>,
    pub pending: Vec<String>,
    pub facts: ProdFacts,
}

/// Re-reads production's version and fingerprint: what "not touched" rests on.
pub fn recheck_production(r: &Rehearsal<'_>, before: &Before) -> ProductionCheck {
    let read = || -> Result<(Option<String>, Fingerprint)> {
        let mut client = db::connect(&r.prod)?;
        let version = r.project.recorded_version(&mut client)?;
        Ok((version, fingerprint::read(&mut client)?))
    };
    match read() {
        Ok((version, fp)) => ProductionCheck {
            version_unchanged: version == before.version,
            version,
            schema_unchanged: fp.structure == before.facts.fingerprint.structure,
            storage_unchanged: fp.storage == before.facts.fingerprint.storage,
            error: None,
        },
        Err(e) => ProductionCheck {
            version: None,
            version_unchanged: false,
            schema_unchanged: false,
            storage_unchanged: false,
            error: Some(e.to_string()),
        },
    }
}
