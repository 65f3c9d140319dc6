-- A partition belongs to its partitioned table: a partitioned table missing
-- on one side is one difference, not one per partition.
SELECT c.name AS object,
       CASE WHEN c.relispartition THEN 'tables' ELSE 'schemas' END AS parent_kind,
       CASE WHEN c.relispartition
            THEN (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = c.oid)
            ELSE c.schema END AS parent,
       CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'f' THEN 'foreign table' END AS type,
       CASE c.relpersistence WHEN 'u' THEN 'unlogged' ELSE 'logged' END AS persistence,
       array_to_string(c.reloptions, ', ') AS options,
       CASE WHEN NOT c.relispartition THEN
           (SELECT string_agg(i.inhparent::regclass::text, ', ' ORDER BY i.inhseqno)
            FROM pg_inherits i WHERE i.inhrelid = c.oid)
       END AS inherits,
       CASE WHEN c.relkind = 'f' THEN
           (SELECT quote_ident(s.srvname) || coalesce(' ' || array_to_string(ft.ftoptions, ', '), '')
            FROM pg_foreign_table ft JOIN pg_foreign_server s ON s.oid = ft.ftserver
            WHERE ft.ftrelid = c.oid)
       END AS server
FROM rel c
WHERE c.relkind IN ('r', 'p', 'f')
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
