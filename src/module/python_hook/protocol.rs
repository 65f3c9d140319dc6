//! The line-delimited JSON spoken with the hook runner, and how pum
//! answers each SQL request: on its own connection, inside the run's
//! transaction, each request behind a savepoint so that an error a hook
//! catches leaves the transaction usable.

use std::path::{Path, PathBuf};

use postgres::Client;
use serde::Deserialize;
use serde_json::{json, Value};

use super::cells::{Cell, TextParam};
use crate::deltas::sql_lexer;
use crate::module::{comments, params};

/// A line from the runner.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum FromRunner {
    Loaded,
    Done,
    Failed(Failure),
    /// `cursor.execute(sql, params)`: placeholders already `$n`.
    Sql {
        sql: String,
        #[serde(default)]
        params: Option<Vec<Option<String>>>,
    },
    /// `self.execute(...)`: SQL text (`{name}` formatted with the
    /// module's parameters when `format`), or a SQL file.
    HookSql {
        #[serde(default)]
        sql: Option<String>,
        #[serde(default)]
        file: Option<PathBuf>,
        #[serde(default)]
        format: bool,
    },
}

/// Why a hook could not be loaded or failed.
#[derive(Debug, Deserialize)]
pub struct Failure {
    pub kind: String,
    #[serde(default)]
    pub file: Option<PathBuf>,
    #[serde(default)]
    pub line: Option<usize>,
    pub message: String,
    /// For `kind: import`, the module that could not be imported.
    #[serde(default)]
    pub module: Option<String>,
    #[serde(default)]
    pub sqlstate: Option<String>,
}

/// Answers one SQL request with the JSON line to send back.
pub fn answer(client: &mut Client, request: FromRunner, params: &params::Resolved) -> Value {
    let outcome = match request {
        FromRunner::Sql { sql, params } => {
            guarded(client, &sql, |c| run_statement(c, &sql, params.as_deref()))
        }
        FromRunner::HookSql { sql, file, format } => match hook_sql(sql, file, format, params) {
            Ok(sql) => guarded(client, &sql, |c| {
                c.batch_execute(&sql).map_err(Failed::Sql)?;
                Ok(json!({"ok": true, "rowcount": -1}))
            }),
            Err(why) => Err(Failed::Refused(why)),
        },
        _ => Err(Failed::Refused(
            "unexpected request from the hook runner".into(),
        )),
    };
    match outcome {
        Ok(reply) => reply,
        Err(Failed::Refused(message)) => json!({"ok": false, "message": message}),
        Err(Failed::Sql(e)) => {
            let db = e.as_db_error();
            json!({
                "ok": false,
                "message": db.map_or_else(|| crate::error::describe_pg_error(&e), |d| d.message().to_string()),
                "sqlstate": db.map(|d| d.code().code().to_string()),
            })
        }
    }
}

enum Failed {
    Sql(postgres::Error),
    Refused(String),
}

/// Runs `work` behind a savepoint; transaction control is refused, since
/// the hook runs inside pum's transaction.
fn guarded(
    client: &mut Client,
    sql: &str,
    work: impl FnOnce(&mut Client) -> Result<Value, Failed>,
) -> Result<Value, Failed> {
    if sql_lexer::manages_transaction(sql) {
        return Err(Failed::Refused(
            "BEGIN/COMMIT/ROLLBACK are not allowed in hook SQL: the hook runs inside pum's transaction"
                .into(),
        ));
    }
    client
        .batch_execute("SAVEPOINT pum_hook_sql")
        .map_err(Failed::Sql)?;
    match work(client) {
        Ok(v) => {
            client
                .batch_execute("RELEASE SAVEPOINT pum_hook_sql")
                .map_err(Failed::Sql)?;
            Ok(v)
        }
        Err(e) => {
            let _ = client.batch_execute(
                "ROLLBACK TO SAVEPOINT pum_hook_sql; RELEASE SAVEPOINT pum_hook_sql",
            );
            Err(e)
        }
    }
}

/// The SQL of a `self.execute(...)`: as pum 1.x prepares it, a file's
/// comments removed and its forbidden statements refused, `{name}`
/// replaced by the parameters' literals.
fn hook_sql(
    sql: Option<String>,
    file: Option<PathBuf>,
    format: bool,
    params: &params::Resolved,
) -> Result<String, String> {
    let (origin, text, format) = match (sql, file) {
        (Some(sql), None) => (None, sql, format),
        (None, Some(file)) => (Some(file.clone()), read_sql(&file)?, true),
        _ => return Err("self.execute needs SQL text or a path".into()),
    };
    let text = match &origin {
        Some(file) => {
            let bare = comments::strip(&text).text;
            if comments::sets_search_path(&bare) {
                return Err(format!(
                    "{}: setting the search path with set_config is not allowed (pum 1.x refuses it too)",
                    file.display()
                ));
            }
            bare
        }
        None => text,
    };
    if !format {
        return Ok(text);
    }
    params::substitute(&text, params).map_err(|why| match &origin {
        Some(file) => format!("{}:{why}", file.display()),
        None => why,
    })
}

fn read_sql(file: &Path) -> Result<String, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    crate::deltas::decode_sql(file, bytes).map_err(|e| e.to_string())
}

/// One `cursor.execute`: a single statement prepared and bound (the server
/// infers each parameter's type and parses its text), or several
/// statements without parameters sent as they are, as psycopg allows.
fn run_statement(
    client: &mut Client,
    sql: &str,
    params: Option<&[Option<String>]>,
) -> Result<Value, Failed> {
    let statements = sql_lexer::split(sql)
        .iter()
        .filter(|s| !s.text.trim().is_empty())
        .count();
    if params.is_none() && statements > 1 {
        client.batch_execute(sql).map_err(Failed::Sql)?;
        return Ok(json!({"ok": true, "rowcount": -1}));
    }
    let statement = client.prepare(sql).map_err(Failed::Sql)?;
    let values: Vec<TextParam> = params
        .unwrap_or_default()
        .iter()
        .map(|v| TextParam(v.clone()))
        .collect();
    if statement.params().len() != values.len() {
        return Err(Failed::Refused(format!(
            "the query has {} placeholders but {} parameters were given",
            statement.params().len(),
            values.len()
        )));
    }
    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = values
        .iter()
        .map(|v| v as &(dyn postgres::types::ToSql + Sync))
        .collect();
    if statement.columns().is_empty() {
        let count = client.execute(&statement, &refs).map_err(Failed::Sql)?;
        return Ok(json!({"ok": true, "rowcount": count}));
    }
    let rows = client.query(&statement, &refs).map_err(Failed::Sql)?;
    let columns: Vec<&str> = statement.columns().iter().map(|c| c.name()).collect();
    let types: Vec<&str> = statement
        .columns()
        .iter()
        .map(|c| c.type_().name())
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut cells = Vec::with_capacity(columns.len());
        for (i, name) in columns.iter().enumerate() {
            let cell: Option<Cell> = row
                .try_get(i)
                .map_err(|e| Failed::Refused(format!("column {name}: {e}")))?;
            cells.push(cell.map_or(Value::Null, |c| c.0));
        }
        out.push(Value::Array(cells));
    }
    Ok(json!({
        "ok": true,
        "columns": columns,
        "types": types,
        "rows": out,
        "rowcount": rows.len(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> params::Resolved {
        let mut p = params::Resolved::new();
        p.insert("label".into(), Value::String("it's".into()));
        p
    }

    #[test]
    fn hook_sql_is_formatted_as_pum_1x_formats_it() {
        let text = |sql: &str, format| hook_sql(Some(sql.into()), None, format, &params());
        assert_eq!(
            text("SELECT {label}, '{{x}}'", true).unwrap(),
            "SELECT 'it''s', '{x}'"
        );
        // A composed psycopg object is sent as it is.
        assert_eq!(text("SELECT '{x}'", false).unwrap(), "SELECT '{x}'");
        assert!(text("SELECT {colour}", true)
            .unwrap_err()
            .contains("\"colour\""));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("view.sql");
        std::fs::write(&file, "-- {not a placeholder}\nSELECT {label};\n").unwrap();
        let sql = hook_sql(None, Some(file), false, &params()).unwrap();
        assert_eq!(sql.trim(), "SELECT 'it''s';");
    }

    #[test]
    fn runner_lines_parse() {
        let line = r#"{"op":"sql","sql":"SELECT $1","params":["a",null]}"#;
        match serde_json::from_str::<FromRunner>(line).unwrap() {
            FromRunner::Sql { sql, params } => {
                assert_eq!(sql, "SELECT $1");
                assert_eq!(params.unwrap(), [Some("a".to_string()), None]);
            }
            other => panic!("{other:?}"),
        }
        let line =
            r#"{"op":"failed","kind":"import","file":"h.py","line":1,"message":"m","module":"x"}"#;
        assert!(matches!(
            serde_json::from_str::<FromRunner>(line).unwrap(),
            FromRunner::Failed(Failure { line: Some(1), .. })
        ));
    }
}
