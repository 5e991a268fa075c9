"""Regrading is content-addressed, and a batch killed half-way resumes without losing or repeating work."""

import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.course import assignment as assignments
from autograder.grading import intake
from autograder.grading.config import BatchConfig
from autograder.grading.gradebook import Gradebook, sqlite_url
from autograder.grading.session import Session
from tests.conftest import COURSE, FAST_LIMITS, SECRET, needs_bwrap

EXAMPLES = COURSE / "assignments" / "tensors" / "examples"


def copy_course(root: Path) -> Path:
    """A course holding only ``tensors``, so a test may edit its checks."""
    shutil.copytree(COURSE / "assignments" / "tensors", root / "assignments" / "tensors", ignore=_no_examples)
    return root


def _no_examples(folder: str, names: list[str]) -> list[str]:
    return ["examples"] if "examples" in names else []


def session(course: Path, output: Path) -> Session:
    assignment = assignments.load(course, "tensors")
    config = BatchConfig(course, "tensors", SECRET, FAST_LIMITS)
    return Session(config, assignment, Gradebook(sqlite_url(output / "gradebook.sqlite")), output)


@needs_bwrap
def test_unchanged_submissions_are_reused_and_changed_checks_regrade_everybody(tmp_path: Path) -> None:
    course = copy_course(tmp_path / "course")
    submissions = intake.collect([EXAMPLES / "correct.ipynb", EXAMPLES / "q5_reshape_not_permute.ipynb"])
    first = session(course, tmp_path / "out").grade(submissions)
    assert [r.cached for r in first] == [False, False]
    assert {r.student: r.score for r in first} == {"correct": 10, "q5_reshape_not_permute": 8}

    again = session(course, tmp_path / "out")
    second = again.grade(submissions)
    assert [r.cached for r in second] == [True, True]
    assert [r.to_dict() | {"cached": False} for r in second] == [r.to_dict() for r in first]
    assert again.gradebook.run_counts("tensors") == {"correct": 1, "q5_reshape_not_permute": 1}

    checks = course / "assignments" / "tensors" / "checks.py"
    checks.write_text(checks.read_text() + "\n# q5: reworded a diagnosis\n")
    third = session(course, tmp_path / "out")
    assert [r.cached for r in third.grade(submissions)] == [False, False]
    assert third.gradebook.run_counts("tensors") == {"correct": 2, "q5_reshape_not_permute": 2}

    forced = session(course, tmp_path / "out")
    forced.grade(submissions[:1], force=True)
    assert forced.gradebook.run_counts("tensors")["correct"] == 3


@needs_bwrap
def test_killed_batch_resumes_without_losing_or_repeating_results(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for index, name in enumerate(["correct", "q1_forgot_255", "q4_flattens_batch", "q5_reshape_not_permute"]):
        shutil.copy(EXAMPLES / f"{name}.ipynb", inbox / f"doe_{'abcd'[index]}_{100 + index}_{1000 + index}_hw.ipynb")
    output = tmp_path / "out"
    database = output / "tensors" / "gradebook.sqlite"
    command = [sys.executable, "-m", "autograder", "grade", "tensors", str(inbox), "--output", str(output)]
    command += ["--workers", "1", "--cell-timeout", "10"]
    environment = {"AUTOGRADER_SECRET": "resume test", "PATH": os.environ["PATH"]}

    batch = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while _runs(database) < 1 and batch.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    batch.send_signal(signal.SIGKILL)
    batch.wait()
    finished_before_kill = _runs(database)
    assert 1 <= finished_before_kill < 4, "the kill should land half-way"

    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"({finished_before_kill} reused unchanged from the gradebook)" in " ".join(done.stderr.split())
    with sqlite3.connect(database) as connection:
        counts = dict(
            connection.execute(
                "SELECT student_id, COUNT(*) FROM runs JOIN submissions s ON s.id = submission_id GROUP BY student_id"
            )
        )
    assert counts == {"100": 1, "101": 1, "102": 1, "103": 1}  # nothing lost, nothing graded twice
    with open(output / "tensors" / "gradebook.csv") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert rows["100"]["score"] == "10" and rows["100"]["name"] == "doe a"
    assert float(rows["103"]["q5"]) < 2
    with open(output / "tensors" / "canvas.csv") as handle:
        canvas = list(csv.reader(handle))
    assert canvas[0][:2] == ["Student", "ID"] and canvas[1][0] == "Points Possible"
    assert sorted(row[1] for row in canvas[2:]) == ["100", "101", "102", "103"]


def _runs(database: Path) -> int:
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
            return connection.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    except sqlite3.OperationalError:  # the grader is creating the tables
        return 0


pytestmark = pytest.mark.sandbox
