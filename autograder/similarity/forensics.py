"""Notebook evidence: what copying a file leaves behind, whatever the code now says.

- **Cell ids.** Jupyter draws a random id for every new cell, so two students whose
  notebooks hold a cell with the same id that the starter notebook does not have worked
  in one file.
- **Outputs.** The same long output of a cell the student added (a printed random
  tensor, a timing, a memory address) came from one run.
- **User names.** A home directory in one notebook's outputs or tracebacks
  (``/home/alice/...``) that also shows in another's.

What a large part of the class shares is common (the release's cells, a lab machine's
user name) and never counts.
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import json
import re
from collections.abc import Callable

import nbformat

from autograder.course import notebook as notebooks
from autograder.course.assignment import Assignment
from autograder.course.similarity import SimilaritySettings
from autograder.similarity.model import NOTEBOOK, Entry, Evidence, Found

MIN_OUTPUT_CHARS = 64  # shorter outputs (a shape, a small number) are alike by nature
HOME = re.compile(r"(?:/home/|/Users/|[A-Za-z]:\\+Users\\+)([A-Za-z0-9._-]{2,64})")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def evidence(assignment: Assignment, entries: list[Entry], settings: SimilaritySettings) -> Found:
    starter = assignment.student_notebook()
    starter_ids = {cell.get("id") for cell in starter.cells}
    starter_sources = {cell.get("source") for cell in starter.cells}
    common_above = settings.common_above(len(entries))
    readable = {entry.student: entry.notebook for entry in entries if entry.notebook is not None}
    added = {  # the cells each student added to the starter notebook, found once
        student: [
            cell
            for cell in notebook.cells
            if cell.get("id") not in starter_ids
            and not notebooks.is_release_cell(cell, assignment)
            and cell.get("source") not in starter_sources
        ]
        for student, notebook in readable.items()
    }
    signals: list[tuple[str, Callable[[str], set[str]], Callable[[list[str]], tuple[float, str]]]] = [
        ("cell ids", lambda student: {str(cell["id"]) for cell in added[student] if cell.get("id")}, _ids_words),
        ("outputs", lambda student: {d for cell in added[student] for d in _output_digests(cell)}, _outputs_words),
        ("user names", lambda student: _user_names(readable[student]), _names_words),
    ]
    found: Found = collections.defaultdict(list)
    for kind, marks_of, words_of in signals:
        marks = {student: marks_of(student) for student in readable}
        holders: dict[str, list[str]] = collections.defaultdict(list)
        for student, student_marks in marks.items():
            for mark in student_marks:
                holders[mark].append(student)
        shared: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
        for mark, students in holders.items():
            if 2 <= len(students) <= common_above:
                for pair in itertools.combinations(sorted(students), 2):
                    shared[pair].append(mark)
        for pair, common_marks in shared.items():
            score, words = words_of(sorted(common_marks))
            if score >= settings.report_from:
                found[pair].append(Evidence(kind, NOTEBOOK, score, words, score >= settings.forensics))
    return found


def _ids_words(ids: list[str]) -> tuple[float, str]:
    listed = ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")
    return min(1.0, 0.5 + 0.25 * len(ids)), (
        f"{len(ids)} added cell(s) with the same id (Jupyter draws a random id for each new cell): {listed}"
    )


def _outputs_words(digests: list[str]) -> tuple[float, str]:
    return min(0.9, 0.25 * len(digests)), (
        f"{len(digests)} output(s) of cells the students added are the same, character for character "
        f"(each at least {MIN_OUTPUT_CHARS} characters)"
    )


def _names_words(names: list[str]) -> tuple[float, str]:
    return min(1.0, 0.8 + 0.1 * (len(names) - 1)), (
        f"both notebooks' outputs show files of the same user: {', '.join(repr(name) for name in names[:5])}"
    )


def _output_digests(cell: nbformat.NotebookNode) -> set[str]:
    digests = set()
    for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
        text = _output_text(output)
        if len(text) >= MIN_OUTPUT_CHARS:
            digests.add(hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16])
    return digests


def _output_text(output: dict) -> str:
    """An output's content as one string (streams, rich data, tracebacks), without colour codes."""
    if not isinstance(output, dict):
        return ""
    parts = [output.get("text"), output.get("traceback"), output.get("data")]
    text = "".join(part if isinstance(part, str) else json.dumps(part, sort_keys=True) for part in parts if part)
    return ANSI.sub("", text)


def _user_names(notebook: nbformat.NotebookNode) -> set[str]:
    names = set()
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            names.update(HOME.findall(_output_text(output)))
    return names
