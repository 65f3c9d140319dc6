SELECT quote_ident(n.nspname) AS object, NULL::text AS parent_kind, NULL::text AS parent
FROM ns n
