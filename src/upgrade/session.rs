//! The session state every delta starts from. A delta may `SET search_path`,
//! `SET ROLE`, `SET SESSION AUTHORIZATION` or any other setting for the rest
//! of the session; none of that may reach the next delta or the history row
//! (whose `installed_by` is the role pum connected as).
//!
//! `DISCARD ALL` would be shorter but is wrong here: it releases pum's run
//! lock (a session advisory lock) and drops the statement prepared for the
//! history rows. The three statements below are allowed to any role, also
//! inside a transaction, and are undone with it when it rolls back.

/// SQL that puts the session back where pum left it before a delta.
#[derive(Debug, Clone)]
pub struct SessionReset {
    sql: String,
}

/// Back to the role and settings the session was opened with: `RESET`
/// returns to the connection's own values (startup `options`,
/// `application_name`), not to the server's defaults.
const RESET: &str = "RESET ROLE; SET SESSION AUTHORIZATION DEFAULT; RESET ALL";

impl SessionReset {
    /// `watching`: whether the session asked the server to check the client
    /// connection (`RESET ALL` clears that too, so it is set again).
    pub fn new(watching: bool) -> SessionReset {
        let mut sql = RESET.to_string();
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
        let reset = SessionReset::new(false);
        let sql = reset.after("SET ROLE x -- no newline");
        assert!(sql.starts_with("SET ROLE x -- no newline\n;RESET ROLE;"));
        assert!(!sql.contains("client_connection_check_interval"));
        assert!(SessionReset::new(true)
            .sql()
            .ends_with("SET client_connection_check_interval = '1s'"));
    }
}
