"""``autograder validate ASSIGNMENT``: grade the solution, the template and every mutant for real.

Exit status 1 unless every variant grades as it promises (see ``authoring.validate``).
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from autograder.authoring import validate
from autograder.cli import options
from autograder.course import assignment as assignments
from autograder.errors import UsageError
from autograder.grading.config import default_workers
from autograder.grading.seeds import course_secret

console = Console(stderr=True)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("validate", help="prove an assignment sound: solution, template and mutants")
    parser.add_argument("assignment")
    parser.add_argument(
        "--variant", action="append", metavar="NAME", help="validate only this variant (repeatable; default: all)"
    )
    options.add_workers(parser)
    options.add_limits(parser)
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    course = assignments.course_root(args.course)
    assignment = assignments.load(course, args.assignment)
    known = {variant.name for variant in validate.all_variants(assignment)}
    unknown = set(args.variant or ()) - known
    if unknown:
        raise UsageError(
            f"no variant {', '.join(sorted(unknown))} in {assignment.id} (known: {', '.join(sorted(known))})"
        )
    count = len(args.variant) if args.variant else len(known)
    workers = max(1, args.workers) if args.workers else default_workers(count)
    limits = options.limits(args, workers)
    console.print(f"validating [bold]{assignment.id}[/]: grading {count} variant(s) with {workers} worker(s)")
    outcomes = validate.validate(
        course,
        assignment,
        course_secret(course),
        limits,
        workers,
        only=tuple(args.variant) if args.variant else None,
        on_outcome=lambda outcome: console.print(f"  graded {outcome.variant.name}", highlight=False),
    )
    table = Table(title=f"validate {assignment.id} ({assignment.title}, version {assignment.version})")
    for column in ("variant", "expected", "got", "diagnosis", ""):
        table.add_column(column, overflow="fold")
    for outcome in outcomes:
        table.add_row(
            outcome.variant.name,
            outcome.expected(),
            outcome.got(),
            outcome.diagnosis()[:100],
            "[green]ok[/]" if outcome.ok else "[bold red]FAIL[/]",
        )
    Console(width=max(Console().width, 160)).print(table)
    options.print_sandboxes(console, [outcome.result for outcome in outcomes])
    failed = [outcome for outcome in outcomes if not outcome.ok]
    for outcome in failed:
        for problem in outcome.problems:
            console.print(f"[bold red]FAIL[/] {outcome.variant.name}: {problem}", highlight=False)
    if failed:
        broke = f"{len(failed)} of {len(outcomes)} variant(s) broke their promise"
        console.print(f"[bold red]{assignment.id} is not sound: {broke}[/]")
        return 1
    console.print(f"[green]{assignment.id}: all {len(outcomes)} variant(s) graded as promised[/]")
    return 0
