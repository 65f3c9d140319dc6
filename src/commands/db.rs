//! `pum db create|drop|access NAME`: a whole database created or dropped
//! through the server's maintenance database, or who may connect to it set. A drop is the most destructive thing
//! pum does, so it passes the same guards as a restore over a database:
//! services pum.yaml marks `allow_restore: false` (whatever name reaches
//! them), other sessions, and a confirmation.

use postgres::Client;

use crate::cli::{DbAction, DbArgs};
use crate::db::{database, identity};
use crate::dump::guard;
use crate::error::{Error, Result};
use crate::service::ConnParams;
use crate::settings::Settings;
use crate::{db, Outcome};

pub fn run(ctx: &Settings, args: &DbArgs) -> Result<Outcome> {
    check_flags(args)?;
    let params = ctx.service(args.service.pg_service.as_deref())?;
    let mut admin = db::connect(&db::maintenance(&params))?;
    match args.action {
        DbAction::Create => create(ctx, &mut admin, &params, args),
        DbAction::Drop => drop(ctx, &mut admin, &params, args),
        DbAction::Access => access(ctx, &mut admin, &params, args),
    }
}

/// Refuses flags that belong to another action, before connecting.
fn check_flags(args: &DbArgs) -> Result<()> {
    let access_flags = !args.access.grant_connect.is_empty()
        || !args.access.revoke_connect.is_empty()
        || args.access.keep_public;
    let why = match args.action {
        DbAction::Create | DbAction::Drop if access_flags => {
            "--grant-connect, --revoke-connect and --keep-public belong to `db access`"
        }
        DbAction::Drop | DbAction::Access if args.template.is_some() => {
            "--template belongs to `db create`"
        }
        DbAction::Access
            if args.access.grant_connect.is_empty()
                && args.access.revoke_connect.is_empty()
                && args.access.keep_public =>
        {
            "db access --keep-public without --grant-connect or --revoke-connect changes nothing"
        }
        _ => return Ok(()),
    };
    Err(Error::Usage(format!("{why}; nothing was done")))
}

fn access(
    ctx: &Settings,
    admin: &mut Client,
    params: &ConnParams,
    args: &DbArgs,
) -> Result<Outcome> {
    if !database::exists(admin, &args.name)? {
        return Err(Error::State(format!(
            "no database {} on {}; nothing was changed",
            args.name,
            params.target()
        )));
    }
    database::set_connect(
        admin,
        &args.name,
        !args.access.keep_public,
        &args.access.revoke_connect,
        &args.access.grant_connect,
    )?;
    let mut done = Vec::new();
    if !args.access.keep_public {
        done.push("revoked from PUBLIC".to_string());
    }
    if !args.access.revoke_connect.is_empty() {
        done.push(format!(
            "revoked from {}",
            args.access.revoke_connect.join(", ")
        ));
    }
    if !args.access.grant_connect.is_empty() {
        done.push(format!(
            "granted to {}",
            args.access.grant_connect.join(", ")
        ));
    }
    ctx.printer.out(format!(
        "CONNECT on database {}: {}",
        args.name,
        done.join("; ")
    ));
    Ok(Outcome::Success)
}

fn create(
    ctx: &Settings,
    admin: &mut Client,
    params: &ConnParams,
    args: &DbArgs,
) -> Result<Outcome> {
    if database::exists(admin, &args.name)? {
        return Err(Error::State(format!(
            "database {} already exists on {}; nothing was done",
            args.name,
            params.target()
        )));
    }
    if let Some(template) = &args.template {
        database::require_no_sessions(admin, template)?;
    }
    database::create_from(admin, &args.name, args.template.as_deref())?;
    ctx.printer.out(format!(
        "created database {} on {}",
        args.name,
        params.target()
    ));
    Ok(Outcome::Success)
}

fn drop(ctx: &Settings, admin: &mut Client, params: &ConnParams, args: &DbArgs) -> Result<Outcome> {
    if !database::exists(admin, &args.name)? {
        return Err(Error::State(format!(
            "no database {} on {}; nothing was dropped",
            args.name,
            params.target()
        )));
    }
    let protected = guard::protected_services(&ctx.config, &ctx.env, &ctx.printer);
    let here = identity::named(admin, &args.name)?;
    guard::refuse_protected(&here, &protected, &format!("database {}", args.name))?;
    database::require_no_sessions(admin, &args.name)?;
    if !args.yes {
        let question = format!(
            "drop database {} on {} with all its data?",
            args.name,
            params.target()
        );
        if !crate::prompt::confirm(&question)? {
            ctx.printer
                .out(format!("not dropped: database {} is unchanged", args.name));
            return Ok(Outcome::Success);
        }
    }
    database::drop(admin, &args.name)?;
    ctx.printer.out(format!(
        "dropped database {} on {}",
        args.name,
        params.target()
    ));
    Ok(Outcome::Success)
}
