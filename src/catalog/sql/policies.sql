-- Row-level security: every table's switches (as the table itself) and
-- every policy (as table.policy).
SELECT c.name AS object, 'tables' AS parent_kind, c.name AS parent,
       CASE WHEN c.relrowsecurity THEN 'enabled' ELSE 'disabled' END AS row_security,
       CASE WHEN c.relforcerowsecurity THEN 'forced' ELSE 'not forced' END AS force_row_security,
       NULL::text AS command, NULL::text AS type, NULL::text AS roles,
       NULL::text AS using, NULL::text AS with_check
FROM rel c
WHERE c.relkind IN ('r', 'p')
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
UNION ALL
SELECT c.name || '.' || quote_ident(p.polname), 'tables', c.name,
       NULL, NULL,
       CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                     WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
       CASE WHEN p.polpermissive THEN 'permissive' ELSE 'restrictive' END,
       (SELECT string_agg(CASE WHEN r.oid = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r.oid)) END,
                          ', ' ORDER BY 1)
        FROM unnest(p.polroles) AS r(oid)),
       pg_get_expr(p.polqual, p.polrelid),
       pg_get_expr(p.polwithcheck, p.polrelid)
FROM pg_policy p
JOIN rel c ON c.oid = p.polrelid
WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
