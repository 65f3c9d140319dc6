//! `pum new`: create the next delta file.

use crate::cli::NewArgs;
use crate::deltas::{self, Version};
use crate::error::{Error, Result};
use crate::settings::Settings;
use crate::Outcome;

pub fn run(ctx: &Settings, args: &NewArgs) -> Result<Outcome> {
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
