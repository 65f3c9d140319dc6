//! `pum install`: a pum 1.x module on a database that does not have it yet.

use crate::cli::InstallArgs;
use crate::error::{Error, Result};
use crate::project::{module, Project};
use crate::render;
use crate::settings::Settings;
use crate::{db, Outcome};

pub fn run(ctx: &Settings, args: &InstallArgs) -> Result<Outcome> {
    let Project::Module { dir, request } = ctx.project(None, &args.deltas)? else {
        return Err(Error::Usage(
            "install needs a module directory: -d DIR holding .pum.yaml".into(),
        ));
    };
    let params = ctx.service(args.service.pg_service.as_deref())?;
    let mut client = db::connect(&params)?;
    let report = module::install(&mut client, &params, &dir, &request, &ctx.printer)?;
    render::upgrade::report(ctx, &params, &report, "version");
    Ok(Outcome::Success)
}
