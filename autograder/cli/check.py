"""``autograder check NOTEBOOK``: the public checks through the full grading path.

The assignment is ``--assignment ID``, else the one the notebook's metadata names
(``metadata.autograder``, stamped by ``autograder release``), whatever the file is called,
else the one assignment of the course whose graded functions the notebook defines (said
so on the terminal; when several fit, the student is asked to name one). The notebook runs as it would be
graded (sandbox, top to bottom, then its functions called by name) but only on the public
examples, so no secret is needed; the feedback printed is what a TA would see for them.
It needs the course (the reference computes the expected answers): a student without it
runs ``check()`` inside the notebook instead.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import nbformat
from rich.console import Console

from autograder.cli import options
from autograder.course import assignment as assignments
from autograder.course import notebook as notebooks
from autograder.errors import UsageError
from autograder.feedback.render import feedback_text
from autograder.grading import pipeline
from autograder.similarity import code as similarity_code

console = Console(stderr=True)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("check", help="run the public checks on one notebook, as the grader would")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--assignment", metavar="ID", help="the notebook's assignment (default: from its metadata)")
    options.add_limits(parser)
    parser.set_defaults(command=run)


def read(path: Path) -> nbformat.NotebookNode:
    try:
        return nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise UsageError(f"no such notebook: {path}") from None
    except Exception as error:  # JSON and nbformat errors
        raise UsageError(f"{path} is not a readable Jupyter notebook: {error}") from None


def inferred(notebook: nbformat.NotebookNode, course: Path) -> str:
    """The one assignment of the course that the notebook's definitions fit best; ``UsageError`` if not one."""
    defined = set(similarity_code.definitions(notebook))
    fits: dict[str, int] = {}
    for assignment_id in assignments.available(course):
        functions = {question.function for question in assignments.load(course, assignment_id).questions}
        fits[assignment_id] = len(functions & defined)
    best = max(fits.values(), default=0)
    chosen = [assignment_id for assignment_id, count in fits.items() if count == best]
    if best == 0 or len(chosen) > 1:
        known = ", ".join(sorted(fits)) or "none"
        why = "defines none of the graded functions" if best == 0 else f"fits {', '.join(chosen)} alike"
        raise UsageError(
            "the notebook does not say which assignment it belongs to (no metadata.autograder.assignment) "
            f"and {why}: name it with --assignment ID (known: {known})"
        )
    return chosen[0]


def run(args: argparse.Namespace) -> int:
    notebook = read(args.notebook)
    try:
        course = assignments.course_root(args.course)
    except assignments.AssignmentError as error:
        raise assignments.AssignmentError(
            f"{error}. `autograder check` grades with the course's reference, so it runs where the course is; "
            "without it, run check() inside the notebook (see the README that came with it)"
        ) from None
    stamp = notebooks.stamped(notebook)
    version = stamp.version if stamp is not None and args.assignment in (None, stamp.assignment) else ""
    assignment_id = args.assignment or (stamp.assignment if stamp is not None else "")
    if not assignment_id:
        assignment_id = inferred(notebook, course)
        console.print(
            f"{args.notebook.name} does not name its assignment in its metadata: checking it as "
            f"[bold]{assignment_id}[/], the one whose functions it defines (--assignment ID to choose)"
        )
    assignment = assignments.load(course, assignment_id)
    if version and version != assignment.version:
        console.print(
            f"[yellow]warning:[/] {args.notebook.name} is from version {version} of {assignment_id}; "
            f"checking against version {assignment.version}"
        )
    limits = options.limits(args)
    console.print(f"checking {args.notebook} as [bold]{assignment_id}[/] (public examples only)")
    if stamp is not None and stamp.assignment != assignment.id:  # --assignment overrides the metadata
        notebooks.stamp(notebook, assignment)
    source = nbformat.writes(notebook).encode()
    result = pipeline.grade(assignment, source, args.notebook.stem, secret=b"", limits=limits, public_only=True)
    options.print_sandboxes(console, [result])
    Console(soft_wrap=True).print(feedback_text(result), markup=False, highlight=False, end="")
    console.print("public examples only: the grader also calls your functions on hidden inputs.")
    return 1 if result.fault else 0
