//! `pum dumps DIR`: the dumps in a directory, newest first, found through
//! their manifests.

use indicatif::HumanBytes;

use crate::cli::DumpsArgs;
use crate::dump::listing;
use crate::error::Result;
use crate::output::Style;
use crate::settings::Settings;
use crate::Outcome;

pub fn run(ctx: &Settings, args: &DumpsArgs) -> Result<Outcome> {
    let found = listing::list(&args.dir, !args.no_verify)?;
    let p = &ctx.printer;
    if p.is_json() {
        p.json(&serde_json::json!({
            "directory": args.dir.display().to_string(),
            "dumps": found,
        }));
        return Ok(Outcome::Success);
    }
    if found.is_empty() {
        p.out(format!(
            "no dumps with a manifest in {}",
            args.dir.display()
        ));
        return Ok(Outcome::Success);
    }
    let mut table = p.table(&[
        "Database",
        "Created (UTC)",
        "Kind",
        "Size",
        "Version",
        "Verified",
        "Path",
    ]);
    for d in &found {
        let verified = match d.verified {
            Some(true) => p.paint("yes", Style::Good),
            Some(false) => p.paint("NO", Style::Bad),
            None => "-".to_string(),
        };
        table.add_row(vec![
            d.database.clone(),
            d.created_at.clone(),
            d.kind.label().to_string(),
            HumanBytes(d.size).to_string(),
            d.version.clone().unwrap_or_else(|| "-".into()),
            verified,
            d.path.display().to_string(),
        ]);
    }
    p.out(table.to_string());
    for d in found.iter().filter(|d| d.verified == Some(false)) {
        p.warn(format!("{}: {}", d.path.display(), d.problems.join("; ")));
    }
    Ok(Outcome::Success)
}
