"""Error classes with the names psycopg gives them."""


class Error(Exception):
    sqlstate = None


class InterfaceError(Error):
    pass


class DatabaseError(Error):
    pass


class OperationalError(DatabaseError):
    pass


class ProgrammingError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class DataError(DatabaseError):
    pass


_BY_CLASS = {
    "08": OperationalError,
    "22": DataError,
    "23": IntegrityError,
    "42": ProgrammingError,
}
_MADE = {}


def lookup(sqlstate):
    """A class for a SQLSTATE, subclassing the family psycopg puts it in."""
    if sqlstate not in _MADE:
        base = _BY_CLASS.get(sqlstate[:2], DatabaseError)
        _MADE[sqlstate] = type("SqlState_" + sqlstate, (base,), {"sqlstate": sqlstate})
    return _MADE[sqlstate]
