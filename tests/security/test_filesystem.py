"""No reading of what the grader keeps secret; no writing outside the run's scratch space.

One notebook tries to read the reference solutions, the hidden checks, the course
secret, other students' submissions and results, the gradebook and the grader's
environment (each gated to a question), and to plant files in /tmp, the grader's home,
the output dir and the repository (checked on the host afterwards).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import COURSE, needs_bwrap
from tests.security.conftest import gate, grade_notebook, hostile, scores

pytestmark = needs_bwrap

CANARY = "grader-only-canary-value"


@pytest.fixture(scope="module")
def attempt(tmp_path_factory):
    directory = tmp_path_factory.mktemp("filesystem")
    output = directory / "grades" / "tensors"
    (output / "bob").mkdir(parents=True)
    (output / "bob" / "results.json").write_text('{"score": 10}')
    (output / "gradebook.csv").write_text("student,score\nbob,10\n")
    submissions = directory / "submissions"
    submissions.mkdir()
    (submissions / "bob.ipynb").write_text("{}")
    marker = f"planted-by-mallory-{os.getpid()}"
    targets = {
        "tmp": Path("/tmp") / marker,
        "home": Path.home() / marker,
        "output": output / marker,
        "repository": COURSE / "assignments" / marker,
    }
    others = [output / "bob" / "results.json", output / "gradebook.csv", submissions / "bob.ipynb"]
    notebook = hostile(
        f"""
        import glob, os

        def _readable(*paths):
            for path in paths:
                try:
                    with open(path, "rb") as handle:
                        handle.read(1)
                    return True
                except OSError:
                    pass
            return False

        REFERENCE = _readable({str(COURSE / "assignments" / "tensors" / "tensors.ipynb")!r})
        CHECKS = _readable({str(COURSE / "assignments" / "tensors" / "checks.py")!r})
        SECRET = _readable(*glob.glob({str(COURSE / "secrets")!r} + "/*")) or "AUTOGRADER_SECRET" in os.environ
        OTHERS = _readable(*{[str(path) for path in others]!r})
        ENVIRON = any({CANARY!r} in value for value in os.environ.values())
        for environ in glob.glob("/proc/*/environ"):
            try:
                ENVIRON = ENVIRON or {CANARY!r}.encode() in open(environ, "rb").read()
            except OSError:
                pass
        for target in {[str(path) for path in targets.values()]!r}:
            try:
                with open(target, "w") as handle:
                    handle.write("forged")
            except OSError:
                pass
        """,
        gate("q1", "REFERENCE"),
        gate("q2", "CHECKS"),
        gate("q3", "SECRET"),
        gate("q4", "OTHERS"),
        gate("q5", "ENVIRON"),
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUTOGRADER_SECRET", CANARY)
        patch.setenv("AUTOGRADER_CANARY", CANARY)
        result = grade_notebook(directory, notebook)
    planted = {name: path.exists() for name, path in targets.items()}
    for path in targets.values():  # should the sandbox ever fail, leave no litter behind
        path.unlink(missing_ok=True)
    return result, planted


@pytest.mark.parametrize(
    "question",
    [
        pytest.param("q1", id="read reference/ solutions -> mount namespace, repository not mounted"),
        pytest.param("q2", id="read hidden checks.py -> mount namespace, repository not mounted"),
        pytest.param("q3", id="read the course secret, file or env -> not mounted, bwrap --clearenv"),
        pytest.param("q4", id="read other students' submissions, results, gradebook -> not mounted"),
        pytest.param("q5", id="read the grader's environment, os.environ or /proc/PID/environ -> clearenv, PID ns"),
    ],
)
def test_read_blocked(attempt, question: str) -> None:
    result, _ = attempt
    assert scores(result)[question] == 0, f"{question}'s read got through: {scores(result)}"


@pytest.mark.parametrize(
    "target",
    [
        pytest.param("tmp", id="write /tmp on the host -> private tmpfs /tmp"),
        pytest.param("home", id="write the grader's home -> not mounted"),
        pytest.param("output", id="write the grades output dir -> not mounted"),
        pytest.param("repository", id="write into reference/ -> not mounted"),
    ],
)
def test_write_blocked(attempt, target: str) -> None:
    _, planted = attempt
    assert not planted[target]


def test_kernel_ran_to_the_end(attempt) -> None:
    result, _ = attempt
    assert result.notebook_problems == [] and not result.fault
