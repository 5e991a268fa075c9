"""What TAs change, kept as a ledger in the gradebook: manual scores, overrides and extensions.

Every change is a new row of the ``adjustments`` table naming the row it replaces, with
who made it, when and why; nothing is updated or deleted, so the rows of a student are
their grade's history, and the newest row of each (student, kind, question) is what
counts. Removing an override is a row too, whose value is empty.

Two TAs saving the same answer: each save says which version it was made against (the
id of the row the TA saw, 0 for none). The table's unique constraint on (student, kind,
question, replaces) lets only one change land per version, whatever the database or the
number of processes; the other is refused with ``Conflict``, naming who saved first.

Automatic grading never writes here, so a regrade (``--force``, a changed check) keeps
every adjustment; ``grading.standing`` lays them over the newest automatic result.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from autograder.errors import Conflict
from autograder.grading.gradebook import Gradebook, adjustments

SCORE, OVERRIDE, EXTENSION = "score", "override", "extension"
KINDS = (SCORE, OVERRIDE, EXTENSION)


@dataclass(frozen=True)
class Adjustment:
    id: int
    student: str
    kind: str
    question: str  # "" for an extension
    value: dict[str, Any] | None  # None: removed
    replaces: int
    grader: str
    reason: str
    at: datetime


@dataclass
class StudentAdjustments:
    """What counts now for one student: the newest change of each kind and question, removals left out."""

    scores: dict[str, Adjustment] = field(default_factory=dict)  # manual question id -> the TA's score
    overrides: dict[str, Adjustment] = field(default_factory=dict)  # automatic question id -> the override
    extension: Adjustment | None = None


class Ledger:
    """The adjustments of one gradebook."""

    def __init__(self, gradebook: Gradebook) -> None:
        self.engine = gradebook.engine

    def change(
        self,
        assignment_id: str,
        student: str,
        kind: str,
        question: str,
        value: dict[str, Any] | None,
        grader: str,
        reason: str = "",
        seen: int | None = None,
    ) -> Adjustment:
        """Record a change; ``seen``: the id of the version it was made against (None: whatever is newest).

        Raises ``Conflict`` when another change landed after ``seen`` (or at the same time).
        """
        if kind not in KINDS:
            raise ValueError(f"unknown adjustment kind {kind!r}")
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            newest = self._newest(connection, assignment_id, student, kind, question)
            replaces = newest.id if newest else 0
            if seen is not None and seen != replaces:
                raise _conflict(newest)
            row = {
                "assignment_id": assignment_id,
                "student_id": student,
                "kind": kind,
                "question_id": question,
                "value": None if value is None else json.dumps(value),
                "replaces": replaces,
                "grader": grader,
                "reason": reason,
                "created_at": now,
            }
            try:
                with connection.begin_nested():
                    new_id = connection.execute(adjustments.insert().values(row)).inserted_primary_key[0]
            except sa.exc.IntegrityError:  # another change against the same version landed first
                raise _conflict(self._newest(connection, assignment_id, student, kind, question)) from None
        return Adjustment(new_id, student, kind, question, value, replaces, grader, reason, now)

    def current(self, assignment_id: str, student: str | None = None) -> dict[str, StudentAdjustments]:
        """The adjustments that count now, by student id (every student's, or one's)."""
        found: dict[str, StudentAdjustments] = {}
        newest: dict[tuple[str, str, str], Adjustment] = {}
        for adjustment in self.history(assignment_id, student):
            newest[(adjustment.student, adjustment.kind, adjustment.question)] = adjustment  # rows come by id
        for adjustment in newest.values():
            held = found.setdefault(adjustment.student, StudentAdjustments())
            if adjustment.value is None:
                continue
            if adjustment.kind == SCORE:
                held.scores[adjustment.question] = adjustment
            elif adjustment.kind == OVERRIDE:
                held.overrides[adjustment.question] = adjustment
            else:
                held.extension = adjustment
        return found

    def newest(self, assignment_id: str, student: str, kind: str, question: str) -> Adjustment | None:
        """The newest change of this kind (a removal included), to show and to save against."""
        with self.engine.connect() as connection:
            return self._newest(connection, assignment_id, student, kind, question)

    def history(self, assignment_id: str, student: str | None = None) -> list[Adjustment]:
        """Every change, oldest first (of one student, or of the whole assignment)."""
        condition = adjustments.c.assignment_id == assignment_id
        if student is not None:
            condition = sa.and_(condition, adjustments.c.student_id == student)
        return list(self._rows(condition))

    def _newest(
        self, connection: sa.Connection, assignment_id: str, student: str, kind: str, question: str
    ) -> Adjustment | None:
        query = (
            sa.select(adjustments)
            .where(
                adjustments.c.assignment_id == assignment_id,
                adjustments.c.student_id == student,
                adjustments.c.kind == kind,
                adjustments.c.question_id == question,
            )
            .order_by(adjustments.c.id.desc())
            .limit(1)
        )
        row = connection.execute(query).first()
        return _adjustment(row) if row is not None else None

    def _rows(self, condition: sa.ColumnElement[bool]) -> Iterable[Adjustment]:
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(adjustments).where(condition).order_by(adjustments.c.id)).all()
        return [_adjustment(row) for row in rows]


def _adjustment(row: sa.Row) -> Adjustment:
    at = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    value = json.loads(row.value) if row.value is not None else None
    return Adjustment(
        row.id, row.student_id, row.kind, row.question_id, value, row.replaces, row.grader, row.reason, at
    )


def _conflict(newest: Adjustment | None) -> Conflict:
    who = (
        f"{newest.grader or 'someone'} saved a change at {newest.at:%Y-%m-%d %H:%M:%S} UTC" if newest else "it changed"
    )
    return Conflict(f"not saved: {who} after you opened it; reload to see their change, then save yours again")
