//! `pum upgrade`: apply what is pending (or, with `--dry-run`, show it), for
//! either project layout.

use crate::cli::UpgradeArgs;
use crate::error::Result;
use crate::project::Project;
use crate::render;
use crate::settings::Settings;
use crate::{db, module, Outcome};

pub fn run(ctx: &Settings, args: &UpgradeArgs) -> Result<Outcome> {
    let mut project = ctx.project(args.table.table.as_deref(), &args.deltas)?;
    if args.measure {
        project = project.measured();
    }
    let params = ctx.service(args.service.pg_service.as_deref())?;
    let mut client = db::connect(&params)?;
    if args.dry_run {
        match &project {
            Project::Deltas { project, options } => {
                render::upgrade::deltas_dry_run(ctx, &mut client, &params, project, options)?
            }
            Project::Module { dir, request } => {
                let plan = module::dry_run(&mut client, &params, dir, request, &ctx.printer)?;
                let pending: Vec<String> =
                    plan.versions.iter().map(|v| v.version.clone()).collect();
                crate::lint::warn_pending(&project, &pending, &ctx.printer);
                render::upgrade::module_dry_run(ctx, &plan);
            }
        }
        return Ok(Outcome::Success);
    }
    let service = args.service.pg_service.as_deref();
    let report = project.upgrade(&mut client, &params, service, &ctx.printer)?;
    render::upgrade::report(ctx, &params, &report, project.units(1));
    Ok(Outcome::Success)
}
