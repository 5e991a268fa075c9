"""The review app in a real browser: grading with the keyboard, an override, and a hostile answer that runs nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from autograder.grading.marking import Marking
from autograder.review.server import ReviewServer
from tests.conftest import needs_bwrap
from tests.review.browser import chromium, needs_chromium, running
from tests.review.conftest import Graded

pytestmark = [needs_bwrap, needs_chromium]
TOKEN = "browser-token"


def gradebook(graded: Graded, server: ReviewServer) -> dict[str, dict[str, str]]:
    """gradebook.csv once the course exports have caught up with every save (they follow in the background)."""
    assert server.exports.settled()
    rows = csv.DictReader(io.StringIO((graded.output / "gradebook.csv").read_text()))
    return {row["student"]: row for row in rows}


@pytest.fixture
def browser(marking: Marking) -> Iterator[tuple[WebDriver, str, ReviewServer]]:
    """Chromium with the review app open (the token already traded for a cookie), the app's URL and its server."""
    with running(marking, TOKEN) as (url, server), chromium() as driver:
        driver.get(f"{url}/?token={TOKEN}")
        yield driver, url, server


def test_a_ta_grades_written_answers_with_the_keyboard_only(
    browser: tuple[WebDriver, str, ReviewServer], graded: Graded
) -> None:
    driver, url, server = browser
    driver.get(f"{url}/grade/w1?student=good")
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys("1")
    body.send_keys("2")
    assert driver.find_element(By.ID, "total").text == "2"
    body.send_keys("c")
    driver.switch_to.active_element.send_keys("Clear and complete.", Keys.ESCAPE)
    driver.switch_to.active_element.send_keys("s")
    WebDriverWait(driver, 10).until(lambda d: "student=good" not in d.current_url)
    assert "saved" in driver.find_element(By.CSS_SELECTOR, ".flash").text
    row = gradebook(graded, server)["good"]
    assert (row["w1"], row["score"], row["awaiting"]) == ("2", "4", "")
    body = driver.find_element(By.TAG_NAME, "body")  # the next answer to grade: items 2 and 3, Ctrl+Enter saves
    student = driver.find_element(By.CSS_SELECTOR, "h1").text.split()[0]
    body.send_keys("2")
    body.send_keys("3")
    body.send_keys(Keys.CONTROL, Keys.ENTER)
    WebDriverWait(driver, 10).until(lambda d: f"student={student}" not in d.current_url)
    assert gradebook(graded, server)[student]["w1"] == "0.5"


def test_a_ta_overrides_a_score_and_it_reaches_the_gradebook(
    browser: tuple[WebDriver, str, ReviewServer], graded: Graded
) -> None:
    driver, url, server = browser
    driver.get(f"{url}/student/empty")
    form = driver.find_element(By.CSS_SELECTOR, "#q1 form.override")
    form.find_element(By.NAME, "points").send_keys("1.5")
    form.find_element(By.NAME, "reason").send_keys("squaring is right for the public example; agreed in class")
    form.find_element(By.TAG_NAME, "button").click()
    WebDriverWait(driver, 10).until(lambda d: "saved" in d.find_element(By.TAG_NAME, "body").text)
    assert "score set by ta-keyboard: 1.5 / 2 (automatic: 0)" in driver.find_element(By.ID, "q1").text
    row = gradebook(graded, server)["empty"]
    assert (row["q1"], row["overridden"]) == ("1.5", "q1")


def test_a_hostile_answer_runs_nothing_in_the_tas_browser(browser: tuple[WebDriver, str, ReviewServer]) -> None:
    driver, url, _ = browser
    driver.get(f"{url}/grade/w1?student=hostile")
    answer = driver.find_element(By.ID, "answer")
    assert "My answer" in answer.text
    bold = answer.find_element(By.TAG_NAME, "b")
    ActionChains(driver).move_to_element(bold).perform()
    answer.find_element(By.TAG_NAME, "a").click()  # its javascript: href was taken out
    assert driver.execute_script("return window.pwned === undefined")
    assert answer.find_elements(By.TAG_NAME, "script") == []
    assert all(image.get_attribute("onerror") is None for image in answer.find_elements(By.TAG_NAME, "img"))
