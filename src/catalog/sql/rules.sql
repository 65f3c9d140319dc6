-- The _RETURN rule of a view is the view's definition.
SELECT c.name || '.' || quote_ident(r.rulename) AS object,
       c.kind AS parent_kind, c.name AS parent,
       pg_get_ruledef(r.oid) AS definition,
       f.state AS enabled
FROM pg_rewrite r
JOIN rel c ON c.oid = r.ev_class
LEFT JOIN firing f ON f.code = r.ev_enabled
WHERE r.rulename <> '_RETURN'
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
