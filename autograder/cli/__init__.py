"""Command line: ``autograder COMMAND ...``; each command lives in its own module here.

Exit status 0 when the command did its job (whatever the students scored), 1 when the
grader itself failed (with its traceback) or a validation did not hold, 2 for usage
errors (``errors.UsageError``).
"""

from __future__ import annotations

import argparse
import logging
from types import ModuleType

from rich.console import Console
from rich.markup import escape

from autograder.cli import check, doctor, examples, grade, release, validate
from autograder.errors import UsageError

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
    except UsageError as error:
        console.print(f"[bold red]error:[/] {escape(str(error))}")
        return 2
    except Exception as error:  # the grader's own failure, never the user's: say so, with the traceback
        logging.getLogger("autograder").exception("internal error")
        console.print(f"[bold red]internal error (a bug in the grader, not in your input):[/] {escape(repr(error))}")
        return 1


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="autograder", description="Grade PyTorch notebooks in a sandbox.")
    root.add_argument("--course", help="course directory (default: $AUTOGRADER_COURSE or this repository)")
    root.add_argument("-v", "--verbose", action="store_true")
    commands = root.add_subparsers(required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(commands)
    return root
