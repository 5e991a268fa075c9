"""An assignment written as an otter-assign master notebook grades as otter's rules say, with the trusted judge.

The submissions are notebooks as otter releases them (``import otter``,
``grader.check("q1")`` cells): those cells run harmlessly in the sandbox, each test's
comparisons are judged in the grader's process, and the manual questions await a TA.
"""

import pytest

from autograder.feedback import exports
from autograder.grading import batch, intake
from autograder.grading.config import BatchConfig
from tests.conftest import FAST_LIMITS, SECRET, needs_bwrap
from tests.course import otter_format


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    course = otter_format.write_course(tmp_path_factory.mktemp("otter-course"))
    results = {}
    batch.grade_all(
        BatchConfig(course, otter_format.ID, SECRET, FAST_LIMITS, workers=1),
        intake.collect([course / "submissions"]),
        on_result=lambda submission, result: results.setdefault(result.student, result),
    )
    return results


@needs_bwrap
@pytest.mark.parametrize("student", sorted(otter_format.EXPECTED))
def test_each_submission_earns_what_otter_would_give(graded: dict, student: str) -> None:
    result = graded[student]
    assert not result.fault and result.isolated
    assert {question.id: question.score for question in result.questions} == otter_format.EXPECTED[student]
    assert result.notebook_problems == []  # otter's own `grader.check` cells did not fail
    assert [(manual.id, manual.points, manual.graded) for manual in result.manual] == [
        ("q4", 2.0, False),
        ("q5", 1.0, False),
    ]
    assert result.max_score == 9.0  # the assignment is worth its manual points too
    assert result.awaiting == ["q4", "q5"]  # ... which wait for a TA, not counted for or against yet


@needs_bwrap
def test_a_failed_test_says_which_comparison_did_not_hold(graded: dict) -> None:
    (q3,) = [question for question in graded["wrong_best"].questions if question.id == "q3"]
    assert q3.summary == "`best == 'ada'` does not hold: `best` is 'bob'"
    (q2,) = [question for question in graded["triangular_drifts"].questions if question.id == "q2"]
    hidden = [check for check in q2.checks if check.hidden]
    assert [check.message for check in hidden] == ["a comparison of the hidden test did not hold"]  # nothing else


@needs_bwrap
def test_exports_show_the_manual_questions_awaiting_a_ta(graded: dict) -> None:
    result = graded["passes_all"]
    tests = exports.gradescope(result)["tests"]
    assert [test["name"] for test in tests][-2:] == ["q4 (graded by a TA)", "q5 (graded by a TA)"]
    assert all("score" not in test for test in tests[-2:]) and exports.gradescope(result)["score"] == 6.0
    assert "q4 (2 points, graded by a TA): awaiting grading" in exports.render.feedback_text(result)
