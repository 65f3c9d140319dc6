//! `pum uninstall`: a pum 1.x module's `uninstall:` hooks, in one
//! transaction, after a confirmation (pum 1.x asks too, unless --force).

use crate::cli::UninstallArgs;
use crate::error::{Error, Result};
use crate::module::config::{ModuleConfig, FILE_NAME};
use crate::project::{module, Project};
use crate::settings::Settings;
use crate::{db, Outcome};

pub fn run(ctx: &Settings, args: &UninstallArgs) -> Result<Outcome> {
    let Project::Module { dir, request } = ctx.project(None, &args.module.deltas())? else {
        return Err(Error::Usage(format!(
            "{}: no .pum.yaml here; `uninstall` runs a pum 1.x module's uninstall hooks (-d DIR)",
            args.module.dir.display()
        )));
    };
    let config = ModuleConfig::load(&dir)?;
    if config.uninstall.is_empty() {
        return Err(Error::Settings(format!(
            "{}: no uninstall hooks; add an `uninstall:` list of hooks (as pum 1.x requires); nothing was changed",
            dir.join(FILE_NAME).display()
        )));
    }
    let params = ctx.service(args.module.service.pg_service.as_deref())?;
    if !args.force {
        let question = format!(
            "run the {} uninstall hook{} of {} on {}? They may drop schemas and data",
            config.uninstall.len(),
            if config.uninstall.len() == 1 { "" } else { "s" },
            config.module,
            params.target()
        );
        if !crate::prompt::confirm(&question)? {
            ctx.printer.out(format!(
                "uninstall cancelled: {} is unchanged",
                params.dbname()
            ));
            return Ok(Outcome::Success);
        }
    }
    let mut client = db::connect(&params)?;
    let report = module::uninstall(&mut client, &params, &dir, &request, &ctx.printer)?;
    let database = params.dbname();
    let module = config.module.as_str();
    super::print_hooks_run(ctx, database, ("module", module), &report, "hook", |ran| {
        format!("{database}: uninstalled {module} ({ran} run, committed)")
    });
    Ok(Outcome::Success)
}
