"""Example submissions built from the student notebook: correct, typical mistakes, hostile.

An assignment's ``examples/variants.py`` lists ``VARIANTS``: each names which solution
cells to fill (by default with the reference's own source, so the correct example can
never drift from the reference), which to replace with a mistaken version, which extra
cells to add, and what grading it must give: the questions it must lose points on and
the diagnosis the feedback must name. ``autograder examples ASSIGNMENT`` writes them as
``examples/<name>.ipynb``; the test suite grades every one and holds it to its promise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.course import answers
from autograder.course import notebook as notebooks
from autograder.course.assignment import Assignment


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    solutions: dict[str, str] = field(default_factory=dict)  # function -> source
    base: str = "reference"  # "reference": other functions solved; "template": other stubs stay
    extra_cells: tuple[str, ...] = ()  # inserted after the first code cell (the imports)
    written: dict[str, str] = field(default_factory=dict)  # a TA-graded question's id -> the answer written
    loses: tuple[str, ...] = ()  # questions that must score below full points
    diagnosis: str = ""  # text the feedback of the lost questions must contain
    diagnoses: dict[str, str] = field(default_factory=dict)  # per lost question, in place of ``diagnosis``
    notebook_problem: str = ""  # text the report of failed cells must contain

    def expected_full(self, question_id: str) -> bool:
        return self.base == "reference" and question_id not in self.loses

    def diagnosis_of(self, question_id: str) -> str:
        """The text a lost question's feedback must contain (q4 inheriting q1's error names q1, not q1's mistake)."""
        return self.diagnoses.get(question_id, self.diagnosis)


# A written answer a TA's browser must show inert (each assignment bundles one): a script, event
# handlers and a javascript: link, none of which may run in the review app.
HOSTILE_ANSWER = (
    "I think the answer is in the picture. <script>document.title = 'pwned'; window.pwned = 'script';</script>"
    '<img src="missing.png" onerror="window.pwned = \'onerror\'">'
    "<a href=\"javascript:window.pwned = 'link'\">see my notes</a> "
    "<b onmouseover=\"window.pwned = 'hover'\">bold claim</b>"
)


def load_variants(assignment: Assignment) -> list[Variant]:
    """The variants ``examples/variants.py`` lists (none without the file: correct and template are implicit)."""
    path = assignment.examples / "variants.py"
    if not path.is_file():
        return []
    namespace: dict = {"__name__": f"autograder_course.{assignment.id}.variants"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return list(namespace["VARIANTS"])


def build(assignment: Assignment, variant: Variant) -> nbformat.NotebookNode:
    notebook = assignment.student_notebook()
    notebooks.stamp(notebook, assignment)  # as released: the notebook names its assignment
    base = notebooks.reference_sources(assignment) if variant.base == "reference" else {}
    notebooks.fill_solutions(notebook, assignment, {**base, **variant.solutions})
    for cell in notebook.cells:
        if answers.answer_mark(cell) in variant.written:
            cell.source = variant.written[answers.answer_mark(cell)].strip()
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
