//! A server's roles as a rehearsal needs them: the role a session runs as,
//! every role's attributes and who is a member of what — so a sandbox can
//! hold the same roles and a delta meets the same refusals there as on
//! production. Passwords are never read.

use postgres::Client;

use super::quote_ident;
use crate::error::{Error, Result};

/// One role and the attributes that decide what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub superuser: bool,
    pub inherit: bool,
    pub create_role: bool,
    pub create_db: bool,
    pub login: bool,
    pub replication: bool,
    pub bypass_rls: bool,
}

/// `member` belongs to `role`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub role: String,
    pub member: String,
    pub admin: bool,
    /// PostgreSQL 16 and newer: whether the member inherits and may `SET ROLE`.
    pub inherit: Option<bool>,
    pub set: Option<bool>,
}

/// Every non-predefined role of a server, their memberships, and who the
/// session runs as.
#[derive(Debug, Clone)]
pub struct Roles {
    /// `session_user`: the role pum logged in as.
    pub session_user: String,
    /// The owner of the session's database.
    pub database_owner: String,
    pub roles: Vec<Role>,
    pub memberships: Vec<Membership>,
}

const ROLES_SQL: &str = "\
SELECT rolname::text, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,
       rolreplication, rolbypassrls
  FROM pg_catalog.pg_roles WHERE rolname !~ '^pg_' ORDER BY rolname";

/// `to_jsonb` reads the PostgreSQL 16 columns where they exist and yields
/// NULL where they do not, so one query serves every version.
const MEMBERSHIPS_SQL: &str = "\
SELECT r.rolname::text, u.rolname::text, m.admin_option,
       (to_jsonb(m) ->> 'inherit_option')::bool, (to_jsonb(m) ->> 'set_option')::bool
  FROM pg_catalog.pg_auth_members m
  JOIN pg_catalog.pg_roles r ON r.oid = m.roleid
  JOIN pg_catalog.pg_roles u ON u.oid = m.member
 ORDER BY 1, 2";

impl Roles {
    /// Reads them on `client`'s session (three queries, whatever the count).
    pub fn read(client: &mut Client) -> Result<Roles> {
        let err = |e| Error::sql("reading the server's roles", e);
        let who = client
            .query_one(
                "SELECT session_user::text, pg_catalog.pg_get_userbyid(d.datdba)::text \
                   FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()",
                &[],
            )
            .map_err(err)?;
        let roles = client
            .query(ROLES_SQL, &[])
            .map_err(err)?
            .iter()
            .map(|r| Role {
                name: r.get(0),
                superuser: r.get(1),
                inherit: r.get(2),
                create_role: r.get(3),
                create_db: r.get(4),
                login: r.get(5),
                replication: r.get(6),
                bypass_rls: r.get(7),
            })
            .collect();
        let memberships = client
            .query(MEMBERSHIPS_SQL, &[])
            .map_err(err)?
            .iter()
            .map(|r| Membership {
                role: r.get(0),
                member: r.get(1),
                admin: r.get(2),
                inherit: r.get(3),
                set: r.get(4),
            })
            .collect();
        Ok(Roles {
            session_user: who.get(0),
            database_owner: who.get(1),
            roles,
            memberships,
        })
    }

    /// The role the session runs as.
    pub fn session_role(&self) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == self.session_user)
    }

    /// Creates, on `admin`'s server, every role it lacks, with the same
    /// attributes (never a password), then the memberships it lacks — one
    /// batch. Roles the server already has are left as they are.
    pub fn copy_to(&self, admin: &mut Client) -> Result<()> {
        let there = Roles::read(admin)?;
        let mut sql = String::new();
        for role in &self.roles {
            if there.roles.iter().all(|r| r.name != role.name) {
                sql.push_str(&create_role(role));
            }
        }
        let known = |name: &str| {
            name.starts_with("pg_")
                || self.roles.iter().any(|r| r.name == name)
                || there.roles.iter().any(|r| r.name == name)
        };
        for m in &self.memberships {
            let present = there
                .memberships
                .iter()
                .any(|t| t.role == m.role && t.member == m.member);
            if !present && known(&m.role) && known(&m.member) {
                sql.push_str(&grant_membership(m));
            }
        }
        if sql.is_empty() {
            return Ok(());
        }
        admin
            .batch_execute(&format!("BEGIN;\n{sql}COMMIT;"))
            .map_err(|e| Error::sql("creating production's roles in the sandbox", e))
    }
}

fn create_role(role: &Role) -> String {
    let flag = |on: bool, name: &str| {
        if on {
            format!(" {name}")
        } else {
            format!(" NO{name}")
        }
    };
    format!(
        "CREATE ROLE {}{}{}{}{}{}{}{};\n",
        quote_ident(&role.name),
        flag(role.superuser, "SUPERUSER"),
        flag(role.inherit, "INHERIT"),
        flag(role.create_role, "CREATEROLE"),
        flag(role.create_db, "CREATEDB"),
        flag(role.login, "LOGIN"),
        flag(role.replication, "REPLICATION"),
        flag(role.bypass_rls, "BYPASSRLS"),
    )
}

fn grant_membership(m: &Membership) -> String {
    let mut options = Vec::new();
    if m.admin {
        options.push("ADMIN TRUE".to_string());
    }
    if let Some(inherit) = m.inherit {
        options.push(format!("INHERIT {}", inherit.to_string().to_uppercase()));
    }
    if let Some(set) = m.set {
        options.push(format!("SET {}", set.to_string().to_uppercase()));
    }
    let with = if options.is_empty() {
        String::new()
    } else if m.inherit.is_none() {
        // Before PostgreSQL 16 the only option is spelt WITH ADMIN OPTION.
        " WITH ADMIN OPTION".to_string()
    } else {
        format!(" WITH {}", options.join(", "))
    };
    format!(
        "GRANT {} TO {}{with};\n",
        quote_ident(&m.role),
        quote_ident(&m.member)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_created_with_their_attributes_and_no_password() {
        let role = Role {
            name: "app \"x\"".into(),
            superuser: false,
            inherit: true,
            create_role: false,
            create_db: true,
            login: true,
            replication: false,
            bypass_rls: false,
        };
        assert_eq!(
            create_role(&role),
            "CREATE ROLE \"app \"\"x\"\"\" NOSUPERUSER INHERIT NOCREATEROLE CREATEDB LOGIN \
             NOREPLICATION NOBYPASSRLS;\n"
        );
    }

    #[test]
    fn memberships_keep_their_options() {
        let m = |admin, inherit, set| Membership {
            role: "readers".into(),
            member: "app".into(),
            admin,
            inherit,
            set,
        };
        assert_eq!(
            grant_membership(&m(false, None, None)),
            "GRANT \"readers\" TO \"app\";\n"
        );
        assert_eq!(
            grant_membership(&m(true, None, None)),
            "GRANT \"readers\" TO \"app\" WITH ADMIN OPTION;\n"
        );
        assert_eq!(
            grant_membership(&m(true, Some(false), Some(true))),
            "GRANT \"readers\" TO \"app\" WITH ADMIN TRUE, INHERIT FALSE, SET TRUE;\n"
        );
    }
}
