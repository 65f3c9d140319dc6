//! Delta variables: `-v TYPE NAME VALUE` and `variables:` in pum.yaml,
//! substituted into SQL deltas as `%(NAME)s` the way pum 0.x (psycopg2) does:
//! numbers as numbers, strings as quoted literals, `%%` as `%`.

use std::collections::BTreeMap;

use crate::config::VariableValue;
use crate::db::quote_literal;
use crate::deltas::sql_lexer::line_col;

/// A typed variable value.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Value {
    Int(i64),
    Float(f64),
    Text(String),
}

impl Value {
    /// The SQL text that replaces the placeholder.
    pub fn to_sql(&self) -> String {
        match self {
            Value::Int(i) => i.to_string(),
            Value::Float(f) if f.is_finite() => {
                let s = f.to_string();
                if s.contains('.') || s.contains('e') {
                    s
                } else {
                    format!("{s}.0")
                }
            }
            Value::Float(f) => format!("'{f}'::float8"),
            Value::Text(s) => quote_literal(s),
        }
    }

    /// The value as Python sees it in a DeltaPy hook's `variables`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("plain values serialise")
    }
}

/// Named variables; empty means "no substitution at all".
pub type Variables = BTreeMap<String, Value>;

/// Parses one `-v TYPE NAME VALUE` triple.
pub fn parse_cli(kind: &str, name: &str, value: &str) -> Result<(String, Value), String> {
    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(format!(
            "-v {kind} {name} {value}: invalid variable name {name:?} (letters, digits and _ only)"
        ));
    }
    let parsed = match kind {
        "int" => value
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| format!("-v int {name} {value}: {value:?} is not an integer"))?,
        "float" => value
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Value::Float)
            .ok_or_else(|| format!("-v float {name} {value}: {value:?} is not a number"))?,
        "str" | "string" | "text" => Value::Text(value.to_string()),
        other => {
            return Err(format!(
                "-v {other} {name} {value}: unknown variable type {other:?}; use int, float or str"
            ))
        }
    };
    Ok((name.to_string(), parsed))
}

/// Converts `variables:` from pum.yaml.
pub fn from_config(values: &BTreeMap<String, VariableValue>) -> Variables {
    values
        .iter()
        .map(|(k, v)| {
            let value = match v {
                VariableValue::Int(i) => Value::Int(*i),
                VariableValue::Float(f) => Value::Float(*f),
                VariableValue::Bool(b) => Value::Text(if *b { "true" } else { "false" }.into()),
                VariableValue::Text(s) => Value::Text(s.clone()),
            };
            (k.clone(), value)
        })
        .collect()
}

/// Replaces `%(NAME)s` and `%%` in `sql`. Without variables the text is
/// returned unchanged (pum 0.x substitutes only when variables are given).
/// An unknown name or a lone `%` is an error with line and column.
pub fn substitute(sql: &str, vars: &Variables) -> Result<String, String> {
    if vars.is_empty() {
        return Ok(sql.to_string());
    }
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    let mut offset = 0;
    while let Some(pos) = rest.find('%') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let at = offset + pos;
        if let Some(tail) = after.strip_prefix('%') {
            out.push('%');
            offset = at + 2;
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('(') {
            let close = inner.find(")s").ok_or_else(|| {
                let (l, c) = line_col(sql, at);
                format!("{l}:{c}: unterminated placeholder (expected %(NAME)s; write %% for a literal %)")
            })?;
            let name = &inner[..close];
            let value = vars.get(name).ok_or_else(|| {
                let (l, c) = line_col(sql, at);
                format!("{l}:{c}: variable {name:?} is not defined (pass -v TYPE {name} VALUE or set it under variables: in pum.yaml)")
            })?;
            out.push_str(&value.to_sql());
            let consumed = 1 + 1 + close + 2;
            offset = at + consumed;
            rest = &rest[pos + consumed..];
        } else {
            let (l, c) = line_col(sql, at);
            return Err(format!(
                "{l}:{c}: lone % in a delta run with variables; write %% for a literal %"
            ));
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Variables {
        let mut v = Variables::new();
        v.insert("SRID".into(), Value::Int(2056));
        v.insert("NAME".into(), Value::Text("it's".into()));
        v.insert("R".into(), Value::Float(1.5));
        v
    }

    #[test]
    fn substitutes_typed_values() {
        let out = substitute("SELECT %(SRID)s, %(NAME)s, %(R)s, 100%%;", &vars()).unwrap();
        assert_eq!(out, "SELECT 2056, 'it''s', 1.5, 100%;");
    }

    #[test]
    fn no_variables_no_substitution() {
        let text = "SELECT 'a%b', %(X)s;";
        assert_eq!(substitute(text, &Variables::new()).unwrap(), text);
    }

    #[test]
    fn errors_name_the_position() {
        let err = substitute("SELECT 1;\nSELECT %(NOPE)s;", &vars()).unwrap_err();
        assert!(err.starts_with("2:8: variable \"NOPE\""), "{err}");
        let err = substitute("SELECT '5%';", &vars()).unwrap_err();
        assert!(err.starts_with("1:10: lone %"), "{err}");
    }

    #[test]
    fn injection_stays_a_literal() {
        let mut v = Variables::new();
        v.insert("X".into(), Value::Text("'); DROP TABLE x; --".into()));
        assert_eq!(
            substitute("SELECT %(X)s;", &v).unwrap(),
            "SELECT '''); DROP TABLE x; --';"
        );
    }

    #[test]
    fn cli_types() {
        assert_eq!(
            parse_cli("int", "SRID", "2056").unwrap().1,
            Value::Int(2056)
        );
        assert!(parse_cli("int", "SRID", "x").is_err());
        assert!(parse_cli("bool", "A", "1")
            .unwrap_err()
            .contains("unknown variable type"));
        assert!(parse_cli("str", "A;B", "1").is_err());
    }
}
