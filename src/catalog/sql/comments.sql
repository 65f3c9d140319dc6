-- Comments, keyed by "<type> <name>", each attached to the object it
-- describes (the view, for a view's column).
SELECT o.label || ' ' || o.name AS object, o.parent_kind, o.parent, d.description AS comment
FROM (
    SELECT 'schema' AS label, 'schemas' AS parent_kind, quote_ident(n.nspname) AS name,
           quote_ident(n.nspname) AS parent,
           'pg_namespace'::regclass AS classoid, n.oid AS objoid, 0 AS objsubid
    FROM ns n
    UNION ALL
    SELECT c.label, c.kind, c.name, c.name, 'pg_class'::regclass, c.oid, 0
    FROM pg_description dd
    JOIN rel c ON dd.classoid = 'pg_class'::regclass AND dd.objoid = c.oid AND dd.objsubid = 0
    WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S', 'i', 'I')
    UNION ALL
    SELECT 'column', a.kind, a.name, a.parent, 'pg_class'::regclass, a.attrelid, a.attnum
    FROM pg_description dd
    JOIN col a ON dd.classoid = 'pg_class'::regclass AND dd.objoid = a.attrelid AND dd.objsubid = a.attnum
    WHERE a.relkind IN ('r', 'p', 'f', 'v', 'm') AND NOT a.attisdropped
    UNION ALL
    SELECT CASE WHEN k.conrelid <> 0 THEN 'constraint' ELSE 'domain constraint' END,
           CASE WHEN k.conrelid <> 0 THEN 'constraints' ELSE 'types' END,
           CASE WHEN k.conrelid <> 0
                THEN quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(k.conname)
                ELSE quote_ident(n.nspname) || '.' || quote_ident(t.typname) || '.' || quote_ident(k.conname) END,
           CASE WHEN k.conrelid <> 0
                THEN quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(k.conname)
                ELSE quote_ident(n.nspname) || '.' || quote_ident(t.typname) END,
           'pg_constraint'::regclass, k.oid, 0
    FROM pg_description dd
    JOIN pg_constraint k ON dd.classoid = 'pg_constraint'::regclass AND dd.objoid = k.oid
    LEFT JOIN pg_class c ON c.oid = k.conrelid
    LEFT JOIN pg_type t ON t.oid = k.contypid
    JOIN ns n ON n.oid = coalesce(c.relnamespace, t.typnamespace)
    UNION ALL
    SELECT p.label, 'functions', p.name, p.name, 'pg_proc'::regclass, p.oid, 0
    FROM pg_description dd
    JOIN proc p ON dd.classoid = 'pg_proc'::regclass AND dd.objoid = p.oid
    UNION ALL
    SELECT 'type', 'types',
           quote_ident(n.nspname) || '.' || quote_ident(t.typname),
           quote_ident(n.nspname) || '.' || quote_ident(t.typname),
           'pg_type'::regclass, t.oid, 0
    FROM pg_description dd
    JOIN pg_type t ON dd.classoid = 'pg_type'::regclass AND dd.objoid = t.oid
    JOIN ns n ON n.oid = t.typnamespace
    UNION ALL
    -- Triggers, rules and policies are named within their table.
    SELECT m.label, m.kind, c.name || '.' || quote_ident(m.name), c.name || '.' || quote_ident(m.name),
           m.classoid, m.oid, 0
    FROM (
        SELECT 'trigger' AS label, 'triggers' AS kind, 'pg_trigger'::regclass AS classoid,
               tg.oid, tg.tgrelid AS relid, tg.tgname AS name
        FROM pg_trigger tg
        UNION ALL
        SELECT 'rule', 'rules', 'pg_rewrite'::regclass, r.oid, r.ev_class, r.rulename
        FROM pg_rewrite r
        UNION ALL
        SELECT 'policy', 'policies', 'pg_policy'::regclass, pl.oid, pl.polrelid, pl.polname
        FROM pg_policy pl
    ) m
    JOIN pg_description dd ON dd.classoid = m.classoid AND dd.objoid = m.oid
    JOIN rel c ON c.oid = m.relid
    UNION ALL
    SELECT 'collation', 'collations',
           quote_ident(n.nspname) || '.' || quote_ident(co.collname),
           quote_ident(n.nspname) || '.' || quote_ident(co.collname),
           'pg_collation'::regclass, co.oid, 0
    FROM pg_description dd
    JOIN pg_collation co ON dd.classoid = 'pg_collation'::regclass AND dd.objoid = co.oid
    JOIN ns n ON n.oid = co.collnamespace
    UNION ALL
    SELECT 'extension', 'extensions', quote_ident(e.extname), quote_ident(e.extname),
           'pg_extension'::regclass, e.oid, 0
    FROM pg_extension e
    UNION ALL
    SELECT 'event trigger', 'event_triggers', quote_ident(e.evtname), quote_ident(e.evtname),
           'pg_event_trigger'::regclass, e.oid, 0
    FROM pg_event_trigger e
    UNION ALL
    SELECT 'publication', 'publications', quote_ident(p.pubname), quote_ident(p.pubname),
           'pg_publication'::regclass, p.oid, 0
    FROM pg_publication p
) o
JOIN pg_description d ON d.classoid = o.classoid AND d.objoid = o.objoid AND d.objsubid = o.objsubid
WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = o.classoid AND ext.objid = o.objoid)
