"""Shared fixtures: the course in this repository and a fixed secret for repeatable seeds."""

from pathlib import Path

import pytest

from autograder.authoring import assignment as assignments
from autograder.execution.sandbox import Limits, bwrap_problem

COURSE = assignments.course_root()
SECRET = b"test secret"
# 20 s per cell: `import torch` must never hit the limit, even on a loaded 2-core CI machine (an import cut
# short leaves torch half-initialised and every later call failing).
FAST_LIMITS = Limits(cell_timeout=20, harness_timeout=30, notebook_timeout=120)

needs_bwrap = pytest.mark.skipif(bwrap_problem() is not None, reason=f"bubblewrap unusable: {bwrap_problem()}")


@pytest.fixture(scope="session")
def course() -> Path:
    return COURSE
