-- Partitioned tables (strategy and key) and partitions (parent and bounds).
SELECT c.name AS object, 'tables' AS parent_kind, c.name AS parent,
       CASE pt.partstrat WHEN 'r' THEN 'range' WHEN 'l' THEN 'list' WHEN 'h' THEN 'hash' END AS strategy,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS key,
       CASE WHEN c.relispartition THEN
           (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = c.oid)
       END AS partition_of,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS bound
FROM rel c
LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid
WHERE (c.relkind = 'p' OR c.relispartition)
  AND c.relkind IN ('r', 'p', 'f')
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
