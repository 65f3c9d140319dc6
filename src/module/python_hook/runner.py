"""Runs pum 1.x Python application hooks for the Rust pum.

The hook process holds no database connection. Every SQL statement a hook
issues travels as one JSON line to pum (on the original standard output) and
pum answers with one JSON line (on the original standard input) after
running it on its own connection, inside the transaction of the run.

Requests from pum:  {"op": "load", "hooks": [...], "parameters": {...}}
                    {"op": "run", "index": N}
Lines to pum:       {"op": "loaded"} | {"op": "sql", ...} | {"op": "done"}
                    | {"op": "failed", ...}
"""

import importlib
import importlib.util
import inspect
import json
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


def open_channel():
    """Keeps the pipes for the protocol; what hooks print goes to stderr."""
    to_pum = os.fdopen(os.dup(1), "w", encoding="utf-8")
    from_pum = os.fdopen(os.dup(0), "r", encoding="utf-8")
    os.dup2(2, 1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdin = open(os.devnull, encoding="utf-8")
    return from_pum, to_pum


def import_psycopg():
    """The real psycopg when it imports (for its sql module only), else ours."""
    try:
        import psycopg  # noqa: F401
        import psycopg.sql  # noqa: F401

        return "psycopg"
    except ImportError:
        for name in [m for m in sys.modules if m == "psycopg" or m.startswith("psycopg.")]:
            del sys.modules[name]
        sys.path.insert(0, os.path.join(HERE, "fallback"))
        import psycopg  # noqa: F401
        import psycopg.sql  # noqa: F401

        return "shim"


def where(exc, hook_file):
    """The file and line a failure is reported at: the hook file's deepest
    frame, else the deepest frame under the hook's directory."""
    hook_file = os.path.realpath(hook_file)
    folder = os.path.dirname(hook_file)
    frames = traceback.extract_tb(exc.__traceback__)
    for wanted in (lambda f: f == hook_file, lambda f: f.startswith(folder + os.sep)):
        for frame in reversed(frames):
            if wanted(os.path.realpath(frame.filename)):
                return frame.filename, frame.lineno
    if isinstance(exc, SyntaxError) and exc.filename:
        return exc.filename, exc.lineno
    return hook_file, None


def failure(exc, hook_file):
    file, line = where(exc, hook_file)
    report = {
        "op": "failed",
        "file": file,
        "line": line,
        "kind": "exception",
        "message": "%s: %s" % (type(exc).__name__, exc),
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    }
    if isinstance(exc, ImportError) and getattr(exc, "name", None):
        report["kind"] = "import"
        report["module"] = exc.name
    sqlstate = getattr(exc, "pum_sqlstate", None)
    if sqlstate:
        report["sqlstate"] = sqlstate
    return report


class Refused(Exception):
    """A hook file that pum 1.x would not accept."""


def hook_class(module, file):
    classes = [
        c
        for c in vars(module).values()
        if inspect.isclass(c) and "HookBase" in [b.__name__ for b in inspect.getmro(c)[1:]]
    ]
    found = getattr(module, "Hook", None)
    if not inspect.isclass(found):
        own = [c for c in classes if c.__module__ == module.__name__]
        found = own[0] if len(own) == 1 else None
    if found is None:
        raise Refused("%s: no class named Hook subclassing pum.HookBase" % file)
    if "HookBase" not in [b.__name__ for b in inspect.getmro(found)]:
        raise Refused("%s: class %s does not subclass pum.HookBase" % (file, found.__name__))
    return found


class LoadedHook:
    def __init__(self, file, base, parameters):
        self.file = file
        self.paths = [os.path.dirname(os.path.realpath(file))]
        if base and os.path.realpath(base) != self.paths[0]:
            self.paths.append(os.path.realpath(base))
        with self.on_path():
            stem = os.path.splitext(os.path.basename(file))[0]
            spec = importlib.util.spec_from_file_location(
                stem, file, submodule_search_locations=[self.paths[0]]
            )
            module = importlib.util.module_from_spec(spec)
            module.__path__ = [self.paths[0]]
            sys.modules[stem] = module
            spec.loader.exec_module(module)
        cls = hook_class(module, file)
        names = list(inspect.signature(cls.run_hook).parameters)
        if "connection" not in names:
            raise Refused("%s: run_hook must take a `connection` argument" % file)
        self.args = [n for n in names if n not in ("self", "connection")]
        for arg in self.args:
            if arg not in parameters:
                known = ", ".join(sorted(parameters)) or "none"
                raise Refused(
                    "%s: run_hook has an argument `%s` which is not a parameter of the module "
                    "(parameters in .pum.yaml: %s)" % (file, arg, known)
                )
        self.instance = cls()

    def on_path(self):
        hook = self

        class Paths:
            def __enter__(self):
                for p in reversed(hook.paths):
                    sys.path.insert(0, p)
                importlib.invalidate_caches()

            def __exit__(self, *exc):
                for p in hook.paths:
                    if p in sys.path:
                        sys.path.remove(p)

        return Paths()

    def run(self, connection, parameters):
        self.instance._prepare(connection, parameters)
        kwargs = {a: parameters[a] for a in self.args}
        with self.on_path():
            self.instance.run_hook(connection=connection, **kwargs)


def main():
    from_pum, to_pum = open_channel()
    sys.path.insert(0, HERE)
    import_psycopg()
    from pum import _bridge

    channel = _bridge.Channel(from_pum, to_pum)
    hooks = []
    parameters = {}
    for line in from_pum:
        request = json.loads(line)
        if request["op"] == "load":
            parameters = request["parameters"]
            current = None
            try:
                for h in request["hooks"]:
                    current = h["file"]
                    hooks.append(LoadedHook(h["file"], h.get("base"), parameters))
                channel.send({"op": "loaded"})
            except Refused as e:
                channel.send({"op": "failed", "kind": "refused", "file": current, "message": str(e)})
            except BaseException as e:  # noqa: B902 - reported, not swallowed
                channel.send(failure(e, current))
        elif request["op"] == "run":
            hook = hooks[request["index"]]
            connection = _bridge.HookConnection(channel)
            try:
                hook.run(connection, parameters)
                channel.send({"op": "done"})
            except BaseException as e:  # noqa: B902 - reported, not swallowed
                channel.send(failure(e, hook.file))
            finally:
                connection._pum_closed = True


if __name__ == "__main__":
    main()
