-- Indexes that implement a primary key, unique or exclusion constraint are
-- compared as that constraint.
SELECT ic.name AS object,
       CASE c.relkind WHEN 'm' THEN 'materialized_views' ELSE 'tables' END AS parent_kind,
       quote_ident(tn.nspname) || '.' || quote_ident(c.relname) AS parent,
       pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index i
JOIN rel ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace tn ON tn.oid = c.relnamespace
WHERE NOT EXISTS (
          SELECT 1 FROM pg_constraint k
          WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
