//! `pum roles`: create the roles a pum 1.x module defines in `.pum.yaml`
//! and grant them their permissions.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::cli::ServiceArg;
use crate::error::{Error, Result};
use crate::{db, module, Context, Outcome};

/// What to do with the module's roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RolesAction {
    /// Create the missing roles (NOLOGIN; `inherit` as membership) and
    /// grant every role its permissions.
    Create,
    /// Grant the permissions again (after new schemas or objects), creating
    /// nothing.
    Grant,
}

#[derive(Debug, Args)]
pub struct RolesArgs {
    pub action: RolesAction,
    #[command(flatten)]
    pub service: ServiceArg,
    /// The module directory (holding .pum.yaml).
    #[arg(short = 'd', long = "dir", value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

pub fn run(ctx: &Context, args: &RolesArgs) -> Result<Outcome> {
    let Some(dir) = module::is_module_dir(std::slice::from_ref(&args.dir)) else {
        return Err(Error::Usage(format!(
            "{}: no .pum.yaml here; roles come from a pum 1.x module directory (-d DIR)",
            args.dir.display()
        )));
    };
    let params = ctx.service(args.service.pg_service.as_deref())?;
    let mut client = db::connect(&params)?;
    let report = match args.action {
        RolesAction::Create => module::create_roles(&mut client, &dir, true, &ctx.printer)?,
        RolesAction::Grant => module::grant_roles(&mut client, &dir, &ctx.printer)?,
    };
    if ctx.printer.is_json() {
        ctx.printer
            .json(&serde_json::to_value(&report).expect("report serialises"));
    } else {
        ctx.printer.out(format!(
            "{}: {} role{} created, {} already there, {} grant{}{}",
            params.dbname(),
            report.created.len(),
            if report.created.len() == 1 { "" } else { "s" },
            report.existing.len(),
            report.granted.len(),
            if report.granted.len() == 1 { "" } else { "s" },
            if report.missing_schemas.is_empty() {
                String::new()
            } else {
                format!(
                    " (missing schemas skipped: {})",
                    report.missing_schemas.join(", ")
                )
            }
        ));
    }
    Ok(Outcome::Success)
}
