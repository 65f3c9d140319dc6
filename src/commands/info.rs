//! `pum info`: the database's version, every delta found with its status,
//! and the upgrade history.

use crate::cli::InfoArgs;
use crate::error::{Error, Result};
use crate::project::Project;
use crate::render;
use crate::settings::Settings;
use crate::{db, module, Outcome};

pub fn run(ctx: &Settings, args: &InfoArgs) -> Result<Outcome> {
    if let Some(dir) = Project::module_dir(&ctx.delta_dirs(&args.dirs.dirs)) {
        crate::settings::check_module_table(&dir, args.table.table.as_deref())?;
        let params = ctx.service(args.service.pg_service.as_deref())?;
        let mut client = db::connect(&params)?;
        let info = module::info(
            &mut client,
            &params,
            &dir,
            &args.parameters,
            args.max_version.as_deref(),
            &ctx.printer,
        )?;
        render::info::module(ctx, &dir, &info);
        return Ok(Outcome::Success);
    }
    if !args.parameters.is_empty() {
        return Err(Error::Usage(
            "--parameter applies to module directories (-d DIR holding .pum.yaml)".into(),
        ));
    }
    let table = ctx.upgrades_table(args.table.table.as_deref())?;
    let max_version = crate::settings::parse_max_version(args.max_version.as_deref())?;
    let dirs = ctx.delta_dirs(&args.dirs.dirs);
    let params = ctx.service(args.service.pg_service.as_deref())?;
    render::info::deltas(ctx, &params, &table, &dirs, max_version.as_ref())?;
    Ok(Outcome::Success)
}
