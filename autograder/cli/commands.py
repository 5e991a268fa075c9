"""The commands of ``autograder COMMAND ...``: the parser, and how errors become exit statuses.

Exit status 0 when the command did its job (whatever the students scored), 1 when a
validation did not hold or the grader failed, 2 when the user asked for something that
cannot be done as asked. Each error kind carries its status (``errors.AutograderError``);
anything else escaping a command is a bug: status 1, with its traceback in the log.
"""

from __future__ import annotations

import argparse
import logging
from types import ModuleType

from rich.console import Console
from rich.markup import escape

from autograder.cli import adjust, check, doctor, examples, grade, new, release, review, similarity, validate
from autograder.errors import AutograderError

console = Console(stderr=True)

# Each module defines ``register(commands)``, adding its sub-parser with ``command=`` set.
COMMANDS: tuple[ModuleType, ...] = (grade, adjust, review, similarity, new, examples, release, validate, check, doctor)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return args.command(args)
    except AutograderError as error:
        if error.exit_status != 2:  # the grader's or the host's failure: keep the traceback
            logging.getLogger("autograder").error("%s", type(error).__name__, exc_info=True)
        console.print(f"[bold red]error:[/] {escape(str(error))}")
        return error.exit_status
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
