"""Write grading results where people read them: gradebook CSV, Gradescope JSON, feedback.

The feedback renders every check the same way: public checks show their example's
name, hidden checks say only that they were hidden, their diagnosis and numbers. No
hidden input or reference code appears in anything written here.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from autograder.authoring.assignment import Assignment
from autograder.grading.results import CheckResult, QuestionResult, SubmissionResult


def write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.replace(temporary, path)


def write_submission(result: SubmissionResult, directory: Path) -> None:
    """``results.json`` (Gradescope format) and ``feedback.md`` for one student."""
    write_atomically(directory / "results.json", json.dumps(gradescope(result), indent=2))
    write_atomically(directory / "feedback.md", feedback_markdown(result))


def write_gradebook(assignment: Assignment, results: Iterable[SubmissionResult], path: Path) -> None:
    """``student,score,max_score,q1,q2,...``: one row per submission, points earned."""
    question_ids = [question.id for question in assignment.questions]
    rows = [["student", "score", "max_score", *question_ids]]
    for result in sorted(results, key=lambda r: r.student):
        earned = {question.id: question.score for question in result.questions}
        rows.append(
            [
                result.student,
                _number(result.score),
                _number(result.max_score),
                *(_number(earned.get(qid, 0.0)) for qid in question_ids),
            ]
        )
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    write_atomically(path, buffer.getvalue())


def gradescope(result: SubmissionResult) -> dict:
    """Gradescope's results.json: one test per question, named by its id first."""
    tests = [
        {
            "name": f"{question.id} {question.function}",
            "score": question.score,
            "max_score": question.points,
            "status": "passed" if question.score == question.points else "failed",
            "output": "\n".join(_check_line(check) for check in question.checks),
            "visibility": "visible",
        }
        for question in result.questions
    ]
    output = "\n".join(result.notebook_problems)
    if result.fault:
        output = f"Grader fault (not your mistake; your TA has been told): {result.fault}\n{output}"
    return {
        "score": result.score,
        "output": output.strip(),
        "tests": tests,
        "extra_data": {"sandbox": result.sandbox, "seconds": result.seconds},
    }


def feedback_markdown(result: SubmissionResult) -> str:
    lines = [
        f"# Feedback: {result.assignment}, {result.student}",
        "",
        f"**Score: {_number(result.score)} / {_number(result.max_score)}**",
        "",
    ]
    if result.fault:
        lines += [f"> Grader fault (not your mistake): {result.fault}", ""]
    if result.notebook_problems:
        lines += ["## Your notebook", "", "Some cells did not run cleanly (the rest still ran):", ""]
        lines += [f"- {problem}" for problem in result.notebook_problems] + [""]
    for question in result.questions:
        lines += _question_section(question)
    return "\n".join(lines).rstrip() + "\n"


def _question_section(question: QuestionResult) -> list[str]:
    lines = [
        f"## {question.id} `{question.function}`: {_number(question.score)} / {_number(question.points)}",
        "",
        f"{question.summary}.",
        "",
    ]
    lines += [f"- {_check_line(check)}" for check in question.checks]
    return [*lines, ""]


def _check_line(check: CheckResult) -> str:
    label = f"hidden check ({check.case})" if check.hidden else f"example: {check.case}"
    if check.passed:
        return f"PASS {label}"
    text = f"FAIL {label}: {check.message}"
    if check.diagnosis:
        text += f" -> {check.diagnosis}"
    return text


def _number(value: float) -> str:
    return f"{value:g}"
