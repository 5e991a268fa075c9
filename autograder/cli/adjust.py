"""``autograder score | override | extend | import-scores``: what a TA changes, from a script or a shell.

The same service as the review app (``grading.marking``): each change is a row in the
gradebook's ledger with who, when and why, and every export is rewritten at once.
"""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from autograder.cli import options
from autograder.course import assignment as assignments
from autograder.errors import UsageError
from autograder.grading.adjustments import Adjustment
from autograder.grading.marking import IMPORT_COLUMNS, Marking

console = Console(stderr=True, soft_wrap=True)
Change = Callable[[Marking, argparse.Namespace], Adjustment]  # one command's call of the service


def register(commands: argparse._SubParsersAction) -> None:
    score = _command(commands, "score", "grade a manual question (a written answer) of one student", _score)
    score.add_argument("--question", required=True, metavar="Q")
    given = score.add_mutually_exclusive_group(required=True)
    given.add_argument("--points", type=float, metavar="P")
    given.add_argument(
        "--rubric", metavar="ITEMS", help="the rubric items that apply, by number, such as 1,3 (the score is their sum)"
    )
    score.add_argument("--comment", default="", help="what the student reads beside the score")

    override = _command(commands, "override", "set an automatic question's score by hand, with a reason", _override)
    override.add_argument("--question", required=True, metavar="Q")
    points = override.add_mutually_exclusive_group(required=True)
    points.add_argument("--points", type=float, metavar="P")
    points.add_argument("--remove", action="store_true", help="let the automatic score count again")
    override.add_argument("--reason", required=True, help="why (the student reads it)")

    extend = _command(commands, "extend", "give one student more time (their late penalty follows)", _extend)
    when = extend.add_mutually_exclusive_group(required=True)
    when.add_argument("--days", type=float, metavar="N", help="days after the assignment's deadline")
    when.add_argument(
        "--deadline", type=datetime.fromisoformat, metavar="ISO", help="their own deadline, 2026-12-08T23:59:00+01:00"
    )
    extend.add_argument("--reason", default="", help="why (kept in the history)")

    bulk = commands.add_parser(
        "import-scores", help=f"manual scores for a class from a CSV ({', '.join(IMPORT_COLUMNS)})"
    )
    bulk.add_argument("assignment")
    bulk.add_argument("csv", type=Path, metavar="CSV")
    options.add_output(bulk)
    _add_grader(bulk)
    bulk.set_defaults(command=_import)


def _command(commands: argparse._SubParsersAction, name: str, words: str, run: Change) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=words)
    parser.add_argument("assignment")
    parser.add_argument("--student", required=True, metavar="S")
    options.add_output(parser)
    _add_grader(parser)
    parser.set_defaults(command=lambda args: _changed(args, run))
    return parser


def _add_grader(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--grader", default=getpass.getuser(), help="who is grading (default: your user name)")


def _marking(args: argparse.Namespace) -> Marking:
    assignment = assignments.load(assignments.course_root(args.course), args.assignment)
    gradebook, output = options.existing_gradebook(args, assignment.id)
    return Marking(assignment, gradebook, output)


def _changed(args: argparse.Namespace, run: Change) -> int:
    marking = _marking(args)
    try:
        adjustment = run(marking, args)
    finally:
        marking.gradebook.close()
    what = "removed" if adjustment.value is None else ", ".join(f"{k}={v}" for k, v in adjustment.value.items() if v)
    target = f"{adjustment.student} {adjustment.question}".strip()
    console.print(f"{adjustment.kind} of {escape(target)} recorded (#{adjustment.id}): {escape(what)}", highlight=False)
    return 0


def _score(marking: Marking, args: argparse.Namespace) -> Adjustment:
    items = _numbers(args.rubric) if args.rubric is not None else None
    return marking.score(args.student, args.question, args.grader, args.points, items, args.comment)


def _override(marking: Marking, args: argparse.Namespace) -> Adjustment:
    points = None if args.remove else args.points
    return marking.override(args.student, args.question, points, args.reason, args.grader)


def _extend(marking: Marking, args: argparse.Namespace) -> Adjustment:
    return marking.extend(args.student, args.grader, args.days, args.deadline, args.reason)


def _import(args: argparse.Namespace) -> int:
    if not args.csv.is_file():
        raise UsageError(f"no such file: {args.csv}")
    marking = _marking(args)
    try:
        count = marking.import_scores(args.csv.read_text(encoding="utf-8-sig"), args.grader)
    finally:
        marking.gradebook.close()
    console.print(f"{count} score(s) recorded from {escape(str(args.csv))}", highlight=False)
    return 0


def _numbers(text: str) -> list[int]:
    try:
        return [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise UsageError(f"--rubric takes item numbers such as 1,3, not {text!r}") from None
