"""Grade many submissions in parallel on a Dask cluster, handing each result back as it lands.

With one worker everything runs in this process. With more, an in-process Dask
``LocalCluster`` (one process per worker, one task at a time each) grades submissions
concurrently; ``scheduler`` points the same code at a running cluster instead. Every
task is tagged with the resource it needs (``CPU=1``), so a cluster's workers can be
told what they offer.

A worker process that dies mid-task (killed, out of memory, a crash in native code) is
replaced by the cluster and its submission is retried once on another worker; a second
death is reported as a grader fault for that submission only.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import dask

from autograder.authoring import assignment as assignments
from autograder.execution.sandbox import Limits
from autograder.grading import pipeline
from autograder.grading.intake import Submission
from autograder.grading.results import SubmissionResult

if TYPE_CHECKING:
    from distributed import Client, Future

log = logging.getLogger(__name__)

TASK_RESOURCES = {"CPU": 1}
ALLOWED_WORKER_DEATHS = 1  # a retry is sound: grading has no side effects outside its run dir


@functools.cache
def _assignment(course: Path, assignment_id: str) -> assignments.Assignment:
    return assignments.load(course, assignment_id)


def grade_one(
    course: Path, assignment_id: str, submission: Submission, secret: bytes, limits: Limits
) -> SubmissionResult:
    """Grade one submission; a grader fault becomes a result that says so, never a crash."""
    assignment = _assignment(course, assignment_id)
    try:
        if submission.problem:
            return pipeline.rejected(assignment, submission.student, submission.problem)
        return pipeline.grade(assignment, submission.content, submission.student, secret, limits)
    except Exception as error:
        log.error("grader fault on %s:\n%s", submission.source, traceback.format_exc())
        return SubmissionResult(
            submission.student, assignment_id, assignment.max_score, fault=f"{type(error).__name__}: {error}"
        )


def grade_all(
    course: Path,
    assignment_id: str,
    submissions: list[Submission],
    secret: bytes,
    limits: Limits,
    workers: int,
    on_result: Callable[[Submission, SubmissionResult], None],
    scheduler: str | None = None,
) -> None:
    """Grade every submission, calling ``on_result`` in this process as each one finishes."""
    if scheduler is None and (workers <= 1 or len(submissions) <= 1):
        for submission in submissions:
            on_result(submission, grade_one(course, assignment_id, submission, secret, limits))
        return
    from distributed import as_completed

    with _client(workers, scheduler) as client:
        futures = {
            client.submit(
                grade_one,
                course,
                assignment_id,
                submission,
                secret,
                limits,
                key=f"grade-{assignment_id}-{submission.student}-{submission.content_hash[:12]}",
                pure=False,
                resources=TASK_RESOURCES,
            ): submission
            for submission in submissions
        }
        for future in as_completed(futures):
            submission = futures.pop(future)
            on_result(submission, _outcome(future, submission, assignment_id, course))


def _outcome(future: Future, submission: Submission, assignment_id: str, course: Path) -> SubmissionResult:
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker:
        fault = f"the grading worker died {ALLOWED_WORKER_DEATHS + 1} times while grading this submission"
    except Exception as error:  # e.g. the result could not travel back from the worker
        fault = f"{type(error).__name__}: {error}"
    log.error("grader fault on %s: %s", submission.source, fault)
    assignment = _assignment(course, assignment_id)
    return SubmissionResult(submission.student, assignment_id, assignment.max_score, fault=fault)


@contextlib.contextmanager
def _client(workers: int, scheduler: str | None) -> Iterator[Client]:
    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)  # its INFO lines drown the progress bar
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_WORKER_DEATHS}):
        if scheduler is not None:
            target = {"scheduler_file": scheduler} if scheduler.endswith(".json") else {"address": scheduler}
            with Client(**target) as client:
                yield client
            return
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                resources=TASK_RESOURCES,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
