"""The per-part worker: a notebook's code cells, then a fresh copy per part.

Started by the grader inside a sandbox as
``python -I -c "...; main()" IN_FD OUT_FD``; it reads requests on IN_FD and
writes events on OUT_FD, both frames of :mod:`.wire`. The grader sends the
notebook's code cells one at a time, in order (given cells as the source
notebook has them, the student's as submitted, test cells left out); the
worker runs each in one namespace, as a kernel would. When the next cell
is a graded part's test cell, the grader sends the part instead, and the
worker forks: the child (a fresh copy of the student's state at that point,
which no other part can change) runs the part's cases and exits; the
worker itself waits and reports how the child ended. Nothing here judges.

Requests: ``{"op": "cell", "index", "source"}``; ``{"op": "given",
"sources"}`` (the given cells' code, run apart, whose names a part may be
told to use); ``{"op": "part", "part", "names", "cases", "given_names",
"served"}``; ``{"op": "served", ...}`` (a reply to the child's request);
``{"op": "exit"}``.
Events: ``{"ev": "ready"}``; ``{"ev": "cell", "index", "status", "error"}``;
``{"ev": "case", "part", "index", "result"}``; ``{"ev": "serve", "name",
"args", "kwargs"}`` (the part calls another graded function, which the
grader computes with the reference); ``{"ev": "part_done", "part",
"status"}``.
"""
from __future__ import annotations

import builtins
import linecache
import os
import sys
from typing import Any

from . import errors, wire
from .run import run_case, resolve


class Worker:
    def __init__(self, fd_in: int, fd_out: int):
        self.fd_in, self.fd_out = fd_in, fd_out
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins,
                                          "get_ipython": _Shell}
        self.given: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}

    def send(self, message: dict) -> None:
        wire.write(self.fd_out, message)

    def serve(self) -> None:
        self.send({"ev": "ready"})
        while True:
            try:
                request = wire.read(self.fd_in)
            except EOFError:
                return
            op = request.get("op")
            if op == "cell":
                self.send(self.cell(request["index"], request["source"]))
            elif op == "given":
                for i, source in enumerate(request["sources"]):
                    exec(_compile(source, f"given {i}"), self.given)
                self.send({"ev": "given"})
            elif op == "part":
                self.part(request)
            elif op == "exit":
                return

    def cell(self, index: int, source: str) -> dict:
        try:
            code = _compile(source, str(index))
            exec(code, self.namespace)
        except (Exception, SystemExit) as err:
            return {"ev": "cell", "index": index, "status": "raised",
                    "error": errors.describe(err)}
        return {"ev": "cell", "index": index, "status": "ok"}

    def part(self, request: dict) -> None:
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:  # the child: this part's own copy of the student's state
            code = 0
            try:
                self._run_part(request)
            except BaseException:
                code = 70
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            how = f"killed by signal {os.WTERMSIG(status)}"
        else:
            how = f"exit {os.WEXITSTATUS(status)}"
        self.send({"ev": "part_done", "part": request["part"], "status": how})

    def _run_part(self, request: dict) -> None:
        ns = self.namespace
        for name in request.get("given_names", ()):
            if name in self.given:
                ns[name] = self.given[name]
        for name in request.get("served", ()):
            ns[name] = _Served(name, self)
        try:
            impl = resolve(ns, request["names"])
        except errors.Refusal as err:
            impl, refused = None, {"error": errors.refusal(err)}
        for index, case in enumerate(request["cases"]):
            result = refused if impl is None else run_case(impl, case)
            self.send({"ev": "case", "part": request["part"], "index": index,
                       "result": result})


class _Served:
    """A graded function of another part, computed by the grader with the
    reference: the part under judgement calls it like its own."""

    def __init__(self, name: str, worker: Worker):
        self.__name__ = self.name = name
        self.worker = worker

    def __call__(self, *args, **kwargs):
        self.worker.send({"ev": "serve", "name": self.name, "args": wire.encode(list(args)),
                          "kwargs": wire.encode(dict(kwargs))})
        reply = wire.read(self.worker.fd_in)
        if "error" in reply:
            raise RuntimeError(f"{self.name}: {reply['error']}")
        # the grader drew from copies of the caller's generators: advance them alike
        for mine, theirs in zip(wire.generators_in([args, kwargs]), reply.get("rngs", [])):
            mine.bit_generator.state = wire.generator(theirs).bit_generator.state
        return wire.decode(reply["ok"])


class _Shell:
    """Enough of IPython's ``get_ipython()`` for cells with magics: ``%time``
    and ``%%time`` run their code; other magics and ``!commands`` do
    nothing here (the notebook's own kernel runs them for real)."""
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def run_line_magic(self, name, line, *args):
        if name in ("time", "timeit", "prun"):
            frame = sys._getframe(1)
            exec(line, frame.f_globals, frame.f_locals)

    def run_cell_magic(self, name, line, cell):
        if name in ("time", "timeit", "capture", "prun"):
            exec(cell, sys._getframe(1).f_globals)

    def system(self, *args, **kwargs):
        return None

    getoutput = system


def _compile(source: str, label: str):
    filename = f"{errors.CELL_PREFIX}{label}>"
    try:
        code = compile(source, filename, "exec")
    except SyntaxError:
        translated = _without_magics(source)
        if translated == source:
            raise
        code, source = compile(translated, filename, "exec"), translated
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return code


def _without_magics(source: str) -> str:
    """IPython's own translation of %magics and !commands into Python."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    return TransformerManager().transform_cell(source)


def main() -> None:
    fd_in, fd_out = int(sys.argv[1]), int(sys.argv[2])
    Worker(fd_in, fd_out).serve()


if __name__ == "__main__":
    main()
