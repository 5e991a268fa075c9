"""The review app served for real and driven in the system's Chromium (Debian's ``chromium`` and its driver)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from autograder.grading.marking import Marking
from autograder.review.server import ReviewServer

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="no Chromium or chromedriver here: apt-get install chromium chromium-driver (make setup does, as root)",
)


@contextmanager
def running(marking: Marking, token: str) -> Iterator[tuple[str, ReviewServer]]:
    """The app on a free port of 127.0.0.1 in a thread; yields its base URL and the server."""
    server = ReviewServer(marking, token, grader="ta-keyboard")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}", server
    finally:
        server.close()  # the course exports are rebuilt a last time: what a test then reads is complete
        thread.join(timeout=10)


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}"):
        options.add_argument(argument)  # --no-sandbox: Chromium's own sandbox refuses to run as root
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
