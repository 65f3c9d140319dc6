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

fn role_exists(client: &mut impl GenericClient, name: &str) -> Result<bool> {
    Ok(client
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&name])
        .map_err(|e| Error::sql(format!("looking for role {name}"), e))?
        .is_some())
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
    for role in roles {
        let name = quote_ident(&role.name);
        if role_exists(client, &role.name)? {
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
    for role in roles {
        for permission in &role.permissions {
            for schema in &permission.schemas {
                let present = client
                    .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[schema])
                    .map_err(|e| Error::sql(format!("looking for schema {schema}"), e))?
                    .is_some();
                if !present {
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
                grant_on_schema(client, &role.name, schema, permission.kind)?;
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

fn label(kind: PermissionKind) -> &'static str {
    match kind {
        PermissionKind::Read => "read",
        PermissionKind::Write => "write",
    }
}

fn grant_on_schema(
    client: &mut impl GenericClient,
    role: &str,
    schema: &str,
    kind: PermissionKind,
) -> Result<()> {
    let (s, r) = (quote_ident(schema), quote_ident(role));
    // Privileges on what exists now, and default privileges for what the
    // current user creates later (so the next upgrade's objects are covered).
    let (on_schema, tables, sequences, routines, types) = match kind {
        PermissionKind::Read => (
            "USAGE",
            "SELECT, REFERENCES, TRIGGER",
            "USAGE, SELECT",
            "EXECUTE",
            "USAGE",
        ),
        PermissionKind::Write => ("ALL", "ALL", "ALL", "ALL", "ALL"),
    };
    let default_sequences = if kind == PermissionKind::Read {
        "SELECT"
    } else {
        "ALL"
    };
    let sql = format!(
        "GRANT {on_schema} ON SCHEMA {s} TO {r};
GRANT {tables} ON ALL TABLES IN SCHEMA {s} TO {r};
GRANT {sequences} ON ALL SEQUENCES IN SCHEMA {s} TO {r};
GRANT {routines} ON ALL FUNCTIONS IN SCHEMA {s} TO {r};
GRANT {routines} ON ALL ROUTINES IN SCHEMA {s} TO {r};
ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {tables} ON TABLES TO {r};
ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {default_sequences} ON SEQUENCES TO {r};
ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {routines} ON FUNCTIONS TO {r};
ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {routines} ON ROUTINES TO {r};
ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {types} ON TYPES TO {r};"
    );
    exec(
        client,
        &sql,
        &format!("granting {} on {schema} to {role}", label(kind)),
    )?;
    // Existing enums, composites, domains, base and range types of the schema
    // (array types and table row types excluded: what matters for them is
    // the element type's or the table's own privileges).
    let names: Vec<String> = client
        .query(
            "SELECT t.typname::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
             WHERE n.nspname = $1 AND t.typtype IN ('e', 'c', 'd', 'b', 'r') AND t.typelem = 0 \
               AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c') \
             ORDER BY 1",
            &[&schema],
        )
        .map_err(|e| Error::sql(format!("listing the types of {schema}"), e))?
        .iter()
        .map(|row| row.get(0))
        .collect();
    for t in names {
        exec(
            client,
            &format!("GRANT {types} ON TYPE {s}.{} TO {r}", quote_ident(&t)),
            &format!("granting {types} on type {schema}.{t} to {role}"),
        )?;
    }
    Ok(())
}
