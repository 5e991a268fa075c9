"""A TA grades the bundled written answers of ``tensors`` (w1) in Chromium with the keyboard, and every export follows.

With ``AUTOGRADER_REVIEW_SCREENSHOTS=DIR`` the walk-through also saves a screenshot of each
answer and the seconds each took (keys, save, next page) to ``DIR/walkthrough.json``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from autograder.course import assignment as assignments
from autograder.grading import intake
from autograder.grading.config import BatchConfig
from autograder.grading.gradebook import Gradebook, sqlite_url
from autograder.grading.marking import Marking
from autograder.grading.session import Session
from tests.conftest import COURSE, FAST_LIMITS, SECRET, needs_bwrap
from tests.review.browser import chromium, needs_chromium, running

pytestmark = [needs_bwrap, needs_chromium]
TOKEN = "bundled-token"
# example -> the rubric items a TA applies to its written answer, and the w1 score they give
MARKS = {"correct": ("1234", "2"), "q1_forgot_255": ("24", "1"), "template": ("", "0"), "w1_hostile_html": ("", "0")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Marking:
    assignment = assignments.load(COURSE, "tensors")
    output = tmp_path_factory.mktemp("bundled") / "tensors"
    examples = [assignment.examples / f"{name}.ipynb" for name in MARKS]
    session = Session(
        BatchConfig(COURSE, "tensors", SECRET, FAST_LIMITS, workers=1),
        assignment,
        Gradebook(sqlite_url(output / "gradebook.sqlite")),
        output,
    )
    session.grade(intake.collect(examples))
    session.export()
    return Marking(assignment, session.gradebook, output)


def test_the_bundled_written_answers_are_graded_with_the_keyboard(graded: Marking) -> None:
    shots = (
        Path(os.environ["AUTOGRADER_REVIEW_SCREENSHOTS"]) if os.environ.get("AUTOGRADER_REVIEW_SCREENSHOTS") else None
    )
    timings = []
    with running(graded, TOKEN) as (url, _), chromium() as driver:
        driver.get(f"{url}/grade/w1?student=correct&token={TOKEN}")
        for student, (keys, _) in MARKS.items():
            driver.get(f"{url}/grade/w1?student={student}")
            if shots:
                driver.save_screenshot(str(shots / f"w1-{student}.png"))
            assert "awaiting grading" in driver.find_element(By.TAG_NAME, "h1").text
            started = time.monotonic()
            body = driver.find_element(By.TAG_NAME, "body")
            for key in keys:
                body.send_keys(key)
            body.send_keys("s")
            WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".flash.saved"))
            timings.append({"student": student, "keys": len(keys) + 1, "seconds": round(time.monotonic() - started, 3)})
        assert driver.execute_script("return window.pwned === undefined")
        driver.get(f"{url}/")
        if shots:
            driver.save_screenshot(str(shots / "class.png"))
            (shots / "walkthrough.json").write_text(json.dumps(timings, indent=1))
        assert "0 left" in driver.find_element(By.TAG_NAME, "main").text
    table = {row["student"]: row for row in csv.DictReader(io.StringIO((graded.output / "gradebook.csv").read_text()))}
    assert {student: table[student]["w1"] for student in MARKS} == {
        student: score for student, (_, score) in MARKS.items()
    }
    for row in table.values():
        parts = sum(float(row[q]) for q in ("q1", "q2", "q3", "q4", "q5", "w1"))
        assert (row["awaiting"], float(row["score"]), row["max_score"]) == ("", parts, "12")
    assert table["correct"]["score"] == "12" and table["q1_forgot_255"]["score"] == "9"
    results = json.loads((graded.output / "correct" / "results.json").read_text())
    assert results["score"] == 12.0 and results["tests"][-1]["score"] == 2.0
