"""Every bundled example submission of every assignment grades as its variant promises.

Wrong variants lose points on the question they break, keep them elsewhere, and get the
diagnosis their author expected; the template scores 0 without a grader fault. The promises
are checked by ``authoring.validate.broken_promises``, the code ``autograder validate`` runs.
"""

import contextlib
import json

import pytest

from autograder import selfcheck
from autograder.authoring import public_data, validate, variants
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


@needs_bwrap
@pytest.mark.parametrize(("assignment_id", "variant"), CASES, ids=[f"{a}-{v.name}" for a, v in CASES])
def test_the_written_question_is_never_scored_automatically(
    graded: dict, assignment_id: str, variant: variants.Variant
) -> None:
    """w1 (the syllabus's written question, 2 points of 12) awaits a TA in every example, whatever it holds."""
    result = graded[(assignment_id, variant.name)]
    assert result.max_score == 12.0 and result.awaiting == ["w1"]
    assert result.score == pytest.approx(sum(question.score for question in result.questions))  # no w1 points


# The examples whose cells only define and try the functions (no hostile or broken extra cells):
# their code runs in this process for the self-check, as in a student's notebook.
PLAIN = [(assignment_id, variant) for assignment_id, variant in CASES if not variant.extra_cells]


@pytest.fixture(scope="module")
def public_checks(tmp_path_factory) -> dict:
    """Each assignment's public data as its release writes it, loaded as the student's check() loads it."""
    folder = tmp_path_factory.mktemp("public")
    loaded = {}
    for assignment_id in assignments.available(COURSE):
        text, blob = public_data.build(assignments.load(COURSE, assignment_id))
        text_path, blob_path = selfcheck.data_paths(folder, assignment_id)
        text_path.write_text(text)
        blob_path.write_bytes(blob)
        loaded[assignment_id] = selfcheck.load(folder, assignment_id)
    return loaded


def notebook_namespace(path) -> dict:
    """The example's code cells run top to bottom, a failing cell skipped, as a kernel would."""
    namespace: dict = {"__name__": "__main__"}
    for cell in json.loads(path.read_text())["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and not source.lstrip().startswith(("check(", "%")):
            with contextlib.suppress(Exception):  # a stub raising NotImplementedError in its example cell
                exec(compile(source, str(path), "exec"), namespace)
    return namespace


@needs_bwrap
@pytest.mark.parametrize(("assignment_id", "variant"), PLAIN, ids=[f"{a}-{v.name}" for a, v in PLAIN])
def test_the_self_check_never_passes_a_public_example_the_grader_fails(
    graded: dict, public_checks: dict, assignment_id: str, variant: variants.Variant
) -> None:
    result = graded[(assignment_id, variant.name)]
    namespace = notebook_namespace(COURSE / "assignments" / assignment_id / "examples" / f"{variant.name}.ipynb")
    reports = {
        report.question.id: report for report in selfcheck.SelfCheck(public_checks[assignment_id], namespace).run()
    }
    for question in result.questions:
        grader = [
            check for check in question.checks if not check.hidden and not check.not_run and check.device == "cpu"
        ]
        mine = reports[question.id].result.checks
        assert [check.case for check in mine] == [check.case for check in grader]
        for own, graders in zip(mine, grader, strict=True):
            if not own.not_run:  # a verdict: the grader's, exactly
                assert own.passed == graders.passed, (question.id, own.case, own.message, graders.message)
