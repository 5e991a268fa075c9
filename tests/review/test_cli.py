"""The TAs' commands: score, override, extend and import-scores reach every export; refusals exit 2 with the reason."""

from __future__ import annotations

import csv
import io
import json

import pytest

from autograder import cli
from tests.conftest import needs_bwrap
from tests.review import course as review_course
from tests.review.conftest import Graded

pytestmark = needs_bwrap


def run(graded: Graded, *arguments: str) -> int:
    output = str(graded.output.parent)
    return cli.main(
        ["--course", str(graded.course), arguments[0], review_course.ID, *arguments[1:], "--output", output]
    )


def rows(graded: Graded) -> dict[str, dict[str, str]]:
    table = csv.DictReader(io.StringIO((graded.output / "gradebook.csv").read_text()))
    return {row["student"]: row for row in table}


def test_scores_overrides_and_extensions_from_the_command_line_reach_every_export(graded: Graded) -> None:
    assert run(graded, "score", "--student", "good", "--question", "w1", "--rubric", "1,2", "--grader", "ta-ana") == 0
    assert (
        run(graded, "score", "--student", "partial", "--question", "w1", "--points", "0.5", "--comment", "vague") == 0
    )
    assert (
        run(graded, "override", "--student", "empty", "--question", "q1", "--points", "1", "--reason", "regrade") == 0
    )
    assert run(graded, "extend", "--student", "late", "--days", "2", "--reason", "illness") == 0
    table = rows(graded)
    assert (table["good"]["w1"], table["good"]["score"]) == ("2", "4")
    assert (table["partial"]["w1"], table["empty"]["q1"], table["late"]["penalty"]) == ("0.5", "1", "0")
    results = json.loads((graded.output / "partial" / "results.json").read_text())
    assert results["score"] == 2.5 and "vague" in results["tests"][-1]["output"]
    canvas = {row[1]: row[-1] for row in csv.reader(io.StringIO((graded.output / "canvas.csv").read_text()))}
    assert (canvas["good"], canvas["empty"], canvas["late"]) == ("4", "1", "2")


def test_a_csv_of_scores_is_imported(graded: Graded, tmp_path) -> None:
    scores = tmp_path / "w1.csv"
    scores.write_text("student,question,points,comment\ngood,w1,2,clear\nspread,w1,1.5,\n")
    assert run(graded, "import-scores", str(scores), "--grader", "ta-carla") == 0
    assert (rows(graded)["good"]["w1"], rows(graded)["spread"]["w1"]) == ("2", "1.5")


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (("score", "--student", "good", "--question", "w1", "--points", "9"), "w1 is worth 0 to 2 points, not 9"),
        (("score", "--student", "good", "--question", "w1", "--rubric", "1,x"), "--rubric takes item numbers"),
        (("score", "--student", "ghost", "--question", "w1", "--points", "1"), "'ghost' has no graded submission"),
        (("override", "--student", "good", "--question", "w1", "--points", "1", "--reason", "r"), "no automatically"),
        (("extend", "--student", "good", "--deadline", "2026-01-20T10:00"), "--deadline needs a UTC offset"),
    ],
)
def test_a_refused_change_exits_2_and_says_why(graded: Graded, capsys, arguments: tuple[str, ...], words: str) -> None:
    assert run(graded, *arguments) == 2
    assert words in capsys.readouterr().err.replace("\n", " ")
    assert all(row["w1"] == "" and row["overridden"] == "" for row in rows(graded).values())
