"""``autograder new ID``: write a working assignment to start from (see ``authoring.scaffold``)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rich.console import Console

from autograder.authoring import scaffold
from autograder.course.assignment import PACKAGE_ROOT

console = Console(stderr=True)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("new", help="write a new assignment from the scaffold (validate passes as it stands)")
    parser.add_argument("assignment", help="its id: lower-case letters, digits and _")
    parser.add_argument("--title", default="", help="its title (default: from the id)")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    root = Path(args.course or os.environ.get("AUTOGRADER_COURSE") or PACKAGE_ROOT)
    for path in scaffold.create(root, args.assignment, args.title):
        console.print(f"wrote {path}")
    console.print(
        f"next: edit assignments/{args.assignment}/{args.assignment}.ipynb and checks.py "
        f"(docs/authoring.md), then `autograder validate {args.assignment} --static` (seconds) "
        f"and `autograder validate {args.assignment}` (the sandbox)",
        highlight=False,
    )
    return 0
