-- Identity sequences are part of their column. A sequence OWNED BY a column
-- goes with its table: a table missing on one side is one difference.
SELECT c.name AS object,
       CASE WHEN o.tbl IS NULL THEN 'schemas' ELSE 'tables' END AS parent_kind,
       coalesce(o.tbl, c.schema) AS parent,
       format_type(s.seqtypid, NULL) AS type,
       s.seqstart::text AS start,
       s.seqincrement::text AS increment,
       s.seqmin::text AS min,
       s.seqmax::text AS max,
       s.seqcycle::text AS cycle,
       s.seqcache::text AS cache,
       o.tbl || '.' || o.col AS owned_by
FROM user_rel c
JOIN pg_sequence s ON s.seqrelid = c.oid
LEFT JOIN LATERAL (
    SELECT quote_ident(tn.nspname) || '.' || quote_ident(tc.relname) AS tbl, quote_ident(ta.attname) AS col
    FROM pg_depend d
    JOIN pg_class tc ON tc.oid = d.refobjid
    JOIN pg_namespace tn ON tn.oid = tc.relnamespace
    JOIN pg_attribute ta ON ta.attrelid = d.refobjid AND ta.attnum = d.refobjsubid
    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
      AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'
    LIMIT 1
) o ON true
WHERE c.relkind = 'S'
