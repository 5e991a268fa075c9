"""Every bundled example submission of every assignment grades as its variant promises.

Wrong variants lose points on the question they break, keep them elsewhere, and get the
diagnosis their author expected; the template scores 0 without a grader fault. The promises
are checked by ``authoring.validate.broken_promises``, the code ``autograder validate`` runs.
"""

import json

import pytest

from autograder.authoring import validate, variants
from autograder.course import assignment as assignments
from autograder.feedback.render import feedback_text
from autograder.grading import batch, intake
from autograder.grading.config import BatchConfig
from tests.conftest import COURSE, FAST_LIMITS, SECRET, needs_bwrap

CASES = [
    (assignment_id, variant)
    for assignment_id in assignments.available(COURSE)
    for variant in variants.load_variants(assignments.load(COURSE, assignment_id))
]


@pytest.fixture(scope="module")
def graded() -> dict:
    """Grade all examples once (two Dask workers), keyed by (assignment, student)."""
    results = {}
    for assignment_id in assignments.available(COURSE):
        folder = COURSE / "assignments" / assignment_id / "examples"
        batch.grade_all(
            BatchConfig(COURSE, assignment_id, SECRET, FAST_LIMITS, workers=2),
            intake.collect([folder]),
            on_result=lambda submission, result: results.setdefault((result.assignment, result.student), result),
        )
    return results


@pytest.mark.parametrize(("assignment_id", "variant"), CASES, ids=[f"{a}-{v.name}" for a, v in CASES])
def test_example_is_up_to_date(assignment_id: str, variant: variants.Variant) -> None:
    assignment = assignments.load(COURSE, assignment_id)
    committed = json.loads((assignment.examples / f"{variant.name}.ipynb").read_text())
    assert committed == json.loads(json.dumps(variants.build(assignment, variant))), (
        f"run `autograder examples {assignment_id}` to rebuild {variant.name}.ipynb"
    )


@needs_bwrap
@pytest.mark.parametrize(("assignment_id", "variant"), CASES, ids=[f"{a}-{v.name}" for a, v in CASES])
def test_example_grades_as_promised(graded: dict, assignment_id: str, variant: variants.Variant) -> None:
    result = graded[(assignment_id, variant.name)]
    assert not result.fault
    assert result.isolated and "NO cgroup" not in result.sandbox, result.sandbox
    assert validate.broken_promises(variant, result) == [], feedback_text(result)
