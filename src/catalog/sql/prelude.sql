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
-- Relations and functions of the user's own: none an extension owns, none
-- created as an internal part of another object (a serial's sequence is the
-- column's, a range type's constructor the type's).
user_rel AS (
    SELECT c.* FROM pg_class c
    JOIN ns n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
      AND NOT EXISTS (
          SELECT 1 FROM pg_depend d
          WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i')
      AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
),
user_proc AS (
    SELECT p.* FROM pg_proc p
    JOIN ns n ON n.oid = p.pronamespace
    WHERE NOT EXISTS (
              SELECT 1 FROM pg_depend d
              WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'i')
      AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid)
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
)
