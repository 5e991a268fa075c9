"""The gradebook database: every submission received, every grading run, every check.

SQLite by default (one file beside the outputs, WAL mode so a reader never blocks the
grader and a crash never corrupts it), or any SQLAlchemy URL (``postgresql://...``).
Each finished result is committed in its own transaction the moment it arrives, so a
batch killed at any instant keeps everything finished before it; the next run finds
those results by their cache key and does not execute them again.

Tables: ``assignments``, ``students``, ``submissions`` (content hash, received time,
late flag), ``runs`` (one per execution: grader version, torch, device, sandbox mode,
the full result as JSON), ``check_results`` (one row per check of a run) and
``grades`` (the result that counts for each student, pointing at its run), and
``adjustments``: what TAs changed (manual scores, overrides, extensions), one row per
change, never updated or deleted (``grading.adjustments``).
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import torch
from sqlalchemy.engine import Engine

from autograder.checks.results import SubmissionResult
from autograder.course.assignment import Assignment
from autograder.grading.fingerprint import assignment_fingerprint, grader_version
from autograder.grading.intake import Submission

metadata = sa.MetaData()

assignments_table = sa.Table(
    "assignments",
    metadata,
    sa.Column("id", sa.String(100), primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("version", sa.String(50), nullable=False),
    sa.Column("max_score", sa.Float, nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
)
students = sa.Table(
    "students",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("name", sa.Text, nullable=False, default=""),
)
submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("assignment_id", sa.ForeignKey("assignments.id"), nullable=False),
    sa.Column("student_id", sa.ForeignKey("students.id"), nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("marked_late", sa.Boolean, nullable=False),
    sa.Column("late_days", sa.Integer, nullable=False, default=0),
    sa.Column("lms_submission", sa.String(100), nullable=False, default=""),
    sa.UniqueConstraint("assignment_id", "student_id", "content_hash", "received_at"),
)
notebooks = sa.Table(  # each graded file once, by content: what the similarity report (and a TA) reads
    "notebooks",
    metadata,
    sa.Column("content_hash", sa.String(64), primary_key=True),
    sa.Column("content", sa.LargeBinary, nullable=False),
)
runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("submission_id", sa.ForeignKey("submissions.id"), nullable=False),
    sa.Column("cache_key", sa.String(64), nullable=False, index=True),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("grader_version", sa.String(100), nullable=False),
    sa.Column("torch_version", sa.String(50), nullable=False),
    sa.Column("device", sa.String(50), nullable=False),
    sa.Column("host", sa.String(200), nullable=False),
    sa.Column("sandbox", sa.Text, nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("fault", sa.Text, nullable=False),
    sa.Column("result", sa.Text, nullable=False),  # SubmissionResult.to_dict() as JSON
)
check_results = sa.Table(
    "check_results",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.ForeignKey("runs.id"), nullable=False, index=True),
    sa.Column("question_id", sa.String(50), nullable=False),
    sa.Column("case_name", sa.Text, nullable=False),
    sa.Column("hidden", sa.Boolean, nullable=False),
    sa.Column("weight", sa.Float, nullable=False),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("kind", sa.String(50), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("diagnosis", sa.Text, nullable=False),
)
grades = sa.Table(
    "grades",
    metadata,
    sa.Column("assignment_id", sa.ForeignKey("assignments.id"), primary_key=True),
    sa.Column("student_id", sa.ForeignKey("students.id"), primary_key=True),
    sa.Column("submission_id", sa.ForeignKey("submissions.id"), nullable=False),
    sa.Column("run_id", sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("penalty", sa.Float, nullable=False),
    sa.Column("final_score", sa.Float, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
adjustments = sa.Table(  # append-only: each row replaces the one it names, so the history is the table
    "adjustments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("assignment_id", sa.ForeignKey("assignments.id"), nullable=False),
    sa.Column("student_id", sa.String(200), nullable=False),  # an extension may come before any submission
    sa.Column("kind", sa.String(20), nullable=False),  # "score", "override" or "extension"
    sa.Column("question_id", sa.String(50), nullable=False),  # "" for an extension
    sa.Column("value", sa.Text, nullable=True),  # JSON; NULL: the adjustment was removed
    sa.Column("replaces", sa.Integer, nullable=False),  # the id of the row it replaces; 0 for the first
    sa.Column("grader", sa.String(200), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # two changes made against the same version cannot both land: the second is refused
    sa.UniqueConstraint("assignment_id", "student_id", "kind", "question_id", "replaces"),
)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


class Gradebook:
    """One connection pool to the gradebook; used only by the process that collects results."""

    def __init__(self, url: str) -> None:
        parsed = sa.engine.make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = sa.create_engine(url)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def register(self, assignment: Assignment) -> None:
        row = {
            "title": assignment.title,
            "version": assignment.version,
            "max_score": assignment.max_score,
            "fingerprint": assignment_fingerprint(assignment),
        }
        with self.engine.begin() as connection:
            _upsert(connection, assignments_table, {"id": assignment.id}, row)

    def cached(self, cache_key: str) -> SubmissionResult | None:
        """The result of an earlier run with the same cache key, unless that run was a grader fault."""
        with self.engine.connect() as connection:
            stored = connection.execute(self._latest_run(cache_key, runs.c.result)).scalar()
        if stored is None:
            return None
        result = SubmissionResult.from_dict(json.loads(stored))
        result.cached = True
        return result

    @staticmethod
    def _latest_run(cache_key: str, column: sa.Column) -> sa.Select:
        return (
            sa.select(column)
            .where(runs.c.cache_key == cache_key, runs.c.fault == "")
            .order_by(runs.c.id.desc())
            .limit(1)
        )

    def record(
        self,
        submission: Submission,
        result: SubmissionResult,
        cache_key: str,
        late_days: int,
        standing: SubmissionResult,
    ) -> None:
        """Store one automatic result and make it the student's grade, all in one transaction.

        ``standing``: the same with the TAs' adjustments and lateness (``grading.standing``),
        whose penalty and final score the grades table keeps for readers of the database.
        """
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            name = {"name": submission.name} if submission.name else {}
            _upsert(connection, students, {"id": submission.student}, name, {"name": ""})
            submission_id = self._submission_id(connection, submission, result.assignment, late_days)
            if submission.content:
                _upsert(
                    connection,
                    notebooks,
                    {"content_hash": submission.content_hash},
                    {},
                    {"content": submission.content},
                )
            if result.cached:  # the run that produced it is already stored
                run_id = connection.execute(self._latest_run(cache_key, runs.c.id)).scalar()
            else:
                run_id = self._insert_run(connection, submission_id, result, cache_key, now)
            key = {"assignment_id": result.assignment, "student_id": submission.student}
            values = {
                "submission_id": submission_id,
                "run_id": run_id,
                "penalty": standing.penalty,
                "final_score": standing.final_score,
                "updated_at": now,
            }
            _upsert(connection, grades, key, values)

    def current(self, assignment_id: str, student: str | None = None) -> Iterator[tuple[dict, SubmissionResult]]:
        """Each student's (or one student's) counting automatic result with their student and submission rows.

        By student id. The result is the automatic one: ``grading.standing`` adds the TAs' adjustments.
        """
        query = (
            sa.select(
                students.c.id,
                students.c.name,
                submissions.c.received_at,
                submissions.c.lms_submission,
                submissions.c.content_hash,
                submissions.c.marked_late,
                grades.c.penalty,
                runs.c.result,
            )
            .select_from(grades.join(students).join(submissions).join(runs, grades.c.run_id == runs.c.id))
            .where(grades.c.assignment_id == assignment_id, *([grades.c.student_id == student] if student else []))
            .order_by(students.c.id)
        )
        with self.engine.connect() as connection:
            for row in connection.execute(query):
                result = SubmissionResult.from_dict(json.loads(row.result))
                result.penalty = row.penalty
                student = {"student": row.id, "name": row.name, "lms_submission": row.lms_submission}
                receipt = {"content_hash": row.content_hash, "received": _aware(row.received_at)}
                yield student | receipt | {"marked_late": row.marked_late}, result

    def notebook(self, content_hash: str) -> bytes | None:
        """A graded file as it was received (None for one recorded before files were kept, or never readable)."""
        with self.engine.connect() as connection:
            query = sa.select(notebooks.c.content).where(notebooks.c.content_hash == content_hash)
            return connection.execute(query).scalar()

    def run_counts(self, assignment_id: str) -> dict[str, int]:
        """How many times each student's submissions were executed (for audits: no double grading)."""
        query = (
            sa.select(submissions.c.student_id, sa.func.count(runs.c.id))
            .select_from(runs.join(submissions))
            .where(submissions.c.assignment_id == assignment_id)
            .group_by(submissions.c.student_id)
        )
        with self.engine.connect() as connection:
            return {student: count for student, count in connection.execute(query)}

    @staticmethod
    def _submission_id(connection: sa.Connection, submission: Submission, assignment_id: str, late_days: int) -> int:
        where = (
            submissions.c.assignment_id == assignment_id,
            submissions.c.student_id == submission.student,
            submissions.c.content_hash == submission.content_hash,
            submissions.c.received_at == submission.received,
        )
        found = connection.execute(sa.select(submissions.c.id).where(*where)).scalar()
        if found is not None:
            return found
        return connection.execute(
            submissions.insert().values(
                assignment_id=assignment_id,
                student_id=submission.student,
                content_hash=submission.content_hash,
                source=submission.source,
                received_at=submission.received,
                marked_late=submission.marked_late,
                late_days=late_days,
                lms_submission=submission.lms_submission,
            )
        ).inserted_primary_key[0]

    @staticmethod
    def _insert_run(
        connection: sa.Connection, submission_id: int, result: SubmissionResult, cache_key: str, now: datetime
    ) -> int:
        run_id = connection.execute(
            runs.insert().values(
                submission_id=submission_id,
                cache_key=cache_key,
                finished_at=now,
                grader_version=grader_version(),
                torch_version=torch.__version__,
                device="+".join(sorted(result.runners)) or "cpu",
                host="; ".join(f"{device}: {runner}" for device, runner in sorted(result.runners.items()))
                or platform.node(),
                sandbox=result.sandbox,
                seconds=result.seconds,
                score=result.score,
                fault=result.fault,
                result=json.dumps(result.to_dict()),
            )
        ).inserted_primary_key[0]
        rows = [
            {
                "run_id": run_id,
                "question_id": question.id,
                "case_name": check.case,
                "hidden": check.hidden,
                "weight": check.weight,
                "passed": check.passed,
                "kind": check.kind,
                "message": check.message,
                "diagnosis": check.diagnosis,
            }
            for question in result.questions
            for check in question.checks
        ]
        if rows:
            connection.execute(check_results.insert(), rows)
        return run_id


def _upsert(connection: sa.Connection, table: sa.Table, key: dict, values: dict, defaults: dict | None = None) -> None:
    """Update the row with this key, or insert it (with ``defaults`` for columns not given)."""
    condition = sa.and_(*(table.c[column] == value for column, value in key.items()))
    if values and connection.execute(table.update().where(condition).values(values)).rowcount:
        return
    if connection.execute(sa.select(sa.literal(1)).select_from(table).where(condition)).first() is None:
        connection.execute(table.insert().values({**(defaults or {}), **key, **values}))


def _aware(moment: datetime) -> datetime:
    """A stored time as an aware UTC time (SQLite hands back naive ones)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _sqlite_pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # each commit survives a power loss, not only a crash
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
