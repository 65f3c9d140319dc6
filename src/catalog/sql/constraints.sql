-- Table constraints (domain constraints belong to their type). NOT NULL
-- constraints, catalogued from PostgreSQL 18 on, are the columns' nullability.
SELECT c.name || '.' || quote_ident(k.conname) AS object, 'tables' AS parent_kind, c.name AS parent,
       CASE k.contype WHEN 'c' THEN 'check' WHEN 'f' THEN 'foreign key' WHEN 'p' THEN 'primary key'
                      WHEN 'u' THEN 'unique' WHEN 't' THEN 'trigger' WHEN 'x' THEN 'exclusion'
                      ELSE k.contype::text END AS type,
       pg_get_constraintdef(k.oid) AS definition
FROM pg_constraint k
JOIN rel c ON c.oid = k.conrelid
WHERE k.contype <> 'n'
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
