"""``autograder release ASSIGNMENT [--output DIR]``: what students download and hosts grade with.

An assignment with an error of the static checks (``authoring.static``) is not released.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from autograder.authoring import release, static
from autograder.course import assignment as assignments
from autograder.errors import AssignmentError

console = Console(stderr=True)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("release", help="write an assignment's student, solution and grading releases")
    parser.add_argument("assignment")
    parser.add_argument(
        "--output", type=Path, default=Path("dist"), help="output directory (default: dist/); writes OUTPUT/ASSIGNMENT/"
    )
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    course = assignments.course_root(args.course)
    assignment = assignments.load(course, args.assignment)
    errors = [finding for finding in static.check(assignment) if finding.severity == static.ERROR]
    for finding in errors:
        console.print(escape(finding.line()), highlight=False)
    if errors:
        raise AssignmentError(
            f"{assignment.id} is not released: {len(errors)} error(s) of `autograder validate {assignment.id} --static`"
        )
    written = release.release(assignment, course, args.output)
    console.print(f"released [bold]{assignment.id}[/] version {assignment.version} -> {written.root}")
    for label, path in (
        ("student folder", written.student),
        ("student zip (upload to the LMS)", written.student_zip),
        ("solution", written.solution),
        ("grading bundle", written.bundle),
        ("grading bundle zip", written.bundle_zip),
    ):
        size = f" ({path.stat().st_size / 1024:.0f} KiB)" if path.is_file() else ""
        console.print(f"  {label}: {path}{size}")
    return 0
