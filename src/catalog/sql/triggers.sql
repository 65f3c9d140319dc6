SELECT c.name || '.' || quote_ident(t.tgname) AS object,
       c.kind AS parent_kind, c.name AS parent,
       pg_get_triggerdef(t.oid) AS definition,
       f.state AS enabled
FROM pg_trigger t
JOIN rel c ON c.oid = t.tgrelid
LEFT JOIN firing f ON f.code = t.tgenabled
WHERE NOT t.tgisinternal
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
