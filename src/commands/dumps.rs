//! `pum dumps DIR`: the dumps in a directory, newest first, found through
//! their manifests.

use std::path::PathBuf;

use clap::Args;
use indicatif::HumanBytes;

use crate::dump::listing;
use crate::error::Result;
use crate::output::Style;
use crate::{Context, Outcome};

#[derive(Debug, Args)]
pub struct DumpsArgs {
    /// The directory holding the dumps.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Do not hash the files (faster; the Verified column shows "-").
    #[arg(long = "no-verify")]
    pub no_verify: bool,
}

pub fn run(ctx: &Context, args: &DumpsArgs) -> Result<Outcome> {
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
