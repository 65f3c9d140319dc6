-- 1.0.0: the first version of the example water network model.
CREATE SCHEMA network;

CREATE TABLE network.node (
    id serial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    x double precision NOT NULL,
    y double precision NOT NULL,
    modified_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE network.pipe (
    id serial PRIMARY KEY,
    from_node integer NOT NULL REFERENCES network.node (id),
    to_node integer NOT NULL REFERENCES network.node (id),
    diameter_mm integer NOT NULL CHECK (diameter_mm > 0),
    material text,
    modified_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pipe_distinct_ends CHECK (from_node <> to_node)
);

CREATE FUNCTION network.touch_modified() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.modified_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER node_touch BEFORE UPDATE ON network.node
    FOR EACH ROW EXECUTE FUNCTION network.touch_modified();
CREATE TRIGGER pipe_touch BEFORE UPDATE ON network.pipe
    FOR EACH ROW EXECUTE FUNCTION network.touch_modified();
