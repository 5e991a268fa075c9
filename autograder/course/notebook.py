"""The one owner of the platform's marks in a notebook: its stamp and its solution cells.

A released notebook carries ``metadata.autograder = {"assignment": id, "version": v}``, so
a renamed file still names its assignment; a master notebook's solution cell may carry
``metadata.autograder.solution = "<function>"``. A student's notebook may hold anything
under these keys, so every reader here accepts only the expected types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import nbformat

from autograder.course.assignment import Assignment
from autograder.errors import AssignmentError

KEY = "autograder"


@dataclass(frozen=True)
class Stamp:
    assignment: str
    version: str


def stamp(notebook: nbformat.NotebookNode, assignment: Assignment) -> None:
    notebook.metadata[KEY] = nbformat.from_dict({"assignment": assignment.id, "version": assignment.version})


def stamped(notebook: nbformat.NotebookNode) -> Stamp | None:
    """The assignment the notebook's metadata names, if it names one as a string."""
    mark = notebook.metadata.get(KEY)
    claimed = mark.get("assignment") if isinstance(mark, dict) else None
    if not isinstance(claimed, str):
        return None
    version = mark.get("version", "")
    return Stamp(claimed, version if isinstance(version, str) else str(version))


def release_cell_id(assignment: Assignment, name: str) -> str:
    """The id of a cell the release writes (its own cells, cells it numbers): "<assignment>-<name>"."""
    return f"{assignment.id}-{name}"


def is_release_cell(cell: nbformat.NotebookNode, assignment: Assignment) -> bool:
    """Whether the cell's id is one the release wrote (the master notebook's ids follow the same rule)."""
    cell_id = cell.get("id")
    return isinstance(cell_id, str) and cell_id.startswith(release_cell_id(assignment, ""))


def is_solution_cell(cell: nbformat.NotebookNode) -> bool:
    mark = cell.get("metadata", {}).get(KEY)
    return isinstance(mark, dict) and bool(mark.get("solution"))


def solution_cell_index(notebook: nbformat.NotebookNode, function: str) -> int:
    """The cell holding ``function``: tagged in metadata, else the one defining it."""
    for index, cell in enumerate(notebook.cells):
        mark = cell.get("metadata", {}).get(KEY)
        if isinstance(mark, dict) and mark.get("solution") == function:
            return index
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and (f"def {function}(" in cell.source or f"class {function}(" in cell.source):
            return index
    raise AssignmentError(f"no cell defines {function}")


def fill_solutions(notebook: nbformat.NotebookNode, assignment: Assignment, sources: Mapping[str, str]) -> None:
    """Put the source of each question's function found in ``sources`` (name -> source) into its solution cell."""
    for question in assignment.questions:
        if question.function in sources:
            notebook.cells[solution_cell_index(notebook, question.function)].source = sources[question.function].strip()


def reference_sources(assignment: Assignment) -> dict[str, str]:
    """Each question's solution code as the master notebook holds it (function name -> source)."""
    solutions = {question.name: question.solution for question in assignment.master.questions}
    return {question.function: solutions[question.id] for question in assignment.questions}
