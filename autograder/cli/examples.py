"""``autograder examples ASSIGNMENT``: rebuild the bundled example submissions from variants.py."""

from __future__ import annotations

import argparse

from rich.console import Console

from autograder.authoring import variants
from autograder.course import assignment as assignments

console = Console(stderr=True)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("examples", help="rebuild an assignment's bundled example submissions")
    parser.add_argument("assignment")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    assignment = assignments.load(assignments.course_root(args.course), args.assignment)
    for path in variants.write_examples(assignment):
        console.print(f"wrote {path}")
    return 0
