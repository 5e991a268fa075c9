"""The late policy: per started day after deadline + grace, capped, and refused when malformed."""

from datetime import UTC, datetime, timedelta

import pytest
import yaml

from autograder.course.late import LatePolicy, LatePolicyError

POLICY = LatePolicy.from_table(  # as the master notebook's settings write it (YAML)
    yaml.safe_load("deadline: 2026-12-01T23:59:00+01:00\ngrace_minutes: 15\npenalty_per_day: 0.25\nmax_penalty: 0.5")
)
DEADLINE = datetime(2026, 12, 1, 22, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("after_deadline", "days", "penalty"),
    [
        (timedelta(minutes=-5), 0, 0.0),
        (timedelta(minutes=14), 0, 0.0),  # within the grace period
        (timedelta(minutes=16), 1, 0.25),
        (timedelta(days=1, minutes=16), 2, 0.5),
        (timedelta(days=9), 9, 0.5),  # capped
    ],
)
def test_penalty_counts_started_days_after_grace(after_deadline: timedelta, days: int, penalty: float) -> None:
    lateness = POLICY.assess(DEADLINE + after_deadline)
    assert (lateness.days, lateness.penalty) == (days, penalty)


def test_no_deadline_means_nothing_is_late() -> None:
    assert LatePolicy().assess(datetime(2030, 1, 1, tzinfo=UTC)).days == 0


@pytest.mark.parametrize(
    "table",
    ["deadline: tomorrow", "deadline: 2026-12-01T23:59:00", "penalty_per_day: 2", "penalty: 0.1"],
)
def test_malformed_policies_are_refused(table: str) -> None:
    with pytest.raises(LatePolicyError):
        LatePolicy.from_table(yaml.safe_load(table))
