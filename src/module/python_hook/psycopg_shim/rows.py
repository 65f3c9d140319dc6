"""Row factories by name: pum's cursor builds the rows they ask for."""


def tuple_row(cursor):
    return None


def dict_row(cursor):
    return None
