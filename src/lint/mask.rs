//! Placeholders are not SQL: a delta's `%(NAME)s` variables and a module's
//! `{NAME}` parameters are replaced by an identifier of the same length
//! before parsing (`_____`), so every byte offset the parser reports is
//! still the file's. An identifier parses wherever these placeholders
//! stand: a value, a schema or table name, a type, a type modifier.

/// Which placeholders the file is written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholders {
    /// pum 0.x deltas: `%(NAME)s`.
    Variables,
    /// pum 1.x changelogs: `{NAME}`.
    Parameters,
}

/// `sql` with each placeholder turned into underscores.
pub fn mask(sql: &str, kind: Placeholders) -> String {
    let (open, close): (&str, &str) = match kind {
        Placeholders::Variables => ("%(", ")s"),
        Placeholders::Parameters => ("{", "}"),
    };
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(pos) = rest.find(open) {
        out.push_str(&rest[..pos]);
        let inner = &rest[pos + open.len()..];
        let name_len = inner
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(inner.len());
        let named = name_len > 0 && inner[name_len..].starts_with(close);
        if named {
            let whole = open.len() + name_len + close.len();
            out.push_str(&"_".repeat(whole));
            rest = &rest[pos + whole..];
        } else {
            out.push_str(open);
            rest = inner;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_same_length_identifiers() {
        let sql = "CREATE TABLE %(schema)s.t (g geometry(Point, %(srid)s)); SELECT '%s', 5 % 2;";
        let masked = mask(sql, Placeholders::Variables);
        assert_eq!(masked.len(), sql.len());
        assert_eq!(
            masked,
            "CREATE TABLE __________.t (g geometry(Point, ________)); SELECT '%s', 5 % 2;"
        );
        let sql = "ALTER TABLE {schema}.t ADD COLUMN x int DEFAULT {v}; SELECT '{}', '{1,2}';";
        assert_eq!(
            mask(sql, Placeholders::Parameters),
            "ALTER TABLE ________.t ADD COLUMN x int DEFAULT ___; SELECT '{}', '{1,2}';"
        );
        assert!(pg_query::parse(&mask(sql, Placeholders::Parameters)).is_ok());
    }
}
