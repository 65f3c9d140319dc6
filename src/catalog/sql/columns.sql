-- $3: LIKE patterns of column names to leave out. `position` is attnum here;
-- the reader renumbers it to the place among the live columns (cheaper than a
-- window function); it only counts with --column-order. A DEFAULT cannot
-- refer to columns, so it is deparsed without the table (relid 0), which
-- spares a catalog lookup of the table per column: a third of this query's
-- time on a cold backend. Generated expressions do refer to columns.
SELECT c.name || '.' || quote_ident(a.attname) AS object, 'tables' AS parent_kind, c.name AS parent,
       format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull::text AS not_null,
       CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, 0) END AS default,
       CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END AS generated,
       CASE WHEN a.attidentity <> '' THEN
           CASE a.attidentity WHEN 'a' THEN 'always' ELSE 'by default' END ||
           (SELECT format(' (start %s, increment %s, min %s, max %s, cache %s%s)',
                          s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
                          CASE WHEN s.seqcycle THEN ', cycle' ELSE '' END)
            FROM pg_depend dep JOIN pg_sequence s ON s.seqrelid = dep.objid
            WHERE dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass
              AND dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum AND dep.deptype = 'i')
       END AS identity,
       CASE WHEN a.attcollation <> t.typcollation THEN
           quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
       END AS collation,
       a.attnum::text AS position
FROM pg_attribute a
JOIN rel c ON c.oid = a.attrelid
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
WHERE c.relkind IN ('r', 'p', 'f')
  AND a.attnum > 0
  AND NOT a.attisdropped
  AND NOT (a.attname LIKE ANY ($3::text[]))
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
