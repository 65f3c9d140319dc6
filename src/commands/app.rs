//! `pum app create|drop|recreate`: a pum 1.x module's application hooks
//! alone, in one transaction (pum 1.x's `app` command).

use crate::cli::{AppAction, AppArgs, DeltaArgs};
use crate::error::{Error, Result};
use crate::project::{module, Project};
use crate::settings::Settings;
use crate::{db, Outcome};

pub fn run(ctx: &Settings, args: &AppArgs) -> Result<Outcome> {
    let flags = DeltaArgs {
        grant: !args.skip_grant,
        ..args.module.deltas()
    };
    let Project::Module { dir, mut request } = ctx.project(None, &flags)? else {
        return Err(Error::Usage(format!(
            "{}: no .pum.yaml here; `app` runs a pum 1.x module's hooks (-d DIR)",
            args.module.dir.display()
        )));
    };
    let (drop, create, name) = match args.action {
        AppAction::Create => (false, true, "create"),
        AppAction::Drop => (true, false, "drop"),
        AppAction::Recreate => (true, true, "recreate"),
    };
    request.grant_suffix = args.suffix.clone();
    let params = ctx.service(args.module.service.pg_service.as_deref())?;
    let mut client = db::connect(&params)?;
    let report = module::app(
        &mut client,
        &params,
        &dir,
        &request,
        drop,
        create,
        &ctx.printer,
    )?;
    let database = params.dbname();
    super::print_hooks_run(ctx, database, ("action", name), &report, "step", |ran| {
        format!("{database}: app {name}: {ran} run, committed")
    });
    Ok(Outcome::Success)
}
