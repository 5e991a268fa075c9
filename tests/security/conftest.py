"""Helpers for the adversarial suite: hostile notebooks graded on the real grading path.

Most attacks are wired to a question through a *gate*: the attack cell replaces the
student's (correct) function by one that answers correctly only if the attack worked.
So a question's score is a one-bit report from inside the sandbox, read through the
same channel a cheating student would use, and each test fails the moment the layer
it names stops holding. Attacks whose effect shows on the host (a file created, a
datagram received, a process left alive) are checked there.
"""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import nbformat
import pytest

from autograder.checks.results import SubmissionResult
from autograder.course import assignment as assignments
from autograder.execution.cgroups import RunCgroup
from autograder.execution.sandbox import Limits
from autograder.grading.pipeline import grade
from tests.conftest import COURSE, FAST_LIMITS, SECRET

TENSORS = assignments.load(COURSE, "tensors")
CORRECT = COURSE / "assignments" / "tensors" / "examples" / "correct.ipynb"
FUNCTIONS = {question.id: question.function for question in TENSORS.questions}  # q1 -> image_to_batch, ...


def _cgroup_problem() -> str | None:
    group = RunCgroup.create(64 * 1024**2, 16)
    if group is None:
        return "no writable cgroup with memory and pids controllers"
    group.remove()
    return None


_CGROUP_PROBLEM = _cgroup_problem()
needs_cgroup = pytest.mark.skipif(_CGROUP_PROBLEM is not None, reason=f"{_CGROUP_PROBLEM}")

GATE = textwrap.dedent(
    """\
    def _gate(function, worked):
        def gated(*args, **kwargs):
            return function(*args, **kwargs) if worked() else None
        return gated
    """
)


def gate(question: str, condition: str) -> str:
    """Source that keeps ``question``'s correct function only while ``condition`` holds at call time."""
    function = FUNCTIONS[question]
    return f"{function} = _gate({function}, lambda: bool({condition}))\n"


def hostile(*cells: str, base: Path = CORRECT) -> nbformat.NotebookNode:
    """The correct submission with hostile cells appended (the gate helper first)."""
    notebook = nbformat.read(base, as_version=4)
    for source in (GATE, *cells):
        notebook.cells.append(nbformat.v4.new_code_cell(textwrap.dedent(source)))
    return notebook


def grade_notebook(
    directory: Path, notebook: nbformat.NotebookNode, limits: Limits = FAST_LIMITS, student: str = "mallory"
) -> SubmissionResult:
    path = directory / f"{student}.ipynb"
    nbformat.write(notebook, path)
    return grade(TENSORS, path, student, secret=SECRET, limits=limits)


def scores(result: SubmissionResult) -> dict[str, float]:
    return {question.id: question.score for question in result.questions}


def limits(**changes: object) -> Limits:
    return dataclasses.replace(FAST_LIMITS, **changes)
