"""The newcomer's `make test`: an unusable sandbox fails the suite, unless skipping is asked for loudly."""

import subprocess
import sys
from pathlib import Path

from autograder.course import assignment as assignments
from tests.conftest import COURSE


def run_suite(tmp_path: Path, **environment: str) -> subprocess.CompletedProcess:
    """The doctor's tests (they need the sandbox) with no bwrap on PATH."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/execution/test_doctor.py"],
        cwd=COURSE,
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": str(tmp_path), **environment},
    )


def test_without_bubblewrap_the_suite_fails_with_the_command_to_run(tmp_path: Path) -> None:
    done = run_suite(tmp_path)
    assert done.returncode == 1, done.stdout
    assert "apt-get install bubblewrap" in done.stdout and "AUTOGRADER_SKIP_SANDBOX_TESTS=1" in done.stdout


def test_skipping_the_sandbox_tests_is_loud(tmp_path: Path) -> None:
    done = run_suite(tmp_path, AUTOGRADER_SKIP_SANDBOX_TESTS="1")
    assert done.returncode == 0, done.stdout
    assert "SANDBOX NOT TESTED" in done.stdout and "skipped" in done.stdout


def test_make_grade_and_validate_cover_every_assignment() -> None:
    """The Makefile finds assignments by their master notebooks; an empty list would grade nothing, silently."""
    expected = assignments.available(COURSE)
    for target in ("grade", "validate"):
        plan = subprocess.run(["make", "-n", target], cwd=COURSE, capture_output=True, text=True, check=True).stdout
        assert f"for assignment in {' '.join(expected)}; do" in plan, plan
