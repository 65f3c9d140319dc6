-- The _RETURN rule of a view is the view's definition.
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(r.rulename) AS object,
       CASE c.relkind WHEN 'v' THEN 'views' WHEN 'm' THEN 'materialized_views' ELSE 'tables' END AS parent_kind,
       quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS parent,
       pg_get_ruledef(r.oid) AS definition,
       CASE r.ev_enabled WHEN 'O' THEN 'enabled' WHEN 'D' THEN 'disabled'
                         WHEN 'R' THEN 'replica' WHEN 'A' THEN 'always' END AS enabled
FROM pg_rewrite r
JOIN pg_class c ON c.oid = r.ev_class
JOIN ns n ON n.oid = c.relnamespace
WHERE r.rulename <> '_RETURN'
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
