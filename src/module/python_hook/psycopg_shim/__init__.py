"""A stand-in for psycopg, used by pum's hook runner only when the real
psycopg cannot be imported: hooks import it for type annotations, errors
and SQL composition (``psycopg.sql``); they never connect with it."""

from . import errors, rows, sql
from .errors import DatabaseError, Error, InterfaceError, OperationalError, ProgrammingError


class Connection:
    """Only for annotations: hooks are given pum's connection object."""


class Cursor:
    """Only for annotations."""


__all__ = [
    "Connection",
    "Cursor",
    "DatabaseError",
    "Error",
    "InterfaceError",
    "OperationalError",
    "ProgrammingError",
    "errors",
    "rows",
    "sql",
]
