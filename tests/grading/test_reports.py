"""Feedback pages escape what students control, hide what is hidden, and stay self-contained."""

import csv
import io
import re

from autograder.checks.results import CheckResult, QuestionResult, SubmissionResult
from autograder.course import assignment as assignments
from autograder.feedback import exports, render
from autograder.similarity.model import Report
from tests.conftest import COURSE

TENSORS = assignments.load(COURSE, "tensors")


def view(rows: list) -> exports.CourseView:
    """Course exports' input without similar pairs."""
    return exports.CourseView(rows, Report((), len(rows)))


def result() -> SubmissionResult:
    public = CheckResult(
        "2x3 example", False, 1, False, "`f` raised ValueError: <script>alert(1)</script>", kind="error"
    )
    hidden = CheckResult("secret shape (7, 5, 3)", True, 1, False, "values differ at (6, 4)", "you forgot / 255")
    hidden_unnamed = CheckResult("secret shape (7, 5, 3)", True, 1, False, "shape (7, 5) instead of (7, 5, 3)")
    questions = [QuestionResult("q1", "image_to_batch", 2, 0.0, [public, hidden, hidden_unnamed])]
    questions += [QuestionResult(q.id, q.function, q.points, q.points, []) for q in TENSORS.questions[1:]]
    return SubmissionResult("ann<b>", "tensors", 10, questions, notes=["received 1 day late, 10% penalty"], penalty=0.1)


def test_feedback_html_escapes_student_text_and_hides_hidden_case_names() -> None:
    page = exports.feedback_html(TENSORS, result())
    assert "<script>" not in page and "&lt;script&gt;" in page and "ann&lt;b&gt;" in page
    assert "secret shape" not in page
    assert "hidden check failed" in page and page.count("you forgot / 255") == 1  # a diagnosis is said once
    assert "shape (7, 5) instead of (7, 5, 3)" in page  # no named mistake: the mismatch itself is the diagnosis
    assert "values differ at (6, 4)" not in page  # a named mistake says it better
    assert "7.2 / 10" in page and "before a 10% late penalty" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)  # self-contained: no external assets


def test_gradescope_and_canvas_exports() -> None:
    graded = result()
    scope = exports.gradescope(graded)
    assert scope["score"] == 7.2 and scope["extra_data"]["score_before_penalty"] == 8
    assert scope["tests"][0]["output"].splitlines() == [
        "you forgot / 255",  # the headline: the diagnosis, said once
        "FAIL example: 2x3 example: `f` raised ValueError: <script>alert(1)</script>",
        "FAIL hidden check failed",
        "FAIL hidden check failed: shape (7, 5) instead of (7, 5, 3)",
    ]
    canvas = exports.canvas_csv(TENSORS, view([({"student": "4821", "name": "doe jane"}, graded)]))
    rows = list(csv.reader(io.StringIO(canvas)))
    assert rows == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Tensor shapes and image tensors (tensors)"],
        ["Points Possible", "", "", "", "", "12"],  # the assignment, its written w1 included
        ["doe jane", "4821", "", "", "", "7.2"],
    ]


def test_student_folders_are_single_safe_path_components() -> None:
    assert exports.student_folder("4821") == "4821"
    assert exports.student_folder("jane_doe-2") == "jane_doe-2"
    for student in ("../../etc", "ann smith/1", "..", ".", "", "a\\b", "x\x00y"):
        folder = exports.student_folder(student)
        assert "/" not in folder and "\\" not in folder and "\x00" not in folder and folder not in ("", ".", "..")
    assert exports.student_folder("ann smith/1").startswith("ann_smith_1~")


def test_checks_not_run_for_one_reason_are_one_line() -> None:
    """Without a GPU runner a question says once that its CUDA checks did not run, not once per case."""
    ran = [CheckResult(f"case {index}", False, 1.0, True) for index in range(2)]
    skipped = [
        CheckResult(
            f"case {index}",
            index > 0,
            1.0,
            False,
            "not run: no GPU runner; not counted",
            device="cuda",
            not_run="no GPU runner",
            counted=False,
        )
        for index in range(3)
    ]
    lines = render.question_lines(QuestionResult("q1", "f", 2.0, 2.0, [*ran, *skipped]))
    assert lines == [
        "PASS example: case 0",
        "PASS example: case 1",
        "SKIP 3 checks [cuda]: not run: no GPU runner; not counted",
    ]


def test_the_summary_matches_questions_by_id(monkeypatch) -> None:
    """A result that lacks a question, or lists them in another order, is counted under the right one."""
    plotted: dict[str, list[float]] = {}
    monkeypatch.setattr(exports.figures, "histogram", lambda scores, top, label: plotted.setdefault(label, scores))
    ids = [question.id for question in TENSORS.questions]

    def answers(student: str, order: list[str]) -> SubmissionResult:
        questions = [QuestionResult(qid, "f", 2.0, 2.0 if qid == "q1" else 0.0, []) for qid in order]
        return SubmissionResult(student, "tensors", 10.0, questions)

    exports.summary_html(TENSORS, view([({}, answers("a", ids[::-1])), ({}, answers("b", ids[1:]))]))
    assert plotted["q1 score"] == [2.0]
    assert plotted["q5 score"] == [0.0, 0.0]
