SELECT v.object, v.parent_kind, v.parent, v.definition, v.options
FROM view_rel v
WHERE v.relkind = 'v'
