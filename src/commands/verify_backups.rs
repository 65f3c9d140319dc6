//! `pum verify-backups`.
use crate::cli::VerifyBackupsArgs;
use crate::error::Result;
use crate::settings::Settings;
use crate::Outcome;

pub fn run(_ctx: &Settings, _args: &VerifyBackupsArgs) -> Result<Outcome> {
    Err(crate::error::Error::Usage(
        "verify-backups: not built yet".into(),
    ))
}
