"""``autograder grade ASSIGNMENT SUBMISSION...``: grade a batch, record it, export it.

Outputs under ``OUTPUT/ASSIGNMENT/``: ``gradebook.sqlite`` (unless ``--database``),
``gradebook.csv``, ``canvas.csv``, ``summary.html`` and per student ``results.json``
(Gradescope) and ``feedback.html``. Unchanged submissions are not graded again.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from autograder.checks.results import SubmissionResult
from autograder.cli import options, similarity
from autograder.course import assignment as assignments
from autograder.errors import SandboxUnavailable, UsageError
from autograder.execution.host import bwrap_problem
from autograder.grading import intake
from autograder.grading.config import WARM_KERNELS, BatchConfig, default_workers
from autograder.grading.gradebook import Gradebook, sqlite_url
from autograder.grading.seeds import course_secret
from autograder.grading.session import Session

console = Console(stderr=True, soft_wrap=True)  # log lines stay whole when piped
log = logging.getLogger("autograder.grade")


def register(commands: argparse._SubParsersAction) -> None:
    grade = commands.add_parser("grade", help="grade submissions of one assignment")
    grade.add_argument("assignment")
    grade.add_argument(
        "submissions",
        nargs="+",
        type=Path,
        metavar="SUBMISSION",
        help=".ipynb files, zips or directories of them (LMS bulk downloads included)",
    )
    options.add_output(grade)
    options.add_workers(grade, "submissions")
    cluster = grade.add_mutually_exclusive_group()
    cluster.add_argument("--scheduler", help="grade on a running Dask cluster: its address, tcp://HOST:PORT")
    cluster.add_argument(
        "--scheduler-file", dest="scheduler", metavar="FILE", help="grade on a running Dask cluster: its scheduler file"
    )
    grade.add_argument(
        "--warm-kernels",
        type=int,
        default=WARM_KERNELS,
        metavar="N",
        help="sandboxed kernels each worker keeps started ahead, each for exactly one submission; "
        f"0 starts each kernel when it is needed (default: {WARM_KERNELS})",
    )
    grade.add_argument("--force", action="store_true", help="grade again even what the gradebook already holds")
    grade.add_argument(
        "--student", action="append", default=[], metavar="ID", help="grade (again) only this student; repeatable"
    )
    options.add_limits(grade)
    grade.add_argument(
        "--max-size", type=float, default=intake.MAX_NOTEBOOK_BYTES / 1024**2, help="MB per notebook file"
    )
    grade.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    course = assignments.course_root(args.course)
    assignment = assignments.load(course, args.assignment)
    submissions = intake.collect(args.submissions, max_bytes=int(args.max_size * 1024**2))
    if args.student:
        unknown = set(args.student) - {submission.student for submission in submissions}
        if unknown:
            raise UsageError(f"no submission from student(s) {', '.join(sorted(unknown))}")
        submissions = [submission for submission in submissions if submission.student in args.student]
    if not submissions:
        raise UsageError("no submissions found (looked for .ipynb and .zip files)")
    if args.warm_kernels < 0:
        raise UsageError(f"--warm-kernels must be 0 or more, not {args.warm_kernels}")
    workers = (
        max(1, min(args.workers, len(submissions)))
        if args.workers
        else default_workers(len(submissions), args.warm_kernels)
    )
    limits = options.limits(args, workers)
    problem = bwrap_problem() if args.sandbox and args.scheduler is None else None
    if problem is not None:  # refuse now rather than report a fault for each of 300 submissions
        raise SandboxUnavailable(problem)
    output = args.output / assignment.id
    output.mkdir(parents=True, exist_ok=True)
    gradebook = Gradebook(args.database or sqlite_url(output / "gradebook.sqlite"))
    where = args.scheduler or f"{workers} local worker(s)"
    console.print(f"grading {len(submissions)} submission(s) of [bold]{assignment.id}[/] on {where} -> {output}")
    reporter = _Reporter(len(submissions))
    secret = course_secret(course)
    config = BatchConfig(course, assignment.id, secret, limits, workers, args.scheduler, args.warm_kernels)
    session = Session(config, assignment, gradebook, output, reporter.advance)
    try:
        with reporter:
            results = session.grade(submissions, force=args.force or bool(args.student))
    finally:
        report = session.export()
        gradebook.close()
    _print_summary(assignment, results, output)
    similarity.print_report(report, output)
    return 1 if any(result.fault for result in results) else 0


class _Reporter:
    """A rich progress bar on a terminal; plain log lines (done/total, failures, ETA) otherwise."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.faults, self.cached = total, 0, 0, 0
        self.started = time.monotonic()
        self.progress = (
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            if console.is_terminal
            else None
        )

    def __enter__(self) -> _Reporter:
        if self.progress is not None:
            self.progress.start()
            self.task = self.progress.add_task("grading", total=self.total, status="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def advance(self, result: SubmissionResult) -> None:
        self.done += 1
        self.faults += bool(result.fault)
        self.cached += result.cached
        status = f"{self.faults} fault(s), {self.cached} cached"
        if self.progress is not None:
            self.progress.update(self.task, advance=1, status=status)
            return
        elapsed = time.monotonic() - self.started
        eta = elapsed / self.done * (self.total - self.done)
        console.print(
            f"[{self.done}/{self.total}] {escape(result.student)}: {result.final_score:g}/{result.max_score:g}"
            f"{' (cached)' if result.cached else ''}{' FAULT' if result.fault else ''}; {status}; eta {eta:.0f} s",
            highlight=False,
        )


def _print_summary(assignment: assignments.Assignment, results: list[SubmissionResult], output: Path) -> None:
    options.print_sandboxes(console, [result for result in results if not result.cached])
    table = Table(title=f"{assignment.id}: {assignment.title}")
    table.add_column("student")
    table.add_column("score", justify="right")
    for question in (*assignment.questions, *assignment.manual):
        table.add_column(question.id, justify="right")
    table.add_column("first problem")
    for result in sorted(results, key=lambda r: r.student):
        earned = {q.id: q.earned for q in result.questions}
        manual = {answer.id: answer.score for answer in result.manual}
        table.add_row(  # cells are rich markup: the student's words are escaped
            escape(result.student) + (" (cached)" if result.cached else ""),
            f"{result.final_score:g}/{result.max_score:g}",
            *(f"{earned.get(q.id, 0):g}" for q in assignment.questions),
            *("-" if manual.get(q.id) is None else f"{manual[q.id]:g}" for q in assignment.manual),
            escape(result.first_problem[:90]),
        )
    Console().print(table)
    awaiting = sum(1 for result in results if result.awaiting)
    if awaiting:
        console.print(
            f"{awaiting} submission(s) have answers awaiting a TA (-), not counted in their score yet: "
            f"autograder review {assignment.id}, or autograder import-scores {assignment.id} CSV"
        )
    cached = sum(result.cached for result in results)
    console.print(
        f"{len(results)} graded ({cached} reused unchanged from the gradebook); "
        f"summary: {output / 'summary.html'}, Canvas import: {output / 'canvas.csv'}"
    )
    for result in results:
        if result.fault:
            console.print(f"[bold red]grader fault[/] on {escape(result.student)}: {escape(result.fault)}")
