"""Loading a master notebook: a mistake stops loading with a message naming the notebook, cell and question.

A typo used to grade silently: ``devices = ["gpu"]`` dropped the question from every
result, so a correct notebook scored 8/10 with exit status 0.
"""

import shutil

import nbformat
import pytest

from autograder.course import assignment as assignments
from tests.conftest import COURSE
from tests.grading.test_session import copy_course

FIRST_QUESTION = "# BEGIN QUESTION\nname: q1\npoints: 2\ndevices: [cpu]"


def edit_master(course, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in the first cell of the master notebook that holds it."""
    path = course / "assignments" / "tensors" / "tensors.ipynb"
    notebook = nbformat.read(path, as_version=4)
    cell = next(cell for cell in notebook.cells if old in cell.source)
    cell.source = cell.source.replace(old, new, 1)
    nbformat.write(notebook, path)


@pytest.mark.parametrize(
    ("replacement", "words"),
    [
        ("# BEGIN QUESTION\nname: q1\npoints: 2\ndevices: [gpu]", "question q1: devices must list"),
        ("# BEGIN QUESTION\nname: q1\npoints: 2\ndevices: []", "question q1: devices must list"),
        ("# BEGIN QUESTION\nname: q1\npoints: 2\ndevices: [cpu, cpu]", "question q1: devices must list"),
        ('# BEGIN QUESTION\nname: q1\npoints: "2"\ndevices: [cpu]', "question 'q1': points must be a number"),
        ("# BEGIN QUESTION\nname: q1\npoints: -2\ndevices: [cpu]", "question 'q1': points must be a number"),
        ("# BEGIN QUESTION\npoints: 2\ndevices: [cpu]", "a question needs a name"),
        ("# BEGIN QUESTION\nname: q1\npoints: 2\ndevice: [cpu]", "unknown question setting(s) device"),
        ("# BEGIN QUESTION\nname: q1\npoints: [2\ndevices: [cpu]", "the BEGIN QUESTION block is not valid YAML"),
        ("# BEGIN QUESTION\nname: q2\npoints: 2\ndevices: [cpu]", "question names used twice: q2"),
    ],
)
def test_a_malformed_question_stops_loading(tmp_path, replacement: str, words: str) -> None:
    course = copy_course(tmp_path)
    edit_master(course, FIRST_QUESTION, replacement)
    with pytest.raises(assignments.AssignmentError) as raised:
        assignments.load(course, "tensors")
    assert "tensors.ipynb" in str(raised.value) and words in str(raised.value), str(raised.value)


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("    # END SOLUTION\n", "    # END SOLUTIONS\n", "cell 7: # BEGIN SOLUTION without # END SOLUTION"),
        ("# BEGIN SOLUTION", "# BEGIN TESTS", "cell 8: # END SOLUTION without # BEGIN SOLUTION"),
        ("version: '2026.1'", "versions: '2026.1'", "unknown autograder setting(s) versions"),
        ("name: tensors", "name: shapes", "its ASSIGNMENT CONFIG names 'shapes', but its folder is 'tensors'"),
        ("pixels.ndim == 2:", "pixels.ndim == 2", "the solution is not valid Python"),
    ],
)
def test_a_malformed_master_stops_loading(tmp_path, old: str, new: str, words: str) -> None:
    course = copy_course(tmp_path)
    edit_master(course, old, new)
    with pytest.raises(assignments.AssignmentError) as raised:
        assignments.load(course, "tensors")
    assert "tensors.ipynb" in str(raised.value) and words in str(raised.value), str(raised.value)


def test_every_bundled_assignment_loads() -> None:
    root = assignments.course_root()
    assert [assignments.load(root, name).id for name in assignments.available(root)] == assignments.available(root)


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('Dependency("q1",', 'Dependency("q9",', "q4: depends_on 'q9', which is not another automatic question"),
        ('Dependency("q1",', 'Dependency("q4",', "q4: depends_on 'q4', which is not another automatic question"),
        ("inherited_credit=0.5", "inherited_credit=1.5", "q4: inherited_credit must be between 0 and 1"),
    ],
)
def test_a_malformed_dependency_stops_loading(tmp_path, old: str, new: str, words: str) -> None:
    shutil.copytree(COURSE / "assignments" / "inverse", tmp_path / "assignments" / "inverse")
    checks = tmp_path / "assignments" / "inverse" / "checks.py"
    source = checks.read_text()
    assert old in source
    checks.write_text(source.replace(old, new, 1))
    with pytest.raises(assignments.AssignmentError) as raised:
        assignments.load(tmp_path, "inverse")
    assert words in str(raised.value), str(raised.value)
