"""Faults: a kernel that segfaults or is OOM-killed costs only what it had not finished.

The crash happens inside the harness, at the third question's public examples: what
already ran keeps its score (the public checks of the first two questions; hidden checks
run only after every public one, so that no public probe can see a hidden input), the
rest say why they have none, and the next submission is graded normally. (A grading
worker killed mid-run is the batch's business: see tests/grading/test_batch.py.)
"""

from __future__ import annotations

import pytest

from tests.conftest import needs_bwrap
from tests.security.conftest import CORRECT, grade_notebook, hostile, limits, needs_cgroup

pytestmark = needs_bwrap


@pytest.fixture(scope="module")
def segfault(tmp_path_factory):
    notebook = hostile(
        """
        import ctypes
        def conv2d_output_shape(*args, **kwargs):
            return ctypes.string_at(0)  # SIGSEGV in the kernel process
        """
    )
    return grade_notebook(tmp_path_factory.mktemp("segfault"), notebook)


@pytest.fixture(scope="module")
def oom(tmp_path_factory):
    notebook = hostile(
        """
        def conv2d_output_shape(*args, **kwargs):
            return bytearray(12 * 1024**3)  # far past the 1 GiB limit: OOM-killed
        """
    )
    return grade_notebook(tmp_path_factory.mktemp("oom"), notebook, limits(memory_bytes=1024**3))


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param("segfault", id="kernel segfaults at a harness call -> earlier answers stand"),
        pytest.param("oom", id="kernel OOM-killed at a harness call -> earlier answers stand", marks=needs_cgroup),
    ],
)
def test_crash_costs_only_what_was_unfinished(fault: str, request) -> None:
    result = request.getfixturevalue(fault)
    assert not result.fault  # the student's crash, not the grader's
    for question in result.questions[:2]:
        public = [check for check in question.checks if not check.hidden]
        hidden = [check for check in question.checks if check.hidden]
        assert public and all(check.passed for check in public), question.id
        assert hidden and not any(check.passed or not check.message for check in hidden), question.id
    assert [question.score for question in result.questions[2:]] == [0, 0, 0]
    words = "memory limit exceeded" if fault == "oom" else "kernel died"
    assert any(words in problem for problem in result.notebook_problems), result.notebook_problems
    later = [check.message for question in result.questions[2:] for check in question.checks]
    assert all(message for message in later), "every unanswered check says why"


def test_the_next_submission_is_graded_normally(segfault, tmp_path) -> None:
    import nbformat

    result = grade_notebook(tmp_path, nbformat.read(CORRECT, as_version=4), student="next")
    assert result.score == result.automatic_max and result.notebook_problems == [] and not result.fault
