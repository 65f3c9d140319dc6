SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS object,
       'schemas' AS parent_kind, quote_ident(n.nspname) AS parent,
       pg_get_viewdef(c.oid) AS definition,
       array_to_string(c.reloptions, ', ') AS options
FROM pg_class c
JOIN ns n ON n.oid = c.relnamespace
WHERE c.relkind = 'm'
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
