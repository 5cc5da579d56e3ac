"""The Ray engine: the same ``GraphWorker`` as Ray actors, on a local Ray or a cluster.

Why actors rather than Ray Data: each file is a coarse task (seconds of work) that reads and
writes its own audio on a shared filesystem, and the driver needs each file's outcome as it
happens (manifest, progress, resume). Ray Data's strengths (blocks of rows moved through the
object store, batching, shuffles) would only add copies; its UDF errors stop the whole
dataset. Actors give exactly one graph per worker, built once, and Ray restarts an actor
whose process dies (``max_restarts``); the driver then resubmits the file it was working on,
``max_attempts`` times in all, so the manifest can say how many attempts a file took.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Iterable

from ..errors import AuralFxError, first_line
from .worker import GraphSpec, GraphWorker, OutputOptions, Task, TaskEvents

__all__ = ["run_ray"]


def _ray():
    try:
        import ray
    except ImportError:
        raise AuralFxError("--engine ray needs Ray: pip install 'aural-fx[ray]'") from None
    return ray


def _connect(ray, address: str | None, jobs: int | None) -> bool:
    """Connect to ``address`` (a cluster), or start a local Ray; True when started here."""
    if ray.is_initialized():
        return False
    debug = bool(os.environ.get("AURAL_FX_DEBUG"))
    settings = dict(logging_level=logging.INFO if debug else logging.ERROR, log_to_driver=debug)
    try:
        if address:
            ray.init(address=address, **settings)
        else:
            ray.init(num_cpus=jobs or os.cpu_count(), include_dashboard=False, **settings)
    except Exception as error:
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise AuralFxError(f"cannot start or reach {where}: {first_line(error)}") from None
    return True


def run_ray(
    spec: GraphSpec,
    options: OutputOptions,
    tasks: Iterable[Task],
    events: TaskEvents,
    jobs: int | None,
    address: str | None = None,
    max_attempts: int = 3,
) -> None:
    """Run ``tasks`` on ``jobs`` Ray actors (default: one per CPU of the cluster)."""
    ray = _ray()
    started_here = _connect(ray, address, jobs)
    pending = deque(tasks)
    attempts: dict[int, int] = {}
    in_flight: dict[object, tuple[Task, object]] = {}
    actors: list[object] = []
    try:
        jobs = jobs or max(1, int(ray.cluster_resources().get("CPU", 1)))
        actor_class = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=0)(GraphWorker)
        actors = [actor_class.remote(spec, options, 1, os.getcwd()) for _ in range(min(jobs, len(pending)))]
        try:
            ray.get([actor.ready.remote() for actor in actors])
        except ray.exceptions.RayError as error:
            raise AuralFxError(_cause(error)) from None
        idle = list(actors)
        recovering: dict[object, object] = {}  # actor.ready() calls of actors Ray restarts
        while pending or in_flight:
            while idle and pending:
                task, actor = pending.popleft(), idle.pop()
                attempts[task.index] = attempts.get(task.index, 0) + 1
                events.started(task, attempts[task.index])
                in_flight[actor.process.remote(task)] = (task, actor)
            done, _ = ray.wait(list(in_flight) + list(recovering), num_returns=1)
            for reference in done:
                if reference in recovering:
                    actor = recovering.pop(reference)
                    try:
                        ray.get(reference)
                        idle.append(actor)
                    except ray.exceptions.RayError:
                        time.sleep(0.2)
                        recovering[actor.ready.remote()] = actor
                    continue
                task, actor = in_flight.pop(reference)
                try:
                    outcome = ray.get(reference)
                except ray.exceptions.RayError as error:
                    recovering[actor.ready.remote()] = actor
                    if attempts[task.index] < max_attempts:
                        pending.appendleft(task)
                    else:
                        events.died(task, attempts[task.index], _cause(error))
                    continue
                idle.append(actor)
                events.finished(task, outcome, attempts[task.index])
    except BaseException:
        _stop(ray, in_flight, events, attempts)
        raise
    finally:
        for actor in actors:
            ray.kill(actor)
        if started_here:
            ray.shutdown()


def _stop(ray, in_flight, events: TaskEvents, attempts) -> None:
    """Report what already finished, stop the actors, abandon the rest."""
    if in_flight:
        done, _ = ray.wait(list(in_flight), num_returns=len(in_flight), timeout=0)
        for reference in done:
            task, _actor = in_flight.pop(reference)
            try:
                events.finished(task, ray.get(reference), attempts[task.index])
            except ray.exceptions.RayError:
                events.abandoned(task)
    for task, actor in in_flight.values():
        ray.kill(actor)
        events.abandoned(task)
    in_flight.clear()


def _cause(error: BaseException) -> str:
    """The useful line of a Ray error: the worker's own exception, or why the actor died."""
    cause = getattr(error, "cause", None) or getattr(error, "__cause__", None)
    if isinstance(cause, AuralFxError):
        return str(cause)
    text = str(error).strip().splitlines()
    for line in text:
        if "AuralFxError" in line or "PresetError" in line or "PluginError" in line:
            return line.split(": ", 1)[-1]
    return f"worker died ({type(error).__name__}: {text[0] if text else ''})"
