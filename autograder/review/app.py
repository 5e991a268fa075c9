"""The TA review app: grade written answers, override scores and grant extensions, in a browser.

Server-side pages (Flask and Jinja2), one small script of our own for the keyboard, no
build step. Every change goes through ``grading.marking`` (the same service as the CLI),
so it lands in the gradebook's ledger and in every export at once. Pages:

- ``/``: the class, with what is left to grade per question;
- ``/grade/<question>?student=S``: one answer at a time, the rubric under the keys 1-9;
- ``/student/<student>``: one student's whole result, overrides, extension and history.

Saving says which version of the grade it was made against (``seen``); when another TA
saved first, nothing is overwritten and the page says who did.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

import nbformat
from flask import Flask, flash, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

from autograder.checks.results import ManualResult, SubmissionResult
from autograder.course import answers
from autograder.course.assignment import ManualQuestion
from autograder.errors import UsageError
from autograder.feedback import render
from autograder.grading import standing
from autograder.grading.adjustments import EXTENSION, OVERRIDE, SCORE
from autograder.grading.marking import Marking
from autograder.review import content, security

GRADER_COOKIE = "autograder_grader"


def create_app(marking: Marking, token: str, hosts: set[str], grader: str = "") -> Flask:
    """The app for one assignment's gradebook; ``hosts``: the Host values it answers to (its own address)."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY=secrets.token_hex(32), SESSION_COOKIE_SAMESITE="Strict", WTF_CSRF_TIME_LIMIT=None)
    security.protect(app, token, hosts)
    CSRFProtect(app)
    assignment = marking.assignment

    def who() -> str:
        return request.cookies.get(GRADER_COOKIE) or grader

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"assignment": assignment, "grader": who(), "render": render}

    @app.get("/")
    def index() -> str:
        rows = standing.rows(assignment, marking.gradebook)
        progress = [
            (question, sum(1 for _, result in rows if _manual(result, question.id).graded))
            for question in assignment.manual
        ]
        return render_template("index.html.j2", rows=rows, progress=progress)

    @app.get("/grade/<question_id>")
    def grade(question_id: str) -> str:
        question = _manual_question(question_id)
        rows = standing.rows(assignment, marking.gradebook)
        if not rows:
            return render_template("empty.html.j2")
        ids = [identity["student"] for identity, _ in rows]
        waiting = [identity["student"] for identity, result in rows if not _manual(result, question_id).graded]
        student = request.args.get("student") or (waiting[0] if waiting else ids[0])
        if student not in ids:
            raise UsageError(f"no graded submission from {student!r}")
        position = ids.index(student)
        identity, result = rows[position]
        answer = _manual(result, question_id)
        newest = marking.ledger.newest(assignment.id, student, SCORE, question_id)
        labels = set(answer.items)
        later = [name for name in ids[position + 1 :] + ids[:position] if name in waiting]
        cells, blank = _answer_cells(identity["content_hash"], question_id)
        return render_template(
            "grade.html.j2",
            question=question,
            prompt=content.markdown(question.prompt),
            student=identity,
            answer=answer,
            cells=cells,
            blank=blank,
            applied=[item.label in labels for item in question.rubric.items],
            seen=newest.id if newest else 0,
            previous=ids[position - 1] if position else None,
            next=ids[position + 1] if position + 1 < len(ids) else None,
            next_waiting=later[0] if later else None,
            position=position + 1,
            total=len(ids),
            waiting=len(waiting),
        )

    @app.post("/grade/<question_id>")
    def save_grade(question_id: str) -> Response:
        question = _manual_question(question_id)
        form = request.form
        student = form["student"]

        def change() -> None:
            items = [int(_number(number, "a rubric item")) for number in form.getlist("item")]
            rubric = question.rubric.items
            points = None if rubric else _number(form.get("points", ""), "points")
            marking.score(
                student, question_id, who(), points, items if rubric else None, form.get("comment", ""), _seen(form)
            )

        done = _attempt(change)
        target = form.get("then") if done and form.get("then") else student
        return redirect(url_for("grade", question_id=question_id, student=target), 303)

    @app.get("/student/<student>")
    def student_page(student: str) -> str:
        row = standing.of(assignment, marking.gradebook, student)
        if row is None:
            raise UsageError(f"no graded submission from {student!r}")
        identity, result = row
        ledger = marking.ledger
        held = ledger.current(assignment.id, student).get(student)
        seen = {
            (kind, question): (newest.id if newest else 0)
            for kind, question in [(OVERRIDE, q.id) for q in assignment.questions] + [(EXTENSION, "")]
            for newest in [ledger.newest(assignment.id, student, kind, question)]
        }
        return render_template(
            "student.html.j2",
            student=identity,
            result=result,
            history=ledger.history(assignment.id, student),
            seen=seen,
            deadline=standing.deadline_of(assignment.late, held.extension if held else None).deadline,
        )

    @app.post("/student/<student>/override")
    def override(student: str) -> Response:
        form = request.form

        def change() -> None:
            points = None if form.get("remove") else _number(form.get("points", ""), "points")
            marking.override(student, form["question"], points, form.get("reason", ""), who(), _seen(form))

        _attempt(change)
        return redirect(url_for("student_page", student=student), 303)

    @app.post("/student/<student>/extend")
    def extend(student: str) -> Response:
        form = request.form

        def change() -> None:
            days = _number(form["days"], "days") if form.get("days") else None
            deadline = _moment(form["deadline"]) if form.get("deadline") else None
            marking.extend(student, who(), days, deadline, form.get("reason", ""), _seen(form))

        _attempt(change)
        return redirect(url_for("student_page", student=student), 303)

    @app.post("/grader")
    def set_grader() -> Response:
        name = request.form.get("name", "").strip()[:100]
        back = request.form.get("back", "")
        same_site = back.startswith("/") and not back.startswith("//") and "\\" not in back
        response = redirect(back if same_site else url_for("index"), 303)
        if name:
            response.set_cookie(GRADER_COOKIE, name, httponly=True, samesite="Strict")
        return response

    @app.errorhandler(UsageError)
    def _usage(error: UsageError) -> tuple[str, int]:
        return render_template("error.html.j2", message=str(error)), 400

    def _manual_question(question_id: str) -> ManualQuestion:
        found = next((question for question in assignment.manual if question.id == question_id), None)
        if found is None:
            raise UsageError(f"{question_id!r} is not a question a TA grades in {assignment.id}")
        return found

    def _answer_cells(content_hash: str, question_id: str) -> tuple[list[content.ShownCell] | None, bool]:
        """The answer's cells as safe HTML (None: no notebook kept), and whether the student wrote nothing."""
        stored = marking.gradebook.notebook(content_hash)
        if stored is None:
            return None, True
        try:
            notebook = nbformat.reads(stored.decode("utf-8"), as_version=4)
        except Exception:  # not a notebook: its automatic result already says why
            return None, True
        found = answers.locate(notebook, assignment, question_id)
        return [content.cell(cell) for cell in found], answers.is_blank(found)

    return app


def _attempt(change: Callable[[], object]) -> bool:
    """Make the change; a refusal (bad input, another TA saved first) is shown on the next page. True when saved."""
    try:
        change()
    except UsageError as error:
        flash(str(error), "error")
        return False
    flash("saved", "saved")
    return True


def _manual(result: SubmissionResult, question_id: str) -> ManualResult:
    return next(answer for answer in result.manual if answer.id == question_id)


def _seen(form: Any) -> int | None:
    value = form.get("seen", "")
    return int(value) if value.isdigit() else None


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"a deadline is a date and time with a UTC offset, 2026-12-08T23:59:00+01:00, not {text!r}"
        ) from None


def _number(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"{name} must be a number, not {text!r}") from None
