"""Command line: ``autograder COMMAND ...`` (``commands.py``; each command lives in its own module here).

This file imports only the standard library. A student's install holds just what the
self-check needs (torch, numpy, safetensors, jinja2); the commands need the grading
packages too (the ``grade`` extra), and without them the student gets the line to run
instead of a traceback.
"""

from __future__ import annotations

import sys

GRADING_EXTRA = "python -m pip install 'autograder[grade]'"


def main(argv: list[str] | None = None) -> int:
    try:
        from autograder.cli.commands import main as run
    except ModuleNotFoundError as error:
        if (error.name or "").startswith("autograder"):
            raise  # the package itself is broken: a bug, not a missing extra
        print(
            f"autograder: the command line needs the grading packages, and {error.name!r} is not installed in "
            f"{sys.executable}.\nInstall them with: {GRADING_EXTRA} (or the wheel's file name followed by "
            "[grade]).\nIn a notebook, the self-check (check('q1')) needs none of them.",
            file=sys.stderr,
        )
        return 2
    return run(argv)
