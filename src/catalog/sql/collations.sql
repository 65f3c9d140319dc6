-- The provider-specific columns differ between server versions, so the
-- definition is the whole row as JSON minus names, owner and version.
SELECT quote_ident(n.nspname) || '.' || quote_ident(co.collname) AS object,
       'schemas' AS parent_kind, quote_ident(n.nspname) AS parent,
       (to_jsonb(co) - 'oid' - 'collname' - 'collnamespace' - 'collowner' - 'collversion')::text AS definition
FROM pg_collation co
JOIN ns n ON n.oid = co.collnamespace
WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_collation'::regclass AND ext.objid = co.oid)
