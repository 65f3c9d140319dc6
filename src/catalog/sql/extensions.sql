-- Extensions belong to the database, not to a schema: the schema filters
-- do not apply to them.
SELECT quote_ident(e.extname) AS object, NULL::text AS parent_kind, NULL::text AS parent,
       e.extversion::text AS version,
       quote_ident(en.nspname) AS schema
FROM pg_extension e
JOIN pg_namespace en ON en.oid = e.extnamespace
