"""Grade many submissions, in parallel on a Dask cluster, writing each result as it lands.

With one worker everything runs in this process. With more, a local Dask cluster (one
process per worker, one task at a time each) grades submissions concurrently; the same
code can later be pointed at a real cluster. Results are written to disk the moment
they arrive, so a crash loses only submissions still in flight.
"""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from autograder.authoring import assignment as assignments
from autograder.execution.sandbox import Limits
from autograder.grading import pipeline
from autograder.grading.results import SubmissionResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    student: str
    path: Path


def collect(paths: list[Path]) -> list[Submission]:
    """Notebooks named on the command line or found under directories (student = file stem)."""
    found: dict[str, Submission] = {}
    for path in paths:
        if path.is_dir():
            notebooks = sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        elif path.exists():
            notebooks = [path]
        else:
            raise FileNotFoundError(f"no such submission: {path}")
        for notebook in notebooks:
            if notebook.stem in found:
                raise ValueError(
                    f"two submissions for student {notebook.stem!r}: {found[notebook.stem].path} and {notebook}"
                )
            found[notebook.stem] = Submission(notebook.stem, notebook)
    return list(found.values())


@functools.cache
def _assignment(course: Path, assignment_id: str) -> assignments.Assignment:
    return assignments.load(course, assignment_id)


def grade_one(
    course: Path, assignment_id: str, submission: Submission, secret: bytes, limits: Limits
) -> SubmissionResult:
    """Grade one submission; a grader fault becomes a result that says so, never a crash."""
    assignment = _assignment(course, assignment_id)
    try:
        return pipeline.grade(assignment, submission.path, submission.student, secret, limits)
    except Exception as error:
        log.error("grader fault on %s:\n%s", submission.path, traceback.format_exc())
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
    on_result: Callable[[SubmissionResult], None],
) -> None:
    for result in _results(course, assignment_id, submissions, secret, limits, workers):
        on_result(result)


def _results(
    course: Path, assignment_id: str, submissions: list[Submission], secret: bytes, limits: Limits, workers: int
) -> Iterator[SubmissionResult]:
    if workers <= 1 or len(submissions) <= 1:
        for submission in submissions:
            yield grade_one(course, assignment_id, submission, secret, limits)
        return
    from distributed import Client, LocalCluster, as_completed

    logging.getLogger("distributed").setLevel(logging.ERROR)  # its INFO lines drown the progress bar
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
        ) as cluster,
        Client(cluster) as client,
    ):
        futures = [
            client.submit(
                grade_one,
                course,
                assignment_id,
                submission,
                secret,
                limits,
                key=f"grade-{assignment_id}-{submission.student}",
                pure=False,
            )
            for submission in submissions
        ]
        for future in as_completed(futures):
            yield future.result()
