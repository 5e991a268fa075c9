"""``validate --static``: each defect an instructor can write is reported, naming the question, case and line."""

import json
import textwrap

import nbformat
import pytest

from autograder import cli
from autograder.authoring import static, variants
from autograder.course import assignment as assignments
from tests.course import otter_format

CHECKS = textwrap.dedent(
    """
    from autograder.checks.spec import Case, Mistake, QuestionCheck

    q1 = QuestionCheck(
        call="cube(x)",
        cases=(
            Case("x = 2", lambda rng: {"x": 2.0}),
            Case("x = -1", lambda rng: {"x": -1.0}),
            Case("random x", lambda rng: {"x": rng.uniform(low=1.0, high=2.0).item()}, hidden=True),
        ),
        mistakes=(Mistake("you squared x", lambda x: x * x),),
    )
    CHECKS = {"q1": q1}
    """
)


def course(tmp_path, checks: str = CHECKS):
    root = otter_format.write_course(tmp_path)
    (root / "assignments" / otter_format.ID / "checks.py").write_text(checks)
    return root


def findings(root) -> list[str]:
    return [finding.line() for finding in static.check(assignments.load(root, otter_format.ID))]


def test_a_sound_assignment_has_no_error_only_its_forgeable_tests(tmp_path) -> None:
    lines = findings(course(tmp_path))
    assert [line for line in lines if line.startswith("error")] == []
    forgeable = [line for line in lines if "forgeable" in line]
    assert len(forgeable) == 2 and "q3 / case 'hidden test 3': forgeable" in forgeable[0]
    assert "line 1: isinstance(best, str)" in forgeable[0] and "(warmup.ipynb, cell 33)" in forgeable[0]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'lambda rng: {"x": 2.0}',
            'lambda rng: {"y": 2.0}',
            "error: q1 / case 'x = 2': the inputs do not match the call 'cube(x)': it uses x, the case gives y "
            "(checks.py, line 7)",
        ),
        (
            'call="cube(x)"',
            'call="cube(x) / (x - x)"',
            "error: q1 / case 'x = 2': the reference raised: ZeroDivisionError",
        ),
        (
            "lambda x: x * x",
            "lambda x: x.cube()",
            "error: q1: mistake 'you squared x' never applies: it raised on every case",
        ),
        (
            "lambda x: x * x",
            "lambda x: x ** 3",
            "error: q1: mistake 'you squared x' equals the reference on every case",
        ),
        (
            "lambda x: x * x",
            "lambda x: abs(x) ** 3",
            "warning: q1: mistake 'you squared x' equals the reference on 'x = 2', 'random x' (4 seeds): "
            "a student who makes it passes there (checks.py, line 11)",
        ),
        (
            "mistakes=(",
            'properties=(lambda observation: "x was changed",),\n    mistakes=(',
            "error: q1 / case 'x = 2': a property fails on the reference's own answer: x was changed",
        ),
    ],
)
def test_each_defect_in_checks_is_reported(tmp_path, old: str, new: str, expected: str) -> None:
    assert old in CHECKS
    assert any(line.startswith(expected) for line in findings(course(tmp_path, CHECKS.replace(old, new)))), expected


def test_a_test_cell_the_solution_fails_is_reported(tmp_path) -> None:
    root = course(tmp_path)
    path = root / "assignments" / otter_format.ID / f"{otter_format.ID}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    (cell,) = [cell for cell in notebook.cells if cell.source == "cube(2) == 8"]
    cell.source = "cube(2) == 9"
    nbformat.write(notebook, path)
    assert any(
        line.startswith("error: q1 / case 'test 1: cube(2) == 9': the solution fails its own test: `cube(2) == 9`")
        for line in findings(root)
    )


def test_a_stale_example_is_reported(tmp_path) -> None:
    root = course(tmp_path)
    examples = root / "assignments" / otter_format.ID / "examples"
    examples.mkdir()
    (examples / "variants.py").write_text(
        "from autograder.authoring.variants import Variant\nVARIANTS = [Variant('correct', 'the solutions')]\n"
    )
    assignment = assignments.load(root, otter_format.ID)
    built = variants.build(assignment, variants.load_variants(assignment)[0])
    (examples / "correct.ipynb").write_text(json.dumps(built))
    assert not any("stale" in line for line in findings(root))
    built.cells[0].source += "\nedited by hand"
    (examples / "correct.ipynb").write_text(json.dumps(built))
    assert "error: examples/correct.ipynb is stale: run `autograder examples warmup`" in findings(root)


def test_the_cli_exits_1_on_an_error_without_grading(tmp_path, capsys: pytest.CaptureFixture) -> None:
    root = course(tmp_path, CHECKS.replace("lambda x: x * x", "lambda x: x ** 3"))
    assert cli.main(["--course", str(root), "validate", otter_format.ID]) == 1
    err = capsys.readouterr().err
    assert "equals the reference on every case" in err and "1 error(s)" in err and "grading" not in err
    assert cli.main(["--course", str(course(tmp_path / "sound")), "validate", otter_format.ID, "--static"]) == 0


def test_a_comparison_without_a_recorded_output_is_still_judged_and_a_bare_check_is_an_error(tmp_path) -> None:
    root = course(tmp_path)
    path = root / "assignments" / otter_format.ID / f"{otter_format.ID}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:  # as if the master notebook had never been run
        if cell.cell_type == "code":
            cell.outputs = []
    nbformat.write(notebook, path)
    assignment = assignments.load(root, otter_format.ID)
    (q1,) = [question for question in assignment.questions if question.id == "q1"]
    assert [
        case.expect.comparisons[0].statement() for case in q1.check.cases[3:]
    ] == [  # after the 3 cases of checks.py
        "cube(2) == 8",
        "cube(-1) == -1",
        "isclose(cube(1.5), 3.375)",
    ]
    assert "error: q3 / case 'hidden test 3': never checked: line 1: isinstance(best, str)" in " ".join(findings(root))


def test_release_refuses_an_assignment_with_a_static_error(tmp_path, capsys: pytest.CaptureFixture) -> None:
    root = course(tmp_path, CHECKS.replace("lambda x: x * x", "lambda x: x ** 3"))
    assert cli.main(["--course", str(root), "release", otter_format.ID, "--output", str(tmp_path / "dist")]) == 2
    assert "is not released: 1 error(s)" in " ".join(capsys.readouterr().err.split())
    assert not (tmp_path / "dist").exists()


def test_a_test_cell_may_use_what_any_cell_of_the_master_defines(tmp_path) -> None:
    root = course(tmp_path)
    path = root / "assignments" / otter_format.ID / f"{otter_format.ID}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(3, nbformat.v4.new_code_cell("provided = [1.0, 2.0]"))  # given data, outside questions
    (cell,) = [cell for cell in notebook.cells if cell.source == "cube(2) == 8"]
    cell.source = "cube(provided[1]) == 8"
    nbformat.write(notebook, path)
    assert [line for line in findings(root) if line.startswith("error")] == []
