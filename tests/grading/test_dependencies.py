"""A question that calls another question's function: judged again with stand-ins for it.

inverse q4 (gradient descent) calls the student's blur (q1) and blur_adjoint (q2). When q4
is wrong only because q1 is, the grader says so and gives the assignment's share of the
credit; and nothing the student's code does with a stand-in changes a result already
recorded (it could otherwise answer q1's probes with the reference's operator).
"""

from __future__ import annotations

import json
import textwrap

import nbformat
import pytest
import torch

from autograder.authoring import public_data
from autograder.checks.results import CheckResult, question_score
from autograder.course import assignment as assignments
from autograder.execution.probe_runner import ProbeRunner
from autograder.grading.pipeline import grade, plan
from autograder.protocol import wire
from tests.conftest import COURSE, FAST_LIMITS, SECRET, needs_bwrap

INVERSE = assignments.load(COURSE, "inverse")
EXAMPLES = COURSE / "assignments" / "inverse" / "examples"


def test_a_stand_in_is_the_reference_operator_on_the_cases_kernel_and_size() -> None:
    reference = INVERSE.reference
    stand_ins = [p for p in plan(INVERSE, "ana", SECRET) if p.probe.stand_ins]
    assert {p.probe.question for p in stand_ins} == {"q4"} and len(stand_ins) == len(INVERSE.question("q4").check.cases)
    for planned in stand_ins:
        inputs = wire.build_inputs(planned.probe.inputs)
        built = wire.build_inputs(planned.probe.stand_ins)
        u = torch.rand(inputs["f"].shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
        for name in ("blur", "blur_adjoint"):
            expected = getattr(reference, name)(u, inputs["kernel"])
            torch.testing.assert_close(built[name](u, inputs["kernel"]), expected, rtol=1e-12, atol=1e-12)


def test_the_students_functions_are_back_after_a_call_with_stand_ins(tmp_path) -> None:
    def own(u):
        return u

    namespace = {"blur": own}
    runner = ProbeRunner(str(tmp_path), str(tmp_path / "out"), namespace)
    with pytest.raises(ZeroDivisionError), runner._standing_in({"blur": abs, "blur_adjoint": abs}):
        assert namespace["blur"] is abs and namespace["blur_adjoint"] is abs
        raise ZeroDivisionError
    assert namespace == {"blur": own}


def test_a_check_with_an_inherited_error_earns_its_share() -> None:
    checks = [CheckResult("a", False, 1.0, True), CheckResult("b", True, 3.0, False, partial=0.5)]
    assert question_score(2.0, checks) == pytest.approx(2.0 * (1.0 + 1.5) / 4.0)
    assert question_score(2.0, checks, all_or_nothing=True) == 0.0


# During its first call with stand-ins (q4's public example: the same image size and kernel
# as q1's), q4 runs q1's public probe again: the stand-in, as `blur`, answers it correctly,
# and q1's results file is rewritten with the right answer.
REANSWER_Q1 = """
_own_blur = blur
_own_descent = gradient_descent_deblur
_reanswered = []

def gradient_descent_deblur(f, kernel, lam, step, iters):
    if blur is not _own_blur and not _reanswered:  # the grader's stand-in
        _reanswered.append(True)
        globals()["__autograder__"].run_question("q1", "public")
    return _own_descent(f, kernel, lam, step, iters)
"""


@needs_bwrap
def test_q4_inherits_q1s_error_and_a_stand_in_cannot_rewrite_q1(tmp_path) -> None:
    notebook = nbformat.read(EXAMPLES / "q1_shift_by_one.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(textwrap.dedent(REANSWER_Q1)))
    path = tmp_path / "mallory.ipynb"
    nbformat.write(notebook, path)
    result = grade(INVERSE, path, "mallory", secret=SECRET, limits=FAST_LIMITS)
    questions = {question.id: question for question in result.questions}
    public_q1 = [check for check in questions["q1"].checks if not check.hidden]
    assert public_q1 and not any(check.passed for check in public_q1), questions["q1"].summary
    q4 = questions["q4"]
    counted = [check for check in q4.checks if check.counted]
    assert all("inherits the error in your `blur` (q1)" in check.diagnosis for check in counted), q4.summary
    assert all(check.partial == 0.5 and not check.passed for check in counted)
    assert q4.score == pytest.approx(q4.points / 2)


def test_the_release_ships_the_cases_but_no_stand_in() -> None:
    text, _ = public_data.build(INVERSE)
    q4 = next(question for question in json.loads(text)["questions"] if question["id"] == "q4")
    assert len(q4["cases"]) == sum(not case.hidden for case in INVERSE.question("q4").check.cases)
    assert q4["depends_on"] == ["q1", "q2"] and "stand-ins" not in text and "fft2(response)" not in text
