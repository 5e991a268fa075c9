"""``autograder similarity ASSIGNMENT``: the similarity report of what the gradebook holds, on demand.

``autograder grade`` writes the same report after every batch; this command rewrites it
(with the course-wide exports it belongs to) from the gradebook alone, say after a
course changed its ``similarity:`` thresholds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from autograder.cli import options
from autograder.course import assignment as assignments
from autograder.grading.session import export_course
from autograder.similarity.model import Report

console = Console(stderr=True, soft_wrap=True)
LISTED = 20  # flagged pairs printed; all are in similarity.csv


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("similarity", help="rank pairs of submissions that look alike, with the evidence")
    parser.add_argument("assignment")
    options.add_output(parser)
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    assignment = assignments.load(assignments.course_root(args.course), args.assignment)
    gradebook, output = options.existing_gradebook(args, assignment.id)
    try:
        report = export_course(assignment, gradebook, output)
    finally:
        gradebook.close()
    print_report(report, output)
    return 0


def print_report(report: Report, output: Path) -> None:
    """The flagged pairs, one line each, and where the evidence is."""
    flagged = report.flagged
    console.print(
        f"similarity: {len(flagged)} pair(s) of {report.students} submissions look alike "
        f"({report.seconds:.1f} s): {output / 'summary.html'}#similarity, {output / 'similarity.csv'}",
        highlight=False,
    )
    for pair in flagged[:LISTED]:
        kinds = ", ".join(sorted({item.kind for item in pair.evidence if item.flagged}))
        console.print(f"  {escape(pair.a)} ~ {escape(pair.b)}: {pair.score:.2f} ({kinds})", highlight=False)
    if len(flagged) > LISTED:
        console.print(f"  ... and {len(flagged) - LISTED} more in similarity.csv", highlight=False)
