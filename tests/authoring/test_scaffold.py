"""``autograder new``: the scaffold is a sound assignment as it stands (static checks, and graded for real)."""

import pytest

from autograder import cli
from autograder.authoring import static, validate
from autograder.course import assignment as assignments
from tests.conftest import FAST_LIMITS, SECRET, needs_bwrap


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("new-course")
    assert cli.main(["--course", str(root), "new", "vectors", "--title", "Vectors: a #1 start"]) == 0
    return root


def test_the_scaffold_loads_with_its_questions_and_passes_the_static_checks(course) -> None:
    assignment = assignments.load(course, "vectors")
    assert (assignment.title, [q.id for q in assignment.questions], [q.id for q in assignment.manual]) == (
        "Vectors: a #1 start",
        ["q1", "q2"],
        ["w1"],
    )
    assert all(len(q.check.mistakes) == 1 and any(c.hidden for c in q.check.cases) for q in assignment.questions)
    assert static.check(assignment) == []


def test_new_refuses_an_existing_assignment_or_a_bad_id(course, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["--course", str(course), "new", "vectors"]) == 2
    assert cli.main(["--course", str(course), "new", "Bad-Id"]) == 2
    err = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert "already exists" in err and "'Bad-Id' is not an assignment id" in err


@needs_bwrap
def test_the_scaffold_validates_in_the_sandbox(course) -> None:
    assignment = assignments.load(course, "vectors")
    outcomes = validate.validate(course, assignment, SECRET, FAST_LIMITS, workers=1)
    assert [(o.variant.name, o.ok) for o in outcomes] == [
        ("correct", True),
        ("template", True),
        ("q1_adds", True),
        ("q2_wrong_dim", True),
    ], [o.problems for o in outcomes]
