-- Comments, keyed by "<type> <name>", each attached to the object it
-- describes (the view, for a view's column).
SELECT o.label || ' ' || o.name AS object, o.parent_kind, o.parent, d.description AS comment
FROM (
    SELECT 'schema' AS label, 'schemas' AS parent_kind, quote_ident(n.nspname) AS name,
           quote_ident(n.nspname) AS parent,
           'pg_namespace'::regclass AS classoid, n.oid AS objoid, 0 AS objsubid
    FROM ns n
    UNION ALL
    SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'
                          WHEN 'i' THEN 'index' WHEN 'I' THEN 'index' ELSE 'table' END,
           CASE c.relkind WHEN 'v' THEN 'views' WHEN 'm' THEN 'materialized_views' WHEN 'S' THEN 'sequences'
                          WHEN 'i' THEN 'indexes' WHEN 'I' THEN 'indexes' ELSE 'tables' END,
           quote_ident(n.nspname) || '.' || quote_ident(c.relname),
           quote_ident(n.nspname) || '.' || quote_ident(c.relname),
           'pg_class'::regclass, c.oid, 0
    FROM pg_description dd
    JOIN pg_class c ON dd.classoid = 'pg_class'::regclass AND dd.objoid = c.oid AND dd.objsubid = 0
    JOIN ns n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S', 'i', 'I')
    UNION ALL
    SELECT 'column',
           CASE c.relkind WHEN 'v' THEN 'views' WHEN 'm' THEN 'materialized_views' ELSE 'columns' END,
           quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(a.attname),
           quote_ident(n.nspname) || '.' || quote_ident(c.relname)
               || CASE WHEN c.relkind IN ('v', 'm') THEN '' ELSE '.' || quote_ident(a.attname) END,
           'pg_class'::regclass, c.oid, a.attnum
    FROM pg_description dd
    JOIN pg_attribute a ON dd.classoid = 'pg_class'::regclass AND dd.objoid = a.attrelid AND dd.objsubid = a.attnum
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN ns n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm') AND NOT a.attisdropped
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
    SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
           'functions',
           quote_ident(n.nspname) || '.' || quote_ident(p.proname)
               || '(' || pg_get_function_identity_arguments(p.oid) || ')',
           quote_ident(n.nspname) || '.' || quote_ident(p.proname)
               || '(' || pg_get_function_identity_arguments(p.oid) || ')',
           'pg_proc'::regclass, p.oid, 0
    FROM pg_description dd
    JOIN pg_proc p ON dd.classoid = 'pg_proc'::regclass AND dd.objoid = p.oid
    JOIN ns n ON n.oid = p.pronamespace
    UNION ALL
    SELECT 'type', 'types',
           quote_ident(n.nspname) || '.' || quote_ident(t.typname),
           quote_ident(n.nspname) || '.' || quote_ident(t.typname),
           'pg_type'::regclass, t.oid, 0
    FROM pg_description dd
    JOIN pg_type t ON dd.classoid = 'pg_type'::regclass AND dd.objoid = t.oid
    JOIN ns n ON n.oid = t.typnamespace
    UNION ALL
    SELECT 'trigger',
           'triggers',
           quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(tg.tgname),
           quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(tg.tgname),
           'pg_trigger'::regclass, tg.oid, 0
    FROM pg_description dd
    JOIN pg_trigger tg ON dd.classoid = 'pg_trigger'::regclass AND dd.objoid = tg.oid
    JOIN pg_class c ON c.oid = tg.tgrelid
    JOIN ns n ON n.oid = c.relnamespace
    UNION ALL
    SELECT 'rule',
           'rules',
           quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(r.rulename),
           quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(r.rulename),
           'pg_rewrite'::regclass, r.oid, 0
    FROM pg_description dd
    JOIN pg_rewrite r ON dd.classoid = 'pg_rewrite'::regclass AND dd.objoid = r.oid
    JOIN pg_class c ON c.oid = r.ev_class
    JOIN ns n ON n.oid = c.relnamespace
    UNION ALL
    SELECT 'policy',
           'policies',
           quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(pl.polname),
           quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(pl.polname),
           'pg_policy'::regclass, pl.oid, 0
    FROM pg_description dd
    JOIN pg_policy pl ON dd.classoid = 'pg_policy'::regclass AND dd.objoid = pl.oid
    JOIN pg_class c ON c.oid = pl.polrelid
    JOIN ns n ON n.oid = c.relnamespace
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
