//! `pum dumps LOCATION [DATABASE]`: the dumps in a store (a directory or an
//! S3 bucket), newest first; `--local -p SVC`: the database and the copies
//! swaps left beside it.

use indicatif::HumanBytes;

use crate::cli::DumpsArgs;
use crate::dump;
use crate::error::Result;
use crate::output::Style;
use crate::settings::Settings;
use crate::store::{find, Location};
use crate::Outcome;

pub fn run(ctx: &Settings, args: &DumpsArgs) -> Result<Outcome> {
    if args.local {
        return local(ctx, args);
    }
    let text = args.location.as_deref().expect("clap requires LOCATION");
    let location = Location::parse(text)?;
    let verify = !args.no_verify && !args.only_db_names;
    let found = find::list(&location, args.database.as_deref(), verify, &ctx.env)?;
    let p = &ctx.printer;
    if args.only_db_names {
        let mut names: Vec<&str> = found.iter().map(|d| d.database.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        if p.is_json() {
            p.json(&serde_json::json!({ "location": location.shown(), "databases": names }));
        } else {
            for n in names {
                p.out(n);
            }
        }
        return Ok(Outcome::Success);
    }
    if p.is_json() {
        let mut doc = serde_json::json!({ "location": location.shown(), "dumps": found });
        if let Location::Local(dir) = &location {
            doc["directory"] = serde_json::json!(dir.display().to_string());
        }
        p.json(&doc);
        return Ok(Outcome::Success);
    }
    if found.is_empty() {
        p.out(format!("no dumps with a manifest in {}", location.shown()));
        return Ok(Outcome::Success);
    }
    let mut table = p.table(&[
        "Database",
        "Created (UTC)",
        "Name",
        "Size",
        "Version",
        "pum",
        "Verified",
        "Path",
    ]);
    for d in &found {
        let ok = match d.manifest_ok {
            Some(true) => p.paint("yes", Style::Good),
            Some(false) => p.paint("NO", Style::Bad),
            None => "-".to_string(),
        };
        table.add_row(vec![
            d.database.clone(),
            d.created_at.clone(),
            d.name.clone().unwrap_or_else(|| "-".into()),
            HumanBytes(d.size).to_string(),
            d.version.clone().unwrap_or_else(|| "-".into()),
            d.pum_version.clone().unwrap_or_else(|| "-".into()),
            ok,
            d.path.clone(),
        ]);
    }
    p.out(table.to_string());
    for d in found.iter().filter(|d| d.manifest_ok == Some(false)) {
        p.warn(format!("{}: {}", d.path, d.problems.join("; ")));
    }
    Ok(Outcome::Success)
}

/// `--local`: the live database and its `_previous` / `_current` copies.
fn local(ctx: &Settings, args: &DumpsArgs) -> Result<Outcome> {
    let params = ctx.service(args.service.pg_service.as_deref())?;
    let copies = dump::local_copies(&params)?;
    let p = &ctx.printer;
    if p.is_json() {
        p.json(&serde_json::json!({ "database": params.dbname(), "copies": copies }));
        return Ok(Outcome::Success);
    }
    let mut table = p.table(&["Database", "Role", "Size"]);
    for c in &copies {
        table.add_row(vec![
            c.name.clone(),
            c.role.clone(),
            HumanBytes(c.size.max(0) as u64).to_string(),
        ]);
    }
    p.out(table.to_string());
    Ok(Outcome::Success)
}
