//! The session state every delta starts from. A delta may `SET search_path`,
//! `SET ROLE`, `SET SESSION AUTHORIZATION` or any other setting for the rest
//! of the session; none of that may reach the next delta or the history row
//! (whose `installed_by` is the role pum's session runs as).
//!
//! `DISCARD ALL` would be shorter but is wrong here: it releases pum's run
//! lock (a session advisory lock) and drops the statement prepared for the
//! history rows. The statements below are allowed to any role (setting the
//! session authorization to the authenticated user needs no privilege),
//! also inside a transaction, and are undone with it when it rolls back.

use postgres::Client;

use crate::db::quote_ident;
use crate::error::{Error, Result};

/// SQL that puts the session back where it was when the run started.
#[derive(Debug, Clone)]
pub struct SessionReset {
    sql: String,
}

impl SessionReset {
    /// Reads the session's user and role as the run starts: those are what
    /// each delta starts from. `watching`: whether the session asked the
    /// server to check the client connection (`RESET ALL` clears that too,
    /// so it is set again).
    pub fn capture(client: &mut Client, watching: bool) -> Result<SessionReset> {
        let row = client
            .query_one("SELECT session_user::text, current_user::text", &[])
            .map_err(|e| Error::sql("reading the session's role", e))?;
        Ok(SessionReset::new(
            &row.get::<_, String>(0),
            &row.get::<_, String>(1),
            watching,
        ))
    }

    /// Back to session user `session` and current role `current`, then
    /// every setting back to the connection's own value (`RESET` returns to
    /// startup `options` and `application_name`, not to server defaults).
    pub fn new(session: &str, current: &str, watching: bool) -> SessionReset {
        let role = if current == session {
            "RESET ROLE".to_string()
        } else {
            format!("SET ROLE {}", quote_ident(current))
        };
        let mut sql = format!(
            "SET SESSION AUTHORIZATION {}; {role}; RESET ALL",
            quote_ident(session)
        );
        if watching {
            sql.push_str("; SET client_connection_check_interval = '1s'");
        }
        SessionReset { sql }
    }

    /// `base` followed by more statements (settings to restore afterwards).
    pub fn with_tail(base: &SessionReset, tail: &str) -> SessionReset {
        SessionReset {
            sql: format!("{}; {tail}", base.sql),
        }
    }

    /// The reset statements alone.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// `delta` followed by the reset, sent as one query so the reset costs
    /// no round trip of its own. The new line ends a trailing `--` comment
    /// and the `;` a last statement without one; positions the server
    /// reports inside the delta are unchanged, since the reset comes after.
    pub fn after(&self, delta: &str) -> String {
        format!("{delta}\n;{}", self.sql)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reset_follows_the_delta_even_after_a_trailing_comment() {
        let reset = SessionReset::new("deploy", "deploy", false);
        let sql = reset.after("SET ROLE x -- no newline");
        assert_eq!(
            sql,
            "SET ROLE x -- no newline\n;SET SESSION AUTHORIZATION \"deploy\"; RESET ROLE; RESET ALL"
        );
        assert!(SessionReset::new("deploy", "deploy", true)
            .sql()
            .ends_with("SET client_connection_check_interval = '1s'"));
    }

    #[test]
    fn a_role_the_run_started_with_is_set_again_quoted() {
        let reset = SessionReset::new("deploy", "Prod Owner", false);
        assert!(
            reset.sql().contains("SET ROLE \"Prod Owner\";"),
            "{}",
            reset.sql()
        );
    }
}
