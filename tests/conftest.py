"""Shared fixtures: the course in this repository and a fixed secret for repeatable seeds.

A suite that cannot run the sandbox has not tested it, so without a usable bubblewrap
the run stops with the command to fix it; ``AUTOGRADER_SKIP_SANDBOX_TESTS=1`` skips the
sandbox tests instead, and says so loudly with their count.
"""

import os
from pathlib import Path

import pytest

from autograder.course import assignment as assignments
from autograder.execution.sandbox import Limits, bwrap_problem

COURSE = assignments.course_root()
SECRET = b"test secret"
# 20 s per cell: `import torch` must never hit the limit, even on a loaded 2-core CI machine (an import cut
# short leaves torch half-initialised and every later call failing).
FAST_LIMITS = Limits(cell_timeout=20, harness_timeout=30, notebook_timeout=120)

SKIP_SANDBOX = os.environ.get("AUTOGRADER_SKIP_SANDBOX_TESTS") == "1"
needs_bwrap = pytest.mark.skipif(bwrap_problem() is not None, reason=f"bubblewrap unusable: {bwrap_problem()}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    problem = bwrap_problem()
    if problem is None:
        return
    sandboxed = [item for item in items if any(mark is needs_bwrap.mark for mark in item.iter_markers("skipif"))]
    if not sandboxed:
        return
    if not SKIP_SANDBOX:
        pytest.exit(
            f"the sandbox cannot run here ({problem}), so {len(sandboxed)} sandbox tests cannot run. "
            "Install bubblewrap (`apt-get install bubblewrap`, which `make setup` does as root), "
            "or set AUTOGRADER_SKIP_SANDBOX_TESTS=1 to skip them knowingly",
            returncode=1,
        )
    config.stash[_SKIPPED] = len(sandboxed)


_SKIPPED = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    if _SKIPPED in config.stash:
        terminalreporter.write_line(
            f"SANDBOX NOT TESTED: {config.stash[_SKIPPED]} sandbox tests skipped (AUTOGRADER_SKIP_SANDBOX_TESTS=1)",
            red=True,
            bold=True,
        )


@pytest.fixture(scope="session")
def course() -> Path:
    return COURSE
