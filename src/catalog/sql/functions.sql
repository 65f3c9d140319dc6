-- Functions and procedures by identity signature. Aggregates have no
-- pg_get_functiondef; their support functions and state stand in for it.
-- Functions created along with another object (a range type's
-- constructors) are part of that object.
SELECT p.name AS object, 'schemas' AS parent_kind, p.schema AS parent,
       CASE p.prokind WHEN 'f' THEN 'function' WHEN 'p' THEN 'procedure'
                      WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window function' END AS type,
       CASE WHEN p.prokind = 'a' THEN
           (SELECT concat_ws(', ',
                   'returns ' || format_type(p.prorettype, NULL),
                   'sfunc ' || a.aggtransfn::oid::regprocedure::text,
                   'stype ' || format_type(a.aggtranstype, NULL),
                   CASE WHEN a.aggfinalfn <> 0 THEN 'finalfunc ' || a.aggfinalfn::oid::regprocedure::text END,
                   CASE WHEN a.aggcombinefn <> 0 THEN 'combinefunc ' || a.aggcombinefn::oid::regprocedure::text END,
                   'initcond ' || quote_literal(a.agginitval),
                   CASE WHEN a.aggsortop <> 0 THEN 'sortop ' || a.aggsortop::regoperator::text END)
            FROM pg_aggregate a WHERE a.aggfnoid = p.oid)
       ELSE pg_get_functiondef(p.oid)
       END AS definition
FROM user_proc p
