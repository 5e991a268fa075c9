"""The TA's command: outputs in the promised formats, exit codes that mean something."""

import csv
import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import COURSE, needs_bwrap

EXAMPLES = COURSE / "assignments" / "tensors" / "examples"


def autograder(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={"AUTOGRADER_SECRET": "cli test", "PATH": "/usr/bin:/bin"},
    )


@needs_bwrap
def test_grade_writes_gradebook_results_and_feedback(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json")
    done = autograder(
        "grade",
        "tensors",
        str(EXAMPLES / "correct.ipynb"),
        str(EXAMPLES / "q5_reshape_not_permute.ipynb"),
        str(broken),
        "--output",
        str(tmp_path / "out"),
        "--workers",
        "1",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "sandbox: bubblewrap (uid 65534, no network) + cgroup" in done.stderr
    with open(tmp_path / "out" / "tensors" / "gradebook.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "student",
        "name",
        "score",
        "max_score",
        "score_before_penalty",
        "penalty",
        "fault",
        "q1",
        "q2",
        "q3",
        "q4",
        "q5",
        "w1",
        "awaiting",
        "overridden",
    ]
    scores = {row["student"]: row for row in rows}
    assert scores["correct"]["score"] == "10" and scores["broken"]["score"] == "0"
    assert float(scores["q5_reshape_not_permute"]["q5"]) < 2 and scores["q5_reshape_not_permute"]["q4"] == "2"

    results = json.loads((tmp_path / "out" / "tensors" / "q5_reshape_not_permute" / "results.json").read_text())
    assert results["score"] == float(scores["q5_reshape_not_permute"]["score"])
    assert [test["name"].split()[0] for test in results["tests"]] == ["q1", "q2", "q3", "q4", "q5", "w1"]
    assert {"score", "max_score", "status", "output", "visibility"} <= set(results["tests"][4])
    feedback = (tmp_path / "out" / "tensors" / "q5_reshape_not_permute" / "feedback.html").read_text()
    assert "reshape/view instead of permute" in feedback and "<script" not in feedback
    assert "not a valid Jupyter notebook" in (tmp_path / "out" / "tensors" / "broken" / "feedback.html").read_text()
    summary = (tmp_path / "out" / "tensors" / "summary.html").read_text()
    assert "reshape/view instead of permute" in summary and 'href="broken/feedback.html"' in summary


def test_unknown_assignment_is_a_usage_error(tmp_path: Path) -> None:
    done = autograder("grade", "no-such-assignment", str(EXAMPLES), cwd=tmp_path)
    assert done.returncode == 2 and "no assignment 'no-such-assignment'" in done.stderr


def test_missing_submission_is_a_usage_error(tmp_path: Path) -> None:
    done = autograder("grade", "tensors", str(tmp_path / "nothing.ipynb"), cwd=tmp_path)
    assert done.returncode == 2 and "no such submission" in done.stderr


def test_negative_warm_kernels_is_a_usage_error(tmp_path: Path) -> None:
    done = autograder("grade", "tensors", str(EXAMPLES / "correct.ipynb"), "--warm-kernels", "-1", cwd=tmp_path)
    assert done.returncode == 2 and "--warm-kernels must be 0 or more, not -1" in done.stderr


def test_grading_without_bubblewrap_refuses_unless_asked(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "tensors", str(EXAMPLES / "correct.ipynb")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={"AUTOGRADER_SECRET": "cli test", "PATH": str(tmp_path)},  # no bwrap on PATH
    )
    assert done.returncode == 2 and "the sandbox cannot run here" in done.stderr and "--no-sandbox" in done.stderr
    assert not (tmp_path / "grades" / "tensors" / "gradebook.sqlite").exists()


def test_an_internal_error_exits_1_with_its_traceback(tmp_path: Path, monkeypatch, capsys, caplog) -> None:
    """A bug in the grader is not the user's mistake: status 1 and the traceback, never 2."""
    from autograder import cli
    from autograder.grading import intake

    def broken(*args, **kwargs):
        raise ValueError("an internal invariant broke")

    monkeypatch.setattr(intake, "collect", broken)
    assert cli.main(["grade", "tensors", str(EXAMPLES / "correct.ipynb"), "--output", str(tmp_path)]) == 1
    assert "internal error" in capsys.readouterr().err
    assert "Traceback" in caplog.text and "an internal invariant broke" in caplog.text


@needs_bwrap
def test_results_are_reused_whatever_the_worker_count(tmp_path: Path) -> None:
    """The regrade cache holds what can change a grade: the thread count (cores / workers) is not among it."""
    submissions = [str(EXAMPLES / "correct.ipynb"), str(EXAMPLES / "q1_forgot_255.ipynb")]
    common = ["grade", "tensors", *submissions, "--output", str(tmp_path / "out")]
    first = autograder(*common, "--workers", "1", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    for again in (["--workers", "2"], ["--workers", "1"]):
        done = autograder(*common, *again, cwd=tmp_path)
        assert done.returncode == 0 and "2 graded (2 reused unchanged" in done.stderr, done.stderr
    alone = autograder("grade", "tensors", submissions[0], "--output", str(tmp_path / "out"), cwd=tmp_path)
    assert "1 graded (1 reused unchanged" in alone.stderr, alone.stderr
