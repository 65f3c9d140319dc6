//! Module parameters: their declared types, defaults from `.pum.yaml`,
//! `--parameter NAME VALUE` overrides, and `{NAME}` substitution in changelog
//! SQL. Values are kept as the JSON pum 1.x records in `pum_migrations`, and
//! rendered into SQL as literals (text through `quote_literal`), so a value
//! can never become SQL code.

use serde::Deserialize;
use serde_json::Value;

use crate::db::quote_literal;
use crate::deltas::sql_lexer::line_col;
use serde_yaml::Value as Yaml;

/// One entry of `parameters:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterDef {
    pub name: String,
    /// pum 1.x defaults to `text` when the type is left out.
    #[serde(rename = "type", default)]
    pub kind: ParamType,
    #[serde(default)]
    pub default: Option<Yaml>,
    #[serde(default)]
    pub description: Option<String>,
    /// The only values the parameter may take.
    #[serde(default)]
    pub values: Option<Vec<Yaml>>,
    /// pum 1.x: may change between runs (used by application hooks only).
    #[serde(default)]
    pub app_only: bool,
}

/// The parameter types of pum 1.x.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    Boolean,
    Integer,
    #[default]
    Text,
    Decimal,
    Path,
}

impl ParamType {
    pub fn label(self) -> &'static str {
        match self {
            ParamType::Boolean => "boolean",
            ParamType::Integer => "integer",
            ParamType::Text => "text",
            ParamType::Decimal => "decimal",
            ParamType::Path => "path",
        }
    }
}

/// Resolved parameters, name → value, as recorded in `pum_migrations.parameters`.
pub type Resolved = serde_json::Map<String, Value>;

/// The default as pum 1.x holds it: booleans are coerced (a missing or
/// unrecognised default is `false`), everything else is the YAML value.
pub fn default_value(def: &ParameterDef) -> Value {
    let raw = def
        .default
        .as_ref()
        .map(|y| serde_json::to_value(y).unwrap_or(Value::Null))
        .unwrap_or(Value::Null);
    if def.kind == ParamType::Boolean {
        let truthy = match &raw {
            Value::Bool(b) => *b,
            Value::Number(n) => n.as_i64() == Some(1),
            Value::String(s) => s == "1" || s == "true" || s == "TRUE",
            _ => false,
        };
        return Value::Bool(truthy);
    }
    raw
}

/// Checks a definition's default against its type and allowed values.
pub fn check_definition(def: &ParameterDef) -> Result<(), String> {
    let value = default_value(def);
    let fits = match (def.kind, &value) {
        (_, Value::Null) => true,
        (ParamType::Boolean, Value::Bool(_)) => true,
        (ParamType::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
        (ParamType::Integer, Value::String(s)) => s.trim().parse::<i64>().is_ok(),
        (ParamType::Decimal, Value::Number(_)) => true,
        (ParamType::Decimal, Value::String(s)) => s.trim().parse::<f64>().is_ok(),
        (ParamType::Text | ParamType::Path, Value::String(_)) => true,
        _ => false,
    };
    if !fits {
        return Err(format!(
            "parameter {:?}: default {value} is not a valid {}",
            def.name,
            def.kind.label()
        ));
    }
    if let Some(values) = &def.values {
        if !value.is_null() && !allowed(def, &value) {
            return Err(format!(
                "parameter {:?}: default {value} is not among its values {}",
                def.name,
                list_values(values)
            ));
        }
    }
    Ok(())
}

fn list_values(values: &[serde_yaml::Value]) -> String {
    let shown: Vec<String> = values
        .iter()
        .map(|v| {
            serde_json::to_value(v)
                .map(|j| j.to_string())
                .unwrap_or_default()
        })
        .collect();
    format!("[{}]", shown.join(", "))
}

fn allowed(def: &ParameterDef, value: &Value) -> bool {
    def.values.as_ref().is_none_or(|values| {
        values.iter().any(|v| {
            serde_json::to_value(v)
                .map(|j| same_value(&j, value))
                .unwrap_or(false)
        })
    })
}

/// Equality as Python sees it: 5 == 5.0.
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        _ => a == b,
    }
}

/// Parses one `--parameter NAME VALUE` by the parameter's declared type.
pub fn parse_override(def: &ParameterDef, text: &str) -> Result<Value, String> {
    let wrong = |what: &str| {
        format!(
            "--parameter {} {text:?}: not {what} ({} is declared {} in .pum.yaml)",
            def.name,
            def.name,
            def.kind.label()
        )
    };
    let value = match def.kind {
        ParamType::Integer => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| wrong("an integer"))?,
        ParamType::Decimal => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| wrong("a decimal number"))?,
        ParamType::Boolean => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Value::Bool(true),
            "false" | "0" | "no" | "off" => Value::Bool(false),
            _ => return Err(wrong("a boolean (true/false, yes/no, 1/0)")),
        },
        ParamType::Text | ParamType::Path => Value::String(text.to_string()),
    };
    if !allowed(def, &value) {
        return Err(format!(
            "--parameter {} {text:?}: not one of the allowed values {}",
            def.name,
            list_values(def.values.as_deref().unwrap_or_default())
        ));
    }
    Ok(value)
}

/// Defaults overridden by `--parameter` pairs (`overrides` alternates NAME, VALUE).
pub fn resolve(defs: &[ParameterDef], overrides: &[String]) -> Result<Resolved, String> {
    let mut out = Resolved::new();
    for def in defs {
        out.insert(def.name.clone(), default_value(def));
    }
    for pair in overrides.chunks(2) {
        let [name, text] = pair else {
            return Err("--parameter needs NAME and VALUE".into());
        };
        let def = defs.iter().find(|d| &d.name == name).ok_or_else(|| {
            let known: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
            format!(
                "--parameter {name}: unknown parameter {name:?}; .pum.yaml defines {}",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )
        })?;
        out.insert(name.clone(), parse_override(def, text)?);
    }
    Ok(out)
}

/// The SQL literal of a value, typed as psycopg would render it for pum 1.x.
pub fn to_sql(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(u)) => u.to_string(),
            // Display never uses an exponent, so the text is always a valid
            // numeric literal.
            _ => n
                .as_f64()
                .map(|f| f.to_string())
                .unwrap_or_else(|| "NULL".into()),
        },
        Value::String(s) => quote_literal(s),
        other => quote_literal(&other.to_string()),
    }
}

/// The `{NAME}` placeholder opening at byte `open`: where it closes and the
/// parameter's SQL literal.
fn placeholder(sql: &str, open: usize, params: &Resolved) -> Result<(usize, String), String> {
    let close = sql[open + 1..]
        .find('}')
        .map(|c| open + 1 + c)
        .ok_or_else(|| "unterminated '{' (write '{{' for a literal brace)".to_string())?;
    let name = &sql[open + 1..close];
    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(format!(
            "{{{name}}} is not a parameter placeholder (write '{{{{' and '}}}}' for literal braces)"
        ));
    }
    let value = params
        .get(name)
        .ok_or_else(|| format!("parameter {name:?} is not defined in .pum.yaml's parameters"))?;
    Ok((close, to_sql(value)))
}

/// Replaces `{NAME}` with the parameter's literal, `{{` with `{` and `}}`
/// with `}`, as pum 1.x's formatting does. Comments are copied unchanged
/// (pum 1.x strips them before formatting, so braces in them mean nothing).
/// Errors carry `line:col`.
pub fn substitute(sql: &str, params: &Resolved) -> Result<String, String> {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    let mut copied = 0;
    let at = |pos: usize| {
        let (l, c) = line_col(sql, pos);
        format!("{l}:{c}")
    };
    // Inside a string literal, `--` and `/*` are not comments; braces are
    // substituted there too, as in pum 1.x.
    let mut in_string = false;
    // In E'...' strings a backslash escapes the next character (`\'`).
    let mut backslashes = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string && backslashes => i += 2,
            b'\'' if in_string && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b'\'' => {
                if !in_string {
                    backslashes = i > 0
                        && matches!(bytes[i - 1], b'E' | b'e')
                        && (i < 2
                            || !(bytes[i - 2].is_ascii_alphanumeric() || bytes[i - 2] == b'_'));
                }
                in_string = !in_string;
                i += 1;
            }
            b'-' if !in_string && bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'*') => {
                i = crate::deltas::sql_lexer::skip_block_comment(bytes, i);
            }
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                out.push_str(&sql[copied..i]);
                out.push('{');
                i += 2;
                copied = i;
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => {
                out.push_str(&sql[copied..i]);
                out.push('}');
                i += 2;
                copied = i;
            }
            b'}' => {
                return Err(format!(
                    "{}: single '}}' (write '}}}}' for a literal brace)",
                    at(i)
                ))
            }
            b'{' => {
                let (close, literal) =
                    placeholder(sql, i, params).map_err(|why| format!("{}: {why}", at(i)))?;
                out.push_str(&sql[copied..i]);
                out.push_str(&literal);
                i = close + 1;
                copied = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&sql[copied..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, kind: ParamType, default: Option<&str>) -> ParameterDef {
        ParameterDef {
            name: name.into(),
            kind,
            default: default.map(|d| serde_yaml::from_str(d).unwrap()),
            description: None,
            values: None,
            app_only: false,
        }
    }

    fn defs() -> Vec<ParameterDef> {
        vec![
            def("SRID", ParamType::Integer, Some("2056")),
            def("label", ParamType::Text, Some("it's")),
            def("ratio", ParamType::Decimal, Some("1.5")),
            def("flag", ParamType::Boolean, None),
            def("dir", ParamType::Path, Some("a\\b")),
        ]
    }

    #[test]
    fn defaults_and_types() {
        let p = resolve(&defs(), &[]).unwrap();
        let out = substitute("SELECT {SRID}, {label}, {ratio}, {flag}, {dir};", &p).unwrap();
        assert_eq!(out, "SELECT 2056, 'it''s', 1.5, false, E'a\\\\b';");
        assert_eq!(
            serde_json::Value::Object(p).to_string(),
            r#"{"SRID":2056,"dir":"a\\b","flag":false,"label":"it's","ratio":1.5}"#
        );
    }

    #[test]
    fn overrides_are_typed() {
        let o = |pairs: &[&str]| {
            resolve(
                &defs(),
                &pairs.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            )
        };
        let p = o(&["SRID", "21781", "flag", "YES", "ratio", "2"]).unwrap();
        assert_eq!(p["SRID"], 21781);
        assert_eq!(p["flag"], true);
        assert_eq!(to_sql(&p["ratio"]), "2");
        let err = o(&["SRID", "12a"]).unwrap_err();
        assert!(
            err.contains("SRID") && err.contains("not an integer"),
            "{err}"
        );
        let err = o(&["flag", "maybe"]).unwrap_err();
        assert!(err.contains("not a boolean"), "{err}");
        let err = o(&["ratio", "NaN"]).unwrap_err();
        assert!(err.contains("not a decimal"), "{err}");
        let err = o(&["nope", "1"]).unwrap_err();
        assert!(err.contains("unknown parameter \"nope\""), "{err}");
    }

    #[test]
    fn allowed_values() {
        let mut d = def("lang", ParamType::Text, Some("fr"));
        d.values = Some(vec!["fr".into(), "de".into()]);
        assert!(check_definition(&d).is_ok());
        let err = resolve(&[d.clone()], &["lang".into(), "en".into()]).unwrap_err();
        assert!(err.contains("not one of the allowed values"), "{err}");
        d.default = Some("it".into());
        assert!(check_definition(&d).is_err());
    }

    #[test]
    fn braces_and_comments() {
        let p = resolve(&defs(), &[]).unwrap();
        assert_eq!(
            substitute(
                "SELECT '{{\"a\": {SRID}}}'::jsonb; -- {not a param}\n/* {x} */",
                &p
            )
            .unwrap(),
            "SELECT '{\"a\": 2056}'::jsonb; -- {not a param}\n/* {x} */"
        );
        assert_eq!(
            substitute("SELECT '--{SRID}'", &p).unwrap(),
            "SELECT '--2056'"
        );
        // E'' strings: the escaped quote does not end the string.
        assert_eq!(
            substitute(r"SELECT E'it\'s -- {SRID}', {SRID}; -- {x}", &p).unwrap(),
            r"SELECT E'it\'s -- 2056', 2056; -- {x}"
        );
        let err = substitute("SELECT 1;\n  SELECT {missing};", &p).unwrap_err();
        assert!(err.starts_with("2:10: parameter \"missing\""), "{err}");
        assert!(substitute("SELECT '}'", &p)
            .unwrap_err()
            .starts_with("1:9: single"));
        assert!(substitute("SELECT {0}", &p)
            .unwrap_err()
            .contains("parameter \"0\""));
        assert!(substitute("SELECT {}", &p)
            .unwrap_err()
            .contains("not a parameter"));
        assert!(substitute("SELECT {a.b}", &p)
            .unwrap_err()
            .contains("not a parameter"));
    }

    #[test]
    fn injection_stays_a_literal() {
        let p = resolve(&defs(), &["label".into(), "x'); DROP TABLE t; --".into()]).unwrap();
        assert_eq!(
            substitute("INSERT INTO t VALUES ({label});", &p).unwrap(),
            "INSERT INTO t VALUES ('x''); DROP TABLE t; --');"
        );
        let p = resolve(&defs(), &["dir".into(), "\\'; DROP TABLE t; --".into()]).unwrap();
        assert_eq!(
            substitute("SELECT {dir};", &p).unwrap(),
            "SELECT E'\\\\''; DROP TABLE t; --';"
        );
    }
}
