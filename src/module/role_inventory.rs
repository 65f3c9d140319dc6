//! `role list`: which database roles can read or write the module's
//! schemas, measured against what `.pum.yaml` expects — the configured
//! roles (generic and database-specific `NAME_SUFFIX` variants), the
//! roles missing, users that reach the schemas through a configured role,
//! other roles with access, and login roles with none. The privileges of
//! every role on every schema come from one query.

use postgres::GenericClient;
use serde::Serialize;

use super::config::{ModuleConfig, PermissionKind, RoleDef};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Serialize)]
pub struct SchemaAccess {
    pub schema: String,
    /// What the configuration asks for; none for a generic role whose
    /// database-specific variants carry the permissions.
    pub expected: Option<PermissionKind>,
    pub read: bool,
    pub write: bool,
    pub satisfied: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RoleAccess {
    pub name: String,
    /// The configured role this is, or a variant of.
    pub configured: Option<String>,
    pub suffix: Option<String>,
    pub login: bool,
    pub superuser: bool,
    pub member_of: Vec<String>,
    pub schemas: Vec<SchemaAccess>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Inventory {
    pub configured: Vec<RoleAccess>,
    pub missing: Vec<String>,
    /// Roles outside the configuration that are members of a configured role.
    pub grantees: Vec<RoleAccess>,
    /// Other roles with USAGE on a configured schema.
    pub others: Vec<RoleAccess>,
    /// Login roles (not superusers) with no access to any configured schema.
    pub login_without_access: Vec<String>,
}

impl Inventory {
    pub fn satisfied(&self) -> bool {
        self.missing.is_empty()
            && self
                .configured
                .iter()
                .all(|r| r.schemas.iter().all(|s| s.satisfied))
    }
}

/// One role's access to one schema, as the server reports it.
struct Row {
    role: String,
    superuser: bool,
    login: bool,
    member_of: Vec<String>,
    schema: Option<String>,
    usage: bool,
    read: bool,
    write: bool,
}

// Read: USAGE on the schema and SELECT on all its tables and views. Write:
// CREATE on the schema and INSERT, UPDATE, DELETE on all its tables — the
// tests pum 1.x makes. Every role gets a row even where no configured
// schema exists yet (schema NULL), so login roles without access show.
const ACCESS: &str = "
WITH wanted AS (SELECT n.oid, n.nspname::text AS nspname FROM pg_namespace n
                WHERE n.nspname = ANY($1)),
rels AS (SELECT c.oid, c.relnamespace, c.relkind FROM pg_class c
         WHERE c.relnamespace IN (SELECT oid FROM wanted) AND c.relkind IN ('r', 'p', 'v', 'm'))
SELECT r.rolname::text, r.rolsuper, r.rolcanlogin,
       ARRAY(SELECT g.rolname::text FROM pg_auth_members am JOIN pg_roles g ON g.oid = am.roleid
             WHERE am.member = r.oid ORDER BY 1),
       w.nspname,
       coalesce(has_schema_privilege(r.oid, w.oid, 'USAGE'), false),
       coalesce(has_schema_privilege(r.oid, w.oid, 'USAGE')
         AND coalesce((SELECT bool_and(has_table_privilege(r.oid, x.oid, 'SELECT'))
                       FROM rels x WHERE x.relnamespace = w.oid), true), false),
       coalesce(has_schema_privilege(r.oid, w.oid, 'CREATE')
         AND coalesce((SELECT bool_and(has_table_privilege(r.oid, x.oid, 'INSERT')
                                       AND has_table_privilege(r.oid, x.oid, 'UPDATE')
                                       AND has_table_privilege(r.oid, x.oid, 'DELETE'))
                       FROM rels x WHERE x.relnamespace = w.oid AND x.relkind IN ('r', 'p')), true), false)
FROM pg_roles r LEFT JOIN wanted w ON true
WHERE r.rolname NOT LIKE 'pg\\_%'
ORDER BY 1, 5";

fn read_rows(client: &mut impl GenericClient, schemas: &[String]) -> Result<Vec<Row>> {
    Ok(client
        .query(ACCESS, &[&schemas])
        .map_err(|e| Error::sql("reading the roles' access to the module's schemas", e))?
        .iter()
        .map(|r| Row {
            role: r.get(0),
            superuser: r.get(1),
            login: r.get(2),
            member_of: r.get(3),
            schema: r.get(4),
            usage: r.get(5),
            read: r.get(6),
            write: r.get(7),
        })
        .collect())
}

/// The roles of `config` and everyone else with a say on its schemas.
pub fn inventory(
    client: &mut impl GenericClient,
    config: &ModuleConfig,
    include_superusers: bool,
) -> Result<Inventory> {
    let mut schemas: Vec<String> = config
        .roles
        .iter()
        .flat_map(|r| r.permissions.iter().flat_map(|p| p.schemas.iter().cloned()))
        .collect();
    schemas.sort();
    schemas.dedup();
    let rows = read_rows(client, &schemas)?;
    Ok(assemble(config, &rows, include_superusers))
}

fn is_configured(config: &ModuleConfig, name: &str) -> bool {
    config.roles.iter().any(|r| r.name == name)
}

/// The configured role `name` stands for: itself, or `ROLE_SUFFIX` for a
/// configured ROLE (another configured name is never taken as a variant).
fn variant_of<'a>(config: &'a ModuleConfig, name: &str) -> Option<(&'a RoleDef, Option<String>)> {
    if let Some(def) = config.roles.iter().find(|r| r.name == name) {
        return Some((def, None));
    }
    config
        .roles
        .iter()
        .filter_map(|r| {
            name.strip_prefix(&format!("{}_", r.name))
                .filter(|s| !s.is_empty())
                .map(|s| (r, Some(s.to_string())))
        })
        // The longest configured prefix is the role it varies.
        .max_by_key(|(r, _)| r.name.len())
}

fn assemble(config: &ModuleConfig, rows: &[Row], include_superusers: bool) -> Inventory {
    let mut inv = Inventory::default();
    let mut names: Vec<&str> = rows.iter().map(|r| r.role.as_str()).collect();
    names.dedup();
    let has_variants = |def: &RoleDef| {
        names.iter().any(|n| {
            *n != def.name
                && matches!(variant_of(config, n), Some((d, Some(_))) if d.name == def.name)
        })
    };
    for name in names.iter().copied() {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.role == name).collect();
        let first = mine[0];
        let mut access = RoleAccess {
            name: name.to_string(),
            configured: None,
            suffix: None,
            login: first.login,
            superuser: first.superuser,
            member_of: first.member_of.clone(),
            schemas: Vec::new(),
        };
        if let Some((def, suffix)) = variant_of(config, name) {
            // With database-specific variants the generic role holds no
            // grants of its own: only membership is expected of it.
            let checked = suffix.is_some() || !has_variants(def);
            access.schemas = expected_access(def, &mine, checked);
            access.configured = Some(def.name.clone());
            access.suffix = suffix;
            inv.configured.push(access);
            continue;
        }
        if first.superuser && !include_superusers {
            continue;
        }
        let reached: Vec<&&Row> = mine.iter().filter(|r| r.usage || r.superuser).collect();
        if reached.is_empty() {
            if first.login && !first.superuser {
                inv.login_without_access.push(name.to_string());
            }
            continue;
        }
        access.schemas = found_access(&mine);
        if access
            .member_of
            .iter()
            .any(|g| is_configured(config, g) || variant_of(config, g).is_some())
        {
            inv.grantees.push(access);
        } else {
            inv.others.push(access);
        }
    }
    order_and_find_missing(config, &mut inv);
    inv
}

/// What a configured role (or its variant) is expected to reach, schema by
/// schema, against what its rows show; `checked: false` expects nothing.
fn expected_access(def: &RoleDef, mine: &[&Row], checked: bool) -> Vec<SchemaAccess> {
    let mut out = Vec::new();
    for permission in &def.permissions {
        for schema in &permission.schemas {
            let row = mine.iter().find(|r| r.schema.as_deref() == Some(schema));
            let (read, write) = row.map_or((false, false), |r| (r.read, r.write));
            let expected = checked.then_some(permission.kind);
            out.push(SchemaAccess {
                schema: schema.clone(),
                expected,
                read,
                write,
                satisfied: match expected {
                    Some(PermissionKind::Read) => read,
                    Some(PermissionKind::Write) => write,
                    None => true,
                },
            });
        }
    }
    out
}

/// What a role the configuration does not name reaches, as its rows show.
fn found_access(mine: &[&Row]) -> Vec<SchemaAccess> {
    mine.iter()
        .filter_map(|r| {
            r.schema.as_ref().map(|s| SchemaAccess {
                schema: s.clone(),
                expected: None,
                read: r.read,
                write: r.write,
                satisfied: true,
            })
        })
        .collect()
}

/// Configured roles in the configuration's order, each before its
/// variants; the configured roles the server lacks listed as missing.
fn order_and_find_missing(config: &ModuleConfig, inv: &mut Inventory) {
    // In the configuration's order, each role before its variants.
    let rank = |a: &RoleAccess| {
        config
            .roles
            .iter()
            .position(|r| a.configured.as_deref() == Some(&r.name))
    };
    inv.configured.sort_by(|a, b| {
        (rank(a), a.suffix.is_some(), &a.name).cmp(&(rank(b), b.suffix.is_some(), &b.name))
    });
    inv.missing = config
        .roles
        .iter()
        .filter(|def| {
            !inv.configured
                .iter()
                .any(|a| a.configured.as_deref() == Some(&def.name))
        })
        .map(|def| def.name.clone())
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config() -> ModuleConfig {
        let yaml = "pum:\n  module: m\nroles:\n  - name: viewer\n    permissions:\n      - type: read\n        schemas: [data]\n  - name: viewer_admin\n    permissions:\n      - type: write\n        schemas: [data]\n";
        ModuleConfig::parse(yaml, Path::new(".pum.yaml"), Path::new(".")).unwrap()
    }

    fn row(role: &str, login: bool, member_of: &[&str], read: bool, write: bool) -> Row {
        Row {
            role: role.into(),
            superuser: false,
            login,
            member_of: member_of.iter().map(|s| s.to_string()).collect(),
            schema: Some("data".into()),
            usage: read,
            read,
            write,
        }
    }

    #[test]
    fn variants_grantees_others_and_missing() {
        let rows = vec![
            row("alice", true, &["viewer_zurich"], true, false),
            row("bob", true, &[], false, false),
            row("carol", false, &[], true, true),
            row("viewer", false, &[], false, false),
            row("viewer_zurich", false, &[], true, false),
        ];
        let inv = assemble(&config(), &rows, false);
        let names: Vec<_> = inv.configured.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["viewer", "viewer_zurich"]);
        // The generic role of a suffixed one is not expected to hold grants.
        assert_eq!(inv.configured[0].schemas[0].expected, None);
        assert_eq!(inv.configured[1].suffix.as_deref(), Some("zurich"));
        assert!(inv.configured[1].schemas[0].satisfied);
        // A configured name is never a variant of another.
        assert_eq!(inv.missing, ["viewer_admin"]);
        assert_eq!(inv.grantees[0].name, "alice");
        assert_eq!(inv.others[0].name, "carol");
        assert_eq!(inv.login_without_access, ["bob"]);
        assert!(!inv.satisfied());
    }
}
