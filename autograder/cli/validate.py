"""``autograder validate ASSIGNMENT``: static checks, then the solution, the template and every mutant graded for real.

``--static`` stops after the static checks (``authoring.static``: in this process, in
seconds). Exit status 1 if a static check finds an error, or unless every variant grades
as it promises (see ``authoring.validate``).
"""

from __future__ import annotations

import argparse
import time

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from autograder.authoring import static, validate
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
    parser.add_argument(
        "--static", action="store_true", help="only the static checks: in this process, no sandbox, in seconds"
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
    started = time.monotonic()
    findings = static.check(assignment)
    for finding in findings:
        style = {static.ERROR: "bold red", static.WARNING: "yellow"}.get(finding.severity, "blue")
        words = escape(finding.line()[len(finding.severity) :])
        console.print(f"[{style}]{finding.severity}[/]{words}", highlight=False)
    errors = sum(finding.severity == static.ERROR for finding in findings)
    warnings = sum(finding.severity == static.WARNING for finding in findings)
    console.print(
        f"static checks of {assignment.id}: {errors} error(s), {warnings} warning(s) "
        f"({time.monotonic() - started:.1f} s)",
        style="bold red" if errors else "green",
    )
    if errors or args.static:
        return 1 if errors else 0
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
