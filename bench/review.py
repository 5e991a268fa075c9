"""``make bench`` (review step): grading written answers with the keyboard, timed, in Chromium.

The bundled ``tensors`` examples are graded into a scratch folder; then the review app is
driven as a TA drives it: for each of the first ``--answers`` answers awaiting grading,
read (a screenshot is taken), press the rubric keys a TA would for it, press ``s``, and
wait for the next answer's page. Prints, per answer, the keys pressed and the seconds from
the first key to the next answer shown (the app's share of a TA's time: reading is
theirs), and writes the screenshots and ``walkthrough.json`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from autograder.course import assignment as assignments
from autograder.execution.sandbox import Limits
from autograder.grading import intake
from autograder.grading.config import BatchConfig
from autograder.grading.gradebook import Gradebook, sqlite_url
from autograder.grading.marking import Marking
from autograder.grading.seeds import course_secret
from autograder.grading.session import Session
from tests.review.browser import CHROMEDRIVER, CHROMIUM, chromium, running

# the rubric keys a TA presses for each bundled written answer (an empty or hostile answer: none)
KEYS = {"correct": "1234", "q1_forgot_255": "24"}
TOKEN = "bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path("bench/results/review"))
    args = parser.parse_args()
    if CHROMIUM is None or CHROMEDRIVER is None:
        print("review bench skipped: no chromium/chromedriver (apt-get install chromium chromium-driver)")
        return
    args.out.mkdir(parents=True, exist_ok=True)
    course = assignments.course_root()
    assignment = assignments.load(course, "tensors")
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "tensors"
        session = Session(
            BatchConfig(course, "tensors", course_secret(course), Limits(cell_timeout=10), workers=1),
            assignment,
            Gradebook(sqlite_url(output / "gradebook.sqlite")),
            output,
        )
        session.grade(intake.collect([assignment.examples]))
        session.export()
        timings = walk(Marking(assignment, session.gradebook, output), args.answers, args.out)
        session.gradebook.close()
    (args.out / "walkthrough.json").write_text(json.dumps(timings, indent=1) + "\n")
    seconds = [entry["seconds"] for entry in timings]
    print(
        f"review: {len(timings)} written answers graded with the keyboard, {sum(e['keys'] for e in timings)} keys; "
        f"seconds per answer (keys to the next answer shown): median {statistics.median(seconds):.2f}, "
        f"max {max(seconds):.2f}; screenshots in {args.out}"
    )


def walk(marking: Marking, answers: int, out: Path) -> list[dict]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    timings = []
    with running(marking, TOKEN) as (url, _), chromium() as driver:
        driver.get(f"{url}/grade/w1?token={TOKEN}")
        for number in range(1, answers + 1):
            student = driver.find_element(By.CSS_SELECTOR, "input[name=student]").get_attribute("value")
            driver.save_screenshot(str(out / f"answer-{number:02d}-{student}.png"))
            keys = KEYS.get(student, "") + "s"
            started = time.monotonic()
            body = driver.find_element(By.TAG_NAME, "body")
            for key in keys:
                body.send_keys(key)
            WebDriverWait(driver, 30).until(expected_conditions.staleness_of(body))  # left this answer's page
            WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".flash.saved"))
            timings.append({"student": student, "keys": len(keys), "seconds": round(time.monotonic() - started, 3)})
        driver.get(f"{url}/")
        driver.save_screenshot(str(out / "class.png"))
    return timings


if __name__ == "__main__":
    main()
