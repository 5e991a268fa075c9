"""Command line: ``autograder COMMAND ...``; each command lives in its own module here.

Exit status 0 when the command did its job (whatever the students scored), 1 when the
grader itself failed or a validation did not hold, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import logging
from types import ModuleType

from rich.console import Console

from autograder.authoring import assignment as assignments
from autograder.cli import check, doctor, examples, grade, release, validate
from autograder.execution.sandbox import SandboxUnavailable

console = Console(stderr=True)

# Each module defines ``register(commands)``, adding its sub-parser with ``command=`` set.
COMMANDS: tuple[ModuleType, ...] = (grade, examples, release, validate, check, doctor)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return args.command(args)
    except (assignments.AssignmentError, SandboxUnavailable, FileNotFoundError, ValueError) as error:
        console.print(f"[bold red]error:[/] {error}")
        return 2


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="autograder", description="Grade PyTorch notebooks in a sandbox.")
    root.add_argument("--course", help="course directory (default: $AUTOGRADER_COURSE or this repository)")
    root.add_argument("-v", "--verbose", action="store_true")
    commands = root.add_subparsers(required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(commands)
    return root
