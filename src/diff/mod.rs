//! Comparing two catalogs. [`compare`] is a pure function of two [`Catalog`]
//! values and the [`Options`]; [`check`] reads both databases concurrently and
//! compares them. Rendering the result (text, JSON) lives in `render`.

mod ci;
mod html;
mod normalize;
mod pum1;
mod render;

use std::cmp::Ordering;
use std::collections::BTreeSet;

use serde::Serialize;

use crate::catalog::{self, Catalog, Filters, Kind, Objects};
use crate::error::Result;
use crate::service::ConnParams;

/// What to compare.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Kinds left out of the comparison.
    pub ignore: BTreeSet<Kind>,
    /// Schemas not read at all: exact names or `*`/`?` patterns.
    pub exclude_schemas: Vec<String>,
    /// When not empty, only these schemas are read (names or patterns).
    pub schemas: Vec<String>,
    /// SQL LIKE patterns of column names left out.
    pub exclude_field_patterns: Vec<String>,
    /// Whether the order of a table's columns, and of a view's output
    /// columns, counts.
    pub column_order: bool,
}

impl Options {
    /// The filters pushed into the catalog queries.
    pub fn filters(&self) -> Filters {
        Filters {
            exclude_schemas: self
                .exclude_schemas
                .iter()
                .map(|s| catalog::glob_to_like(s))
                .collect(),
            schemas: self
                .schemas
                .iter()
                .map(|s| catalog::glob_to_like(s))
                .collect(),
            exclude_columns: self.exclude_field_patterns.clone(),
        }
    }
}

/// Which database holds an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Only in the first database.
    Left,
    /// Only in the second database.
    Right,
    /// In both, with a field that differs.
    Both,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
            Side::Both => "both",
        }
    }
}

/// One difference: an object on one side only, or one field of an object
/// present on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub kind: Kind,
    pub object: String,
    pub side: Side,
    /// The field that differs (`Side::Both` only).
    pub field: Option<String>,
    pub left: Option<String>,
    pub right: Option<String>,
}

impl Difference {
    /// The object is in one database only.
    pub fn one_side(kind: Kind, object: &str, side: Side) -> Difference {
        Difference {
            kind,
            object: object.to_string(),
            side,
            field: None,
            left: None,
            right: None,
        }
    }

    /// The object is in both databases, and `field` differs.
    pub fn changed(
        kind: Kind,
        object: &str,
        field: &str,
        left: Option<&str>,
        right: Option<&str>,
    ) -> Difference {
        Difference {
            kind,
            object: object.to_string(),
            side: Side::Both,
            field: Some(field.to_string()),
            left: left.map(str::to_string),
            right: right.map(str::to_string),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.json_view()).expect("JSON values always serialise")
    }

    fn json_view(&self) -> JsonDifference<'_> {
        JsonDifference {
            kind: self.kind.name(),
            object: &self.object,
            side: self.side.name(),
            field: self.field.as_deref(),
            left: self.left.as_deref(),
            right: self.right.as_deref(),
        }
    }
}

/// The JSON report's shape, in its documented key order (a
/// `serde_json::Value` would sort the keys when printed).
#[derive(Serialize)]
struct JsonReport<'a> {
    verdict: &'static str,
    count: usize,
    differences: Vec<JsonDifference<'a>>,
}

#[derive(Serialize)]
struct JsonDifference<'a> {
    kind: &'static str,
    object: &'a str,
    side: &'static str,
    field: Option<&'a str>,
    left: Option<&'a str>,
    right: Option<&'a str>,
}

/// The result of a check.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub differences: Vec<Difference>,
    /// Both sides are one database (however they were named).
    pub same_database: bool,
    /// The kinds compared (not ignored), in report order.
    pub compared: Vec<Kind>,
}

impl Report {
    /// How many differences of `kind` are only in the first database, only
    /// in the second, and changed between them.
    pub fn counts(&self, kind: Kind) -> (usize, usize, usize) {
        let of = |side| {
            self.differences
                .iter()
                .filter(|d| d.kind == kind && d.side == side)
                .count()
        };
        (of(Side::Left), of(Side::Right), of(Side::Both))
    }

    pub fn is_empty(&self) -> bool {
        self.differences.is_empty()
    }

    /// The JSON report: `{verdict, count, differences: [...]}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.json_view()).expect("JSON values always serialise")
    }

    /// The JSON report as pretty-printed text, keys in the documented order.
    pub fn to_json_string(&self) -> String {
        serde_json::to_string_pretty(&self.json_view()).expect("JSON values always serialise")
    }

    fn json_view(&self) -> JsonReport<'_> {
        JsonReport {
            verdict: if self.is_empty() { "ok" } else { "differences" },
            count: self.differences.len(),
            differences: self.differences.iter().map(Difference::json_view).collect(),
        }
    }

    /// `OK` or `N differences`.
    pub fn verdict(&self) -> String {
        match self.differences.len() {
            0 => "OK".to_string(),
            1 => "1 difference".to_string(),
            n => format!("{n} differences"),
        }
    }
}

/// Reads both databases at the same time (one thread each) and compares them.
pub fn check(left: &ConnParams, right: &ConnParams, opts: &Options) -> Result<Report> {
    let filters = opts.filters();
    let (l, r) = std::thread::scope(|s| {
        let other = s.spawn(|| catalog::read_identified(left, &filters));
        let r = catalog::read_identified(right, &filters);
        let l = other
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (l, r)
    });
    let ((left_id, l), (right_id, r)) = (l?, r?);
    let differences = compare(&l, &r, opts);
    let same_database = left_id.is(&right_id);
    // Freeing hundreds of thousands of small values takes a noticeable
    // moment on big catalogs; nobody needs to wait for it.
    std::thread::spawn(move || drop((l, r)));
    Ok(Report {
        differences,
        same_database,
        compared: Kind::ALL
            .into_iter()
            .filter(|k| !opts.ignore.contains(k))
            .collect(),
    })
}

/// Every difference between `left` and `right`, kind by kind in report
/// order, objects sorted by identity. An object whose container (table,
/// schema...) is itself missing on the other side is not reported: the
/// container is, once. When the container's kind is ignored, the object is
/// reported under its own kind instead (`-i tables` still lists the columns
/// of a table that exists on one side only, as pum 0.x's column check does).
pub fn compare(left: &Catalog, right: &Catalog, opts: &Options) -> Vec<Difference> {
    let empty = Objects::default();
    let mut out = Vec::new();
    for kind in Kind::ALL {
        if opts.ignore.contains(&kind) {
            continue;
        }
        let l = left.objects(kind).unwrap_or(&empty);
        let r = right.objects(kind).unwrap_or(&empty);
        // Each compared field with its column on either side, worked out once
        // per kind rather than once per object.
        let mut fields: Vec<(&str, Option<usize>, Option<usize>)> = Vec::new();
        for name in l.fields.iter().chain(&r.fields) {
            if fields.iter().any(|(f, _, _)| f == name)
                || (kind == Kind::Columns && name == "position" && !opts.column_order)
            {
                continue;
            }
            let at_left = l.fields.iter().position(|f| f == name);
            let at_right = r.fields.iter().position(|f| f == name);
            fields.push((name, at_left, at_right));
        }

        // Both sides are sorted by identity: walk them side by side.
        let mut lefts = l.items.iter().peekable();
        let mut rights = r.items.iter().peekable();
        loop {
            let next = match (lefts.peek(), rights.peek()) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some((a, _)), Some((b, _))) => a.cmp(b),
            };
            match next {
                Ordering::Less => {
                    let (name, obj) = lefts.next().unwrap();
                    if !folded(kind, name, obj, left, right, &opts.ignore) {
                        out.push(Difference::one_side(kind, name, Side::Left));
                    }
                }
                Ordering::Greater => {
                    let (name, obj) = rights.next().unwrap();
                    if !folded(kind, name, obj, right, left, &opts.ignore) {
                        out.push(Difference::one_side(kind, name, Side::Right));
                    }
                }
                Ordering::Equal => {
                    let (name, lo) = lefts.next().unwrap();
                    let (_, ro) = rights.next().unwrap();
                    for &(field, at_left, at_right) in &fields {
                        let lv = at_left.and_then(|i| lo.values.get(i)?.as_deref());
                        let rv = at_right.and_then(|i| ro.values.get(i)?.as_deref());
                        if lv != rv && !equivalent(kind, field, lv, rv, opts) {
                            out.push(Difference::changed(kind, name, field, lv, rv));
                        }
                    }
                }
            }
        }
    }
    out
}

/// Whether the object is folded into a container reported in its place:
/// the nearest container missing from `other` whose kind is compared. A
/// container present in `other` makes the object itself the difference;
/// an ignored missing container passes the question to its own container,
/// except for what only describes that container (its owner, grants,
/// comment, row-security switches), which goes with it.
fn folded(
    kind: Kind,
    identity: &str,
    obj: &catalog::Object,
    own: &Catalog,
    other: &Catalog,
    ignore: &BTreeSet<Kind>,
) -> bool {
    let mut container = obj.parent.clone();
    let mut direct = true;
    // Containers nest a few levels deep; the bound only guards a cycle.
    for _ in 0..16 {
        let Some((parent_kind, name)) = container else {
            return false;
        };
        if other.contains(parent_kind, name.as_ref()) {
            return false;
        }
        let describes = direct
            && (matches!(kind, Kind::Owners | Kind::Privileges | Kind::Comments)
                || identity == name.as_ref());
        if !ignore.contains(&parent_kind) || describes {
            return true;
        }
        direct = false;
        container = own
            .objects(parent_kind)
            .and_then(|o| o.items.get(name.as_ref()))
            .and_then(|o| o.parent.clone());
    }
    false
}

/// Whether the field holds SQL that the server deparses, compared in a
/// canonical form (see [`normalize::expression`]).
fn deparsed(kind: Kind, field: &str) -> bool {
    use Kind::*;
    matches!(
        (kind, field),
        (Columns, "default" | "generated")
            | (
                Constraints | Indexes | Views | MaterializedViews | Triggers | Rules,
                "definition"
            )
            | (Policies, "using" | "with_check")
            | (Types, "constraints" | "default")
            | (Partitions, "bound")
    )
}

/// Whether two different texts of one field say the same thing: a
/// deparsed expression spelt differently, or (unless `--column-order`) a
/// view whose output columns come in another order.
fn equivalent(
    kind: Kind,
    field: &str,
    left: Option<&str>,
    right: Option<&str>,
    opts: &Options,
) -> bool {
    let (Some(l), Some(r)) = (left, right) else {
        return false;
    };
    if !deparsed(kind, field) {
        return false;
    }
    let (l, r) = (normalize::expression(l), normalize::expression(r));
    if l == r {
        return true;
    }
    let view = matches!(kind, Kind::Views | Kind::MaterializedViews) && field == "definition";
    view && !opts.column_order
        && normalize::unordered_columns(&l) == normalize::unordered_columns(&r)
}

/// A table on one side only and a column whose type differs: the
/// differences the renderers' tests start from.
#[cfg(test)]
pub(crate) fn sample_differences() -> Vec<Difference> {
    vec![
        Difference::one_side(Kind::Tables, "public.gone", Side::Left),
        Difference::changed(
            Kind::Columns,
            "public.t.a",
            "type",
            Some("integer"),
            Some("bigint"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(cat: &mut Catalog, name: &str) {
        cat.add(
            Kind::Tables,
            name,
            Some((Kind::Schemas, "public")),
            &[("type", Some("table"))],
        );
    }

    fn column(cat: &mut Catalog, table: &str, col: &str, ty: &str, pos: &str) {
        cat.add(
            Kind::Columns,
            &format!("{table}.{col}"),
            Some((Kind::Tables, table)),
            &[
                ("type", Some(ty)),
                ("not_null", Some("false")),
                ("position", Some(pos)),
            ],
        );
    }

    fn base() -> Catalog {
        let mut c = Catalog::default();
        c.add(Kind::Schemas, "public", None, &[]);
        table(&mut c, "public.t");
        column(&mut c, "public.t", "a", "integer", "1");
        column(&mut c, "public.t", "b", "text", "2");
        c
    }

    #[test]
    fn identical_catalogs_have_no_differences() {
        assert!(compare(&base(), &base(), &Options::default()).is_empty());
    }

    #[test]
    fn changed_field_is_one_difference_with_both_values() {
        let l = base();
        let mut r = base();
        column(&mut r, "public.t", "b", "character varying(10)", "2");
        let d = compare(&l, &r, &Options::default());
        assert_eq!(
            d,
            [Difference {
                kind: Kind::Columns,
                object: "public.t.b".into(),
                side: Side::Both,
                field: Some("type".into()),
                left: Some("text".into()),
                right: Some("character varying(10)".into()),
            }]
        );
    }

    #[test]
    fn missing_table_is_one_difference_not_a_cascade() {
        let l = base();
        let mut r = base();
        table(&mut r, "public.u");
        column(&mut r, "public.u", "x", "integer", "1");
        r.add(
            Kind::Owners,
            "table public.u",
            Some((Kind::Tables, "public.u")),
            &[("owner", Some("postgres"))],
        );
        let d = compare(&l, &r, &Options::default());
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].kind, Kind::Tables);
        assert_eq!(d[0].side, Side::Right);
        assert_eq!(d[0].object, "public.u");
        // Ignoring tables reports its parts under their own kinds.
        let opts = Options {
            ignore: [Kind::Tables].into(),
            ..Options::default()
        };
        let d = compare(&l, &r, &opts);
        let got: Vec<(Kind, &str)> = d.iter().map(|d| (d.kind, d.object.as_str())).collect();
        // Its owner only describes the table and goes with it.
        assert_eq!(got, [(Kind::Columns, "public.u.x")]);
        assert!(d.iter().all(|d| d.side == Side::Right));
    }

    #[test]
    fn an_ignored_container_passes_the_fold_to_its_own_container() {
        let l = base();
        let mut r = base();
        r.add(Kind::Schemas, "extra", None, &[]);
        r.add(Kind::Tables, "extra.t", Some((Kind::Schemas, "extra")), &[]);
        column(&mut r, "extra.t", "a", "integer", "1");
        // The schema is the one difference, whether or not tables count.
        for ignore in [vec![], vec![Kind::Tables]] {
            let opts = Options {
                ignore: ignore.into_iter().collect(),
                ..Options::default()
            };
            let d = compare(&l, &r, &opts);
            assert_eq!(d.len(), 1, "{d:?}");
            assert_eq!((d[0].kind, d[0].object.as_str()), (Kind::Schemas, "extra"));
        }
        // Schemas and tables ignored: the column is what is left to say.
        let opts = Options {
            ignore: [Kind::Schemas, Kind::Tables].into(),
            ..Options::default()
        };
        let d = compare(&l, &r, &opts);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(
            (d[0].kind, d[0].object.as_str()),
            (Kind::Columns, "extra.t.a")
        );
    }

    #[test]
    fn deparsed_spellings_and_view_column_order_are_not_differences() {
        let constraint = |cat: &mut Catalog, def: &str| {
            cat.add(
                Kind::Constraints,
                "public.t.c",
                Some((Kind::Tables, "public.t")),
                &[("definition", Some(def))],
            );
        };
        let view = |cat: &mut Catalog, def: &str| {
            cat.add(
                Kind::Views,
                "public.v",
                Some((Kind::Schemas, "public")),
                &[("definition", Some(def))],
            );
        };
        let (mut l, mut r) = (base(), base());
        constraint(
            &mut l,
            "CHECK (((y)::text = ANY ((ARRAY['a'::character varying])::text[])))",
        );
        constraint(
            &mut r,
            "CHECK (((y)::text = ANY (ARRAY[('a'::character varying)::text])))",
        );
        view(&mut l, " SELECT t.a,\n    t.b\n   FROM t;");
        view(&mut r, " SELECT t.b,\n    t.a\n   FROM t;");
        assert!(compare(&l, &r, &Options::default()).is_empty());
        let opts = Options {
            column_order: true,
            ..Options::default()
        };
        let d = compare(&l, &r, &opts);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(
            (d[0].kind, d[0].field.as_deref()),
            (Kind::Views, Some("definition"))
        );
        // The report shows the texts as the servers gave them.
        assert_eq!(
            d[0].left.as_deref(),
            Some(" SELECT t.a,\n    t.b\n   FROM t;")
        );
    }

    #[test]
    fn missing_column_of_a_shared_table_is_reported() {
        let l = base();
        let mut r = base();
        column(&mut r, "public.t", "c", "integer", "3");
        let d = compare(&l, &r, &Options::default());
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].side, d[0].object.as_str()),
            (Side::Right, "public.t.c")
        );
        assert_eq!(d[0].field, None);
    }

    #[test]
    fn column_order_counts_only_when_asked() {
        let l = base();
        let mut r = Catalog::default();
        r.add(Kind::Schemas, "public", None, &[]);
        table(&mut r, "public.t");
        column(&mut r, "public.t", "b", "text", "1");
        column(&mut r, "public.t", "a", "integer", "2");
        assert!(compare(&l, &r, &Options::default()).is_empty());
        let opts = Options {
            column_order: true,
            ..Options::default()
        };
        let d = compare(&l, &r, &opts);
        assert_eq!(d.len(), 2);
        assert!(d.iter().all(|d| d.field.as_deref() == Some("position")));
    }

    #[test]
    fn ignored_kinds_are_skipped() {
        let l = base();
        let mut r = base();
        column(&mut r, "public.t", "b", "bytea", "2");
        let opts = Options {
            ignore: [Kind::Columns].into(),
            ..Options::default()
        };
        assert!(compare(&l, &r, &opts).is_empty());
    }

    #[test]
    fn report_json_has_the_documented_shape() {
        let l = base();
        let mut r = base();
        column(&mut r, "public.t", "b", "bytea", "2");
        let report = Report {
            differences: compare(&l, &r, &Options::default()),
            same_database: false,
            compared: Kind::ALL.to_vec(),
        };
        let j = report.to_json();
        assert_eq!(j["verdict"], "differences");
        assert_eq!(j["count"], 1);
        assert_eq!(j["differences"][0]["kind"], "columns");
        assert_eq!(j["differences"][0]["side"], "both");
        assert_eq!(j["differences"][0]["field"], "type");
        assert_eq!(j["differences"][0]["left"], "text");
        assert_eq!(j["differences"][0]["right"], "bytea");
        assert_eq!(Report::default().to_json()["verdict"], "ok");
        let text = report.to_json_string();
        let order: Vec<usize> = [
            "\"verdict\"",
            "\"count\"",
            "\"kind\"",
            "\"object\"",
            "\"side\"",
            "\"field\"",
            "\"left\"",
            "\"right\"",
        ]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    }
}
