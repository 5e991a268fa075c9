"""A public property ships as the source it is written in, with exactly the helpers it uses, or not at all."""

from __future__ import annotations

import pytest

from autograder.authoring import shipping
from autograder.checks.spec import public
from autograder.errors import AssignmentError
from autograder.grading import pipeline  # any module object that is not plain data

LIMIT = 2.5
UNUSED = "never shipped"


def _scaled(value: float) -> float:
    return value * LIMIT


@public
def _small_enough(observation) -> str | None:
    return None if _scaled(observation) <= 10 else f"{observation} is too large"


@public
def _uses_the_grader(observation) -> str | None:
    return pipeline.__name__


def test_the_bundle_runs_alone_and_holds_only_what_the_property_uses() -> None:
    source = shipping.bundle(_small_enough)
    namespace: dict = {}
    exec(source, namespace)
    assert namespace["_small_enough"](4) is None and namespace["_small_enough"](5) == "5 is too large"
    assert "LIMIT = 2.5" in source and "def _scaled" in source
    assert "UNUSED" not in source and "@public" not in source and "_uses_the_grader" not in source


def test_a_property_using_anything_but_plain_data_and_checks_functions_is_refused() -> None:
    with pytest.raises(AssignmentError, match="uses pipeline"):
        shipping.bundle(_uses_the_grader)
