"""SQL composition as psycopg.sql offers it: SQL, Identifier, Literal,
Placeholder, Composed, format, join and as_string."""

import datetime
import decimal
import string
import uuid


class Composable:
    def __init__(self, obj):
        self._obj = obj

    def as_string(self, context=None):
        raise NotImplementedError

    def as_bytes(self, context=None):
        return self.as_string(context).encode()

    def __add__(self, other):
        if isinstance(other, Composable):
            return Composed([self]) + other
        return NotImplemented

    def __mul__(self, n):
        return Composed([self] * n)

    def __eq__(self, other):
        return type(self) is type(other) and self._obj == other._obj

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, self._obj)


class Composed(Composable):
    def __init__(self, seq):
        super().__init__([o if isinstance(o, Composable) else Literal(o) for o in seq])

    @property
    def seq(self):
        return list(self._obj)

    def as_string(self, context=None):
        return "".join(o.as_string(context) for o in self._obj)

    def __iter__(self):
        return iter(self._obj)

    def __add__(self, other):
        if isinstance(other, Composed):
            return Composed(self._obj + other._obj)
        if isinstance(other, Composable):
            return Composed(self._obj + [other])
        return NotImplemented

    def join(self, joiner):
        if isinstance(joiner, str):
            joiner = SQL(joiner)
        return joiner.join(self._obj)


class SQL(Composable):
    _parser = string.Formatter()

    def __init__(self, obj):
        if not isinstance(obj, str):
            raise TypeError("SQL values must be strings, got %r instead" % (obj,))
        super().__init__(obj)

    def as_string(self, context=None):
        return self._obj

    def format(self, *args, **kwargs):
        parts = []
        auto = 0
        for text, name, spec, conv in self._parser.parse(self._obj):
            if spec or conv:
                raise ValueError("no format specification or conversion supported by SQL")
            if text:
                parts.append(SQL(text))
            if name is None:
                continue
            if name.isdigit():
                if auto:
                    raise ValueError("cannot switch from automatic field numbering to manual")
                parts.append(args[int(name)])
                auto = None
            elif not name:
                if auto is None:
                    raise ValueError("cannot switch from manual field numbering to automatic")
                parts.append(args[auto])
                auto += 1
            else:
                parts.append(kwargs[name])
        return Composed(parts)

    def join(self, seq):
        parts = []
        for i, item in enumerate(seq):
            if i:
                parts.append(self)
            parts.append(item)
        return Composed(parts)


class Identifier(Composable):
    def __init__(self, *strings):
        if not strings:
            raise TypeError("Identifier cannot be empty")
        for s in strings:
            if not isinstance(s, str):
                raise TypeError("SQL identifier parts must be strings, got %r instead" % (s,))
        super().__init__(strings)

    def as_string(self, context=None):
        return ".".join('"' + s.replace('"', '""') + '"' for s in self._obj)


def _quote(text):
    return "'" + text.replace("'", "''") + "'"


class Literal(Composable):
    def as_string(self, context=None):
        value = self._obj
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float, decimal.Decimal)):
            text = str(value)
            return " " + text if text.startswith("-") else text
        if isinstance(value, datetime.datetime):
            kind = "timestamptz" if value.tzinfo else "timestamp"
            return "%s::%s" % (_quote(value.isoformat()), kind)
        if isinstance(value, datetime.date):
            return "%s::date" % _quote(value.isoformat())
        if isinstance(value, uuid.UUID):
            return "%s::uuid" % _quote(str(value))
        if isinstance(value, (list, tuple)):
            return "ARRAY[%s]" % ",".join(Literal(v).as_string(context) for v in value)
        return _quote(str(value))


class Placeholder(Composable):
    def __init__(self, name="", format="s"):
        if not isinstance(name, str):
            raise TypeError("expected string as name, got %r" % (name,))
        if ")" in name:
            raise ValueError("invalid name: %r" % (name,))
        super().__init__(name)
        self._format = getattr(format, "value", format)

    def as_string(self, context=None):
        if self._obj:
            return "%%(%s)%s" % (self._obj, self._format)
        return "%" + self._format


NULL = SQL("NULL")
DEFAULT = SQL("DEFAULT")


def as_string(obj, context=None):
    if isinstance(obj, Composable):
        return obj.as_string(context)
    return Literal(obj).as_string(context)


def quote(obj, context=None):
    return Literal(obj).as_string(context)
