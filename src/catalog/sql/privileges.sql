-- Privileges as "<type> <name> to <grantee>" → the privileges granted. A
-- NULL ACL means the built-in default, so it is compared as acldefault();
-- the owner is named "(owner)" so that a change of owner is reported once,
-- under owners. With the owner anonymised every default ACL of a type is the
-- same, so the defaults are expanded once per type, not once per object.
-- Column ACLs have no default. Default privileges (ALTER DEFAULT
-- PRIVILEGES) are keyed by role, schema and object type; a global entry
-- stores the whole ACL, so what the built-in default grants anyway is
-- left out of it.
, objs AS MATERIALIZED (
    SELECT 'schema' AS label, 'schemas' AS parent_kind, quote_ident(n.nspname) AS name,
           quote_ident(n.nspname) AS parent, n.nspowner AS owner,
           n.nspacl AS acl, 'n'::"char" AS deftype, NULL::aclitem[] AS builtin
    FROM ns n
    UNION ALL
    SELECT c.label, c.kind, c.name, c.name, c.relowner,
           c.relacl, CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", NULL
    FROM user_rel c
    UNION ALL
    SELECT 'column', a.kind, a.name, a.parent, a.relowner, a.attacl, NULL, NULL
    FROM col a
    WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
      AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = a.attrelid)
    UNION ALL
    SELECT p.label, 'functions', p.name, p.name, p.proowner, p.proacl, 'f', NULL
    FROM user_proc p
    UNION ALL
    SELECT 'type', 'types',
           quote_ident(n.nspname) || '.' || quote_ident(t.typname),
           quote_ident(n.nspname) || '.' || quote_ident(t.typname),
           t.typowner,
           t.typacl, 'T', NULL
    FROM user_type t
    JOIN ns n ON n.oid = t.typnamespace
    UNION ALL
    SELECT 'default privileges',
           CASE WHEN d.defaclnamespace = 0 THEN NULL ELSE 'schemas' END,
           'for role ' || quote_ident(pg_get_userbyid(d.defaclrole))
               || coalesce(' in schema ' || quote_ident(n.nspname), '')
               || ' on ' || CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences'
                                                 WHEN 'f' THEN 'functions' WHEN 'T' THEN 'types'
                                                 WHEN 'n' THEN 'schemas' ELSE d.defaclobjtype::text END,
           quote_ident(n.nspname),
           d.defaclrole, d.defaclacl, NULL,
           CASE WHEN d.defaclnamespace = 0 THEN
               acldefault(CASE d.defaclobjtype WHEN 'S' THEN 's' WHEN 'n' THEN 'n'
                                               WHEN 'f' THEN 'f' WHEN 'T' THEN 'T' ELSE 'r' END::"char",
                          d.defaclrole)
           END
    FROM pg_default_acl d
    LEFT JOIN ns n ON n.oid = d.defaclnamespace
    WHERE d.defaclnamespace = 0 OR n.oid IS NOT NULL
),
defaults AS (
    SELECT t.deftype,
           CASE a.grantee WHEN 0 THEN 'PUBLIC' ELSE '(owner)' END AS grantee,
           string_agg(a.privilege_type || CASE WHEN a.is_grantable THEN ' with grant option' ELSE '' END,
                      ', ' ORDER BY a.privilege_type) AS privileges
    FROM unnest('{n,r,s,f,T}'::"char"[]) AS t(deftype)
    CROSS JOIN LATERAL aclexplode(acldefault(t.deftype, 10)) a
    GROUP BY t.deftype, a.grantee
)
SELECT o.label || ' ' || o.name || ' to ' || d.grantee AS object,
       o.parent_kind, o.parent, d.privileges
FROM objs o
JOIN defaults d ON d.deftype = o.deftype
WHERE o.acl IS NULL
UNION ALL
SELECT o.label || ' ' || o.name || ' to ' || x.grantee,
       o.parent_kind, o.parent,
       string_agg(x.privilege_type || CASE WHEN x.is_grantable THEN ' with grant option' ELSE '' END,
                  ', ' ORDER BY x.privilege_type)
FROM objs o
CROSS JOIN LATERAL (
    SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                WHEN a.grantee = o.owner THEN '(owner)'
                ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee,
           a.privilege_type, a.is_grantable
    FROM aclexplode(o.acl) a
    WHERE o.builtin IS NULL OR NOT EXISTS (
        SELECT 1 FROM aclexplode(o.builtin) b
        WHERE b.grantee = a.grantee AND b.privilege_type = a.privilege_type
          AND b.is_grantable = a.is_grantable)
) x
WHERE o.acl IS NOT NULL
GROUP BY o.label, o.name, o.parent_kind, o.parent, x.grantee
