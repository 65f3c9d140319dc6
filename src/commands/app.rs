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
    if ctx.printer.is_json() {
        ctx.printer.json(&serde_json::json!({
            "database": params.dbname(),
            "action": name,
            "hooks_run": report.hooks_run,
            "duration_ms": report.duration_ms,
        }));
    } else {
        ctx.printer.out(format!(
            "{}: app {name}: {} step{} run, committed",
            params.dbname(),
            report.hooks_run.len(),
            if report.hooks_run.len() == 1 { "" } else { "s" }
        ));
    }
    Ok(Outcome::Success)
}
