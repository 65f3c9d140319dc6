-- Shared head of every catalog query. $1: LIKE patterns of schemas to leave
-- out, $2: LIKE patterns of schemas to keep (empty: all). System schemas and
-- schemas created by an extension are never read; `ext` lists every object
-- that belongs to an extension, so that the queries can skip those too.
WITH ns AS (
    SELECT n.oid, n.nspname, n.nspowner, n.nspacl
    FROM pg_namespace n
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\_toast%'
      AND n.nspname NOT LIKE 'pg\_temp\_%'
      AND NOT (n.nspname LIKE ANY ($1::text[]))
      AND (cardinality($2::text[]) = 0 OR n.nspname LIKE ANY ($2::text[]))
      AND n.oid NOT IN (
          SELECT d.objid FROM pg_depend d
          WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
            AND d.classid = 'pg_namespace'::regclass)
),
-- Read through the index on the referenced object: only extensions' rows.
ext AS (
    SELECT d.classid, d.objid FROM pg_depend d
    WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
),
-- The NOT MATERIALIZED ones below are spellings shared by the queries, not
-- results: each use is planned as if written in its place, so names are made
-- only for the rows a query keeps.
-- What makes an object part of another rather than the user's own: it was
-- created as an internal part of it (a serial's sequence is the column's, a
-- range type's constructor the type's), or by an extension.
part_of AS NOT MATERIALIZED (
    SELECT d.classid, d.objid FROM pg_depend d
    WHERE d.deptype = 'i' OR (d.deptype = 'e' AND d.refclassid = 'pg_extension'::regclass)
),
-- Every relation of a read schema, with its schema and its name as keys give
-- them, and the words for its kind: `label` starts a key ("materialized view
-- app.mv"), `kind` names the kind of objects it is one of.
rel AS NOT MATERIALIZED (
    SELECT c.*, quote_ident(n.nspname) AS schema,
           quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name,
           CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'
                          WHEN 'i' THEN 'index' WHEN 'I' THEN 'index' ELSE 'table' END AS label,
           CASE c.relkind WHEN 'v' THEN 'views' WHEN 'm' THEN 'materialized_views' WHEN 'S' THEN 'sequences'
                          WHEN 'i' THEN 'indexes' WHEN 'I' THEN 'indexes' ELSE 'tables' END AS kind
    FROM pg_class c
    JOIN ns n ON n.oid = c.relnamespace
),
-- Every column of those relations with its name, and what its comment and
-- grants attach to: the column, or for a view's column the view.
col AS NOT MATERIALIZED (
    SELECT a.*, c.relkind, c.relowner, c.name || '.' || quote_ident(a.attname) AS name,
           CASE c.relkind WHEN 'v' THEN 'views' WHEN 'm' THEN 'materialized_views' ELSE 'columns' END AS kind,
           CASE WHEN c.relkind IN ('v', 'm') THEN c.name ELSE c.name || '.' || quote_ident(a.attname) END AS parent
    FROM pg_attribute a
    JOIN rel c ON c.oid = a.attrelid
),
-- Every function of a read schema, named by its identity signature, and
-- the word keys use for its kind.
proc AS NOT MATERIALIZED (
    SELECT p.*, quote_ident(n.nspname) AS schema,
           quote_ident(n.nspname) || '.' || quote_ident(p.proname)
               || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name,
           CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END AS label
    FROM pg_proc p
    JOIN ns n ON n.oid = p.pronamespace
),
-- Relations and functions of the user's own.
user_rel AS (
    SELECT c.* FROM rel c
    WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
      AND NOT EXISTS (SELECT 1 FROM part_of d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid)
),
user_proc AS (
    SELECT p.* FROM proc p
    WHERE NOT EXISTS (SELECT 1 FROM part_of d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid)
),
-- The user's own types: base, composite (not a table's row type), domain,
-- enum and range types, not the array types PostgreSQL makes for each.
user_type AS (
    SELECT t.* FROM pg_type t
    JOIN ns n ON n.oid = t.typnamespace
    WHERE t.typtype IN ('b', 'c', 'd', 'e', 'r')
      AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
      AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
      AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = t.oid)
),
-- Views and materialized views, read alike.
view_rel AS NOT MATERIALIZED (
    SELECT c.name AS object, 'schemas' AS parent_kind, c.schema AS parent, c.relkind,
           pg_get_viewdef(c.oid) AS definition,
           array_to_string(c.reloptions, ', ') AS options
    FROM rel c
    WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
),
-- What the enabled code of a trigger, a rule or an event trigger means.
firing (code, state) AS (
    VALUES ('O'::"char", 'enabled'), ('D'::"char", 'disabled'),
           ('R'::"char", 'replica'), ('A'::"char", 'always')
)
