-- The owner of every object that has one, keyed by "<type> <name>".
SELECT o.label || ' ' || o.name AS object, o.parent_kind, o.name AS parent,
       pg_get_userbyid(o.owner)::text AS owner
FROM (
    SELECT 'schema' AS label, 'schemas' AS parent_kind, quote_ident(n.nspname) AS name, n.nspowner AS owner
    FROM ns n
    UNION ALL
    SELECT c.label, c.kind, c.name, c.relowner
    FROM user_rel c
    UNION ALL
    SELECT p.label, 'functions', p.name, p.proowner
    FROM user_proc p
    UNION ALL
    SELECT 'type', 'types', quote_ident(n.nspname) || '.' || quote_ident(t.typname), t.typowner
    FROM user_type t
    JOIN ns n ON n.oid = t.typnamespace
    UNION ALL
    SELECT 'collation', 'collations', quote_ident(n.nspname) || '.' || quote_ident(co.collname), co.collowner
    FROM pg_collation co
    JOIN ns n ON n.oid = co.collnamespace
    WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_collation'::regclass AND ext.objid = co.oid)
    UNION ALL
    SELECT 'event trigger', 'event_triggers', quote_ident(e.evtname), e.evtowner
    FROM pg_event_trigger e
    WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_event_trigger'::regclass AND ext.objid = e.oid)
    UNION ALL
    SELECT 'publication', 'publications', quote_ident(p.pubname), p.pubowner
    FROM pg_publication p
) o
