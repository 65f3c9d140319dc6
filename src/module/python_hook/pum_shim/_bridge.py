"""The connection a hook is given: each statement is sent to pum, which
runs it on its own connection with the values bound, and sends back the
rows or the error."""

import datetime
import decimal
import json
import os
import re
import uuid

import psycopg


class Channel:
    def __init__(self, from_pum, to_pum):
        self._in = from_pum
        self._out = to_pum

    def send(self, message):
        self._out.write(json.dumps(message) + "\n")
        self._out.flush()

    def ask(self, message):
        self.send(message)
        line = self._in.readline()
        if not line:
            raise SystemExit("pum closed the channel")
        return json.loads(line)


def as_text(query):
    """A psycopg ``sql`` object (real or ours) as the SQL text it stands for."""
    if isinstance(query, (str, bytes)):
        return query.decode() if isinstance(query, bytes) else query
    try:
        return query.as_string(None)
    except TypeError:
        return query.as_string()


_PLACEHOLDER = re.compile(r"%(?:\(([^)]*)\))?(.)", re.S)


def array_literal(values):
    def item(v):
        if v is None:
            return "NULL"
        if isinstance(v, (list, tuple)):
            return array_literal(v)
        text = to_text(v)
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return "{" + ",".join(item(v) for v in values) + "}"


def to_text(value):
    """A Python value as the text PostgreSQL parses for the parameter's type."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(value).hex()
    if isinstance(value, (datetime.date, datetime.time, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return "%d days %d seconds %d microseconds" % (
            value.days,
            value.seconds,
            value.microseconds,
        )
    if isinstance(value, (list, tuple)):
        return array_literal(value)
    if isinstance(value, dict):
        return json.dumps(value)
    wrapped = getattr(value, "obj", None)
    if type(value).__name__ in ("Json", "Jsonb"):
        return json.dumps(wrapped)
    return str(value)


def bind(query, params):
    """psycopg's ``%s`` / ``%(name)s`` placeholders as ``$n``, with the
    values in order; ``%%`` is a percent sign."""
    if params is None:
        return query, None
    named = isinstance(params, dict)
    order = {}
    values = []
    positional = iter(()) if named else iter(list(params))
    out = []
    last = 0
    for m in _PLACEHOLDER.finditer(query):
        name, kind = m.group(1), m.group(2)
        out.append(query[last : m.start()])
        last = m.end()
        if kind == "%" and name is None:
            out.append("%")
            continue
        if kind not in "sbt":
            raise psycopg.ProgrammingError(
                "only '%%s', '%%b', '%%t' are allowed as placeholders, got '%s'" % m.group(0)
            )
        if (name is not None) != named:
            raise psycopg.ProgrammingError(
                "named placeholders need a mapping of parameters, %s a sequence" % "'%s'"
            )
        if named:
            if name not in params:
                raise KeyError(name)
            if name not in order:
                values.append(to_text(params[name]))
                order[name] = len(values)
            out.append("$%d" % order[name])
        else:
            try:
                values.append(to_text(next(positional)))
            except StopIteration:
                raise psycopg.ProgrammingError("the query has more placeholders than parameters")
            out.append("$%d" % len(values))
    out.append(query[last:])
    if not named and next(positional, _END) is not _END:
        raise psycopg.ProgrammingError("the query has fewer placeholders than parameters")
    return "".join(out), values


_END = object()


def from_cell(value, type_name):
    if value is None:
        return None
    if type_name == "numeric":
        return decimal.Decimal(value)
    if type_name == "date":
        return datetime.date.fromisoformat(value)
    if type_name in ("timestamp", "timestamptz"):
        return datetime.datetime.fromisoformat(value)
    if type_name == "uuid":
        return uuid.UUID(value)
    if type_name.startswith("_") and isinstance(value, list):
        return [from_cell(v, type_name[1:]) for v in value]
    return value


def sql_error(reply):
    message = reply.get("message", "SQL failed")
    code = reply.get("sqlstate")
    cls = psycopg.Error
    lookup = getattr(getattr(psycopg, "errors", None), "lookup", None)
    if code and lookup:
        try:
            cls = lookup(code)
        except (KeyError, LookupError):
            pass
    try:
        err = cls(message)
    except TypeError:
        err = psycopg.Error(message)
    err.pum_sqlstate = code
    return err


class Column:
    def __init__(self, name, type_name):
        self.name = name
        self.type_name = type_name

    def __getitem__(self, i):
        return (self.name, self.type_name)[i]

    def __repr__(self):
        return "<Column %r>" % self.name


class HookCursor:
    def __init__(self, connection, row_factory=None):
        self.connection = connection
        self._rows = []
        self._next = 0
        self.rowcount = -1
        self.description = None
        self._factory = getattr(row_factory, "__name__", None)

    def execute(self, query, params=None, **_):
        text, values = bind(as_text(query), params)
        reply = self.connection._pum_ask({"op": "sql", "sql": text, "params": values})
        columns = reply.get("columns") or []
        types = reply.get("types") or []
        rows = [tuple(from_cell(v, t) for v, t in zip(r, types)) for r in reply.get("rows", [])]
        if self._factory == "dict_row":
            rows = [dict(zip(columns, r)) for r in rows]
        self._rows = rows
        self._next = 0
        self.rowcount = reply.get("rowcount", -1)
        self.description = [Column(c, t) for c, t in zip(columns, types)] or None
        return self

    def executemany(self, query, params_seq, **_):
        for params in params_seq:
            self.execute(query, params)

    def fetchone(self):
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchmany(self, size=1):
        rows = self._rows[self._next : self._next + size]
        self._next += len(rows)
        return rows

    def fetchall(self):
        rows = self._rows[self._next :]
        self._next = len(self._rows)
        return rows

    def __iter__(self):
        while True:
            row = self.fetchone()
            if row is None:
                return
            yield row

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class HookConnection:
    """What ``run_hook`` gets as ``connection``: no connection of its own."""

    def __init__(self, channel):
        self._pum_channel = channel
        self._pum_closed = False
        self.autocommit = False

    @property
    def closed(self):
        return self._pum_closed

    def _pum_ask(self, message):
        reply = self._pum_channel.ask(message)
        if not reply.get("ok"):
            raise sql_error(reply)
        return reply

    def _pum_hook_execute(self, sql):
        if isinstance(sql, os.PathLike):
            self._pum_ask({"op": "hook_sql", "file": os.path.abspath(os.fspath(sql))})
            return
        formatted = isinstance(sql, str) or type(sql).__name__ == "SQL"
        self._pum_ask({"op": "hook_sql", "sql": as_text(sql), "format": formatted})

    def cursor(self, *args, row_factory=None, **kwargs):
        return HookCursor(self, row_factory)

    def execute(self, query, params=None, **kwargs):
        return self.cursor(**kwargs).execute(query, params)

    def commit(self):
        raise psycopg.ProgrammingError(
            "a hook runs inside pum's transaction: commit() is not allowed"
        )

    def rollback(self):
        raise psycopg.ProgrammingError(
            "a hook runs inside pum's transaction: rollback() is not allowed; raise instead"
        )

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
