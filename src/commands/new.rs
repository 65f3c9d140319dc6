//! `pum new`: create the next delta file.

use std::path::PathBuf;

use clap::Args;

use crate::deltas::{self, Version};
use crate::error::{Error, Result};
use crate::{Context, Outcome};

#[derive(Debug, Args)]
pub struct NewArgs {
    /// What the delta does; becomes the file name (`add pipe owner` →
    /// delta_X.Y.Z_add_pipe_owner.sql).
    pub description: String,
    /// Directory to create it in [default: the first delta directory].
    #[arg(short = 'd', long = "dir", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Version of the new delta [default: the next patch version].
    #[arg(long = "version", value_name = "VERSION")]
    pub version: Option<String>,
}

pub fn run(ctx: &Context, args: &NewArgs) -> Result<Outcome> {
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => ctx.delta_dirs(&[]).remove(0),
    };
    let version = args
        .version
        .as_deref()
        .map(|v| Version::parse(v).map_err(|why| Error::Usage(format!("--version: {why}"))))
        .transpose()?;
    let path = deltas::create_delta_file(&dir, &args.description, version)?;
    if ctx.printer.is_json() {
        ctx.printer
            .json(&serde_json::json!({ "file": path.display().to_string() }));
    } else {
        ctx.printer.out(path.display().to_string());
    }
    Ok(Outcome::Success)
}
