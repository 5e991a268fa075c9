"""Example submissions built from the student notebook: correct, typical mistakes, hostile.

An assignment's ``examples/variants.py`` lists ``VARIANTS``: each names which solution
cells to fill (by default with the reference's own source, so the correct example can
never drift from the reference), which to replace with a mistaken version, which extra
cells to add, and what grading it must give: the questions it must lose points on and
the diagnosis the feedback must name. ``autograder examples ASSIGNMENT`` writes them as
``examples/<name>.ipynb``; the test suite grades every one and holds it to its promise.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import nbformat

from autograder.course.assignment import Assignment, AssignmentError


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    solutions: dict[str, str] = field(default_factory=dict)  # function -> source
    base: str = "reference"  # "reference": other functions solved; "template": other stubs stay
    extra_cells: tuple[str, ...] = ()  # inserted after the first code cell (the imports)
    loses: tuple[str, ...] = ()  # questions that must score below full points
    diagnosis: str = ""  # text the feedback of the lost questions must contain
    notebook_problem: str = ""  # text the report of failed cells must contain

    def expected_full(self, question_id: str) -> bool:
        return self.base == "reference" and question_id not in self.loses


def load_variants(assignment: Assignment) -> list[Variant]:
    path = assignment.examples / "variants.py"
    if not path.is_file():
        raise AssignmentError(f"{path} is missing")
    namespace: dict = {"__name__": f"autograder_course.{assignment.id}.variants"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return list(namespace["VARIANTS"])


def solution_cell_index(notebook: nbformat.NotebookNode, function: str) -> int:
    """The cell holding ``function``: tagged in metadata, else the one defining it."""
    for index, cell in enumerate(notebook.cells):
        if cell.get("metadata", {}).get("autograder", {}).get("solution") == function:
            return index
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and (f"def {function}(" in cell.source or f"class {function}(" in cell.source):
            return index
    raise AssignmentError(f"no cell defines {function}")


def build(assignment: Assignment, variant: Variant) -> nbformat.NotebookNode:
    notebook = nbformat.read(assignment.notebook, as_version=4)
    for question in assignment.questions:
        source = variant.solutions.get(question.function)
        if source is None and variant.base == "reference":
            source = _reference_source(assignment.reference, question.function)
        if source is not None:
            notebook.cells[solution_cell_index(notebook, question.function)].source = source.strip()
    first_code = next(i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code")
    for offset, source in enumerate(variant.extra_cells, start=1):
        cell = nbformat.v4.new_code_cell(source.strip())
        cell["id"] = f"{variant.name}-extra-{offset}"
        notebook.cells.insert(first_code + offset, cell)
    return notebook


def write_examples(assignment: Assignment) -> list[Path]:
    written = []
    for variant in load_variants(assignment):
        path = assignment.examples / f"{variant.name}.ipynb"
        text = json.dumps(build(assignment, variant), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        path.write_text(text)
        written.append(path)
    return written


def _reference_source(reference: ModuleType, function: str) -> str:
    return inspect.getsource(getattr(reference, function))
