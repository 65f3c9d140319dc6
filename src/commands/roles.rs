//! `pum roles ACTION` (pum 1.x: `pum -p DB role ACTION`): the roles a
//! pum 1.x module defines in `.pum.yaml` — create, grant, revoke, drop,
//! list — and the login roles around them.

use std::path::PathBuf;

use crate::cli::{RolesAction, RolesArgs};
use crate::error::{Error, Result};
use crate::module::config::ModuleConfig;
use crate::module::role_admin::{self, ChangeReport, Selection};
use crate::module::role_inventory::{self, Inventory, RoleAccess};
use crate::module::roles::RolesReport;
use crate::output::{Printer, Style};
use crate::project::Project;
use crate::settings::Settings;
use crate::{db, Outcome};

pub fn run(ctx: &Settings, args: &RolesArgs) -> Result<Outcome> {
    refuse_misplaced(args)?;
    let params = ctx.service(args.service.pg_service.as_deref())?;
    let mut client = db::connect(&params)?;
    let printer = &ctx.printer;
    let selection = Selection {
        roles: args.flags.roles.clone(),
        suffix: args.flags.suffix.clone(),
    };
    match args.action {
        RolesAction::Create => {
            let report = role_admin::create(&mut client, &module_dir(args)?, &selection, printer)?;
            show_created(printer, params.dbname(), &report);
        }
        RolesAction::Grant => match &args.flags.to {
            Some(user) => show_changes(
                printer,
                &role_admin::membership(&mut client, &module_dir(args)?, &selection, user, true)?,
            ),
            None => {
                let report =
                    role_admin::grant(&mut client, &module_dir(args)?, &selection, printer)?;
                show_created(printer, params.dbname(), &report);
            }
        },
        RolesAction::Revoke => {
            let dir = module_dir(args)?;
            let report = match &args.flags.from {
                Some(user) => role_admin::membership(&mut client, &dir, &selection, user, false)?,
                None => role_admin::revoke(&mut client, &dir, &selection)?,
            };
            show_changes(printer, &report);
        }
        RolesAction::Drop => show_changes(
            printer,
            &role_admin::drop(
                &mut client,
                &module_dir(args)?,
                &selection,
                args.flags.force,
            )?,
        ),
        RolesAction::CreateLogin => show_changes(
            printer,
            &role_admin::create_login(&mut client, login_name(args)?)?,
        ),
        RolesAction::DropLogin => show_changes(
            printer,
            &role_admin::drop_login(&mut client, login_name(args)?)?,
        ),
        RolesAction::LoginRoles => show_names(printer, &role_admin::login_roles(&mut client)?),
        RolesAction::Members => {
            let [role] = args.flags.roles.as_slice() else {
                return Err(Error::Usage(
                    "roles members: name exactly one role with --roles ROLE".into(),
                ));
            };
            show_names(printer, &role_admin::members(&mut client, role)?);
        }
        RolesAction::List => {
            let config = ModuleConfig::load(&module_dir(args)?)?;
            let inventory =
                role_inventory::inventory(&mut client, &config, args.flags.include_superusers)?;
            show_inventory(printer, &inventory);
        }
    }
    Ok(Outcome::Success)
}

/// Flags that belong to other actions are refused rather than ignored: a
/// `drop --to alice` that dropped every role would be a bad surprise.
fn refuse_misplaced(args: &RolesArgs) -> Result<()> {
    use RolesAction::*;
    let given = [
        ("--to", args.flags.to.is_some(), &[Grant][..]),
        ("--from", args.flags.from.is_some(), &[Revoke][..]),
        (
            "--name",
            args.flags.name.is_some(),
            &[CreateLogin, DropLogin][..],
        ),
        ("--force", args.flags.force, &[Drop][..]),
        (
            "--include-superusers",
            args.flags.include_superusers,
            &[List][..],
        ),
        (
            "--suffix",
            args.flags.suffix.is_some(),
            &[Create, Grant, Revoke, Drop][..],
        ),
        (
            "--roles",
            !args.flags.roles.is_empty(),
            &[Create, Grant, Revoke, Drop, Members][..],
        ),
    ];
    for (flag, present, actions) in given {
        if present && !actions.contains(&args.action) {
            return Err(Error::Usage(format!(
                "roles {}: {flag} does not apply to this action; nothing was done",
                action_name(args.action)
            )));
        }
    }
    Ok(())
}

fn action_name(action: RolesAction) -> String {
    use clap::ValueEnum;
    action
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

fn module_dir(args: &RolesArgs) -> Result<PathBuf> {
    Project::module_dir(std::slice::from_ref(&args.dir)).ok_or_else(|| {
        Error::Usage(format!(
            "{}: no .pum.yaml here; roles come from a pum 1.x module directory (-d DIR)",
            args.dir.display()
        ))
    })
}

fn login_name(args: &RolesArgs) -> Result<&str> {
    args.flags.name.as_deref().ok_or_else(|| {
        Error::Usage(format!(
            "roles {}: give the login role's name with --name NAME",
            action_name(args.action)
        ))
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn show_created(printer: &Printer, db: &str, report: &RolesReport) {
    if printer.is_json() {
        printer.json(&serde_json::to_value(report).expect("report serialises"));
        return;
    }
    let skipped = if report.missing_schemas.is_empty() {
        String::new()
    } else {
        format!(
            " (missing schemas skipped: {})",
            report.missing_schemas.join(", ")
        )
    };
    printer.out(format!(
        "{db}: {} role{} created, {} already there, {} grant{}{skipped}",
        report.created.len(),
        plural(report.created.len()),
        report.existing.len(),
        report.granted.len(),
        plural(report.granted.len()),
    ));
}

fn show_changes(printer: &Printer, report: &ChangeReport) {
    if printer.is_json() {
        printer.json(&serde_json::to_value(report).expect("report serialises"));
        return;
    }
    for line in &report.done {
        printer.step(line);
    }
    printer.out(format!(
        "{}: {} role{}{}",
        report.action.replace('_', " "),
        report.roles.len(),
        plural(report.roles.len()),
        if report.roles.is_empty() {
            String::new()
        } else {
            format!(" ({})", report.roles.join(", "))
        }
    ));
}

fn show_names(printer: &Printer, names: &[String]) {
    if printer.is_json() {
        printer.json(&serde_json::json!(names));
        return;
    }
    for name in names {
        printer.out(format!("  {name}"));
    }
}

fn badges(role: &RoleAccess) -> String {
    let mut out = Vec::new();
    if role.suffix.is_some() {
        out.push("[suffixed]");
    }
    if role.login {
        out.push("[login]");
    }
    if role.superuser {
        out.push("[superuser]");
    }
    if out.is_empty() {
        String::new()
    } else {
        format!("  {}", out.join(" "))
    }
}

fn access(read: bool, write: bool) -> &'static str {
    match (read, write) {
        (true, true) => "read, write",
        (true, false) => "read",
        (false, true) => "write",
        (false, false) => "none",
    }
}

fn show_inventory(printer: &Printer, inv: &Inventory) {
    if printer.is_json() {
        let mut value = serde_json::to_value(inv).expect("inventory serialises");
        value["satisfied"] = serde_json::Value::Bool(inv.satisfied());
        printer.json(&value);
        return;
    }
    let ok = printer.paint("✓", Style::Good);
    let bad = printer.paint("✗", Style::Bad);
    for role in &inv.configured {
        let fine = role.schemas.iter().all(|s| s.satisfied);
        printer.out(format!(
            "  {} {}{}",
            if fine { &ok } else { &bad },
            role.name,
            badges(role)
        ));
        if !role.member_of.is_empty() {
            printer.out(format!("      member of: {}", role.member_of.join(", ")));
        }
        for s in &role.schemas {
            let has = access(s.read, s.write);
            printer.out(match (s.satisfied, s.expected) {
                (true, _) => format!("      {ok} {}  ({has})", s.schema),
                (false, expected) => format!(
                    "      {bad} {}  (expected: {}, actual: {has})",
                    s.schema,
                    expected.map_or("none", |k| match k {
                        crate::module::config::PermissionKind::Read => "read",
                        crate::module::config::PermissionKind::Write => "write",
                    })
                ),
            });
        }
    }
    for name in &inv.missing {
        printer.out(format!("  {bad} {name}  (missing)"));
    }
    for (title, roles, mark) in [
        ("Members of configured roles:", &inv.grantees, "→"),
        ("Other roles with access to the schemas:", &inv.others, "?"),
    ] {
        if roles.is_empty() {
            continue;
        }
        printer.out(format!("\n  {}", printer.paint(title, Style::Heading)));
        for role in roles.iter() {
            let reach: Vec<String> = role
                .schemas
                .iter()
                .filter(|s| s.read || s.write)
                .map(|s| format!("{}: {}", s.schema, access(s.read, s.write)))
                .collect();
            printer.out(format!(
                "    {mark} {}{}  ({})",
                role.name,
                badges(role),
                if reach.is_empty() {
                    "usage only".to_string()
                } else {
                    reach.join("; ")
                }
            ));
            if !role.member_of.is_empty() {
                printer.out(format!("      member of: {}", role.member_of.join(", ")));
            }
        }
    }
    if !inv.login_without_access.is_empty() {
        printer.out(format!(
            "\n  {}",
            printer.paint("Login roles without access:", Style::Heading)
        ));
        for name in &inv.login_without_access {
            printer.out(format!("    {name}"));
        }
    }
}
