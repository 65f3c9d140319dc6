-- Publications belong to the database. Their flags and table lists (with
-- column lists and row filters where the server has them) as JSON, so the
-- query works on every server version.
SELECT quote_ident(p.pubname) AS object, NULL::text AS parent_kind, NULL::text AS parent,
       (to_jsonb(p) - 'oid' - 'pubname' - 'pubowner')::text AS options,
       (SELECT jsonb_agg(to_jsonb(pt) - 'pubname' ORDER BY pt.schemaname, pt.tablename)::text
        FROM pg_publication_tables pt WHERE pt.pubname = p.pubname) AS tables
FROM pg_publication p
