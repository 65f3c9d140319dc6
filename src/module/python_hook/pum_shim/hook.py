"""HookBase as pum 1.x defines it for application hooks; SQL it is given
runs on pum's own connection, in the run's transaction."""

import abc
import copy


class HookBase(abc.ABC):
    def __init__(self) -> None:
        self._parameters = None
        self._connection = None

    def _prepare(self, connection, parameters=None) -> None:
        self._connection = connection
        self._parameters = copy.deepcopy(parameters)

    @abc.abstractmethod
    def run_hook(self, connection, parameters=None) -> None:
        raise NotImplementedError("run_hook must be implemented by the hook class")

    def execute(self, sql) -> None:
        """Runs SQL text, a psycopg ``sql.SQL``, or a ``pathlib.Path`` to a
        SQL file; ``{name}`` placeholders take the module's parameters."""
        self._connection._pum_hook_execute(sql)

    execute.__isfinal__ = True
