"""The local engine: one worker process per job on this machine, each with its own graph.

Each worker gets one task at a time over its own pipe, so the driver always knows which
file a worker is on: when a worker dies (killed, out of memory, a crashing plugin) its file
is cleaned up and given to a fresh worker, up to ``max_attempts`` times.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from ..errors import AuralFxError
from ..external import quiet_teardown
from .worker import GraphSpec, GraphWorker, OutputOptions, Task, TaskEvents

__all__ = ["run_local"]


def run_local(
    spec: GraphSpec,
    options: OutputOptions,
    tasks: Iterable[Task],
    events: TaskEvents,
    jobs: int,
    max_attempts: int = 3,
    threads: int | None = None,
) -> None:
    """Run ``tasks`` on ``jobs`` worker processes, reporting to ``events``; a task whose
    worker dies is tried again on a fresh worker, ``max_attempts`` times in all. On an
    interrupt, workers are stopped, in-flight tasks abandoned, and the exception goes on."""
    pending = deque(tasks)
    attempts: dict[int, int] = {}
    context = multiprocessing.get_context("spawn")  # workers start clean: no forked torch threads
    workers: list[_Worker] = []
    try:
        while pending or any(w.task for w in workers):
            while len(workers) < min(jobs, len(pending) + sum(1 for w in workers if w.task)):
                workers.append(_Worker.start(context, spec, options, threads))
            for worker in workers:
                if worker.task is None and worker.ready and pending:
                    task = pending.popleft()
                    attempts[task.index] = attempts.get(task.index, 0) + 1
                    events.started(task, attempts[task.index])
                    worker.give(task)
            ready = wait([w.connection for w in workers] + [w.process.sentinel for w in workers])
            for worker in list(workers):
                if worker.connection in ready or worker.connection.poll():
                    try:
                        message = worker.connection.recv()
                    except (EOFError, OSError):
                        message = None
                    if message is not None:
                        _handle(worker, message, events, attempts)
                        continue
                if worker.process.sentinel in ready or not worker.process.is_alive():
                    worker.process.join()
                    workers.remove(worker)
                    task = worker.task
                    if task is None:
                        if not worker.ready:
                            raise AuralFxError(f"{spec.source}: a batch worker exited while starting (exit code {worker.process.exitcode})")
                        continue
                    if attempts[task.index] < max_attempts:
                        pending.appendleft(task)
                    else:
                        events.died(task, attempts[task.index], _death(worker.process.exitcode))
    except BaseException:
        _stop(workers, events, attempts)
        raise
    for worker in workers:
        worker.finish()


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"killed by signal {signal.Signals(-exitcode).name}"
    return f"exit code {exitcode}"


def _handle(worker: "_Worker", message, events: TaskEvents, attempts) -> None:
    kind, value = message
    if kind == "ready":
        worker.ready = True
    elif kind == "error":  # the graph could not be built in the worker
        raise AuralFxError(value)
    else:
        task, worker.task = worker.task, None
        events.finished(task, value, attempts[task.index])


def _stop(workers, events: TaskEvents, attempts) -> None:
    """Stop every worker now; report what finished, abandon the rest."""
    for worker in workers:
        if worker.process.is_alive():
            worker.process.terminate()
    for worker in workers:
        worker.process.join()
        try:
            while worker.task is not None and worker.connection.poll():
                _handle(worker, worker.connection.recv(), events, attempts)
        except (EOFError, OSError, AuralFxError):
            pass
        if worker.task is not None:
            events.abandoned(worker.task)
            worker.task = None


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    connection: Connection
    task: Task | None = None
    ready: bool = False

    @classmethod
    def start(cls, context, spec: GraphSpec, options: OutputOptions, threads: int | None) -> "_Worker":
        ours, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(theirs, spec, options, threads, os.getpid()), daemon=True)
        with _main_module_hidden():
            process.start()
        theirs.close()
        return cls(process, ours)

    def give(self, task: Task) -> None:
        self.task = task
        self.connection.send(task)

    def finish(self) -> None:
        try:
            self.connection.send(None)
        except OSError:
            pass
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel sends this process SIGKILL when its parent (the batch driver) dies,
    even of SIGKILL, so no worker outlives a crashed batch and writes files nobody records."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pipe's EOF still ends the worker
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _serve(connection: Connection, spec: GraphSpec, options: OutputOptions, threads: int | None, parent: int) -> None:
    """A worker process: build the graph, then process tasks until told to stop."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C and SIGTERM are the driver's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        worker = GraphWorker(spec, options, threads)
    except AuralFxError as error:
        connection.send(("error", str(error)))
        return
    connection.send(("ready", None))
    while (task := connection.recv()) is not None:
        connection.send(("done", worker.process(task)))
    quiet_teardown()


@contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Start a spawned worker without re-running the caller's script in it: multiprocessing
    imports ``__main__`` in each child (found through its ``__spec__`` or ``__file__``), so a
    script that calls ``run_batch`` at top level, without ``if __name__ == "__main__":``,
    would call it again in every worker. The workers need nothing from it."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = {name: main.__dict__[name] for name in ("__spec__", "__file__") if name in main.__dict__}
    main.__spec__ = None
    main.__dict__.pop("__file__", None)
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)
