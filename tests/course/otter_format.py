"""A small course assignment written as an otter-assign master notebook, and its submissions.

Written for these tests in otter-grader's documented format (raw-cell markers, YAML
configs, recorded test outputs, ``# HIDDEN`` tests, a test config block, prompts,
manual questions, otter's ``grader.check`` cells in the released notebooks), not copied
from otter's own fixtures. ``EXPECTED`` holds the points otter's rules give each
submission: a question's points split over its tests (unassigned tests share what is
left), a test earning its points when every line of it holds.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from autograder.course import master as masters

ID = "warmup"
SETUP = "import math\nimport numpy as np"


def shown(source: str, output: str = "True") -> nbformat.NotebookNode:
    """A test cell as it sits in a master notebook that was run: its last expression's output recorded."""
    cell = new_code_cell(source)
    cell.outputs = [new_output("execute_result", data={"text/plain": output}, execution_count=1)]
    return cell


def master() -> nbformat.NotebookNode:
    cells = [
        new_raw_cell("# ASSIGNMENT CONFIG\nname: warmup\nexport_cell: false\nautograder:\n  title: Warm-up"),
        new_markdown_cell("# Warm-up\n\nThree small functions and two answers in words."),
        new_code_cell(SETUP + "\n%matplotlib inline"),
        new_raw_cell("# BEGIN QUESTION\nname: q1\npoints: 3"),
        new_markdown_cell("**q1.** Write `cube(x)`, the third power of `x`."),
        new_raw_cell("# BEGIN SOLUTION"),
        new_code_cell("def cube(x):\n    return x ** 3  # SOLUTION"),
        new_raw_cell("# END SOLUTION"),
        new_raw_cell("# BEGIN TESTS"),
        shown("cube(2) == 8"),
        shown("cube(-1) == -1"),
        shown("# HIDDEN\nnp.isclose(cube(1.5), 3.375)"),
        new_raw_cell("# END TESTS"),
        new_raw_cell("# END QUESTION"),
        new_raw_cell("# BEGIN QUESTION\nname: q2\npoints: 1"),
        new_markdown_cell("**q2.** Write a generator `triangular()` of 1, 3, 6, 10, ..."),
        new_raw_cell("# BEGIN SOLUTION"),
        new_code_cell(
            "def triangular():\n    # BEGIN SOLUTION\n    total, n = 0, 0\n    while True:\n"
            "        n += 1\n        total += n\n        yield total\n    # END SOLUTION"
        ),
        new_raw_cell("# END SOLUTION"),
        new_raw_cell("# BEGIN TESTS"),
        new_code_cell("t = triangular()\nassert next(t) == 1\nassert next(t) == 3"),
        new_code_cell(
            '""" # BEGIN TEST CONFIG\npoints: 0.75\nhidden: true\n""" # END TEST CONFIG\n'
            "t = triangular()\nfor _ in range(5):\n    last = next(t)\nassert last == 15"
        ),
        new_raw_cell("# END TESTS"),
        new_raw_cell("# END QUESTION"),
        new_raw_cell("# BEGIN QUESTION\nname: q3\npoints: 2"),
        new_markdown_cell("**q3.** Put the scores in a dict `scores`, and the best name in `best`."),
        new_raw_cell("# BEGIN SOLUTION"),
        new_code_cell(
            '# BEGIN SOLUTION NO PROMPT\nscores = {"ada": 9, "bob": 7, "cy": 8}\nbest = max(scores, key=scores.get)\n'
            '# END SOLUTION\n""" # BEGIN PROMPT\nscores = ...\nbest = ...\n""" # END PROMPT'
        ),
        new_raw_cell("# END SOLUTION"),
        new_raw_cell("# BEGIN TESTS"),
        shown("len(scores) == 3"),
        new_code_cell('assert best == "ada"'),
        shown("# HIDDEN\nisinstance(best, str)"),
        new_code_cell("# HIDDEN\nfor name in scores:\n    assert scores[name] >= 0"),
        new_raw_cell("# END TESTS"),
        new_raw_cell("# END QUESTION"),
        new_raw_cell("# BEGIN QUESTION\nname: q4\npoints: 2\nmanual: true"),
        new_markdown_cell("**q4.** Why is `cube(-1)` negative? Answer in words."),
        new_raw_cell("# BEGIN SOLUTION"),
        new_markdown_cell("**SOLUTION:** an odd power keeps the sign."),
        new_raw_cell("# END SOLUTION"),
        new_raw_cell("# END QUESTION"),
        new_raw_cell("# BEGIN QUESTION\nname: q5\nmanual: true"),
        new_markdown_cell("**q5.** Print the first three triangular numbers."),
        new_raw_cell("# BEGIN SOLUTION"),
        new_code_cell("t = triangular()\nprint([next(t) for _ in range(3)])  # SOLUTION"),
        new_raw_cell("# END SOLUTION"),
        new_raw_cell("# END QUESTION"),
        new_code_cell("print('helper line')  # IGNORE"),
    ]
    return numbered(cells, ID)


def numbered(cells: list[nbformat.NotebookNode], prefix: str) -> nbformat.NotebookNode:
    """A master notebook of ``cells``, their ids ``<prefix>-00``, ``<prefix>-01``, ... as the course's masters have."""
    for index, cell in enumerate(cells):
        cell.id = f"{prefix}-{index:02d}"
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})


def student_of(master_notebook: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The student notebook a master notebook derives (parsed from a file, as a course's is)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.ipynb"
        nbformat.write(master_notebook, path)
        return masters.parse(path).student_notebook()


CORRECT = {
    "cube": "def cube(x):\n    return x ** 3",
    "triangular": (
        "def triangular():\n    total = 0\n    for n in range(1, 10**6):\n        total += n\n        yield total"
    ),
    "scores": 'scores = {"ada": 9, "bob": 7, "cy": 8}\nbest = "ada"',
}
SUBMISSIONS = {
    "passes_all": CORRECT,
    "square_not_cube": {**CORRECT, "cube": "def cube(x):\n    return x * x"},
    "triangular_drifts": {  # right for the public test, wrong later (the hidden test)
        **CORRECT,
        "triangular": "def triangular():\n    yield 1\n    yield 3\n    yield 6\n    while True:\n        yield 0",
    },
    "wrong_best": {**CORRECT, "scores": 'scores = {"ada": 9, "bob": 7, "cy": 8}\nbest = "bob"'},
    "unanswered": {},
}
# Points otter's rules give (q1: 3 tests of 1; q2: the hidden test its 0.75, the public one
# what is left of 1; q3: 4 tests of 0.5).
EXPECTED = {
    "passes_all": {"q1": 3.0, "q2": 1.0, "q3": 2.0},
    "square_not_cube": {"q1": 0.0, "q2": 1.0, "q3": 2.0},  # 2*2 != 8, (-1)*(-1) != -1, 2.25 != 3.375
    "triangular_drifts": {"q1": 3.0, "q2": 0.25, "q3": 2.0},
    "wrong_best": {"q1": 3.0, "q2": 1.0, "q3": 1.5},
    "unanswered": {"q1": 0.0, "q2": 0.0, "q3": 0.0},
}


def released(answers: dict[str, str]) -> nbformat.NotebookNode:
    """A student's notebook as otter releases it (its grader cells), with ``answers`` in the solution cells."""
    notebook = _student()
    notebook.cells.insert(0, new_code_cell('import otter\ngrader = otter.Notebook("warmup.ipynb")'))
    filled = []
    for cell in notebook.cells:
        mark = cell.get("metadata", {}).get("autograder", {}).get("solution")
        if mark in answers:
            cell.source = answers[mark]
        filled.append(cell)
        if mark:
            question = {"cube": "q1", "triangular": "q2", "scores": "q3"}[mark]
            filled.append(new_code_cell(f'grader.check("{question}")'))
    notebook.cells = filled
    for index, cell in enumerate(notebook.cells):
        cell.id = f"student-{index:02d}"
    return notebook


def _student() -> nbformat.NotebookNode:
    return student_of(master(), ID)


def write_course(root: Path) -> Path:
    """A course directory with this assignment and its submissions in ``root/submissions``."""
    folder = root / "assignments" / ID
    folder.mkdir(parents=True)
    nbformat.write(master(), folder / f"{ID}.ipynb")
    submissions = root / "submissions"
    submissions.mkdir()
    for name, answers in SUBMISSIONS.items():
        nbformat.write(released(answers), submissions / f"{name}.ipynb")
    return root
