//! Where a rehearsal's reference — the newest model built from scratch —
//! comes from: an existing database (`-pc`) or SQL scripts run in the
//! sandbox (`--reference-sql`).

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::service::ConnParams;

/// Where the reference (the newest model built from scratch) comes from.
#[derive(Clone)]
pub enum Reference {
    /// An existing database (`-pc`).
    Database(ConnParams),
    /// SQL files run in order in the sandbox, then baselined at the newest
    /// delta version (`--reference-sql`).
    Scripts(Vec<PathBuf>),
}

impl Reference {
    /// `-pc SERVICE` or `--reference-sql FILE…`; one of them is needed.
    pub fn from_args(
        ctx: &crate::settings::Settings,
        args: &crate::cli::ReferenceArgs,
    ) -> Result<Reference> {
        match (&args.comp, args.reference_sql.is_empty()) {
            (Some(comp), _) => Ok(Reference::Database(ctx.service(Some(comp))?)),
            (None, false) => Ok(Reference::Scripts(args.reference_sql.clone())),
            (None, true) => Err(Error::Usage(
                "nothing to compare the rehearsal with: pass -pc/--pg_service_comp SERVICE or --reference-sql FILE..."
                    .into(),
            )),
        }
    }
}
