"""The regrade cache key: every input that can change a grade, and nothing that cannot."""

import dataclasses

import pytest

from autograder.execution.sandbox import Limits
from autograder.grading.fingerprint import cache_key

SPEED_ONLY = {"threads", "gpu"}  # set from the host (cores, workers) and per runner


def key(limits: Limits) -> str:
    return cache_key("assignment", "student", "content", b"secret", limits)


def test_every_limit_is_classified() -> None:
    """A new limit must be declared a grade input or speed only, not slip out of the key."""
    fields = {field.name for field in dataclasses.fields(Limits)}
    assert fields == set(Limits.GRADE_INPUTS) | SPEED_ONLY


def test_the_thread_count_does_not_change_the_key() -> None:
    assert key(Limits(threads=1)) == key(Limits(threads=2)) == key(Limits(threads=16))


@pytest.mark.parametrize("name", Limits.GRADE_INPUTS)
def test_every_grade_input_changes_the_key(name: str) -> None:
    value = getattr(Limits(), name)
    changed = (not value) if isinstance(value, bool) else value * 2
    assert key(dataclasses.replace(Limits(), **{name: changed})) != key(Limits())
