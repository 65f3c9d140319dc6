//! The rules applied to parse trees. What one delta (one unit) did so far
//! is kept across its statements and files: a table it created is not an
//! existing table (it is empty, so building an index on it or rewriting it
//! costs nothing), and a validated CHECK (column IS NOT NULL) makes a
//! later SET NOT NULL cheap.

use std::collections::{HashMap, HashSet};

use pg_query::protobuf::{
    AlterTableCmd, AlterTableStmt, AlterTableType, ColumnDef, ConstrType, Constraint, IndexStmt,
    NullTestType, ObjectType, RangeVar,
};
use pg_query::{NodeEnum, NodeRef};

use super::rules;
use super::source::Parsed;

/// A table as written: schema (may be empty) and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Table {
    schema: String,
    name: String,
}

impl Table {
    fn of(rv: &RangeVar) -> Table {
        Table {
            schema: rv.schemaname.clone(),
            name: rv.relname.clone(),
        }
    }

    /// `t` and `s.t` may be the same table; `a.t` and `b.t` are not.
    fn same(&self, other: &Table) -> bool {
        self.name == other.name
            && (self.schema.is_empty() || other.schema.is_empty() || self.schema == other.schema)
    }

    fn label(&self) -> String {
        match self.schema.as_str() {
            "" => self.name.clone(),
            s => format!("{s}.{}", self.name),
        }
    }
}

/// What a unit did so far.
#[derive(Debug, Default)]
pub struct UnitState {
    created: Vec<Table>,
    /// NOT VALID checks `column IS NOT NULL`, by constraint name.
    pending_checks: HashMap<String, (Table, String)>,
    proven_not_null: HashSet<(Table, String)>,
}

impl UnitState {
    fn is_new(&self, table: &Table) -> bool {
        self.created.iter().any(|t| t.same(table))
    }

    fn proven(&self, table: &Table, column: &str) -> bool {
        self.proven_not_null
            .iter()
            .any(|(t, c)| c == column && t.same(table))
    }
}

/// One rule broken at one place of a file.
#[derive(Debug, Clone)]
pub struct Hit {
    pub rule: &'static str,
    pub offset: usize,
    /// Index of the statement, for allow comments.
    pub statement: Option<usize>,
    pub message: String,
}

/// Applies every rule to one parsed file of a unit.
pub fn check_file(parsed: &Parsed, no_transaction: bool, state: &mut UnitState) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut timeout_set = false;
    for (i, stmt) in parsed.statements.iter().enumerate() {
        let Some(node) = &stmt.node.node else {
            continue;
        };
        let mut at = Ctx {
            statement: i,
            start: stmt.start,
            hits: &mut hits,
        };
        if let NodeEnum::VariableSetStmt(set) = node {
            timeout_set |= set.name.eq_ignore_ascii_case("lock_timeout");
            continue;
        }
        if no_transaction && !timeout_set {
            timeout_set = true;
            at.hit(rules::LOCK_TIMEOUT, None, "this delta runs without a transaction and sets no lock_timeout before its first statement".into());
        }
        statement(node, &mut at, state);
    }
    hits
}

struct Ctx<'a> {
    statement: usize,
    start: usize,
    hits: &'a mut Vec<Hit>,
}

impl Ctx<'_> {
    /// Records a hit at `location` (a parser location, -1 when unknown)
    /// or else at the statement's start.
    fn hit(&mut self, rule: &'static str, location: Option<i32>, what: String) {
        let r = rules::get(rule);
        let offset = location
            .filter(|l| *l >= 0)
            .map_or(self.start, |l| (l as usize).max(self.start));
        self.hits.push(Hit {
            rule,
            offset,
            statement: Some(self.statement),
            message: format!("{what}: {}; {}", r.full, r.help),
        });
    }
}

fn statement(node: &NodeEnum, at: &mut Ctx<'_>, state: &mut UnitState) {
    match node {
        NodeEnum::CreateStmt(c) => state.created.extend(c.relation.as_ref().map(Table::of)),
        NodeEnum::CreateTableAsStmt(c) => state
            .created
            .extend(c.into.as_ref().and_then(|i| i.rel.as_ref()).map(Table::of)),
        NodeEnum::IndexStmt(ix) => index(ix, at, state),
        NodeEnum::AlterTableStmt(alter) => alter_table(alter, at, state),
        NodeEnum::RenameStmt(r) if r.rename_type == ObjectType::ObjectColumn as i32 => {
            let table = r.relation.as_ref().map(Table::of);
            if !table.as_ref().is_some_and(|t| state.is_new(t)) {
                let on = table.map(|t| t.label()).unwrap_or_default();
                at.hit(
                    rules::RENAME_COLUMN,
                    None,
                    format!("column {on}.{} renamed to {}", r.subname, r.newname),
                );
            }
        }
        NodeEnum::VacuumStmt(v) if v.is_vacuumcmd => {
            let full = v.options.iter().find_map(|o| match &o.node {
                Some(NodeEnum::DefElem(d))
                    if d.defname == "full" && !is_false(d.arg.as_deref()) =>
                {
                    Some(d.location)
                }
                _ => None,
            });
            if let Some(location) = full {
                at.hit(rules::VACUUM_FULL, Some(location), "VACUUM FULL".into());
            }
        }
        NodeEnum::ClusterStmt(c) => {
            let on = c
                .relation
                .as_ref()
                .map(|r| format!(" {}", Table::of(r).label()));
            at.hit(
                rules::CLUSTER,
                None,
                format!("CLUSTER{}", on.unwrap_or_default()),
            );
        }
        NodeEnum::LockStmt(_) => at.hit(rules::LOCK_TABLE, None, "LOCK TABLE".into()),
        _ => {}
    }
}

/// `(full false)`: an option turned off.
fn is_false(arg: Option<&pg_query::protobuf::Node>) -> bool {
    match arg.and_then(|a| a.node.as_ref()) {
        Some(NodeEnum::Boolean(b)) => !b.boolval,
        Some(NodeEnum::String(s)) => {
            matches!(s.sval.to_ascii_lowercase().as_str(), "false" | "off" | "0")
        }
        Some(NodeEnum::Integer(i)) => i.ival == 0,
        _ => false,
    }
}

fn index(ix: &IndexStmt, at: &mut Ctx<'_>, state: &UnitState) {
    let Some(table) = ix.relation.as_ref().map(Table::of) else {
        return;
    };
    if ix.concurrent || state.is_new(&table) {
        return;
    }
    let name = if ix.idxname.is_empty() {
        String::new()
    } else {
        format!(" {}", ix.idxname)
    };
    at.hit(
        rules::INDEX,
        None,
        format!(
            "index{name} built on {} without CONCURRENTLY",
            table.label()
        ),
    );
}

fn alter_table(alter: &AlterTableStmt, at: &mut Ctx<'_>, state: &mut UnitState) {
    let Some(table) = alter.relation.as_ref().map(Table::of) else {
        return;
    };
    if alter.objtype != ObjectType::ObjectTable as i32 {
        return;
    }
    let new = state.is_new(&table);
    for cmd in &alter.cmds {
        if let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node {
            command(cmd, &table, new, at, state);
        }
    }
}

fn command(cmd: &AlterTableCmd, table: &Table, new: bool, at: &mut Ctx<'_>, state: &mut UnitState) {
    let def = cmd.def.as_deref().and_then(|d| d.node.as_ref());
    let kind = AlterTableType::try_from(cmd.subtype).unwrap_or(AlterTableType::Undefined);
    let column = format!("{}.{}", table.label(), cmd.name);
    match (kind, def) {
        (AlterTableType::AtAddConstraint, Some(NodeEnum::Constraint(c))) => {
            note_not_null_check(c, table, state);
            if !new {
                constraint(c, table, at);
            }
        }
        (AlterTableType::AtValidateConstraint, _) => {
            if let Some(proof) = state.pending_checks.remove(&cmd.name) {
                state.proven_not_null.insert(proof);
            }
        }
        _ if new => {}
        (AlterTableType::AtAlterColumnType, def) => {
            let location = match def {
                Some(NodeEnum::ColumnDef(d)) => d.type_name.as_ref().map(|t| t.location),
                _ => None,
            };
            at.hit(rules::COLUMN_TYPE, location, format!("type of column {column} changed"));
        }
        (AlterTableType::AtAddColumn, Some(NodeEnum::ColumnDef(d))) => {
            if let Some(why) = volatile_default(d) {
                at.hit(
                    rules::VOLATILE_DEFAULT,
                    Some(d.location),
                    format!("column {}.{} added with {why}", table.label(), d.colname),
                );
            }
        }
        (AlterTableType::AtSetNotNull, _) if !state.proven(table, &cmd.name) => at.hit(
            rules::SET_NOT_NULL,
            None,
            format!("SET NOT NULL on column {column} with no validated CHECK ({} IS NOT NULL) before it", cmd.name),
        ),
        (AlterTableType::AtDropColumn, _) => {
            at.hit(rules::DROP_COLUMN, None, format!("column {column} dropped"))
        }
        _ => {}
    }
}

/// Remembers a CHECK (column IS NOT NULL): proven now when validated as it
/// is added, or once a VALIDATE CONSTRAINT names it.
fn note_not_null_check(c: &Constraint, table: &Table, state: &mut UnitState) {
    if c.contype != ConstrType::ConstrCheck as i32 {
        return;
    }
    let Some(NodeEnum::NullTest(test)) = c.raw_expr.as_deref().and_then(|e| e.node.as_ref()) else {
        return;
    };
    if test.nulltesttype != NullTestType::IsNotNull as i32 {
        return;
    }
    let Some(NodeEnum::ColumnRef(col)) = test.arg.as_deref().and_then(|a| a.node.as_ref()) else {
        return;
    };
    let Some(NodeEnum::String(name)) = col.fields.last().and_then(|f| f.node.as_ref()) else {
        return;
    };
    let proof = (table.clone(), name.sval.clone());
    if c.skip_validation {
        state.pending_checks.insert(c.conname.clone(), proof);
    } else {
        state.proven_not_null.insert(proof);
    }
}

fn constraint(c: &Constraint, table: &Table, at: &mut Ctx<'_>) {
    let kind = ConstrType::try_from(c.contype).unwrap_or(ConstrType::Undefined);
    let name = if c.conname.is_empty() {
        String::new()
    } else {
        format!(" {}", c.conname)
    };
    match kind {
        ConstrType::ConstrForeign | ConstrType::ConstrCheck if !c.skip_validation => {
            let what = if kind == ConstrType::ConstrCheck {
                "CHECK"
            } else {
                "foreign key"
            };
            at.hit(
                rules::NOT_VALID,
                Some(c.location),
                format!(
                    "{what} constraint{name} added to {} without NOT VALID",
                    table.label()
                ),
            );
        }
        ConstrType::ConstrPrimary | ConstrType::ConstrUnique if c.indexname.is_empty() => {
            at.hit(
                rules::INDEX,
                Some(c.location),
                format!(
                    "constraint{name} on {} builds its index without CONCURRENTLY",
                    table.label()
                ),
            );
        }
        _ => {}
    }
}

/// Why a new column's default rewrites the table, if it does.
fn volatile_default(d: &ColumnDef) -> Option<String> {
    let type_name = d
        .type_name
        .as_ref()
        .and_then(|t| t.names.last())
        .and_then(|n| match &n.node {
            Some(NodeEnum::String(s)) => Some(s.sval.to_ascii_lowercase()),
            _ => None,
        });
    if let Some(t) = type_name.filter(|t| rules::SERIAL_TYPES.contains(&t.as_str())) {
        return Some(format!("type {t} (a nextval() default)"));
    }
    for c in &d.constraints {
        let Some(NodeEnum::Constraint(c)) = &c.node else {
            continue;
        };
        match ConstrType::try_from(c.contype).unwrap_or(ConstrType::Undefined) {
            ConstrType::ConstrIdentity => return Some("an identity".into()),
            ConstrType::ConstrGenerated => return Some("a stored generated expression".into()),
            ConstrType::ConstrDefault => {
                if let Some(f) = c.raw_expr.as_deref().and_then(volatile_call) {
                    return Some(format!("the volatile default {f}()"));
                }
            }
            _ => {}
        }
    }
    None
}

/// The first volatile function called anywhere in an expression.
fn volatile_call(expr: &pg_query::protobuf::Node) -> Option<String> {
    let root = expr.node.as_ref()?;
    let mut calls = root
        .nodes()
        .into_iter()
        .map(|(n, ..)| n)
        .collect::<Vec<_>>();
    calls.insert(0, root.to_ref());
    calls.into_iter().find_map(|n| match n {
        NodeRef::FuncCall(f) => f
            .funcname
            .last()
            .and_then(|n| match &n.node {
                Some(NodeEnum::String(s)) => Some(s.sval.to_ascii_lowercase()),
                _ => None,
            })
            .filter(|name| rules::VOLATILE_FUNCTIONS.contains(&name.as_str())),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_of(sql: &str, no_transaction: bool) -> Vec<&'static str> {
        let parsed = crate::lint::source::parse(std::path::Path::new("t.sql"), sql).unwrap();
        check_file(&parsed, no_transaction, &mut UnitState::default())
            .iter()
            .map(|h| h.rule)
            .collect()
    }

    #[test]
    fn rewrites_by_default_are_told_from_cheap_defaults() {
        for sql in [
            "ALTER TABLE t ADD COLUMN id bigserial",
            "ALTER TABLE t ADD COLUMN id int GENERATED ALWAYS AS IDENTITY",
            "ALTER TABLE t ADD COLUMN n int GENERATED ALWAYS AS (a + 1) STORED",
            "ALTER TABLE t ADD COLUMN r float8 DEFAULT round(random() * 10)",
            "ALTER TABLE t ADD COLUMN s int DEFAULT nextval('s'::regclass)",
        ] {
            assert_eq!(rules_of(sql, false), [rules::VOLATILE_DEFAULT], "{sql}");
        }
        for sql in [
            "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now()",
            "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT current_timestamp",
            "ALTER TABLE t ADD COLUMN k text DEFAULT 'x' NOT NULL",
            "ALTER TABLE t ALTER COLUMN k SET DEFAULT random()",
        ] {
            assert!(rules_of(sql, false).is_empty(), "{sql}");
        }
    }

    #[test]
    fn new_tables_are_matched_with_or_without_their_schema() {
        let sql = "CREATE TABLE s.t (a int); CREATE INDEX ON t (a); ALTER TABLE s.t ALTER COLUMN a TYPE bigint;\
                   CREATE INDEX ON other.t (a);";
        assert_eq!(rules_of(sql, false), [rules::INDEX]);
    }

    #[test]
    fn vacuum_full_off_and_timeouts_set_first_are_fine() {
        assert!(rules_of(
            "VACUUM (FULL false) t; VACUUM (FULL off) t; VACUUM t;",
            false
        )
        .is_empty());
        assert_eq!(
            rules_of("VACUUM (FULL, ANALYZE) t;", false),
            [rules::VACUUM_FULL]
        );
        assert!(rules_of("SET lock_timeout = '1s'; DROP INDEX CONCURRENTLY i;", true).is_empty());
        assert_eq!(
            rules_of(
                "SET statement_timeout = 0; DROP INDEX CONCURRENTLY i; SET lock_timeout = '1s';",
                true
            ),
            [rules::LOCK_TIMEOUT]
        );
    }

    #[test]
    fn a_not_null_check_proves_set_not_null_only_once_validated_on_that_column() {
        let validated = "ALTER TABLE t ADD CONSTRAINT c CHECK (a IS NOT NULL) NOT VALID;\
                         ALTER TABLE t VALIDATE CONSTRAINT c;\
                         ALTER TABLE t ALTER COLUMN a SET NOT NULL;";
        assert!(rules_of(validated, false).is_empty());
        let unvalidated = "ALTER TABLE t ADD CONSTRAINT c CHECK (a IS NOT NULL) NOT VALID;\
                           ALTER TABLE t ALTER COLUMN a SET NOT NULL;";
        assert_eq!(rules_of(unvalidated, false), [rules::SET_NOT_NULL]);
        let other_column = "ALTER TABLE t ADD CONSTRAINT c CHECK (b IS NOT NULL) NOT VALID;\
                            ALTER TABLE t VALIDATE CONSTRAINT c;\
                            ALTER TABLE t ALTER COLUMN a SET NOT NULL;";
        assert_eq!(rules_of(other_column, false), [rules::SET_NOT_NULL]);
    }
}
