# Runs one Python delta or hook for pum: imports the file, instantiates every
# DeltaPy subclass in it and calls run(). The context arrives as JSON on stdin.
import functools
import importlib.util
import inspect
import json
import os
import sys

from pum.core.deltapy import DeltaPy


def parse_version(text):
    try:
        from packaging.version import Version
        return Version(text)
    except Exception:
        pass
    try:
        from pkg_resources import parse_version as pv
        return pv(text)
    except Exception:
        return _Version(text)


@functools.total_ordering
class _Version:
    """Comparable like pkg_resources.parse_version, with versions and strings."""

    def __init__(self, text):
        self.text = str(text)
        self.parts = tuple(int(p) if p.isdigit() else 0 for p in self.text.split('.'))

    @staticmethod
    def _other(other):
        return other if isinstance(other, _Version) else _Version(str(other))

    def __eq__(self, other):
        return self.parts == self._other(other).parts

    def __lt__(self, other):
        return self.parts < self._other(other).parts

    def __hash__(self):
        return hash(self.parts)

    def __str__(self):
        return self.text

    def __repr__(self):
        return '<Version({!r})>'.format(self.text)


def main():
    context = json.load(sys.stdin)
    path = context['file']
    spec = importlib.util.spec_from_file_location(context['module'], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    delta_dir = os.path.dirname(path) + os.sep
    version = parse_version(context['current_db_version']) if context['current_db_version'] else None
    found = 0
    for name in dir(module):
        obj = getattr(module, name)
        if inspect.isclass(obj) and obj is not DeltaPy and issubclass(obj, DeltaPy):
            found += 1
            instance = obj(version, delta_dir, context['delta_dirs'], context['pg_service'],
                           context['upgrades_table'], variables=context['variables'])
            instance.run()
    if found == 0:
        # Nothing would have run: say so instead of recording the delta as applied.
        print('no DeltaPy subclass found in {}: a Python delta defines a class deriving from '
              'pum.core.deltapy.DeltaPy whose run() does the work; nothing was run or recorded'.format(path),
              file=sys.stderr)
        sys.exit(3)


if __name__ == '__main__':
    main()
