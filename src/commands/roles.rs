//! `pum roles`: create the roles a pum 1.x module defines in `.pum.yaml`
//! and grant them their permissions.

use crate::cli::{RolesAction, RolesArgs};
use crate::error::{Error, Result};
use crate::project::Project;
use crate::settings::Settings;
use crate::{db, module, Outcome};

pub fn run(ctx: &Settings, args: &RolesArgs) -> Result<Outcome> {
    let Some(dir) = Project::module_dir(std::slice::from_ref(&args.dir)) else {
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
