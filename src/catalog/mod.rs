//! Reading a database's schema into a plain, comparable [`Catalog`]. One query
//! per object kind (in `sql/<kind>.sql`), all read from `pg_catalog` inside one
//! read-only, repeatable-read transaction so the picture is consistent. System
//! schemas and objects that belong to an extension are never read; the schema
//! filters are bound parameters of every query. Deciding what differs is the
//! job of `crate::diff`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use postgres::{Client, IsolationLevel};

use crate::error::{Error, Result};
use crate::service::ConnParams;

/// The kinds of objects `check` compares; each can be ignored by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Schemas,
    Extensions,
    Collations,
    Types,
    Tables,
    Columns,
    Constraints,
    Indexes,
    Sequences,
    Views,
    MaterializedViews,
    Functions,
    Triggers,
    Rules,
    Policies,
    Partitions,
    Privileges,
    Owners,
    Comments,
    EventTriggers,
    Publications,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 21] = [
        Kind::Schemas,
        Kind::Extensions,
        Kind::Collations,
        Kind::Types,
        Kind::Tables,
        Kind::Columns,
        Kind::Constraints,
        Kind::Indexes,
        Kind::Sequences,
        Kind::Views,
        Kind::MaterializedViews,
        Kind::Functions,
        Kind::Triggers,
        Kind::Rules,
        Kind::Policies,
        Kind::Partitions,
        Kind::Privileges,
        Kind::Owners,
        Kind::Comments,
        Kind::EventTriggers,
        Kind::Publications,
    ];

    /// The name used by `-i/--ignore`, `ignore_elements` and the JSON report.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Schemas => "schemas",
            Kind::Extensions => "extensions",
            Kind::Collations => "collations",
            Kind::Types => "types",
            Kind::Tables => "tables",
            Kind::Columns => "columns",
            Kind::Constraints => "constraints",
            Kind::Indexes => "indexes",
            Kind::Sequences => "sequences",
            Kind::Views => "views",
            Kind::MaterializedViews => "materialized_views",
            Kind::Functions => "functions",
            Kind::Triggers => "triggers",
            Kind::Rules => "rules",
            Kind::Policies => "policies",
            Kind::Partitions => "partitions",
            Kind::Privileges => "privileges",
            Kind::Owners => "owners",
            Kind::Comments => "comments",
            Kind::EventTriggers => "event_triggers",
            Kind::Publications => "publications",
        }
    }

    /// Parses a kind name; `-` and `_` are interchangeable, case is ignored.
    pub fn parse(name: &str) -> Option<Kind> {
        let norm = name.trim().to_ascii_lowercase().replace('-', "_");
        Kind::ALL.into_iter().find(|k| k.name() == norm)
    }

    /// The full query: the shared prelude followed by the kind's own SELECT.
    fn query(self) -> &'static str {
        macro_rules! q {
            ($file:literal) => {
                concat!(
                    include_str!("sql/prelude.sql"),
                    include_str!(concat!("sql/", $file, ".sql"))
                )
            };
        }
        match self {
            Kind::Schemas => q!("schemas"),
            Kind::Extensions => q!("extensions"),
            Kind::Collations => q!("collations"),
            Kind::Types => q!("types"),
            Kind::Tables => q!("tables"),
            Kind::Columns => q!("columns"),
            Kind::Constraints => q!("constraints"),
            Kind::Indexes => q!("indexes"),
            Kind::Sequences => q!("sequences"),
            Kind::Views => q!("views"),
            Kind::MaterializedViews => q!("materialized_views"),
            Kind::Functions => q!("functions"),
            Kind::Triggers => q!("triggers"),
            Kind::Rules => q!("rules"),
            Kind::Policies => q!("policies"),
            Kind::Partitions => q!("partitions"),
            Kind::Privileges => q!("privileges"),
            Kind::Owners => q!("owners"),
            Kind::Comments => q!("comments"),
            Kind::EventTriggers => q!("event_triggers"),
            Kind::Publications => q!("publications"),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One object: what contains it (for reporting a missing container once) and
/// its compared values, in the order of [`Objects::fields`]. Values are
/// shared (`Arc<str>`): most are repeated thousands of times (`integer`,
/// `false`, a table name as parent), and a 20 000-table catalog stays small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub parent: Option<(Kind, Arc<str>)>,
    pub values: Vec<Option<Arc<str>>>,
}

/// All objects of one kind, keyed by their identity (`public.t.col`,
/// `public.f(integer)`, `table public.t to alice`...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Objects {
    /// Names of the compared fields (`type`, `definition`...).
    pub fields: Vec<String>,
    pub items: BTreeMap<String, Object>,
}

impl Objects {
    /// The value of `field` of `object`, if both exist.
    pub fn value(&self, object: &Object, field: &str) -> Option<String> {
        let i = self.fields.iter().position(|f| f == field)?;
        object.values.get(i)?.as_deref().map(str::to_string)
    }
}

/// The schema of one database, as plain values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    pub kinds: BTreeMap<Kind, Objects>,
}

impl Catalog {
    pub fn objects(&self, kind: Kind) -> Option<&Objects> {
        self.kinds.get(&kind)
    }

    pub fn contains(&self, kind: Kind, identity: &str) -> bool {
        self.kinds
            .get(&kind)
            .is_some_and(|o| o.items.contains_key(identity))
    }

    /// Adds an object (tests and tools building catalogs by hand). Fields
    /// not yet known to the kind are appended to its field list.
    pub fn add(
        &mut self,
        kind: Kind,
        identity: &str,
        parent: Option<(Kind, &str)>,
        fields: &[(&str, Option<&str>)],
    ) -> &mut Self {
        let objects = self.kinds.entry(kind).or_default();
        for (name, _) in fields {
            if !objects.fields.iter().any(|f| f == name) {
                objects.fields.push((*name).to_string());
            }
        }
        let mut values = vec![None; objects.fields.len()];
        for (name, value) in fields {
            let i = objects.fields.iter().position(|f| f == name).unwrap();
            values[i] = value.map(Arc::from);
        }
        for other in objects.items.values_mut() {
            other.values.resize(objects.fields.len(), None);
        }
        objects.items.insert(
            identity.to_string(),
            Object {
                parent: parent.map(|(k, p)| (k, Arc::from(p))),
                values,
            },
        );
        self
    }
}

/// Which schemas and columns to read. Patterns are already SQL LIKE patterns.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub exclude_schemas: Vec<String>,
    pub schemas: Vec<String>,
    pub exclude_columns: Vec<String>,
}

/// Turns a shell-style pattern (`*`, `?`) into a LIKE pattern that matches
/// exactly that, escaping LIKE's own wildcards.
pub fn glob_to_like(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    for c in pattern.chars() {
        match c {
            '*' => out.push('%'),
            '?' => out.push('_'),
            '%' | '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Connects to `params` and reads its catalog.
pub fn read(params: &ConnParams, filters: &Filters) -> Result<Catalog> {
    Ok(read_identified(params, filters)?.1)
}

/// Reads the catalog and which database it is (see [`crate::db::identity`])
/// on the same connection.
pub fn read_identified(
    params: &ConnParams,
    filters: &Filters,
) -> Result<(crate::db::identity::DatabaseId, Catalog)> {
    let mut client = crate::db::connect(params)?;
    // On a big catalog this takes a while: a signal cancels it.
    let _cancel = crate::interrupt::watch_queries(&client, params);
    let read = |client: &mut Client| {
        let database = crate::db::identity::of_session(client)?;
        Ok((database, introspect(client, filters)?))
    };
    read(&mut client).map_err(|e| match e {
        Error::Sql { context, message } => Error::Sql {
            context: format!("{context} of {}", params.target()),
            message,
        },
        other => other,
    })
}

/// Reads the catalog through an open connection.
pub fn introspect(client: &mut Client, filters: &Filters) -> Result<Catalog> {
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(|e| Error::sql("starting the catalog transaction", e))?;
    // Names outside pg_catalog come out schema-qualified whatever the
    // database's own search_path is, so both sides print them alike. The
    // catalog queries are many short expressions over many rows: JIT
    // compilation costs more than it saves (over half a second per query on
    // big catalogs), and parallel workers only add start-up time.
    tx.batch_execute(
        "SET LOCAL search_path = pg_catalog; SET LOCAL jit = off; \
         SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL work_mem = '64MB'",
    )
    .map_err(|e| Error::sql("setting up the catalog session", e))?;
    let mut catalog = Catalog::default();
    for kind in Kind::ALL {
        let objects = read_kind(&mut tx, kind, filters)?;
        catalog.kinds.insert(kind, objects);
    }
    tx.commit()
        .map_err(|e| Error::sql("ending the catalog transaction", e))?;
    Ok(catalog)
}

fn read_kind(tx: &mut postgres::Transaction<'_>, kind: Kind, filters: &Filters) -> Result<Objects> {
    let context = || format!("reading {kind}");
    let stmt = tx
        .prepare(kind.query())
        .map_err(|e| Error::sql(context(), e))?;
    let all: [&(dyn ToSql + Sync); 3] = [
        &filters.exclude_schemas,
        &filters.schemas,
        &filters.exclude_columns,
    ];
    let wanted = stmt.params().len();
    let fields: Vec<String> = stmt.columns()[3..]
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let mut rows = tx
        .query_raw(&stmt, all[..wanted].iter().copied())
        .map_err(|e| Error::sql(context(), e))?;
    let mut items = BTreeMap::new();
    let mut pool = Interner::default();
    while let Some(row) = rows.next().map_err(|e| Error::sql(context(), e))? {
        let identity: String = row.get(0);
        let parent_kind: Option<&str> = row.get(1);
        let parent: Option<&str> = row.get(2);
        let parent = match (parent_kind.and_then(Kind::parse), parent) {
            (Some(k), Some(p)) => Some((k, pool.get(p))),
            _ => None,
        };
        let values = (3..row.len())
            .map(|i| {
                row.get::<_, Option<&str>>(i)
                    .map(|v| pool.get(&normalize(v)))
            })
            .collect();
        items.insert(identity, Object { parent, values });
    }
    let mut objects = Objects { fields, items };
    if kind == Kind::Columns {
        renumber_positions(&mut objects);
    }
    Ok(objects)
}

/// Shares equal strings between the objects of one kind.
#[derive(Default)]
struct Interner(HashSet<Arc<str>>);

impl Interner {
    /// Long values (definitions) are rarely repeated; only short ones are pooled.
    const MAX_POOLED: usize = 64;

    fn get(&mut self, value: &str) -> Arc<str> {
        if value.len() > Self::MAX_POOLED {
            return Arc::from(value);
        }
        if let Some(v) = self.0.get(value) {
            return v.clone();
        }
        let v: Arc<str> = Arc::from(value);
        self.0.insert(v.clone());
        v
    }
}

/// The columns query returns `attnum` as `position`; dropped columns leave
/// gaps in it, so it becomes the place among the table's live columns (1, 2,
/// ...): a column added after one was dropped is still in the same position.
fn renumber_positions(objects: &mut Objects) {
    let Some(field) = objects.fields.iter().position(|f| f == "position") else {
        return;
    };
    let mut by_table: HashMap<Arc<str>, Vec<(i64, &mut Object)>> = HashMap::new();
    for object in objects.items.values_mut() {
        let attnum = object.values[field]
            .as_deref()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let table = object
            .parent
            .as_ref()
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| Arc::from(""));
        by_table.entry(table).or_default().push((attnum, object));
    }
    let mut numbers: Vec<Arc<str>> = Vec::new();
    for columns in by_table.values_mut() {
        columns.sort_by_key(|(attnum, _)| *attnum);
        for (i, (_, object)) in columns.iter_mut().enumerate() {
            while numbers.len() <= i {
                numbers.push(Arc::from((numbers.len() + 1).to_string()));
            }
            object.values[field] = Some(numbers[i].clone());
        }
    }
}

/// Removes what never changes behaviour: trailing whitespace at line ends
/// and at the end of the text.
pub fn normalize(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\n') {
        return std::borrow::Cow::Borrowed(text.trim_end());
    }
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_by_name() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.name()), Some(k));
        }
        assert_eq!(
            Kind::parse("Materialized-Views"),
            Some(Kind::MaterializedViews)
        );
        assert_eq!(Kind::parse("table"), None);
    }

    #[test]
    fn globs_become_like_patterns() {
        assert_eq!(glob_to_like("audit_*"), "audit\\_%");
        assert_eq!(glob_to_like("s?"), "s_");
        assert_eq!(glob_to_like("100%"), "100\\%");
    }

    #[test]
    fn positions_skip_dropped_columns() {
        let mut cat = Catalog::default();
        // attnum 1 and 3: column 2 was dropped; u has its columns in order.
        for (col, table, attnum) in [
            ("a", "t", "1"),
            ("c", "t", "3"),
            ("x", "u", "2"),
            ("w", "u", "1"),
        ] {
            cat.add(
                Kind::Columns,
                &format!("{table}.{col}"),
                Some((Kind::Tables, table)),
                &[("type", Some("integer")), ("position", Some(attnum))],
            );
        }
        let objects = cat.kinds.get_mut(&Kind::Columns).unwrap();
        renumber_positions(objects);
        let pos = |name: &str| objects.value(&objects.items[name], "position").unwrap();
        assert_eq!(pos("t.a"), "1");
        assert_eq!(pos("t.c"), "2");
        assert_eq!(pos("u.w"), "1");
        assert_eq!(pos("u.x"), "2");
    }

    #[test]
    fn interner_shares_short_values_only() {
        let mut pool = Interner::default();
        let a = pool.get("integer");
        let b = pool.get("integer");
        assert!(Arc::ptr_eq(&a, &b));
        let long = "x".repeat(Interner::MAX_POOLED + 1);
        assert!(!Arc::ptr_eq(&pool.get(&long), &pool.get(&long)));
    }

    #[test]
    fn normalize_strips_only_trailing_whitespace() {
        assert_eq!(normalize("a  \n  b\t\n\n"), "a\n  b");
        assert_eq!(normalize("x "), "x");
        assert_eq!(normalize("a  b"), "a  b");
    }
}
