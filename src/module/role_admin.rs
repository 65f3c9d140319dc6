//! The `role` actions of a pum 1.x module beyond creating and granting:
//! database-specific roles (`--suffix`), revoking, dropping, memberships
//! of users (`--to`, `--from`), login roles. Each action runs in one
//! transaction, so a failure part-way leaves the roles as they were.

use std::path::Path;

use postgres::{Client, GenericClient, Transaction};
use serde::Serialize;

use super::config::{self, ModuleConfig, PermissionKind, RoleDef};
use super::roles::{self, RolesReport};
use crate::db::quote_ident;
use crate::error::{Error, Result};
use crate::output::Printer;

/// What to act on: the module's roles, narrowed by `--roles`, named with
/// `--suffix` when given.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub roles: Vec<String>,
    pub suffix: Option<String>,
}

/// What a revoke, drop or membership change did, role by role.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChangeReport {
    pub action: &'static str,
    /// The database roles acted on (suffixed names where `--suffix`).
    pub roles: Vec<String>,
    /// The statements' effects, one line each (`REVOKE viewer FROM john`).
    pub done: Vec<String>,
}

fn in_transaction<T>(
    client: &mut Client,
    what: &str,
    f: impl FnOnce(&mut Transaction<'_>) -> Result<T>,
) -> Result<T> {
    let mut tx = client
        .transaction()
        .map_err(|e| Error::sql("starting a transaction", e))?;
    let out = f(&mut tx)?;
    tx.commit()
        .map_err(|e| Error::sql(format!("committing {what}"), e))?;
    Ok(out)
}

/// Loads the module's roles, selects, and runs `f` on them in one
/// transaction, collecting what it did under `action`.
fn change(
    client: &mut Client,
    module_dir: &Path,
    selection: &Selection,
    action: &'static str,
    f: impl FnOnce(&mut Transaction<'_>, &ModuleConfig, &[&RoleDef], &mut ChangeReport) -> Result<()>,
) -> Result<ChangeReport> {
    let config = ModuleConfig::load(module_dir)?;
    let targets = selected(&config, selection)?;
    in_transaction(client, &action.replace('_', " "), |tx| {
        let mut report = ChangeReport {
            action,
            ..Default::default()
        };
        f(tx, &config, &targets, &mut report)?;
        Ok(report)
    })
}

fn exec(client: &mut impl GenericClient, sql: &str, what: String) -> Result<()> {
    client.batch_execute(sql).map_err(|e| Error::sql(what, e))
}

/// The configured roles `--roles` names, in configuration order; a name
/// the configuration does not define is refused, naming the ones it does.
fn selected<'a>(config: &'a ModuleConfig, selection: &Selection) -> Result<Vec<&'a RoleDef>> {
    let unknown: Vec<&str> = selection
        .roles
        .iter()
        .filter(|name| !config.roles.iter().any(|r| &r.name == *name))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        let known: Vec<&str> = config.roles.iter().map(|r| r.name.as_str()).collect();
        return Err(Error::Usage(format!(
            "--roles: {} not defined in {} (its roles: {})",
            unknown.join(", "),
            config::FILE_NAME,
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )));
    }
    Ok(config
        .roles
        .iter()
        .filter(|r| selection.roles.is_empty() || selection.roles.contains(&r.name))
        .collect())
}

fn db_name(role: &RoleDef, suffix: Option<&str>) -> String {
    match suffix {
        Some(s) => format!("{}_{s}", role.name),
        None => role.name.clone(),
    }
}

/// The selected roles as the database names them: with a suffix, each
/// `NAME_SUFFIX` with the role's own permissions, a member of the
/// suffixed role it inherits from (as pum 1.9 mirrors the hierarchy) when
/// that one is selected too.
fn as_named(targets: &[&RoleDef], suffix: Option<&str>) -> Vec<RoleDef> {
    targets
        .iter()
        .map(|r| match suffix {
            None => (*r).clone(),
            Some(s) => RoleDef {
                name: db_name(r, Some(s)),
                permissions: r.permissions.clone(),
                inherit: r
                    .inherit
                    .as_ref()
                    .filter(|parent| targets.iter().any(|t| &&t.name == parent))
                    .map(|parent| format!("{parent}_{s}")),
                description: r
                    .description
                    .as_ref()
                    .map(|d| format!("{d} (specific to {s})")),
            },
        })
        .collect()
}

/// Every role of the module as the database names it (see [`as_named`]).
pub fn named(roles: &[RoleDef], suffix: Option<&str>) -> Vec<RoleDef> {
    as_named(&roles.iter().collect::<Vec<_>>(), suffix)
}

/// `role create`: without a suffix, the configured roles with their
/// permissions. With `--suffix S`, as pum 1.x does: for each role a role
/// `NAME_S` with the role's own permissions, and the
/// generic role `NAME` created without grants, so each database's
/// permissions stay apart.
pub fn create(
    client: &mut Client,
    module_dir: &Path,
    selection: &Selection,
    printer: &Printer,
) -> Result<RolesReport> {
    let config = ModuleConfig::load(module_dir)?;
    if config.roles.is_empty() {
        printer.warn(format!(
            "{} defines no roles",
            module_dir.join(config::FILE_NAME).display()
        ));
    }
    let targets = selected(&config, selection)?;
    let generic = as_named(&targets, None);
    in_transaction(client, "roles and grants", |tx| {
        let Some(suffix) = selection.suffix.as_deref() else {
            return roles::create(tx, &generic, true, printer);
        };
        let mut report = roles::create(tx, &as_named(&targets, Some(suffix)), true, printer)?;
        let plain = roles::create(tx, &generic, false, printer)?;
        report.created.extend(plain.created);
        report.existing.extend(plain.existing);
        Ok(report)
    })
}

/// `role grant` without `--to`: the permissions again, creating nothing
/// (to the `NAME_SUFFIX` roles with a suffix).
pub fn grant(
    client: &mut Client,
    module_dir: &Path,
    selection: &Selection,
    printer: &Printer,
) -> Result<RolesReport> {
    let config = ModuleConfig::load(module_dir)?;
    let targets = as_named(&selected(&config, selection)?, selection.suffix.as_deref());
    in_transaction(client, "the grants", |tx| {
        let mut report = RolesReport::default();
        roles::grant_permissions(tx, &targets, &mut report, printer)?;
        Ok(report)
    })
}

/// `role grant --to USER` / `role revoke --from USER`: makes USER a member
/// of the selected roles, or no longer one.
pub fn membership(
    client: &mut Client,
    module_dir: &Path,
    selection: &Selection,
    user: &str,
    grant: bool,
) -> Result<ChangeReport> {
    let action = if grant { "grant_to" } else { "revoke_from" };
    change(
        client,
        module_dir,
        selection,
        action,
        |tx, _, targets, report| {
            for role in targets.iter().copied() {
                let name = db_name(role, selection.suffix.as_deref());
                let (sql, line) = if grant {
                    (
                        format!("GRANT {} TO {}", quote_ident(&name), quote_ident(user)),
                        format!("GRANT {name} TO {user}"),
                    )
                } else {
                    (
                        format!("REVOKE {} FROM {}", quote_ident(&name), quote_ident(user)),
                        format!("REVOKE {name} FROM {user}"),
                    )
                };
                exec(tx, &sql, line.clone())?;
                report.roles.push(name);
                report.done.push(line);
            }
            Ok(())
        },
    )
}

/// The permissions of a role and of the roles it inherits from, as pum 1.x
/// revokes them.
fn all_permissions<'a>(
    config: &'a ModuleConfig,
    role: &'a RoleDef,
) -> Vec<&'a config::PermissionDef> {
    let mut out: Vec<&config::PermissionDef> = role.permissions.iter().collect();
    let mut parent = role.inherit.as_deref();
    // The configuration check refuses cycles; the bound is a second guard.
    for _ in 0..config.roles.len() {
        let Some(name) = parent else { break };
        let Some(def) = config.roles.iter().find(|r| r.name == name) else {
            break;
        };
        out.extend(def.permissions.iter());
        parent = def.inherit.as_deref();
    }
    out
}

fn revoke_sql(kind: PermissionKind, schema: &str, role: &str) -> String {
    let (s, r) = (quote_ident(schema), quote_ident(role));
    // What `grant` gave, taken back in the reverse order.
    let roles::Privileges {
        on_schema,
        tables,
        sequences,
        default_sequences,
        routines,
        types,
    } = roles::privileges(kind);
    format!(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA {s} REVOKE {tables} ON TABLES FROM {r};
ALTER DEFAULT PRIVILEGES IN SCHEMA {s} REVOKE {default_sequences} ON SEQUENCES FROM {r};
ALTER DEFAULT PRIVILEGES IN SCHEMA {s} REVOKE {routines} ON FUNCTIONS FROM {r};
ALTER DEFAULT PRIVILEGES IN SCHEMA {s} REVOKE {routines} ON ROUTINES FROM {r};
ALTER DEFAULT PRIVILEGES IN SCHEMA {s} REVOKE {types} ON TYPES FROM {r};
REVOKE {routines} ON ALL ROUTINES IN SCHEMA {s} FROM {r};
REVOKE {routines} ON ALL FUNCTIONS IN SCHEMA {s} FROM {r};
REVOKE {sequences} ON ALL SEQUENCES IN SCHEMA {s} FROM {r};
REVOKE {tables} ON ALL TABLES IN SCHEMA {s} FROM {r};
REVOKE {on_schema} ON SCHEMA {s} FROM {r};"
    )
}

/// Revokes the selected roles' permissions on the schemas that exist and
/// the memberships the roles hold, so nothing is left inherited either.
fn revoke_in(
    tx: &mut Transaction<'_>,
    config: &ModuleConfig,
    targets: &[&RoleDef],
    suffix: Option<&str>,
    report: &mut ChangeReport,
) -> Result<()> {
    let mut schemas: Vec<String> = targets
        .iter()
        .flat_map(|r| all_permissions(config, r))
        .flat_map(|p| p.schemas.iter().cloned())
        .collect();
    schemas.sort();
    schemas.dedup();
    let present = roles::present(tx, &schemas, "pg_namespace", "nspname")?;
    let names: Vec<String> = targets.iter().map(|r| db_name(r, suffix)).collect();
    let roles_there = roles::present(tx, &names, "pg_roles", "rolname")?;
    // (member, role it is a member of), for every target at once.
    let memberships: Vec<(String, String)> = tx
        .query(
            "SELECT m.rolname::text, r.rolname::text FROM pg_auth_members am \
             JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member \
             WHERE m.rolname = ANY($1) ORDER BY 1, 2",
            &[&names],
        )
        .map_err(|e| Error::sql("reading the roles' memberships", e))?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    for (role, name) in targets.iter().zip(&names) {
        if !roles_there.contains(name) {
            continue;
        }
        for permission in all_permissions(config, role) {
            for schema in permission.schemas.iter().filter(|s| present.contains(s)) {
                exec(
                    tx,
                    &revoke_sql(permission.kind, schema, name),
                    format!("revoking from {name} on {schema}"),
                )?;
                report.done.push(format!("revoked {name} on {schema}"));
            }
        }
        let parents = memberships
            .iter()
            .filter(|(m, _)| m == name)
            .map(|(_, p)| p);
        for parent in parents {
            exec(
                tx,
                &format!("REVOKE {} FROM {}", quote_ident(parent), quote_ident(name)),
                format!("revoking {parent} from {name}"),
            )?;
            report.done.push(format!("REVOKE {parent} FROM {name}"));
        }
        report.roles.push(name.clone());
    }
    Ok(())
}

/// `role revoke` without `--from`: the selected roles keep existing but
/// lose their permissions and memberships.
pub fn revoke(
    client: &mut Client,
    module_dir: &Path,
    selection: &Selection,
) -> Result<ChangeReport> {
    change(
        client,
        module_dir,
        selection,
        "revoke",
        |tx, config, targets, report| {
            revoke_in(tx, config, targets, selection.suffix.as_deref(), report)
        },
    )
}

/// `role drop`: revokes, then drops the selected roles (the suffixed ones
/// only, with `--suffix`). With `force`, what they still own is handed to
/// the current user and their remaining privileges dropped first.
pub fn drop(
    client: &mut Client,
    module_dir: &Path,
    selection: &Selection,
    force: bool,
) -> Result<ChangeReport> {
    change(
        client,
        module_dir,
        selection,
        "drop",
        |tx, config, targets, report| {
            let suffix = selection.suffix.as_deref();
            revoke_in(tx, config, targets, suffix, report)?;
            // Members before the roles they inherit from would not matter to
            // PostgreSQL, but dropping in reverse order reads as undoing create.
            for role in targets.iter().rev() {
                let name = db_name(role, suffix);
                let q = quote_ident(&name);
                if force && report.roles.contains(&name) {
                    exec(
                        tx,
                        &format!("REASSIGN OWNED BY {q} TO CURRENT_USER; DROP OWNED BY {q}"),
                        format!("handing over what {name} owns"),
                    )?;
                }
                exec(
                    tx,
                    &format!("DROP ROLE IF EXISTS {q}"),
                    format!(
                        "dropping role {name}{}",
                        if force {
                            ""
                        } else {
                            " (--force hands what it owns to the current user first)"
                        }
                    ),
                )?;
                report.done.push(format!("DROP ROLE {name}"));
            }
            Ok(())
        },
    )
}

/// `role create-login --name NAME`: a role that can log in, with no
/// password (set one with ALTER ROLE … PASSWORD, never on pum's command line).
pub fn create_login(client: &mut Client, name: &str) -> Result<ChangeReport> {
    login_change(
        client,
        "create_login",
        name,
        &format!("CREATE ROLE {} LOGIN", quote_ident(name)),
        format!("creating login role {name}"),
        format!("CREATE ROLE {name} LOGIN"),
    )
}

/// `role drop-login --name NAME`.
pub fn drop_login(client: &mut Client, name: &str) -> Result<ChangeReport> {
    login_change(
        client,
        "drop_login",
        name,
        &format!("DROP ROLE IF EXISTS {}", quote_ident(name)),
        format!("dropping login role {name}"),
        format!("DROP ROLE {name}"),
    )
}

/// Runs `sql` on the login role `name` and reports it as `done`.
fn login_change(
    client: &mut Client,
    action: &'static str,
    name: &str,
    sql: &str,
    what: String,
    done: String,
) -> Result<ChangeReport> {
    exec(client, sql, what)?;
    Ok(ChangeReport {
        action,
        roles: vec![name.to_string()],
        done: vec![done],
    })
}

/// `role login-roles`: the roles that can log in, superusers and the
/// built-in `pg_` roles left out.
pub fn login_roles(client: &mut Client) -> Result<Vec<String>> {
    names(
        client,
        "SELECT rolname::text FROM pg_roles \
         WHERE rolcanlogin AND NOT rolsuper AND rolname NOT LIKE 'pg\\_%' ORDER BY 1",
        &[],
        "listing the login roles",
    )
}

/// `role members --roles ROLE`: the login roles that are members of ROLE.
pub fn members(client: &mut Client, role: &str) -> Result<Vec<String>> {
    names(
        client,
        "SELECT m.rolname::text FROM pg_auth_members am \
         JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member \
         WHERE r.rolname = $1 AND m.rolcanlogin ORDER BY 1",
        &[&role],
        "listing the members of the role",
    )
}

fn names(
    client: &mut Client,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
    what: &str,
) -> Result<Vec<String>> {
    Ok(client
        .query(sql, params)
        .map_err(|e| Error::sql(what, e))?
        .iter()
        .map(|row| row.get(0))
        .collect())
}
