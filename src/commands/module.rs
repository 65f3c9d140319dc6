//! The module-directory side of `upgrade`, `info` and `baseline`: what they
//! do when `-d DIR` holds a pum 1.x `.pum.yaml`.

use std::path::Path;

use crate::commands::baseline::BaselineArgs;
use crate::commands::info::InfoArgs;
use crate::commands::upgrade::UpgradeArgs;
use crate::error::{Error, Result};
use crate::output::Style;
use crate::{db, module, Context, Outcome};

/// The migrations table of a module is fixed by its .pum.yaml.
fn reject_table_flag(table: Option<&str>) -> Result<()> {
    match table {
        Some(t) => Err(Error::Usage(format!(
            "-t {t}: a module directory keeps its history in SCHEMA.pum_migrations \
             (pum.migration_table_schema in .pum.yaml); leave out -t"
        ))),
        None => Ok(()),
    }
}

/// `pum install`: a module on a database that does not have it yet.
#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    #[command(flatten)]
    pub service: crate::cli::ServiceArg,
    #[command(flatten)]
    pub deltas: crate::commands::upgrade::DeltaArgs,
}

pub fn install(ctx: &Context, args: &InstallArgs) -> Result<Outcome> {
    let dirs = ctx.delta_dirs(&args.deltas.dirs.dirs);
    let Some(dir) = module::is_module_dir(&dirs) else {
        return Err(Error::Usage(
            "install needs a module directory: -d DIR holding .pum.yaml".into(),
        ));
    };
    if !args.deltas.vars.is_empty() {
        return Err(Error::Usage(
            "-v/--var: a module directory takes its parameters as --parameter NAME VALUE".into(),
        ));
    }
    let request = args.deltas.module_request(ctx)?;
    let params = ctx.service(args.service.pg_service.as_deref())?;
    let mut client = db::connect(&params)?;
    let report = module::install(&mut client, &params, &dir, &request, &ctx.printer)?;
    super::upgrade::print_report(ctx, &params, &report, "version");
    Ok(Outcome::Success)
}

pub fn upgrade(ctx: &Context, args: &UpgradeArgs, dir: &Path) -> Result<Outcome> {
    reject_table_flag(args.table.table.as_deref())?;
    if !args.deltas.vars.is_empty() {
        return Err(Error::Usage(
            "-v/--var: a module directory takes its parameters as --parameter NAME VALUE".into(),
        ));
    }
    let request = args.deltas.module_request(ctx)?;
    let params = ctx.service(args.service.pg_service.as_deref())?;
    let mut client = db::connect(&params)?;
    if args.dry_run {
        let plan = module::dry_run(&mut client, &params, dir, &request, &ctx.printer)?;
        print_dry_run(ctx, &plan);
        return Ok(Outcome::Success);
    }
    let report = module::upgrade(&mut client, &params, dir, &request, &ctx.printer)?;
    super::upgrade::print_report(ctx, &params, &report, "version");
    Ok(Outcome::Success)
}

fn print_dry_run(ctx: &Context, plan: &module::DryRun) {
    let p = &ctx.printer;
    if p.is_json() {
        p.json(&serde_json::to_value(plan).expect("plan serialises"));
        return;
    }
    p.out(format!(
        "dry run: {} would go from {} to {} with {} version{} of {} (nothing is changed)",
        plan.database,
        plan.version_before.as_deref().unwrap_or("(none)"),
        plan.version_after.as_deref().unwrap_or("(none)"),
        plan.versions.len(),
        if plan.versions.len() == 1 { "" } else { "s" },
        plan.module
    ));
    if !plan.versions.is_empty() {
        let mut t = p.table(&["Version", "Files"]);
        for v in &plan.versions {
            let files: Vec<&str> = v
                .files
                .iter()
                .map(|f| f.file.rsplit('/').next().unwrap_or(&f.file))
                .collect();
            t.add_row(vec![
                v.version.clone(),
                if v.app_only {
                    "(application-only release)".to_string()
                } else {
                    files.join("\n")
                },
            ]);
        }
        p.out(t.to_string());
    }
}

pub fn baseline(ctx: &Context, args: &BaselineArgs, dir: &Path) -> Result<Outcome> {
    reject_table_flag(args.table.table.as_deref())?;
    let params = ctx.service(args.service.pg_service.as_deref())?;
    let mut client = db::connect(&params)?;
    let report = module::baseline(&mut client, dir, &args.baseline, &ctx.printer)?;
    if ctx.printer.is_json() {
        let mut value = serde_json::to_value(&report).expect("report serialises");
        value["database"] = params.dbname().into();
        ctx.printer.json(&value);
    } else {
        ctx.printer.out(format!(
            "baselined {} at version {} of {} ({}{})",
            params.dbname(),
            report.baseline,
            report.module,
            report.table,
            if report.created_table {
                ", created"
            } else {
                ""
            }
        ));
    }
    Ok(Outcome::Success)
}

pub fn info(ctx: &Context, args: &InfoArgs, dir: &Path) -> Result<Outcome> {
    reject_table_flag(args.table.table.as_deref())?;
    let params = ctx.service(args.service.pg_service.as_deref())?;
    let mut client = db::connect(&params)?;
    let info = module::info(
        &mut client,
        &params,
        dir,
        &args.parameters,
        args.max_version.as_deref(),
        &ctx.printer,
    )?;
    if ctx.printer.is_json() {
        ctx.printer
            .json(&serde_json::to_value(&info).expect("info serialises"));
        return Ok(Outcome::Success);
    }
    let p = &ctx.printer;
    p.out(format!(
        "{} {} (module {}, {}): {}, {} pending",
        p.paint("database", Style::Heading),
        info.database,
        info.module,
        info.table,
        if info.installed {
            format!(
                "version {}",
                p.paint(
                    info.current_version.as_deref().unwrap_or("(none)"),
                    Style::Heading
                )
            )
        } else {
            "not installed".to_string()
        },
        info.pending
    ));
    p.out("");
    p.out(p.paint(&format!("changelogs in {}", dir.display()), Style::Heading));
    let mut t = p.table(&["Version", "Files", "Status"]);
    for c in &info.changelogs {
        let style = match c.status {
            module::plan::VersionStatus::Applied => Style::Good,
            module::plan::VersionStatus::Pending => Style::Changed,
            _ => Style::Dim,
        };
        t.add_row(vec![
            c.version.clone(),
            if c.app_only {
                "(application-only release)".to_string()
            } else {
                c.files.join("\n")
            },
            p.paint(c.status.label(), style),
        ]);
    }
    p.out(t.to_string());
    if let Some(map) = info.parameters.as_object().filter(|m| !m.is_empty()) {
        p.out("");
        p.out(p.paint("parameters", Style::Heading));
        let mut t = p.table(&["Name", "Value"]);
        for (name, value) in map {
            t.add_row(vec![name.clone(), value.to_string()]);
        }
        p.out(t.to_string());
    }
    p.out("");
    p.out(p.paint("history", Style::Heading));
    let mut hist = p.table(&[
        "Version",
        "Installed on",
        "Files",
        "Parameters",
        "Beta",
        "Written by",
    ]);
    for r in &info.history {
        hist.add_row(vec![
            r.version.clone(),
            r.date_installed.clone(),
            r.changelog_files.len().to_string(),
            r.parameters.to_string(),
            if r.beta_testing { "yes" } else { "no" }.to_string(),
            r.pum_version
                .as_deref()
                .map(|v| format!("pum {v}"))
                .unwrap_or_default(),
        ]);
    }
    p.out(hist.to_string());
    Ok(Outcome::Success)
}
