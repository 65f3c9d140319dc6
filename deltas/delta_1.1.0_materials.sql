-- 1.1.0: pipe materials become a lookup table; the free-text column goes.
CREATE TABLE network.material (
    id serial PRIMARY KEY,
    code text NOT NULL UNIQUE,
    description text
);

INSERT INTO network.material (code, description)
SELECT DISTINCT material, initcap(material)
FROM network.pipe
WHERE material IS NOT NULL;

ALTER TABLE network.pipe ADD COLUMN material_id integer REFERENCES network.material (id);

UPDATE network.pipe p
SET material_id = m.id
FROM network.material m
WHERE m.code = p.material;

ALTER TABLE network.pipe DROP COLUMN material;

CREATE INDEX pipe_material_idx ON network.pipe (material_id);

CREATE VIEW network.vw_pipe AS
SELECT p.id, a.name AS from_name, b.name AS to_name, p.diameter_mm, m.code AS material
FROM network.pipe p
JOIN network.node a ON a.id = p.from_node
JOIN network.node b ON b.id = p.to_node
LEFT JOIN network.material m ON m.id = p.material_id;
