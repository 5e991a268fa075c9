"""Options and output that several commands share, declared once.

``grade``, ``validate`` and ``check`` all run student notebooks, so they take the same
limit options and print the sandbox that isolated them the same way.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from autograder.checks.results import SubmissionResult
from autograder.errors import UsageError
from autograder.execution.sandbox import Limits
from autograder.grading.gradebook import Gradebook, sqlite_url


def add_workers(parser: argparse.ArgumentParser, what: str = "notebooks") -> None:
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help=f"{what} graded in parallel (default: half the cores, each worker keeping a kernel started ahead; "
        "all cores with --warm-kernels 0; never more than the submissions)",
    )


def add_output(parser: argparse.ArgumentParser) -> None:
    """Where the grades of a course live: the output directory and the gradebook database."""
    parser.add_argument("--output", type=Path, default=Path("grades"), help="output directory (default: grades/)")
    parser.add_argument(
        "--database", help="SQLAlchemy URL of the gradebook (default: OUTPUT/ASSIGNMENT/gradebook.sqlite)"
    )


def existing_gradebook(args: argparse.Namespace, assignment_id: str) -> tuple[Gradebook, Path]:
    """The gradebook ``autograder grade`` wrote for this assignment (``--output``/``--database``), and its folder."""
    output = args.output / assignment_id
    database = output / "gradebook.sqlite"
    if args.database is None and not database.is_file():
        raise UsageError(f"no gradebook at {database}: grade the assignment first, or pass --database")
    return Gradebook(args.database or sqlite_url(database)), output


def add_limits(parser: argparse.ArgumentParser) -> None:
    """The limits a student kernel runs under, and the switch that drops the sandbox."""
    parser.add_argument("--cell-timeout", type=float, default=Limits.cell_timeout, help="seconds per student cell")
    parser.add_argument("--memory", type=float, default=Limits.memory_bytes / 1024**3, help="GiB per kernel")
    parser.add_argument(
        "--no-sandbox",
        dest="sandbox",
        action="store_false",
        help="run student code without bubblewrap (only for code you trust, such as your own)",
    )


def limits(args: argparse.Namespace, workers: int = 1) -> Limits:
    """The ``add_limits`` options as ``Limits``; the cores are shared among ``workers`` kernels."""
    return Limits(
        cell_timeout=args.cell_timeout,
        memory_bytes=int(args.memory * 1024**3),
        threads=max(1, (os.cpu_count() or 1) // max(1, workers)),
        sandbox=args.sandbox,
    )


def print_sandboxes(console: Console, results: Iterable[SubmissionResult]) -> None:
    """One line per sandbox mode the results ran under: green when isolated, red otherwise."""
    for mode, isolated in sorted({(result.sandbox, result.isolated) for result in results if result.sandbox}):
        console.print(f"[{'green' if isolated else 'bold red'}]sandbox: {escape(mode)}[/]", highlight=False)
