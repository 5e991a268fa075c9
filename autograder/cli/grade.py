"""``autograder grade ASSIGNMENT SUBMISSION... [--output DIR] [--workers N]``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from autograder.authoring import assignment as assignments
from autograder.execution.sandbox import Limits
from autograder.grading import batch, reports
from autograder.grading.results import SubmissionResult
from autograder.grading.seeds import course_secret

console = Console(stderr=True)


def register(commands: argparse._SubParsersAction) -> None:
    grade = commands.add_parser("grade", help="grade submissions of one assignment")
    grade.add_argument("assignment")
    grade.add_argument(
        "submissions",
        nargs="+",
        type=Path,
        metavar="SUBMISSION",
        help=".ipynb files or directories of them; the student id is the file stem",
    )
    grade.add_argument("--output", type=Path, default=Path("grades"), help="output directory (default: grades/)")
    grade.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="submissions graded in parallel (default: number of cores)",
    )
    grade.add_argument("--cell-timeout", type=float, default=Limits.cell_timeout, help="seconds per student cell")
    grade.add_argument("--memory", type=float, default=Limits.memory_bytes / 1024**3, help="GiB per kernel")
    grade.add_argument(
        "--no-sandbox",
        dest="sandbox",
        action="store_false",
        help="run student code without bubblewrap (only for code you trust, e.g. your own)",
    )
    grade.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    course = assignments.course_root(args.course)
    assignment = assignments.load(course, args.assignment)
    submissions = batch.collect(args.submissions)
    if not submissions:
        raise ValueError("no .ipynb files among the submissions given")
    limits = Limits(
        cell_timeout=args.cell_timeout,
        memory_bytes=int(args.memory * 1024**3),
        threads=max(1, (os.cpu_count() or 1) // max(1, args.workers)),
        sandbox=args.sandbox,
    )
    output = args.output / assignment.id
    results: list[SubmissionResult] = []
    workers = max(1, min(args.workers, len(submissions)))
    console.print(
        f"grading {len(submissions)} submission(s) of [bold]{assignment.id}[/] with {workers} worker(s) -> {output}"
    )

    def record(result: SubmissionResult) -> None:
        results.append(result)
        reports.write_submission(result, output / result.student)
        reports.write_gradebook(assignment, results, output / "gradebook.csv")
        progress.advance(task)

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("grading", total=len(submissions))
        batch.grade_all(course, assignment.id, submissions, course_secret(course), limits, workers, record)
    _print_summary(assignment, results)
    return 1 if any(result.fault for result in results) else 0


def _print_summary(assignment: assignments.Assignment, results: list[SubmissionResult]) -> None:
    modes = sorted({result.sandbox for result in results if result.sandbox})
    for mode in modes:
        style = "bold red" if mode.startswith("degraded") else "green"
        console.print(f"[{style}]sandbox: {mode}[/]")
    table = Table(title=f"{assignment.id}: {assignment.title}")
    table.add_column("student")
    table.add_column("score", justify="right")
    for question in assignment.questions:
        table.add_column(question.id, justify="right")
    table.add_column("first problem")
    for result in sorted(results, key=lambda r: r.student):
        earned = {q.id: q.score for q in result.questions}
        problem = result.fault or next((f"{q.id}: {q.summary}" for q in result.questions if q.score < q.points), "")
        table.add_row(
            result.student,
            f"{result.score:g}/{result.max_score:g}",
            *(f"{earned.get(q.id, 0):g}" for q in assignment.questions),
            problem[:90],
        )
    Console().print(table)
    faults = [result for result in results if result.fault]
    for result in faults:
        console.print(f"[bold red]grader fault[/] on {result.student}: {result.fault}")
