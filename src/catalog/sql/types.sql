-- User-defined types: enums, domains, stand-alone composite types, ranges
-- and base types. Implicit array types and the row types of tables are
-- covered by their element type and their table.
SELECT quote_ident(n.nspname) || '.' || quote_ident(t.typname) AS object,
       'schemas' AS parent_kind, quote_ident(n.nspname) AS parent,
       CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' WHEN 'c' THEN 'composite'
                      WHEN 'r' THEN 'range' WHEN 'b' THEN 'base' END AS type,
       CASE WHEN t.typtype = 'e' THEN
           (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
            FROM pg_enum e WHERE e.enumtypid = t.oid)
       END AS labels,
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base_type,
       CASE WHEN t.typtype = 'd' THEN t.typnotnull::text END AS not_null,
       CASE WHEN t.typtype = 'd' THEN pg_get_expr(t.typdefaultbin, 0) END AS default,
       CASE WHEN t.typtype = 'd' THEN
           (SELECT string_agg(quote_ident(k.conname) || ' ' || pg_get_constraintdef(k.oid), E'\n' ORDER BY k.conname)
            FROM pg_constraint k WHERE k.contypid = t.oid)
       END AS constraints,
       CASE WHEN t.typtype = 'd' AND t.typcollation <> 0
                 AND t.typcollation <> (SELECT bt.typcollation FROM pg_type bt WHERE bt.oid = t.typbasetype) THEN
           (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
            FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = t.typcollation)
       END AS collation,
       CASE WHEN t.typtype = 'c' THEN
           (SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
                              || CASE WHEN a.attcollation <> at.typcollation
                                      THEN ' COLLATE ' || quote_ident(co.collname) ELSE '' END,
                              ', ' ORDER BY a.attnum)
            FROM pg_attribute a
            JOIN pg_type at ON at.oid = a.atttypid
            LEFT JOIN pg_collation co ON co.oid = a.attcollation
            WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)
       END AS attributes,
       CASE WHEN t.typtype = 'r' THEN
           (SELECT concat_ws(', ',
                   'subtype ' || format_type(r.rngsubtype, NULL),
                   'opclass ' || oc.opcname,
                   CASE WHEN r.rngcollation <> 0 THEN 'collation ' || co.collname END,
                   CASE WHEN r.rngcanonical <> 0 THEN 'canonical ' || r.rngcanonical::oid::regprocedure::text END,
                   CASE WHEN r.rngsubdiff <> 0 THEN 'subtype_diff ' || r.rngsubdiff::oid::regprocedure::text END)
            FROM pg_range r
            JOIN pg_opclass oc ON oc.oid = r.rngsubopc
            LEFT JOIN pg_collation co ON co.oid = r.rngcollation
            WHERE r.rngtypid = t.oid)
       END AS range,
       CASE WHEN t.typtype = 'b' THEN
           concat_ws(', ', 'input ' || t.typinput::oid::regprocedure::text,
                     'output ' || t.typoutput::oid::regprocedure::text,
                     'length ' || t.typlen, 'alignment ' || t.typalign::text, 'storage ' || t.typstorage::text)
       END AS base
FROM user_type t
JOIN ns n ON n.oid = t.typnamespace
