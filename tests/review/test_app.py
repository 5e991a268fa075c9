"""The review app over HTTP (Flask's test client): who may use it, what it shows, and what saving does."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from autograder.grading.marking import Marking
from autograder.review.app import create_app
from tests.conftest import needs_bwrap
from tests.review.conftest import Graded

pytestmark = needs_bwrap
TOKEN = "test-token-123"
HOST = "localhost"  # the test client's own Host


@pytest.fixture
def client(marking: Marking) -> Iterator[FlaskClient]:
    app = create_app(marking, TOKEN, {HOST}, grader="ta-default")
    with app.test_client() as client:
        assert client.get(f"/?token={TOKEN}").status_code == 302  # the token becomes a cookie
        yield client


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def gradebook(graded: Graded) -> dict[str, dict[str, str]]:
    rows = csv.DictReader(io.StringIO((graded.output / "gradebook.csv").read_text()))
    return {row["student"]: row for row in rows}


def test_every_request_needs_the_token_and_the_apps_own_host(marking: Marking) -> None:
    app = create_app(marking, TOKEN, {HOST})
    with app.test_client() as anonymous:
        assert anonymous.get("/").status_code == 403
        assert anonymous.get("/grade/w1").status_code == 403
        assert anonymous.get("/?token=guessed").status_code == 403
        assert anonymous.post("/grade/w1", data={"student": "good", "points": "2"}).status_code == 403
        first = anonymous.get(f"/grade/w1?student=good&token={TOKEN}")
        assert first.status_code == 302 and first.headers["Location"] == "/grade/w1?student=good"  # token dropped
        assert "HttpOnly" in first.headers["Set-Cookie"] and "SameSite=Strict" in first.headers["Set-Cookie"]
        assert anonymous.get("/grade/w1?student=good").status_code == 200
        assert anonymous.get("/", base_url="http://evil.example:5555").status_code == 400  # DNS rebinding


def test_a_state_change_without_the_csrf_token_is_refused(client: FlaskClient, graded: Graded) -> None:
    response = client.post("/grade/w1", data={"student": "good", "item": ["1", "2"], "seen": "0"})
    assert response.status_code == 400
    assert gradebook(graded)["good"]["w1"] == ""


def test_a_hostile_answer_is_shown_inert(client: FlaskClient) -> None:
    response = client.get("/grade/w1?student=hostile")
    page = response.get_data(as_text=True)
    answer = page[page.index('id="answer"') : page.index('id="grade-form"')]
    assert "My answer" in answer and "<b>bold</b>" in answer
    assert "<script" not in answer and "onerror" not in answer and "onmouseover" not in answer
    assert "javascript:" not in answer
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy and "'unsafe-inline'" not in policy


def test_the_answer_is_found_in_the_cells_the_student_added_and_moved(client: FlaskClient) -> None:
    page = client.get("/grade/w1?student=spread").get_data(as_text=True)
    answer = page[page.index('id="answer"') : page.index('id="grade-form"')]
    assert "First, (-1)·(-1) = 1." in answer and "Then 1·(-1) = -1" in answer
    assert "That is all." not in answer  # the release's next cell is not the student's answer
    empty = client.get("/grade/w1?student=empty").get_data(as_text=True)
    assert "No answer written" in empty


def test_saving_a_rubric_grade_goes_to_the_next_answer_and_into_the_gradebook(
    client: FlaskClient, graded: Graded
) -> None:
    page = client.get("/grade/w1?student=good").get_data(as_text=True)
    form = {"csrf_token": csrf(page), "student": "good", "seen": "0", "item": ["1", "2"], "then": "hostile"}
    response = client.post("/grade/w1", data=form | {"comment": "Good, clear explanation."})
    assert response.status_code == 303 and response.headers["Location"] == "/grade/w1?student=hostile"
    row = gradebook(graded)["good"]
    assert (row["w1"], row["score"], row["awaiting"]) == ("2", "4", "")
    assert "saved" in client.get(response.headers["Location"]).get_data(as_text=True)
    history = client.get("/student/good").get_data(as_text=True)
    assert "ta-default" in history and "+1 says an odd power keeps the sign" in history


def test_a_second_save_against_the_same_version_is_refused_and_says_who_saved(
    client: FlaskClient, graded: Graded
) -> None:
    token = csrf(client.get("/grade/w1?student=good").get_data(as_text=True))
    first = {"csrf_token": token, "student": "good", "seen": "0", "item": ["1"]}
    client.post("/grade/w1", data=first)
    client.set_cookie("autograder_grader", "ta-ben")
    response = client.post("/grade/w1", data=first | {"item": ["1", "2"]}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "not saved: ta-default saved a change at" in page
    assert gradebook(graded)["good"]["w1"] == "1"  # the first TA's grade stands


def test_an_override_and_an_extension_from_the_student_page(client: FlaskClient, graded: Graded) -> None:
    page = client.get("/student/late").get_data(as_text=True)
    token = csrf(page)
    client.post(
        "/student/late/override",
        data={
            "csrf_token": token,
            "question": "q1",
            "seen": "0",
            "points": "1",
            "reason": "late-day policy applied by hand",
        },
    )
    client.post("/student/late/extend", data={"csrf_token": token, "seen": "0", "days": "2", "reason": "illness"})
    row = gradebook(graded)["late"]
    assert (row["q1"], row["overridden"], row["penalty"]) == ("1", "q1", "0")
    page = client.get("/student/late").get_data(as_text=True)
    assert "late-day policy applied by hand" in page and "illness" in page and "2026-01-12T23:59:00+00:00" in page


def test_the_grader_name_is_remembered_and_never_redirects_off_the_app(client: FlaskClient) -> None:
    token = csrf(client.get("/").get_data(as_text=True))
    away = client.post("/grader", data={"csrf_token": token, "name": "ta-ana", "back": "https://evil.example/"})
    assert away.headers["Location"] == "/"
    assert (
        client.post("/grader", data={"csrf_token": token, "name": "x", "back": "//evil.example"}).headers["Location"]
        == "/"
    )
    home = client.post("/grader", data={"csrf_token": token, "name": "ta-ana", "back": "/student/good"})
    assert home.headers["Location"] == "/student/good"
    assert 'value="ta-ana"' in client.get("/student/good").get_data(as_text=True)


def test_bad_input_is_refused_on_the_page_never_a_server_error(client: FlaskClient, graded: Graded) -> None:
    token = csrf(client.get("/grade/w1?student=good").get_data(as_text=True))
    bad = [
        ("/grade/w1", {"student": "good", "seen": "0", "item": ["one"]}, "a rubric item must be a number"),
        ("/grade/w1", {"student": "good", "seen": "0", "item": ["7"]}, "rubric item 7 does not exist"),
        ("/student/late/extend", {"seen": "0", "deadline": "tomorrow"}, "a deadline is a date and time"),
        ("/student/late/override", {"seen": "0", "question": "q1", "points": "lots", "reason": "r"}, "points must"),
    ]
    for path, form, words in bad:
        response = client.post(path, data=form | {"csrf_token": token}, follow_redirects=True)
        assert response.status_code == 200 and words in response.get_data(as_text=True), words
    assert all(row["w1"] == "" and row["overridden"] == "" for row in gradebook(graded).values())
