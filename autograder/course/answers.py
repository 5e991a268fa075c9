"""Find a student's answer to a question a TA grades, wherever the student put it.

The release marks each answer cell (``metadata.autograder.answer``, see
``course.master``); the mark travels with the cell when the student moves it. The
answer is each marked cell and the cells the student added after it (any cell that is
neither the release's, by its id, nor marked), so an answer written over three new cells
is found whole. A student who deleted the marked cell answered, if at all, in cells they
added after the question's last release cell before it.
"""

from __future__ import annotations

import nbformat

from autograder.course.assignment import Assignment
from autograder.course.master import ANSWER_PLACEHOLDER
from autograder.course.notebook import KEY, is_release_cell


def answer_mark(cell: nbformat.NotebookNode) -> str | None:
    """The question whose answer the cell is marked as (a string), if any."""
    mark = cell.get("metadata", {}).get(KEY)
    answer = mark.get("answer") if isinstance(mark, dict) else None
    return answer if isinstance(answer, str) else None


def locate(notebook: nbformat.NotebookNode, assignment: Assignment, question_id: str) -> list[nbformat.NotebookNode]:
    """The cells of ``notebook`` holding the student's answer to ``question_id``, in order ([] when none)."""
    cells = notebook.cells
    release = assignment.student_notebook().cells
    release_ids = {cell.get("id") for cell in release} - {None}
    starts = [index for index, cell in enumerate(cells) if answer_mark(cell) == question_id]
    if not starts:
        anchor = _anchor(notebook, release, question_id)
        return [] if anchor is None else _added_after(notebook, assignment, release_ids, anchor)
    found = []
    for start in starts:
        found += [cells[start], *_added_after(notebook, assignment, release_ids, start)]
    return found


def is_blank(cells: list[nbformat.NotebookNode]) -> bool:
    """No answer written: no cell, or only empty cells and the release's placeholder text."""
    return all(_text(cell).strip() in ("", ANSWER_PLACEHOLDER) for cell in cells)


def _text(cell: nbformat.NotebookNode) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _added_after(
    notebook: nbformat.NotebookNode, assignment: Assignment, release_ids: set[str], index: int
) -> list[nbformat.NotebookNode]:
    """The cells after ``index`` up to the next one the release wrote or marked: the student's own."""
    added = []
    for cell in notebook.cells[index + 1 :]:
        if cell.get("id") in release_ids or is_release_cell(cell, assignment) or KEY in cell.get("metadata", {}):
            break
        added.append(cell)
    return added


def _anchor(notebook: nbformat.NotebookNode, release: list[nbformat.NotebookNode], question_id: str) -> int | None:
    """Where, in ``notebook``, the release cell just before the question's answer cell now is."""
    position = next((index for index, cell in enumerate(release) if answer_mark(cell) == question_id), None)
    if not position:
        return None
    before = release[position - 1].get("id")
    return next((index for index, cell in enumerate(notebook.cells) if cell.get("id") == before), None)
