"""``autograder similarity`` rebuilds the report from the gradebook alone, where ``grade`` left it."""

import csv
from pathlib import Path

import nbformat

from autograder import cli
from autograder.checks.results import QuestionResult, SubmissionResult
from autograder.grading.gradebook import Gradebook, sqlite_url
from autograder.grading.intake import Submission
from tests.similarity.test_similarity import TENSORS, batch


def test_the_report_is_rebuilt_from_the_gradebook_alone(tmp_path: Path) -> None:
    output = tmp_path / "grades" / "tensors"
    gradebook = Gradebook(sqlite_url(output / "gradebook.sqlite"))
    gradebook.register(TENSORS)
    for entry in batch():
        submission = Submission(entry.student, f"{entry.student}.ipynb", nbformat.writes(entry.notebook).encode())
        questions = [QuestionResult(q.id, q.function, q.points, q.points, []) for q in TENSORS.questions]
        result = SubmissionResult(entry.student, "tensors", TENSORS.max_score, questions)
        gradebook.record(submission, result, f"key-{entry.student}", 0, result)
    gradebook.close()
    assert cli.main(["similarity", "tensors", "--output", str(tmp_path / "grades")]) == 0
    with (output / "similarity.csv").open() as handle:
        flagged = {(row["student_a"], row["student_b"]) for row in csv.DictReader(handle) if row["flagged"]}
    assert flagged == {("ann", "eve"), ("ben", "fay")}
    page = (output / "summary.html").read_text()
    assert 'id="similarity"' in page and "ann and eve" in page and "ben and fay" in page
    assert (output / "gradebook.csv").read_text().count("\n") == 10  # the other course exports came with it


def test_without_a_gradebook_it_says_what_to_do(tmp_path: Path, capsys) -> None:
    assert cli.main(["similarity", "tensors", "--output", str(tmp_path)]) == 2
    assert "grade the assignment first" in capsys.readouterr().err
