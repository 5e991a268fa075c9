"""A small course whose assignment has a written question with a rubric, and submissions to review.

One automatic question (``cube``) and one written one (``w1``, 2 points, three rubric
items and two reusable comments), with a deadline. The submissions cover what a TA
meets: a good answer, a partial one, none at all, an answer spread over cells the
student added after moving the answer cell, a late submission, and an answer holding
hostile HTML (a script, an ``onerror`` handler, a ``javascript:`` link) that must stay
inert in the review app.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_raw_cell

from autograder.course import master as masters
from tests.course.otter_format import numbered, shown, student_of

ID = "written"
DEADLINE = datetime(2026, 1, 10, 23, 59, tzinfo=UTC)
ON_TIME = datetime(2026, 1, 9, 12, 0, tzinfo=UTC)
TWO_DAYS_LATE = datetime(2026, 1, 12, 12, 0, tzinfo=UTC)
HOSTILE = (
    "My answer <script>window.pwned = 'script';</script>"
    '<img src="x" onerror="window.pwned = \'onerror\'">'
    '<a href="javascript:window.pwned=\'link\'">click</a> <b onmouseover="window.pwned=1">bold</b>'
)
RUBRIC = (
    "rubric:\n"
    "  - {points: 1, text: says an odd power keeps the sign}\n"
    "  - {points: 1, text: works the example through}\n"
    "  - {points: -0.5, text: claims the result is always negative}\n"
    "comments:\n"
    '  - "Try x = -2: (-2)**3 = -8."\n'
    "  - Good, clear explanation.\n"
)


def master() -> nbformat.NotebookNode:
    cells = [
        new_raw_cell(
            f"# ASSIGNMENT CONFIG\nname: {ID}\nautograder:\n  title: Written answers\n"
            f"  late:\n    deadline: {DEADLINE.isoformat()}\n    penalty_per_day: 0.1"
        ),
        new_markdown_cell("# Written answers"),
        new_raw_cell("# BEGIN QUESTION\nname: q1\npoints: 2"),
        new_markdown_cell("**q1.** Write `cube(x)`."),
        new_raw_cell("# BEGIN SOLUTION"),
        new_code_cell("def cube(x):\n    return x ** 3  # SOLUTION"),
        new_raw_cell("# END SOLUTION"),
        new_raw_cell("# BEGIN TESTS"),
        shown("cube(2) == 8"),
        shown("cube(-1) == -1"),
        new_raw_cell("# END TESTS"),
        new_raw_cell("# END QUESTION"),
        new_raw_cell("# BEGIN QUESTION\nname: w1\npoints: 2\nmanual: true\n" + RUBRIC),
        new_markdown_cell("**w1.** Why is `cube(-1)` negative? Answer in words."),
        new_raw_cell("# BEGIN SOLUTION"),
        new_markdown_cell("An odd power keeps the sign: (-1)·(-1)·(-1) = -1."),
        new_raw_cell("# END SOLUTION"),
        new_raw_cell("# END QUESTION"),
        new_markdown_cell("That is all."),
    ]
    return numbered(cells, ID)


CUBE = "def cube(x):\n    return x ** 3"
# student -> (cube's source, the answer cells' sources (None: the answer cell deleted), received, moved)
SUBMISSIONS: dict[str, tuple[str, list[str] | None, datetime, bool]] = {
    "good": (CUBE, ["An odd power keeps the sign, so (-1)^3 = -1."], ON_TIME, False),
    "partial": (CUBE, ["Because it is minus."], ON_TIME, False),
    "empty": ("def cube(x):\n    return x * x", [masters.ANSWER_PLACEHOLDER], ON_TIME, False),
    "spread": (CUBE, ["First, (-1)·(-1) = 1.", "Then 1·(-1) = -1: an odd power keeps the sign."], ON_TIME, True),
    "late": (CUBE, ["Odd powers keep the sign."], TWO_DAYS_LATE, False),
    "hostile": (CUBE, [HOSTILE], ON_TIME, False),
}


def student_notebook() -> nbformat.NotebookNode:
    return student_of(master(), ID)


def submission(cube: str, answer: list[str] | None, moved: bool) -> nbformat.NotebookNode:
    """The release notebook with ``cube`` and the answer written in (the marked cell, then cells added after it)."""
    notebook = student_notebook()
    cells = []
    for cell in notebook.cells:
        mark = cell.get("metadata", {}).get("autograder", {})
        if mark.get("solution") == "cube":
            cell.source = cube
        if mark.get("answer") == "w1":
            if answer is None:
                continue
            cell.source = answer[0]
            cells += [cell, *(new_markdown_cell(more) for more in answer[1:])]
            continue
        cells.append(cell)
    if moved:  # the answer cells moved to the end, below the last release cell
        answer_cells = [cell for cell in cells if cell.get("metadata", {}).get("autograder", {}).get("answer")]
        start = cells.index(answer_cells[0])
        block = cells[start : start + len(answer or [])]
        cells = [cell for cell in cells if all(cell is not moved_cell for moved_cell in block)] + block
    notebook.cells = cells
    return notebook


def write_course(root: Path) -> Path:
    """A course with this assignment, and its submissions in ``root/submissions`` received when they say."""
    folder = root / "assignments" / ID
    folder.mkdir(parents=True)
    nbformat.write(master(), folder / f"{ID}.ipynb")
    submissions = root / "submissions"
    submissions.mkdir()
    for student, (cube, answer, received, moved) in SUBMISSIONS.items():
        path = submissions / f"{student}.ipynb"
        nbformat.write(submission(cube, answer, moved), path)
        os.utime(path, (received.timestamp(), received.timestamp()))
    return root
