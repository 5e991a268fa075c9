"""Manual scores, overrides and extensions: kept as a ledger, laid over every regrade, in every export."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from autograder.errors import Conflict, UsageError
from autograder.grading import standing
from autograder.grading.adjustments import OVERRIDE, SCORE, Ledger
from autograder.grading.marking import Marking
from tests.conftest import needs_bwrap
from tests.review import course as review_course
from tests.review.conftest import Graded

pytestmark = needs_bwrap


def gradebook_rows(graded: Graded) -> dict[str, dict[str, str]]:
    text = (graded.output / "gradebook.csv").read_text()
    return {row["student"]: row for row in csv.DictReader(io.StringIO(text))}


def results_json(graded: Graded, student: str) -> dict:
    return json.loads((graded.output / student / "results.json").read_text())


def test_a_written_answer_awaits_a_ta_until_graded_and_never_scores_itself(graded: Graded) -> None:
    rows = gradebook_rows(graded)
    assert {student: (row["w1"], row["awaiting"]) for student, row in rows.items()} == {
        student: ("", "w1") for student in review_course.SUBMISSIONS
    }
    assert rows["good"]["score"] == "2" and rows["good"]["max_score"] == "4"  # q1's 2 of 4: w1 not counted yet
    (w1,) = [test for test in results_json(graded, "good")["tests"] if test["name"].startswith("w1")]
    assert "score" not in w1 and "awaiting grading" in w1["output"]
    assert "6 student(s) still have answers awaiting a TA" in (graded.output / "summary.html").read_text()


def test_rubric_items_score_the_answer_and_reach_every_export(graded: Graded, marking: Marking) -> None:
    marking.score("good", "w1", "ta-ana", items=[1, 2], comment="Good, clear explanation.")
    marking.score("partial", "w1", "ta-ben", items=[2, 3])
    rows = gradebook_rows(graded)
    assert (rows["good"]["w1"], rows["good"]["score"], rows["good"]["awaiting"]) == ("2", "4", "")
    assert rows["partial"]["w1"] == "0.5"  # +1 - 0.5
    (w1,) = [test for test in results_json(graded, "good")["tests"] if test["name"].startswith("w1")]
    assert (w1["score"], w1["max_score"]) == (2.0, 2.0)
    assert "+1 says an odd power keeps the sign" in w1["output"] and "Good, clear explanation." in w1["output"]
    feedback = (graded.output / "good" / "feedback.html").read_text()
    assert "+1 works the example through" in feedback and "graded by ta-ana" in feedback
    canvas = list(csv.reader(io.StringIO((graded.output / "canvas.csv").read_text())))
    assert canvas[1][-1] == "4" and dict((row[1], row[-1]) for row in canvas[2:])["good"] == "4"
    summary = (graded.output / "summary.html").read_text()
    assert "w1 (2 points, graded by TAs): 2 of 6 graded, 4 awaiting" in summary
    assert '<td>ta-ana</td><td class="num">1</td>' in summary


def test_points_outside_the_question_and_unknown_questions_are_refused(marking: Marking) -> None:
    with pytest.raises(UsageError, match="w1 is worth 0 to 2 points, not 3"):
        marking.score("good", "w1", "ta", points=3)
    with pytest.raises(UsageError, match="'q1' is not a question graded by a TA"):
        marking.score("good", "q1", "ta", points=1)
    with pytest.raises(UsageError, match="rubric item 4 does not exist"):
        marking.score("good", "w1", "ta", items=[4])
    with pytest.raises(UsageError, match="has no graded submission"):
        marking.score("nobody", "w1", "ta", points=1)
    with pytest.raises(UsageError, match="needs a reason"):
        marking.override("good", "q1", 1, " ", "ta")
    assert Ledger(marking.gradebook).history(review_course.ID) == []  # nothing half-recorded


def test_an_override_keeps_the_automatic_score_beside_it_and_can_be_removed(graded: Graded, marking: Marking) -> None:
    marking.override("empty", "q1", 1.5, "squares are right for x = -1; partial credit agreed in class", "ta-ana")
    rows = gradebook_rows(graded)
    assert (rows["empty"]["q1"], rows["empty"]["overridden"]) == ("1.5", "q1")
    (q1,) = [test for test in results_json(graded, "empty")["tests"] if test["name"].startswith("q1")]
    assert q1["score"] == 1.5 and "score set by ta-ana: 1.5 / 2 (automatic: 0)" in q1["output"]
    assert "partial credit agreed in class" in (graded.output / "empty" / "feedback.html").read_text()
    marking.override("empty", "q1", None, "regrade request withdrawn", "ta-ben")
    assert gradebook_rows(graded)["empty"]["q1"] == "0"
    history = Ledger(marking.gradebook).history(review_course.ID, "empty")
    assert [(change.kind, change.grader, change.value) for change in history] == [
        (OVERRIDE, "ta-ana", {"points": 1.5, "automatic": 0.0}),
        (OVERRIDE, "ta-ben", None),
    ]
    assert history[1].replaces == history[0].id  # each change names the one it replaced: nothing lost


def test_an_extension_moves_the_deadline_and_the_penalty_follows(graded: Graded, marking: Marking) -> None:
    assert gradebook_rows(graded)["late"]["penalty"] == "0.2"  # two days late, 10% a day
    marking.extend("late", "ta-ana", days=1, reason="illness, note seen")
    assert gradebook_rows(graded)["late"]["penalty"] == "0.1"
    deadline = review_course.DEADLINE + timedelta(days=3)
    marking.extend("late", "ta-ana", deadline=deadline)
    row = gradebook_rows(graded)["late"]
    assert (row["penalty"], row["score"]) == ("0", row["score_before_penalty"])
    feedback = (graded.output / "late" / "feedback.html").read_text()
    assert "extension granted: your deadline is 2026-01-13 23:59" in feedback and "late penalty" not in feedback
    with pytest.raises(UsageError, match="either --days or --deadline"):
        marking.extend("late", "ta-ana")


def test_two_tas_saving_the_same_answer_never_lose_each_others_work(marking: Marking) -> None:
    ledger = Ledger(marking.gradebook)
    opened = ledger.newest(review_course.ID, "good", SCORE, "w1")  # both open the answer: nothing saved yet
    assert opened is None
    marking.score("good", "w1", "ta-ana", points=2, seen=0)
    with pytest.raises(Conflict, match=r"ta-ana saved a change at .* after you opened it"):
        marking.score("good", "w1", "ta-ben", points=1, seen=0)
    assert standing.of(marking.assignment, marking.gradebook, "good")[1].manual[0].score == 2.0
    newest = ledger.newest(review_course.ID, "good", SCORE, "w1")
    marking.score("good", "w1", "ta-ben", points=1, seen=newest.id)  # after reloading, the second TA may change it
    assert [change.grader for change in ledger.history(review_course.ID, "good")] == ["ta-ana", "ta-ben"]


def test_a_forced_regrade_keeps_every_adjustment_and_totals_add_up(graded: Graded, marking: Marking) -> None:
    marking.score("good", "w1", "ta-ana", items=[1])
    marking.override("partial", "q1", 1, "agreed at the regrade session", "ta-ben")
    marking.extend("late", "ta-ana", days=2)
    before = gradebook_rows(graded)
    session = graded.session()
    regraded = session.grade(graded.submissions(), force=True)
    session.export()
    session.gradebook.close()
    assert not any(result.cached for result in regraded)  # executed again, not reused
    after = gradebook_rows(graded)
    assert after == before
    for row in after.values():
        parts = sum(float(row[column]) for column in ("q1", "w1") if row[column])
        assert float(row["score_before_penalty"]) == pytest.approx(parts)
        assert float(row["score"]) == pytest.approx(parts * (1 - float(row["penalty"])))
    assert (after["good"]["w1"], after["partial"]["q1"], after["late"]["penalty"]) == ("1", "1", "0")


def test_an_override_whose_automatic_score_changed_is_shown_for_a_second_look(graded: Graded, marking: Marking) -> None:
    marking.override("empty", "q1", 1, "partial credit", "ta-ana")
    ledger = Ledger(marking.gradebook)
    newest = ledger.newest(review_course.ID, "empty", OVERRIDE, "q1")
    value = {"points": 1, "automatic": 2.0}  # as if made when the automatic score was 2: a regrade moved it since
    ledger.change(review_course.ID, "empty", OVERRIDE, "q1", value, "ta-ana", "partial credit", newest.id)
    marking.publish("empty")
    _, result = standing.of(marking.assignment, marking.gradebook, "empty")
    assert result.questions[0].override_outdated
    assert "1 of them since regraded to a different automatic score" in (graded.output / "summary.html").read_text()


def test_a_class_imports_its_scores_from_a_csv_all_or_nothing(graded: Graded, marking: Marking) -> None:
    table = "student,question,points,comment\ngood,w1,2,fine\npartial,w1,1,\n"
    assert marking.import_scores(table, "ta-carla") == 2
    rows = gradebook_rows(graded)
    assert (rows["good"]["w1"], rows["partial"]["w1"], rows["empty"]["w1"]) == ("2", "1", "")
    with pytest.raises(UsageError, match="line 3: w1 is worth 0 to 2 points, not 5"):
        marking.import_scores("student,question,points\nempty,w1,1\nspread,w1,5\n", "ta-carla")
    assert gradebook_rows(graded)["empty"]["w1"] == ""  # the good line of a bad file is not recorded either
