# pum.core.deltapy as shipped inside the pum binary: the base class that
# Python deltas and pre/post-all hooks subclass.
from abc import ABCMeta, abstractmethod


class DeltaPy(metaclass=ABCMeta):
    """Base class of Python deltas; pum instantiates every subclass found in
    the delta file and calls run()."""

    def __init__(self, current_db_version, delta_dir, delta_dirs, pg_service,
                 upgrades_table, variables=None):
        self.__current_db_version = current_db_version
        self.__delta_dir = delta_dir
        self.__delta_dirs = delta_dirs
        self.__pg_service = pg_service
        self.__upgrades_table = upgrades_table
        self.__variables = variables if variables is not None else {}

    @abstractmethod
    def run(self):
        pass

    @property
    def variables(self):
        return self.__variables

    @property
    def current_db_version(self):
        return self.__current_db_version

    @property
    def delta_dir(self):
        return self.__delta_dir

    @property
    def delta_dirs(self):
        return self.__delta_dirs

    @property
    def pg_service(self):
        return self.__pg_service

    @property
    def upgrades_table(self):
        return self.__upgrades_table

    def write_message(self, text):
        print('Message from {}: {}'.format(self.__class__.__name__, text), flush=True)
