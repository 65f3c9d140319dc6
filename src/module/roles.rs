//! Roles from `.pum.yaml`: creating the missing ones (NOLOGIN group roles,
//! `inherit` as membership) and granting each its read or write permissions
//! on its schemas, with the same privileges pum 1.x grants.

use postgres::GenericClient;
use serde::Serialize;

use crate::db::{quote_ident, quote_literal};
use crate::error::{Error, Result};
use crate::module::config::{PermissionKind, RoleDef};
use crate::output::Printer;

/// What a roles run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RolesReport {
    pub created: Vec<String>,
    pub existing: Vec<String>,
    /// `role: read on schema` for each grant made.
    pub granted: Vec<String>,
    /// Schemas named in permissions that do not exist (skipped).
    pub missing_schemas: Vec<String>,
}

/// The values of `column` in `catalog` among `names`, in one query.
pub(super) fn present(
    client: &mut impl GenericClient,
    names: &[String],
    catalog: &str,
    column: &str,
) -> Result<Vec<String>> {
    Ok(client
        .query(
            &format!("SELECT {column}::text FROM {catalog} WHERE {column} = ANY($1)"),
            &[&names],
        )
        .map_err(|e| Error::sql(format!("reading {catalog}"), e))?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

fn exec(client: &mut impl GenericClient, sql: &str, what: &str) -> Result<()> {
    client.batch_execute(sql).map_err(|e| Error::sql(what, e))
}

/// Creates the roles that do not exist yet and asserts their memberships.
/// With `grant`, also grants their permissions.
pub fn create(
    client: &mut impl GenericClient,
    roles: &[RoleDef],
    grant: bool,
    printer: &Printer,
) -> Result<RolesReport> {
    let mut report = RolesReport::default();
    let names: Vec<String> = roles.iter().map(|r| r.name.clone()).collect();
    let existing = present(client, &names, "pg_roles", "rolname")?;
    for role in roles {
        let name = quote_ident(&role.name);
        if existing.contains(&role.name) {
            report.existing.push(role.name.clone());
        } else {
            exec(
                client,
                &format!(
                    "CREATE ROLE {name} NOLOGIN NOSUPERUSER INHERIT NOCREATEDB NOCREATEROLE NOREPLICATION"
                ),
                &format!("creating role {}", role.name),
            )?;
            if let Some(d) = &role.description {
                exec(
                    client,
                    &format!("COMMENT ON ROLE {name} IS {}", quote_literal(d)),
                    &format!("commenting role {}", role.name),
                )?;
            }
            printer.step(format!("created role {}", role.name));
            report.created.push(role.name.clone());
        }
        // Asserted for existing roles too: a revoked membership comes back.
        if let Some(parent) = &role.inherit {
            exec(
                client,
                &format!("GRANT {} TO {name}", quote_ident(parent)),
                &format!("making role {} a member of {parent}", role.name),
            )?;
        }
    }
    if grant {
        grant_permissions(client, roles, &mut report, printer)?;
    }
    Ok(report)
}

/// Grants every role its permissions on the schemas that exist.
pub fn grant_permissions(
    client: &mut impl GenericClient,
    roles: &[RoleDef],
    report: &mut RolesReport,
    printer: &Printer,
) -> Result<()> {
    let mut schemas: Vec<String> = roles
        .iter()
        .flat_map(|r| r.permissions.iter().flat_map(|p| p.schemas.iter().cloned()))
        .collect();
    schemas.sort();
    schemas.dedup();
    let there = present(client, &schemas, "pg_namespace", "nspname")?;
    let types = types_of(client, &there)?;
    for role in roles {
        for permission in &role.permissions {
            for schema in &permission.schemas {
                if !there.contains(schema) {
                    printer.warn(format!(
                        "schema {schema} does not exist; {} permission for role {} skipped",
                        label(permission.kind),
                        role.name
                    ));
                    if !report.missing_schemas.contains(schema) {
                        report.missing_schemas.push(schema.clone());
                    }
                    continue;
                }
                let own_types: Vec<&str> = types
                    .iter()
                    .filter(|(s, _)| s == schema)
                    .map(|(_, t)| t.as_str())
                    .collect();
                grant_on_schema(client, &role.name, schema, permission.kind, &own_types)?;
                report.granted.push(format!(
                    "{}: {} on {schema}",
                    role.name,
                    label(permission.kind)
                ));
            }
        }
    }
    Ok(())
}

/// Existing enums, composites, domains, base and range types of `schemas`,
/// as (schema, type): array types and table row types are left out, since
/// what matters for them is the element type's or the table's own privileges.
fn types_of(client: &mut impl GenericClient, schemas: &[String]) -> Result<Vec<(String, String)>> {
    Ok(client
        .query(
            "SELECT n.nspname::text, t.typname::text FROM pg_type t \
             JOIN pg_namespace n ON n.oid = t.typnamespace \
             WHERE n.nspname = ANY($1) AND t.typtype IN ('e', 'c', 'd', 'b', 'r') AND t.typelem = 0 \
               AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c') \
             ORDER BY 1, 2",
            &[&schemas],
        )
        .map_err(|e| Error::sql("listing the types of the module's schemas", e))?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect())
}

fn label(kind: PermissionKind) -> &'static str {
    match kind {
        PermissionKind::Read => "read",
        PermissionKind::Write => "write",
    }
}

/// What a `read` or `write` permission gives a role in a schema: on the
/// schema itself, on its tables, sequences, routines and types, and by
/// default on sequences the current user creates later.
pub(super) struct Privileges {
    pub on_schema: &'static str,
    pub tables: &'static str,
    pub sequences: &'static str,
    pub default_sequences: &'static str,
    pub routines: &'static str,
    pub types: &'static str,
}

/// The privileges pum 1.x grants for each permission kind.
pub(super) fn privileges(kind: PermissionKind) -> Privileges {
    match kind {
        PermissionKind::Read => Privileges {
            on_schema: "USAGE",
            tables: "SELECT, REFERENCES, TRIGGER",
            sequences: "USAGE, SELECT",
            default_sequences: "SELECT",
            routines: "EXECUTE",
            types: "USAGE",
        },
        PermissionKind::Write => Privileges {
            on_schema: "ALL",
            tables: "ALL",
            sequences: "ALL",
            default_sequences: "ALL",
            routines: "ALL",
            types: "ALL",
        },
    }
}

fn grant_on_schema(
    client: &mut impl GenericClient,
    role: &str,
    schema: &str,
    kind: PermissionKind,
    types: &[&str],
) -> Result<()> {
    let (s, r) = (quote_ident(schema), quote_ident(role));
    let Privileges {
        on_schema,
        tables,
        sequences,
        default_sequences,
        routines,
        types: type_privilege,
    } = privileges(kind);
    // Privileges on what exists now, and default privileges for what the
    // current user creates later (so the next upgrade's objects are covered).
    let mut sql = format!(
        "GRANT {on_schema} ON SCHEMA {s} TO {r};
GRANT {tables} ON ALL TABLES IN SCHEMA {s} TO {r};
GRANT {sequences} ON ALL SEQUENCES IN SCHEMA {s} TO {r};
GRANT {routines} ON ALL FUNCTIONS IN SCHEMA {s} TO {r};
GRANT {routines} ON ALL ROUTINES IN SCHEMA {s} TO {r};
ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {tables} ON TABLES TO {r};
ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {default_sequences} ON SEQUENCES TO {r};
ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {routines} ON FUNCTIONS TO {r};
ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {routines} ON ROUTINES TO {r};
ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {type_privilege} ON TYPES TO {r};"
    );
    for t in types {
        sql.push_str(&format!(
            "\nGRANT {type_privilege} ON TYPE {s}.{} TO {r};",
            quote_ident(t)
        ));
    }
    exec(
        client,
        &sql,
        &format!("granting {} on {schema} to {role}", label(kind)),
    )
}
