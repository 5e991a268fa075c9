"""``autograder check NOTEBOOK``: the public checks through the full grading path.

The assignment is the one the notebook's metadata names (``metadata.autograder``, stamped
by ``autograder release``), whatever the file is called. The notebook runs as it would be
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

console = Console(stderr=True)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("check", help="run the public checks on one notebook, as the grader would")
    parser.add_argument("notebook", type=Path)
    options.add_limits(parser)
    parser.set_defaults(command=run)


def assignment_of(path: Path) -> tuple[str, str]:
    """(assignment id, version) from a notebook's metadata; ``UsageError`` when it names none."""
    try:
        notebook = nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise UsageError(f"no such notebook: {path}") from None
    except Exception as error:  # JSON and nbformat errors
        raise UsageError(f"{path} is not a readable Jupyter notebook: {error}") from None
    stamp = notebooks.stamped(notebook)
    if stamp is None:
        raise UsageError(
            f"{path} does not say which assignment it belongs to (no metadata.autograder.assignment): "
            "start from the notebook of the assignment's release"
        )
    return stamp.assignment, stamp.version


def run(args: argparse.Namespace) -> int:
    assignment_id, version = assignment_of(args.notebook)
    try:
        course = assignments.course_root(args.course)
    except assignments.AssignmentError as error:
        raise assignments.AssignmentError(
            f"{error}. `autograder check` grades with the course's reference, so it runs where the course is; "
            "without it, run check() inside the notebook (see the README that came with it)"
        ) from None
    assignment = assignments.load(course, assignment_id)
    if version and version != assignment.version:
        console.print(
            f"[yellow]warning:[/] {args.notebook.name} is from version {version} of {assignment_id}; "
            f"checking against version {assignment.version}"
        )
    limits = options.limits(args)
    console.print(f"checking {args.notebook} as [bold]{assignment_id}[/] (public examples only)")
    result = pipeline.grade(assignment, args.notebook, args.notebook.stem, secret=b"", limits=limits, public_only=True)
    options.print_sandboxes(console, [result])
    Console(soft_wrap=True).print(feedback_text(result), markup=False, highlight=False, end="")
    console.print("public examples only: the grader also calls your functions on hidden inputs.")
    return 1 if result.fault else 0
