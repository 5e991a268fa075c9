"""What a TA does to grades, as one service: the CLI (score, override, extend, import-scores) and the review app use it.

Each change is checked against the assignment (the question exists and is of the right
kind, the points fit), recorded in the ledger (``grading.adjustments``) and published at
once: the student's ``results.json`` and ``feedback.html`` are rewritten, and so are the
course-wide exports, so every file always shows the grade the database holds.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from autograder.checks.results import SubmissionResult
from autograder.course.assignment import Assignment, ManualQuestion
from autograder.errors import UsageError
from autograder.feedback import exports
from autograder.grading import standing
from autograder.grading.adjustments import EXTENSION, OVERRIDE, SCORE, Adjustment, Ledger
from autograder.grading.gradebook import Gradebook
from autograder.grading.session import export_course

IMPORT_COLUMNS = ("student", "question", "points", "comment")


@dataclass
class Marking:
    assignment: Assignment
    gradebook: Gradebook
    output: Path  # OUTPUT/ASSIGNMENT, where the exports are
    # How the course-wide exports follow a change: None rebuilds them at once (a second for a
    # class, most of it the summary's plots); the review app hands them to a background thread
    # so that saving a grade never waits for them.
    course_changed: Callable[[], None] | None = None

    @property
    def ledger(self) -> Ledger:
        return Ledger(self.gradebook)

    def score(
        self,
        student: str,
        question: str,
        grader: str,
        points: float | None = None,
        items: Iterable[int] | None = None,
        comment: str = "",
        seen: int | None = None,
        publish: bool = True,
    ) -> Adjustment:
        """A TA's score for a manual question: ``points``, or the sum of the rubric ``items`` (numbered from 1).

        ``items`` empty (not None) means no item applies: 0 points.
        """
        manual = self._manual(question)
        self._graded(student)
        chosen = []
        if items is not None:
            if points is not None:
                raise UsageError("give the points or the rubric items, not both")
            if not manual.rubric.items:
                raise UsageError(f"{question} has no rubric: give its points")
            points, chosen = manual.rubric.score(items, manual.points)
        if points is None:
            raise UsageError(f"{question}: give the points (0 to {manual.points:g}) or rubric items")
        _within(points, manual.points, question)
        value = {"points": points, "items": [item.label for item in chosen], "comment": comment.strip()}
        return self._change(student, SCORE, question, value, grader, "", seen, publish)

    def override(
        self, student: str, question: str, points: float | None, reason: str, grader: str, seen: int | None = None
    ) -> Adjustment:
        """Set an automatic question's score by hand, with why; ``points`` None removes the override."""
        automatic = next((q for q in self.assignment.questions if q.id == question), None)
        if automatic is None:
            raise UsageError(f"{self.assignment.id} has no automatically graded question {question!r}")
        if not reason.strip():
            raise UsageError("an override needs a reason (--reason): the student and the other TAs read it")
        result = self._graded(student)
        if points is None:
            return self._change(student, OVERRIDE, question, None, grader, reason.strip(), seen)
        _within(points, automatic.points, question)
        earned = next((q.score for q in result.questions if q.id == question), 0.0)
        value = {"points": points, "automatic": earned}
        return self._change(student, OVERRIDE, question, value, grader, reason.strip(), seen)

    def extend(
        self,
        student: str,
        grader: str,
        days: float | None = None,
        deadline: datetime | None = None,
        reason: str = "",
        seen: int | None = None,
    ) -> Adjustment:
        """Give a student extra days, or a deadline of their own; their late penalty is assessed from it."""
        if self.assignment.late.deadline is None:
            raise UsageError(f"{self.assignment.id} has no deadline (late: deadline in its ASSIGNMENT CONFIG)")
        if (days is None) == (deadline is None):
            raise UsageError("give either --days or --deadline")
        if deadline is not None and deadline.tzinfo is None:
            raise UsageError("--deadline needs a UTC offset, such as 2026-12-08T23:59:00+01:00")
        if days is not None and days <= 0:
            raise UsageError(f"--days must be more than 0, not {days:g}")
        value = {"days": days} if days is not None else {"deadline": deadline.isoformat()}  # type: ignore[union-attr]
        return self._change(student, EXTENSION, "", value, grader, reason.strip(), seen)

    def import_scores(self, table: str, grader: str) -> int:
        """Manual scores from CSV text (columns student, question, points[, comment]); all are checked first.

        Returns how many were recorded. Nothing is recorded when any row is wrong.
        """
        rows = list(csv.DictReader(io.StringIO(table)))
        if not rows or set(rows[0]) - set(IMPORT_COLUMNS) or {"student", "question", "points"} - set(rows[0]):
            raise UsageError(f"the CSV needs a header with the columns {', '.join(IMPORT_COLUMNS)} (comment optional)")
        parsed = []
        for line, row in enumerate(rows, 2):
            try:
                points = float(row["points"])
                self._graded(row["student"])
                _within(points, self._manual(row["question"]).points, row["question"])
            except (UsageError, ValueError) as error:
                raise UsageError(f"line {line}: {error}") from None
            parsed.append((row["student"], row["question"], points, row.get("comment") or ""))
        for student, question, points, comment in parsed:
            self.score(student, question, grader, points=points, comment=comment, publish=False)
        self.publish(*{student for student, *_ in parsed})
        return len(parsed)

    def publish(self, *students: str) -> None:
        """Rewrite these students' feedback files from the database, and have the course exports follow."""
        for student in students:
            row = standing.of(self.assignment, self.gradebook, student)
            if row is not None:
                folder = self.output / exports.student_folder(student)
                exports.write_submission(self.assignment, row[1], folder)
        (self.course_changed or self.rebuild_course)()

    def rebuild_course(self) -> None:
        """The course-wide exports (gradebook.csv, canvas.csv, summary.html, ...) from the database."""
        export_course(self.assignment, self.gradebook, self.output)

    def _change(
        self,
        student: str,
        kind: str,
        question: str,
        value: dict | None,
        grader: str,
        reason: str,
        seen: int | None,
        publish: bool = True,
    ) -> Adjustment:
        if not grader.strip():
            raise UsageError("say who is grading (--grader NAME)")
        ledger = self.ledger
        adjustment = ledger.change(self.assignment.id, student, kind, question, value, grader.strip(), reason, seen)
        if publish:
            self.publish(student)
        return adjustment

    def _manual(self, question: str) -> ManualQuestion:
        found = next((manual for manual in self.assignment.manual if manual.id == question), None)
        if found is None:
            ids = ", ".join(manual.id for manual in self.assignment.manual) or "none"
            raise UsageError(f"{question!r} is not a question graded by a TA in {self.assignment.id} (those: {ids})")
        return found

    def _graded(self, student: str) -> SubmissionResult:
        row = standing.of(self.assignment, self.gradebook, student)
        if row is None:
            where = f"{student!r} has no graded submission of {self.assignment.id}"
            raise UsageError(f"{where} (grade it first: autograder grade)")
        return row[1]


def _within(points: float, maximum: float, question: str) -> None:
    if not 0 <= points <= maximum:
        raise UsageError(f"{question} is worth 0 to {maximum:g} points, not {points:g}")
