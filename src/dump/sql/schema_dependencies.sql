-- Pairs (dependent schema, referenced schema) of user objects whose
-- definitions need an object of another schema to exist first: relations,
-- types, functions, view rules and column defaults referring to relations,
-- types or functions elsewhere. Constraints (foreign keys) are left out: a
-- schema-wise restore adds them in a pass of their own.
SELECT DISTINCT dep.nspname::text, ref.nspname::text
  FROM pg_depend d
  CROSS JOIN LATERAL (SELECT CASE d.classid
      WHEN 'pg_class'::regclass THEN (SELECT relnamespace FROM pg_class WHERE oid = d.objid)
      WHEN 'pg_type'::regclass THEN (SELECT typnamespace FROM pg_type WHERE oid = d.objid)
      WHEN 'pg_proc'::regclass THEN (SELECT pronamespace FROM pg_proc WHERE oid = d.objid)
      WHEN 'pg_rewrite'::regclass THEN (SELECT c.relnamespace FROM pg_rewrite r
                                          JOIN pg_class c ON c.oid = r.ev_class WHERE r.oid = d.objid)
      WHEN 'pg_attrdef'::regclass THEN (SELECT c.relnamespace FROM pg_attrdef a
                                          JOIN pg_class c ON c.oid = a.adrelid WHERE a.oid = d.objid)
    END AS ns) dn
  CROSS JOIN LATERAL (SELECT CASE d.refclassid
      WHEN 'pg_class'::regclass THEN (SELECT relnamespace FROM pg_class WHERE oid = d.refobjid)
      WHEN 'pg_type'::regclass THEN (SELECT typnamespace FROM pg_type WHERE oid = d.refobjid)
      WHEN 'pg_proc'::regclass THEN (SELECT pronamespace FROM pg_proc WHERE oid = d.refobjid)
    END AS ns) rn
  JOIN pg_namespace dep ON dep.oid = dn.ns
  JOIN pg_namespace ref ON ref.oid = rn.ns
 WHERE d.deptype IN ('n', 'a')
   AND dn.ns <> rn.ns
