"""Write results where people read them: a registry of exports, per student and per course.

Each export is a file name and a function from results to the file's content; adding a
format is one function and one line in ``SUBMISSION_EXPORTS`` or ``COURSE_EXPORTS``.
Every file is written atomically, and all words come from ``render``. No hidden input or
reference code appears in anything written here.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import os
import re
import statistics
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jinja2

from autograder import text
from autograder.checks.results import SubmissionResult
from autograder.course.assignment import Assignment
from autograder.feedback import figures, html, render
from autograder.similarity.model import Report

Row = tuple[dict, SubmissionResult]  # a gradebook row: the student's identity (id, name) and their result
SHOWN_PAIRS = 50  # flagged pairs shown side by side in summary.html (all are in similarity.csv)


@dataclass(frozen=True)
class CourseView:
    """What the course-wide exports are made from: every stored grade, and the batch's similarity report."""

    rows: list[Row]
    similarity: Report


@dataclass(frozen=True)
class SubmissionExport:
    """A file in each student's folder."""

    name: str
    content: Callable[[Assignment, SubmissionResult], str]


@dataclass(frozen=True)
class CourseExport:
    """A file for the whole assignment, rebuilt from every stored grade."""

    name: str
    content: Callable[[Assignment, CourseView], str]


def write_submission(assignment: Assignment, result: SubmissionResult, directory: Path) -> None:
    for export in SUBMISSION_EXPORTS:
        write_atomically(directory / export.name, export.content(assignment, result))


def write_course(assignment: Assignment, view: CourseView, directory: Path) -> None:
    for export in COURSE_EXPORTS:
        write_atomically(directory / export.name, export.content(assignment, view))


def gradescope(result: SubmissionResult) -> dict:
    """Gradescope's results.json: one test per question, named by its id first."""
    tests = [
        {
            "name": f"{question.id} {question.function}",
            "score": question.earned,
            "max_score": question.points,
            "status": "passed" if question.earned == question.points else "failed",
            "output": "\n".join(
                filter(
                    None, [render.override_line(question), render.headline(question), *render.question_lines(question)]
                )
            ),
            "visibility": "visible",
        }
        for question in result.questions
    ]
    for manual in result.manual:  # while it awaits grading, no score: Gradescope counts it neither for nor against
        test = {"name": f"{manual.id} (graded by a TA)", "output": "\n".join(render.manual_text(manual))}
        if manual.graded:
            test |= {"score": manual.score, "max_score": manual.points}
        tests.append(test | {"visibility": "visible"})
    output = "\n".join([*result.notes, *result.notebook_problems])
    if result.fault:
        output = f"Grader fault (not your mistake; your TA has been told): {result.fault}\n{output}"
    return {
        "score": result.final_score,
        "output": output.strip(),
        "tests": tests,
        "extra_data": {
            "sandbox": result.sandbox,
            "seconds": result.seconds,
            "cached": result.cached,
            "score_before_penalty": result.score,
        },
    }


def feedback_html(assignment: Assignment, result: SubmissionResult) -> str:
    return _templates().get_template("feedback.html.j2").render(title=assignment.title, result=result)


def gradebook_csv(assignment: Assignment, view: CourseView) -> str:
    """One row per student: final score, raw score, penalty, points per question, and what a TA still has to do.

    A question a TA grades has its column too, blank while it awaits grading (its points
    are in max_score, not yet in the score: ``awaiting`` lists them). A question whose
    score a TA overrode holds the override (``overridden`` lists them).
    """
    question_ids = [question.id for question in assignment.questions]
    manual_ids = [question.id for question in assignment.manual]
    columns = ["student", "name", "score", "max_score", "score_before_penalty", "penalty", "fault"]
    table = [[*columns, *question_ids, *manual_ids, "awaiting", "overridden"]]
    for student, result in view.rows:
        earned = {question.id: question.earned for question in result.questions}
        manual = {answer.id: answer.score for answer in result.manual}
        table.append(
            [
                student["student"],
                student["name"],
                render.number(result.final_score),
                render.number(result.max_score),
                render.number(result.score),
                render.number(result.penalty),
                result.fault,
                *(render.number(earned.get(qid, 0.0)) for qid in question_ids),
                *("" if manual.get(qid) is None else render.number(manual[qid]) for qid in manual_ids),
                " ".join(result.awaiting),
                " ".join(question.id for question in result.questions if question.override),
            ]
        )
    return _csv(table)


def canvas_csv(assignment: Assignment, view: CourseView) -> str:
    """Canvas's gradebook import: its identity columns, a Points Possible row, one assignment column.

    Results with a grader fault are left blank rather than imported as a wrong score.
    """
    table = [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment.lms_column],
        ["Points Possible", "", "", "", "", render.number(assignment.max_score)],
    ]
    for student, result in view.rows:
        score = "" if result.fault else render.number(result.final_score)
        table.append([student["name"] or student["student"], student["student"], "", "", "", score])
    return _csv(table)


def similarity_csv(assignment: Assignment, view: CourseView) -> str:
    """One row per item of evidence, most similar pairs first: who, where, what kind, how much, and why."""
    table = [["student_a", "student_b", "where", "kind", "score", "flagged", "pair_score", "evidence"]]
    for pair in view.similarity.pairs:
        for item in pair.evidence:
            flagged = "yes" if item.flagged else ""
            table.append(
                [pair.a, pair.b, item.where, item.kind, f"{item.score:.3f}", flagged, f"{pair.score:.3f}", item.words]
            )
    return _csv(table)


def summary_html(assignment: Assignment, view: CourseView) -> str:
    """The course overview: distributions, frequent diagnoses, faults, timing and similar submissions."""
    results = [result for _, result in view.rows]
    finals = [result.final_score for result in results]
    executed = [result for result in results if not result.cached] or results
    seconds = [result.seconds for result in executed]
    questions = []
    for question in assignment.questions:  # by id: a result may lack a question, or hold them in another order
        answers = [answer for result in results for answer in result.questions if answer.id == question.id]
        scores = [answer.score for answer in answers]
        diagnoses = Counter(text for answer in answers for text in answer.diagnoses)
        questions.append(
            {
                "id": question.id,
                "function": question.function,
                "points": question.points,
                "full": sum(score == question.points for score in scores),
                "plot": figures.histogram(scores, question.points, f"{question.id} score"),
                "diagnoses": diagnoses.most_common(5),
            }
        )
    manual = []
    for question in assignment.manual:
        answers = [answer for result in results for answer in result.manual if answer.id == question.id]
        graders = Counter(answer.grader or "(unnamed)" for answer in answers if answer.graded)
        graded = sum(graders.values())
        awaiting = len(answers) - graded
        manual.append(
            {"id": question.id, "points": question.points, "graded": graded, "awaiting": awaiting}
            | {"graders": graders.most_common()}
        )
    overrides = [question for result in results for question in result.questions if question.override]
    slowest = max(executed, key=lambda result: result.seconds, default=None)
    return (
        _templates()
        .get_template("summary.html.j2")
        .render(
            assignment=assignment,
            results=sorted(results, key=lambda result: result.student),
            mean=statistics.fmean(finals) if finals else 0.0,
            median=statistics.median(finals) if finals else 0.0,
            faults=[result for result in results if result.fault],
            late=sum(1 for result in results if result.penalty),
            cached=sum(1 for result in results if result.cached),
            total_plot=figures.histogram(finals, assignment.max_score, "total score"),
            questions=questions,
            manual=manual,
            awaiting=sum(1 for result in results if result.awaiting),
            overridden=len(overrides),
            outdated=sum(question.override_outdated for question in overrides),
            seconds={
                "mean": statistics.fmean(seconds) if seconds else 0.0,
                "median": statistics.median(seconds) if seconds else 0.0,
                "max": slowest.seconds if slowest else 0.0,
                "slowest": slowest.student if slowest else "",
            },
            time_plot=figures.histogram(seconds, None, "seconds per submission"),
            similarity=view.similarity,
            shown_pairs=view.similarity.flagged[:SHOWN_PAIRS],
        )
    )


SUBMISSION_EXPORTS = (
    SubmissionExport("results.json", lambda assignment, result: json.dumps(gradescope(result), indent=2)),
    SubmissionExport("feedback.html", feedback_html),
)
COURSE_EXPORTS = (
    CourseExport("gradebook.csv", gradebook_csv),
    CourseExport("canvas.csv", canvas_csv),
    CourseExport("summary.html", summary_html),
    CourseExport("similarity.csv", similarity_csv),
)

_PLAIN_ID = re.compile(r"[a-z0-9][a-z0-9_@-]{0,63}")


def student_folder(student: str) -> str:
    """A student's output folder name: one path component, never shared, never an export's name.

    A plain id (lowercase letters, digits, ``_@-``, as LMS user ids are) is its own folder.
    Any other id becomes a readable part plus ``~`` and a hash of the whole id. So the map
    is injective (plain names have no ``~``; two different ids share a hashed name only by
    a SHA-256 collision), survives case-insensitive file systems, and never yields a
    name with a dot: every export (``gradebook.csv``, ``summary.html``, ``gradebook.sqlite``
    and its journals) has one.
    """
    if _PLAIN_ID.fullmatch(student):
        return student
    readable = re.sub(r"[^a-z0-9_@-]+", "_", student.lower()).strip("_")[:40]
    return f"{readable}~{hashlib.sha256(student.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write via a temporary file, fsync and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.fchmod(descriptor, 0o644)  # mkstemp's 0600 would hide feedback from a web server or a TA group
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


@functools.cache
def _templates() -> jinja2.Environment:
    return html.environment(first_problem=lambda result: result.first_problem, folder=student_folder)


def _csv(rows: list[list[str]]) -> str:
    """CSV text in which no cell is a formula (``text.csv_cell``); numbers are written by us, as numbers."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([[text.csv_cell(cell) for cell in row] for row in rows])
    return buffer.getvalue()
