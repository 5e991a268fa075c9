"""Grade many submissions on CPU and GPU runners with Dask, handing each result back as it lands.

Each submission is one CPU task and, when the assignment has questions graded on CUDA
and a GPU runner exists, one GPU task; the two results are joined by ``devices.combine``.
Tasks carry the resource they need (``CPU=1`` or ``GPU=1``), so GPU tasks run only on
workers that offer a GPU and CPU tasks never occupy those.

With one worker and no GPU everything runs in this process. Otherwise an in-process
cluster is started (one process per CPU worker, plus one GPU worker per visible GPU);
``scheduler`` points the same code at a running cluster instead (see docs/cluster.md).

Each runner takes its kernels from a ``KernelPool`` that keeps ``warm_kernels`` started
ahead (each serves one submission): in this process for the batch, in a Dask worker for
as long as the batch lasts (closed on every worker when it ends).

A worker process that dies mid-task (killed, out of memory, a crash in native code) is
replaced and its task retried once on another worker; a second death is reported as a
grader fault for that submission only.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import platform
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import dask
import torch

from autograder.checks.results import SubmissionResult
from autograder.course import assignment as assignments
from autograder.execution.pool import KernelPool
from autograder.execution.sandbox import Limits
from autograder.grading import devices, pipeline
from autograder.grading.config import BatchConfig
from autograder.grading.intake import Submission

if TYPE_CHECKING:
    from distributed import Client, Future

log = logging.getLogger(__name__)

RESOURCES = {"cpu": {"CPU": 1}, "cuda": {"GPU": 1}}
ALLOWED_WORKER_DEATHS = 1  # a retry is sound: grading has no side effects outside its run dir
_worker_pools: dict[tuple[Limits, int], KernelPool] = {}  # a Dask worker's pools, kept between its tasks


@functools.cache
def _assignment(course: Path, assignment_id: str) -> assignments.Assignment:
    return assignments.load(course, assignment_id)


def grade_one(
    config: BatchConfig, submission: Submission, device: str = "cpu", kernels: KernelPool | None = None
) -> SubmissionResult:
    """Grade one submission on this runner's device; a grader fault becomes a result that says so.

    ``kernels``: the runner's pool (see ``pipeline.grade``); by default a kernel is started for it.
    """
    assignment = _assignment(config.course, config.assignment_id)
    try:
        if device != "cpu" and not torch.cuda.is_available():
            raise RuntimeError(f"the GPU runner {_runner()} has no usable CUDA device")
        if submission.problem:
            result = pipeline.rejected(assignment, submission.student, submission.problem)
        else:
            result = pipeline.grade(
                assignment,
                submission.content,
                submission.student,
                secret=config.secret,
                limits=config.limits,
                device=device,
                kernels=kernels,
            )
    except Exception as error:  # the fault is the grader's; devices.combine keeps the student unharmed
        log.error("grader fault on %s (%s):\n%s", submission.source, device, traceback.format_exc())
        fault = f"{type(error).__name__}: {error}"  # its words may quote the student's data
        result = pipeline.new_result(assignment, submission.student, fault=fault).cleaned()
    result.runners = {device: _runner()}
    return result


def _grade_on_worker(config: BatchConfig, submission: Submission, device: str, last_round: bool) -> SubmissionResult:
    """The Dask task: ``grade_one`` with this worker's pool, which outlives the task.

    ``last_round``: this task is among the batch's last (one per runner), so no kernel is
    started ahead after it: nobody would take it.
    """
    if device != "cpu" and not torch.cuda.is_available():  # grade_one reports it; warm no kernel for it
        return grade_one(config, submission, device)
    key = (pipeline.runner_limits(config.limits, device), config.warm_kernels)
    if key not in _worker_pools:
        _worker_pools[key] = KernelPool(*key)
    _worker_pools[key].expect(1 if last_round else None)
    return grade_one(config, submission, device, _worker_pools[key])


def _close_worker_pools() -> int:
    """Run on every worker when a batch ends, so no kernel stays warm after it. Returns how many pools."""
    count = len(_worker_pools)
    while _worker_pools:
        _worker_pools.popitem()[1].close()
    return count


def grade_all(
    config: BatchConfig, submissions: list[Submission], on_result: Callable[[Submission, SubmissionResult], None]
) -> None:
    """Grade every submission, calling ``on_result`` in this process as each one finishes."""
    assignment = _assignment(config.course, config.assignment_id)
    gpu_questions = devices.needs_gpu(assignment)
    local_gpus = torch.cuda.device_count() if gpu_questions and config.scheduler is None else 0
    if config.scheduler is None and local_gpus == 0 and (config.workers <= 1 or len(submissions) <= 1):
        cpu_limits = pipeline.runner_limits(config.limits, "cpu")
        with KernelPool(cpu_limits, config.warm_kernels, expected=len(submissions)) as pool:
            for submission in submissions:
                cpu = grade_one(config, submission, kernels=pool)
                on_result(submission, devices.combine(assignment, cpu, None))
        return
    from distributed import as_completed

    with _client(config.workers, local_gpus, config.scheduler) as client:
        targets = ["cpu", "cuda"] if gpu_questions and _offers_gpu(client) else ["cpu"]
        runners = {device: _runners_offering(client, device) for device in targets}
        futures = {
            client.submit(
                _grade_on_worker,
                config,
                submission,
                device,
                len(submissions) - index <= runners[device],
                key=f"grade-{device}-{assignment.id}-{submission.student}-{submission.content_hash[:12]}",
                pure=False,
                resources=RESOURCES[device],
            ): (submission, device)
            for index, submission in enumerate(submissions)
            for device in targets
        }
        parts: dict[str, dict[str, SubmissionResult]] = {}
        try:
            for future in as_completed(futures):
                submission, device = futures.pop(future)
                done = parts.setdefault(submission.student, {})
                done[device] = _outcome(future, submission, assignment)
                if len(done) == len(targets):
                    del parts[submission.student]
                    on_result(submission, devices.combine(assignment, done["cpu"], done.get("cuda")))
        finally:
            client.cancel(list(futures))
            client.run(_close_worker_pools)


def _outcome(future: Future, submission: Submission, assignment: assignments.Assignment) -> SubmissionResult:
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker:
        fault = f"the grading worker died {ALLOWED_WORKER_DEATHS + 1} times while grading this submission"
    except Exception as error:  # e.g. the result could not travel back from the worker
        fault = f"{type(error).__name__}: {error}"
    log.error("grader fault on %s: %s", submission.source, fault)
    return pipeline.new_result(assignment, submission.student, fault=fault).cleaned()


def _offers_gpu(client: Client) -> bool:
    return _runners_offering(client, "cuda") > 0


def _runners_offering(client: Client, device: str) -> int:
    """How many of the cluster's workers take this device's tasks."""
    (resource,) = RESOURCES[device]
    return sum(resource in worker.get("resources", {}) for worker in client.scheduler_info()["workers"].values())


def _runner() -> str:
    """This host, and the Dask worker's address when running in one."""
    try:
        from distributed import get_worker

        return f"{platform.node()} {get_worker().address}"
    except (ImportError, ValueError):
        return platform.node()


@contextlib.contextmanager
def _client(workers: int, gpus: int, scheduler: str | None) -> Iterator[Client]:
    from distributed import Client, Nanny, Scheduler, SpecCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)  # its INFO lines drown the progress bar
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_WORKER_DEATHS}):
        if scheduler is not None:
            target = {"address": scheduler} if "://" in scheduler else {"scheduler_file": scheduler}
            with Client(**target) as client:
                yield client
            return
        spec = {f"cpu-{index}": _worker_spec(Nanny, RESOURCES["cpu"]) for index in range(max(1, workers))}
        for index in range(gpus):
            spec[f"gpu-{index}"] = _worker_spec(Nanny, RESOURCES["cuda"], {"CUDA_VISIBLE_DEVICES": str(index)})
        scheduler_spec = {"cls": Scheduler, "options": {"dashboard_address": None}}
        with (
            SpecCluster(workers=spec, scheduler=scheduler_spec, silence_logs=logging.ERROR) as cluster,
            Client(cluster) as client,
        ):
            yield client


def _worker_spec(nanny: type, resources: dict[str, int], env: dict[str, str] | None = None) -> dict:
    options = {"nthreads": 1, "resources": resources, "env": env or {}, "silence_logs": logging.ERROR}
    return {"cls": nanny, "options": options}
