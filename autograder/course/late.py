"""Late submissions: the assignment's policy applied to the time a submission was received.

Declared in the master notebook's ASSIGNMENT CONFIG (all optional; without a deadline
nothing is late)::

    autograder:
      late:
        deadline: 2026-12-01T23:59:00+01:00   # a YAML timestamp with its UTC offset
        grace_minutes: 15                     # uploads finishing just after the deadline
        penalty_per_day: 0.1                  # fraction of the score per started day; 0 = none
        max_penalty: 1.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from autograder.errors import AssignmentError


class LatePolicyError(AssignmentError):
    """The ``late:`` settings of an assignment are not valid."""


@dataclass(frozen=True)
class Lateness:
    days: int  # started days past deadline + grace; 0 when on time
    penalty: float  # fraction of the score taken off

    def describe(self) -> str:
        if self.days == 0:
            return ""
        penalty = f", {self.penalty:.0%} penalty" if self.penalty else ", no penalty"
        return f"received {self.days} day{'s' if self.days > 1 else ''} late{penalty}"


@dataclass(frozen=True)
class LatePolicy:
    deadline: datetime | None = None
    grace: timedelta = timedelta(0)
    penalty_per_day: float = 0.0
    max_penalty: float = 1.0

    @classmethod
    def from_table(cls, table: dict[str, Any]) -> LatePolicy:
        deadline = table.get("deadline")
        if deadline is not None and not (isinstance(deadline, datetime) and deadline.tzinfo is not None):
            raise LatePolicyError(
                f"late.deadline must be a date and time with a UTC offset (2026-12-01T23:59:00+01:00), not {deadline!r}"
            )
        policy = cls(
            deadline,
            timedelta(minutes=float(table.get("grace_minutes", 0))),
            float(table.get("penalty_per_day", 0.0)),
            float(table.get("max_penalty", 1.0)),
        )
        if not (0 <= policy.penalty_per_day <= 1 and 0 <= policy.max_penalty <= 1):
            raise LatePolicyError("late.penalty_per_day and late.max_penalty are fractions between 0 and 1")
        unknown = set(table) - {"deadline", "grace_minutes", "penalty_per_day", "max_penalty"}
        if unknown:
            raise LatePolicyError(f"unknown keys in late: {sorted(unknown)}")
        return policy

    def assess(self, received: datetime) -> Lateness:
        if self.deadline is None:
            return Lateness(0, 0.0)
        overdue = received.astimezone(UTC) - (self.deadline + self.grace)
        if overdue <= timedelta(0):
            return Lateness(0, 0.0)
        days = math.ceil(overdue / timedelta(days=1))
        return Lateness(days, min(self.max_penalty, days * self.penalty_per_day))
