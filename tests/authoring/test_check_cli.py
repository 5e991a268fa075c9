"""``autograder check NOTEBOOK``: public checks through the grading path, whatever the file is called."""

import random
from pathlib import Path

import nbformat
import pytest

from autograder import cli
from autograder.authoring import release, variants
from autograder.course import assignment as assignments
from autograder.course import notebook as notebooks
from tests.conftest import COURSE, needs_bwrap


def mangled_solution() -> nbformat.NotebookNode:
    """The solution as a student might hand it in: q1 wrong, cells moved and added, run out of order."""
    assignment = assignments.load(COURSE, "tensors")
    notebook = release.solution_notebook(assignment)
    mistake = next(v for v in variants.load_variants(assignment) if v.name == "q1_forgot_255")
    notebook.cells[notebooks.solution_cell_index(notebook, "image_to_batch")].source = mistake.solutions[
        "image_to_batch"
    ].strip()
    q5 = notebook.cells.pop(notebooks.solution_cell_index(notebook, "channels_last_to_first"))
    notebook.cells.insert(2, q5)  # moved up, right after the imports
    notebook.cells.insert(0, nbformat.v4.new_markdown_cell("# My homework\nby a student"))
    notebook.cells.insert(5, nbformat.v4.new_code_cell("scratch = torch.ones(3)\nprint(scratch.sum())"))
    notebook.cells.append(nbformat.v4.new_code_cell("def helper(x):\n    return x + 1"))
    counts = random.Random(0).sample(range(1, 200), len(notebook.cells))
    for cell, count in zip(notebook.cells, counts, strict=True):
        if cell.cell_type == "code":
            cell.execution_count = count
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"run {count}\n")]
    for index, cell in enumerate(notebook.cells):
        cell.id = f"student-{index}"
    return notebook


@needs_bwrap
def test_renamed_reordered_notebook_checks_by_its_metadata(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "sgd final (2).ipynb"  # a name that points at another assignment
    nbformat.write(mangled_solution(), path)
    assert cli.main(["check", str(path), "--cell-timeout", "10"]) == 0
    captured = capsys.readouterr()
    assert "as tensors (public examples only)" in " ".join(captured.err.split())
    out = captured.out
    assert "q1 image_to_batch: 0 / 2" in out
    assert "forgot to divide by 255" in out
    for question in ("q2 batch_to_images", "q3 conv2d_output_shape", "q4 flatten_features"):
        assert f"{question}: 2 / 2" in out
    assert "q5 channels_last_to_first: 2 / 2" in out
    assert "hidden check" not in out  # none was run


def test_notebook_without_assignment_metadata_and_no_graded_function_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nbformat.write(notebook, tmp_path / "homework.ipynb")
    assert cli.main(["check", str(tmp_path / "homework.ipynb")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "does not say which assignment it belongs to" in err and "name it with --assignment ID" in err


@needs_bwrap
def test_notebook_without_metadata_is_checked_as_the_assignment_its_functions_fit(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    notebook = mangled_solution()
    del notebook.metadata["autograder"]  # an editor dropped it, or the student started from scratch
    nbformat.write(notebook, tmp_path / "mine.ipynb")
    assert cli.main(["check", str(tmp_path / "mine.ipynb"), "--cell-timeout", "10"]) == 0
    captured = capsys.readouterr()
    assert "checking it as tensors, the one whose functions it defines" in " ".join(captured.err.split())
    assert "q1 image_to_batch: 0 / 2" in captured.out and "q5 channels_last_to_first: 2 / 2" in captured.out
    assert cli.main(["check", str(tmp_path / "mine.ipynb"), "--assignment", "sgd", "--cell-timeout", "10"]) == 0
    out = capsys.readouterr().out
    assert "q1 sgd_step: 0 / 2" in out and "not defined in your notebook" in out
