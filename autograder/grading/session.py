"""One grading session of one assignment: intake -> cache -> grade -> record -> export.

The gradebook database is the source of truth. A submission whose cache key is already
there with a result is not executed again; every new result is committed and its
feedback written the moment it lands, so a session killed at any point resumes where it
stopped. The CSVs and the summary page are rebuilt from the database at the end, so they
always cover every student graded so far, not only this session's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import nbformat

from autograder.checks.results import SubmissionResult
from autograder.course.assignment import Assignment
from autograder.feedback import exports
from autograder.grading import batch, standing
from autograder.grading.adjustments import Ledger
from autograder.grading.config import BatchConfig
from autograder.grading.fingerprint import assignment_fingerprint, cache_key
from autograder.grading.gradebook import Gradebook
from autograder.grading.intake import Submission
from autograder.similarity import report as similarity
from autograder.similarity.model import Entry, Report

log = logging.getLogger(__name__)


@dataclass
class Session:
    config: BatchConfig
    assignment: Assignment
    gradebook: Gradebook
    output: Path
    on_result: Callable[[SubmissionResult], None] = lambda result: None
    results: list[SubmissionResult] = field(default_factory=list)

    def grade(self, submissions: list[Submission], force: bool = False) -> list[SubmissionResult]:
        """Grade what is not in the gradebook yet (everything with ``force``); returns this session's results."""
        self.gradebook.register(self.assignment)
        assignment_print = assignment_fingerprint(self.assignment)
        keys = {submission.student: self._key(submission, assignment_print) for submission in submissions}
        pending = []
        for submission in submissions:
            stored = None if force else self.gradebook.cached(keys[submission.student])
            if stored is None:
                pending.append(submission)
            else:
                self._record(submission, stored, keys[submission.student])
        log.info("%d to grade, %d reused from the gradebook", len(pending), len(submissions) - len(pending))
        batch.grade_all(
            self.config, pending, lambda submission, result: self._record(submission, result, keys[submission.student])
        )
        return self.results

    def export(self) -> Report:
        """The course-wide exports (``exports.COURSE_EXPORTS``) from every stored grade of the assignment."""
        return export_course(self.assignment, self.gradebook, self.output)

    def _key(self, submission: Submission, assignment_print: str) -> str:
        content = f"{submission.content_hash}:{submission.problem}"
        return cache_key(assignment_print, submission.student, content, self.config.secret, self.config.limits)

    def _record(self, submission: Submission, result: SubmissionResult, key: str) -> None:
        _annotate(submission, result)
        held = Ledger(self.gradebook).current(self.assignment.id, submission.student).get(submission.student)
        counted = standing.apply(self.assignment, result, submission.received, submission.marked_late, held)
        late_days = self.assignment.late.assess(submission.received).days
        self.gradebook.record(submission, result, key, late_days, counted)
        exports.write_submission(self.assignment, counted, self.output / exports.student_folder(submission.student))
        self.results.append(counted)
        self.on_result(counted)


def export_course(assignment: Assignment, gradebook: Gradebook, output: Path) -> Report:
    """Write the course-wide exports from the gradebook, the similarity report included; returns that report."""
    rows = standing.rows(assignment, gradebook)
    entries = [
        Entry(student["student"], _notebook(gradebook.notebook(student["content_hash"])), result)
        for student, result in rows
    ]
    report = similarity.analyse(assignment, entries)
    exports.write_course(assignment, exports.CourseView(rows, report), output)
    return report


def _notebook(content: bytes | None) -> nbformat.NotebookNode | None:
    """A stored submission as a valid notebook, or None (not kept, or not a notebook: its result says why).

    Validated, because the similarity report reads its cells and outputs as nbformat defines them.
    """
    if content is None:
        return None
    try:
        notebook = nbformat.reads(content.decode("utf-8"), as_version=4)
        nbformat.validate(notebook)
    except Exception:  # nbformat raises JSON, validation and version errors; the grade already names them
        return None
    return notebook


def _annotate(submission: Submission, result: SubmissionResult) -> None:
    """What depends on this receipt rather than on the notebook's content: the file's name, duplicates.

    Lateness depends on the student's deadline too, which an extension moves: ``standing`` assesses it.
    """
    result.source = PurePath(submission.source).name  # what the student uploaded, not where the grader keeps it
    result.notes = []
    if submission.superseded:
        result.notes.append(
            f"you submitted {len(submission.superseded) + 1} times; the newest was graded, not: "
            + ", ".join(Path(source).name for source in submission.superseded)
        )
