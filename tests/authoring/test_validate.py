"""``autograder validate``: the promises of each variant, and the real grading path behind them."""

import os
import shutil
from pathlib import Path
from unittest import mock

import pytest

from autograder import cli
from autograder.authoring import validate
from autograder.authoring.variants import Variant
from autograder.checks.results import CheckResult, QuestionResult, SubmissionResult
from autograder.course import assignment as assignments
from tests.conftest import COURSE, needs_bwrap


def result(scores: dict[str, float], diagnosis: str = "", problems: tuple[str, ...] = ()) -> SubmissionResult:
    questions = [
        QuestionResult(qid, f"f{qid}", 2.0, score, [CheckResult("case", False, 1.0, score == 2.0, "", diagnosis)])
        for qid, score in scores.items()
    ]
    return SubmissionResult(
        "someone",
        "demo",
        4.0,
        questions,
        list(problems),
        sandbox="bubblewrap (uid 65534, no network) + cgroup v2 (memory, pids) + rlimits + seccomp",
    )


CORRECT = Variant("correct", "solution")
TEMPLATE = Variant("template", "stubs", base="template", loses=("q1", "q2"), diagnosis="NotImplementedError")
MUTANT = Variant("q1_slip", "a slip in q1", loses=("q1",), diagnosis="forgot to divide")


@pytest.mark.parametrize(
    ("variant", "graded", "broken"),
    [
        (CORRECT, result({"q1": 2, "q2": 2}), []),
        (CORRECT, result({"q1": 2, "q2": 1}), ["q2 scored 1/2, expected full marks"]),
        (CORRECT, result({"q1": 2, "q2": 2}, problems=("cell 3: error",)), ["a correct notebook must run cleanly"]),
        (TEMPLATE, result({"q1": 0, "q2": 0}, "raises NotImplementedError"), []),
        (TEMPLATE, result({"q1": 0, "q2": 1}, "raises NotImplementedError"), ["scored 1, expected 0"]),
        (MUTANT, result({"q1": 1, "q2": 2}, "you forgot to divide by 255"), []),
        (MUTANT, result({"q1": 2, "q2": 2}), ["q1 kept full marks"]),
        (MUTANT, result({"q1": 0, "q2": 2}, "something else"), ["q1: no 'forgot to divide' in the feedback"]),
        (MUTANT, result({"q1": 0, "q2": 0}, "you forgot to divide by 255"), ["q2 scored 0/2, expected full marks"]),
    ],
)
def test_broken_promises(variant: Variant, graded: SubmissionResult, broken: list[str]) -> None:
    found = validate.broken_promises(variant, graded)
    assert len(found) == len(broken)
    for problem, expected in zip(found, broken, strict=True):
        assert problem.startswith(expected)


def test_a_grader_fault_breaks_every_promise() -> None:
    faulty = SubmissionResult("someone", "demo", 4.0, fault="KilledWorker")
    assert validate.broken_promises(CORRECT, faulty) == ["grader fault: KilledWorker"]


def test_correct_and_template_are_the_release_notebooks() -> None:
    assignment = assignments.load(COURSE, "tensors")
    names = [variant.name for variant in validate.all_variants(assignment)]
    assert names[:2] == ["correct", "template"] and len(names) == len(set(names))
    correct = validate.notebook(assignment, validate.all_variants(assignment)[0])
    assert correct.metadata.autograder == {"assignment": "tensors", "version": assignment.version}
    assert correct.cells[-1].source.startswith("check()  # NameError? run the setup cell")


@needs_bwrap
def test_validate_the_grading_bundle(released: dict, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """From the release's bundle alone: the solution scores full marks, the student notebook 0, a mutant
    loses its question with its diagnosis; a variant whose promise is false fails validation."""
    bundle = released["tensors"].bundle
    arguments = ["--course", str(bundle), "validate", "tensors", "--workers", "1", "--cell-timeout", "10"]
    with mock.patch.dict(os.environ, {"AUTOGRADER_SECRET": "validation secret"}):
        code = cli.main([*arguments, "--variant", "correct", "--variant", "template", "--variant", "q1_forgot_255"])
        out = " ".join(capsys.readouterr().out.split())
        assert code == 0, out
        for row in ("correct │ full marks │ 10/10", "template │ 0:", "q1_forgot_255 │ loses q1:"):
            assert row in out
        assert "forgot to divide by 255" in out

        lying = tmp_path / "course"
        shutil.copytree(bundle, lying)
        promises = lying / "assignments" / "tensors" / "examples" / "variants.py"
        true_promise = 'loses=("q1",), diagnosis="forgot to divide by 255"'
        assert true_promise in promises.read_text()
        promises.write_text(promises.read_text().replace(true_promise, 'loses=("q2",)'))
        lying_arguments = ["--course", str(lying), *arguments[2:], "--variant", "q1_forgot_255"]
        assert cli.main(lying_arguments) == 1
        captured = capsys.readouterr()
        assert "q1 scored 0/2, expected full marks" in " ".join(captured.err.split())
        assert "q2 kept full marks" in " ".join(captured.err.split())
