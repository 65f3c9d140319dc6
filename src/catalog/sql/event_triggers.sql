-- Event triggers belong to the database; the schema filters do not apply.
SELECT quote_ident(e.evtname) AS object, NULL::text AS parent_kind, NULL::text AS parent,
       e.evtevent::text AS event,
       e.evtfoid::regprocedure::text AS function,
       f.state AS enabled,
       array_to_string(e.evttags, ', ') AS tags
FROM pg_event_trigger e
LEFT JOIN firing f ON f.code = e.evtenabled
WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_event_trigger'::regclass AND ext.objid = e.oid)
