//! `pum verify-backups`: the `verify:` section of pum.yaml and the flags
//! wired to [`crate::verify::verify_all`] after the restore guards, and
//! its report.

use crate::cli::VerifyBackupsArgs;
use crate::db::identity;
use crate::dump::guard;
use crate::error::{Error, Result};
use crate::settings::Settings;
use crate::verify::{self, report, DatabaseReport, Source, Verdict, VerifyOptions};
use crate::Outcome;

pub fn run(ctx: &Settings, args: &VerifyBackupsArgs) -> Result<Outcome> {
    let section = ctx.config.verify.as_ref().ok_or_else(|| {
        let file = ctx
            .config
            .file
            .as_ref()
            .map(|f| f.display().to_string())
            .unwrap_or_else(|| "pum.yaml (none found here; pass -c FILE)".into());
        Error::Settings(format!(
            "{file} has no verify: section; pum verify-backups takes its databases from verify.databases"
        ))
    })?;
    let mut sources = Vec::new();
    for entry in &section.databases {
        let resolved = ctx.service(Some(&entry.service)).map_err(|e| {
            Error::Settings(format!("verify.databases: service {}: {e}", entry.service))
        });
        // A skipped database is only listed: its service need not resolve.
        let params = match resolved {
            Ok(params) => Some(params),
            Err(_) if entry.skip => None,
            Err(e) => return Err(e),
        };
        sources.push(Source {
            service: entry.service.clone(),
            params,
            skip: entry.skip,
        });
    }
    let protected = guard::protected_services(&ctx.config, &ctx.env, &ctx.printer);
    let into = match &args.into_service {
        Some(name) => {
            guard::check_allowed(&ctx.config, Some(name))?;
            let params = ctx.service(Some(name))?;
            guard::refuse_protected(&identity::locate(&params)?, &protected, "--into-service")?;
            Some(params)
        }
        None => None,
    };
    if let Some(dir) = &args.latest {
        if dir.to_string_lossy().starts_with("s3://") {
            return Err(Error::Usage(format!(
                "--latest {}: s3:// locations are not supported yet; use a directory",
                dir.display()
            )));
        }
        if !dir.is_dir() {
            return Err(Error::Usage(format!(
                "--latest {}: not a directory",
                dir.display()
            )));
        }
    }
    let opts = VerifyOptions {
        latest: args.latest.clone(),
        into,
        jobs: args.jobs as usize,
        protected,
        tools: ctx.tools.clone(),
    };
    let reports = verify::verify_all(&sources, &opts, &ctx.printer)?;
    report::print(&ctx.printer, &reports);
    Ok(outcome(&reports))
}

/// Exit 0 when every database verified passed (or was skipped), 2 when
/// pum could not verify one, else 1 when one failed verification.
fn outcome(reports: &[DatabaseReport]) -> Outcome {
    if reports.iter().any(|r| r.result == Verdict::Error) {
        Outcome::Failed
    } else if reports.iter().any(|r| r.result == Verdict::Failed) {
        Outcome::Differences
    } else {
        Outcome::Success
    }
}
