//! `pum dump`: wires the flags to [`crate::dump::dump`] and reports the result.

use indicatif::HumanBytes;

use crate::cli::DumpArgs;
use crate::db::QualifiedName;
use crate::dump::{self, DumpOptions};
use crate::error::Result;
use crate::output::format_ms;
use crate::settings::Settings;
use crate::Outcome;

pub fn run(ctx: &Settings, args: &DumpArgs) -> Result<Outcome> {
    let table = args
        .table
        .as_deref()
        .map(QualifiedName::parse)
        .transpose()?;
    let params = ctx.service(args.service.pg_service.as_deref())?;
    let target = match (&args.schema_wise, &args.file) {
        (Some(dir), _) => dir.clone(),
        (None, Some(file)) => file.clone(),
        (None, None) => unreachable!("clap requires FILE or --schema-wise"),
    };
    let opts = DumpOptions {
        format: args.dump_format,
        jobs: args.jobs,
        schemas: args.schemas.clone(),
        exclude_schemas: args.exclude_schemas.clone(),
        schema_only: args.schema_only,
        exclude_table_data: args.exclude_table_data.clone(),
        schema_wise: args.schema_wise.is_some(),
        verify: !args.no_verify,
        upgrades_table: table,
        overwrite: args.overwrite,
    };
    let tools = ctx.tools.clone();
    let info = dump::dump(&params, &target, &opts, &tools, &ctx.printer).map_err(|e| {
        // By now the partial files are gone (the dump removes them on the way out).
        crate::interrupt::with_state(e, format!("nothing written to {}", target.display()))
    })?;
    if ctx.printer.is_json() {
        ctx.printer
            .json(&serde_json::to_value(&info).expect("dump info always serialises"));
    } else {
        let version = info
            .version
            .as_deref()
            .map(|v| format!(" at version {v}"))
            .unwrap_or_default();
        ctx.printer.out(format!(
            "dumped {}{version} to {} ({} dump, {} in {} file(s), {})",
            info.database,
            info.path.display(),
            info.kind.label(),
            HumanBytes(info.size),
            info.files.len(),
            format_ms(info.duration_ms)
        ));
    }
    Ok(Outcome::Success)
}
