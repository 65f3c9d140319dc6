//! `pum demo`: test-and-upgrade on the shipped example in a sandbox cluster.

use crate::cli::DemoArgs;
use crate::deltas::{self, vars::Variables, Discovered, Version};
use crate::diff;
use crate::error::{Error, Result};
use crate::output::Style;
use crate::project::{DeltaProject, Project};
use crate::rehearsal::{self, Reference, Rehearsal};
use crate::runner::RunOptions;
use crate::sandbox::{Cluster, ClusterOptions};
use crate::service::ConnParams;
use crate::settings::Settings;
use crate::{db::QualifiedName, example, Outcome};

pub fn run(ctx: &Settings, args: &DemoArgs) -> Result<Outcome> {
    let p = &ctx.printer;
    let work = tempfile::Builder::new()
        .prefix("pum-demo-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let deltas_dir = example::write_example(work.path())?;
    let mut cluster = start_sandbox(ctx, args)?;
    let first = Version::parse("1.0.0").expect("valid");
    p.step("building \"production\" at version 1.0.0 with sample rows ...");
    let prod = example::build_database(&cluster, "production", &deltas_dir, Some(&first), p)?;
    example::add_sample_rows(&prod)?;
    p.step("building the reference at the newest version ...");
    let reference = example::build_database(&cluster, "reference", &deltas_dir, None, p)?;

    let table = QualifiedName::parse(example::TABLE)?;
    let dirs = vec![deltas_dir.clone()];
    if !p.is_json() {
        p.out(p.paint("== production before ==", Style::Heading));
        crate::render::info::deltas(ctx, &prod, &table, &dirs, None)?;
        p.out("");
        p.out(p.paint("== pum test-and-upgrade --yes ==", Style::Heading));
    }
    let discovered = deltas::discover(&dirs)?;
    let rehearsal = demo_rehearsal(ctx, &cluster, &prod, reference, &table, discovered);
    let report = rehearsal::run(&rehearsal, p)?;
    if p.is_json() {
        p.json(&rehearsal::to_json(&report));
    } else {
        p.out(rehearsal::render_text(&report, p));
        p.out("");
        p.out(p.paint("== production after ==", Style::Heading));
        crate::render::info::deltas(ctx, &prod, &table, &dirs, None)?;
    }
    if args.keep_sandbox {
        cluster.keep();
        p.out(format!("\n{}", cluster.kept_instructions("production")));
    }
    Ok(if report.exit_is_failure() {
        Outcome::Differences
    } else {
        Outcome::Success
    })
}

/// The sandbox the demo runs in; only --keep-sandbox lets it outlive pum.
fn start_sandbox(ctx: &Settings, args: &DemoArgs) -> Result<Cluster> {
    let p = &ctx.printer;
    p.step("starting a sandbox PostgreSQL cluster (nothing of yours is touched) ...");
    let cluster = Cluster::start(&ClusterOptions {
        // A kept sandbox must outlive pum.
        die_with_parent: !args.keep_sandbox,
        bindir: ctx.tools.pg_bindir.clone(),
        ..ClusterOptions::default()
    })?;
    p.step(format!(
        "sandbox: PostgreSQL {} from {}",
        cluster.binaries.major,
        cluster.binaries.bindir.display()
    ));
    Ok(cluster)
}

/// The rehearsal `pum test-and-upgrade --yes` would run on the example:
/// production copied into the sandbox's `rehearsal` database, compared
/// with the reference built from scratch.
fn demo_rehearsal(
    ctx: &Settings,
    cluster: &Cluster,
    prod: &ConnParams,
    reference: ConnParams,
    table: &QualifiedName,
    discovered: Discovered,
) -> Rehearsal<'static> {
    Rehearsal {
        prod: prod.clone(),
        prod_name: None,
        test: Some(cluster.params("rehearsal")),
        test_name: None,
        reference: Reference::Database(reference),
        project: Project::Deltas {
            project: DeltaProject {
                table: table.clone(),
                discovered,
                variables: Variables::new(),
                max_version: None,
            },
            options: RunOptions::default(),
        },
        check: diff::Options::default(),
        dump_file: None,
        jobs: None,
        ignore_restore_errors: false,
        tools: ctx.tools.clone(),
        dry_run: false,
        yes: true,
        keep_sandbox: false,
        protected: Vec::new(),
        gate: Default::default(),
        copy: Default::default(),
    }
}
