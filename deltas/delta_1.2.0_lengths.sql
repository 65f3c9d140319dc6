-- 1.2.0: pipe lengths, installation years and a per-node pipe count.
ALTER TABLE network.pipe ADD COLUMN installation_year integer
    CONSTRAINT pipe_installation_year_check CHECK (installation_year BETWEEN 1850 AND 2100);

CREATE FUNCTION network.pipe_length(p network.pipe) RETURNS double precision
LANGUAGE sql STABLE AS $$
    SELECT sqrt(power(b.x - a.x, 2) + power(b.y - a.y, 2))
    FROM network.node a, network.node b
    WHERE a.id = p.from_node AND b.id = p.to_node
$$;

CREATE FUNCTION network.pipe_count(node_id integer) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT count(*) FROM network.pipe WHERE from_node = node_id OR to_node = node_id
$$;

CREATE INDEX pipe_ends_idx ON network.pipe (from_node, to_node);

DROP VIEW network.vw_pipe;
CREATE VIEW network.vw_pipe AS
SELECT p.id, a.name AS from_name, b.name AS to_name, p.diameter_mm, m.code AS material,
       p.installation_year, round(network.pipe_length(p)::numeric, 2) AS length_m
FROM network.pipe p
JOIN network.node a ON a.id = p.from_node
JOIN network.node b ON b.id = p.to_node
LEFT JOIN network.material m ON m.id = p.material_id;

COMMENT ON VIEW network.vw_pipe IS 'Pipes with their end names, material and length';
