"""The review server's course exports follow saves in the background: one rebuild per burst, none lost."""

from __future__ import annotations

import threading
import time

from autograder.review import server
from autograder.review.server import CourseExports


def test_a_burst_of_changes_is_one_rebuild_and_settled_waits_for_it(monkeypatch) -> None:
    monkeypatch.setattr(server, "SETTLE_SECONDS", 0.2)
    rebuilt = []
    exports = CourseExports(lambda: rebuilt.append(time.monotonic()))
    for _ in range(20):
        exports.request()
    assert exports.settled(timeout=10) and len(rebuilt) == 1
    exports.request()
    assert exports.settled(timeout=10) and len(rebuilt) == 2
    exports.close()
    assert len(rebuilt) == 2  # nothing was waiting: no rebuild on close


def test_a_change_still_waiting_is_rebuilt_when_the_server_stops(monkeypatch) -> None:
    monkeypatch.setattr(server, "SETTLE_SECONDS", 30)  # far longer than the test
    rebuilt = threading.Event()
    exports = CourseExports(rebuilt.set)
    exports.request()
    exports.close()
    assert rebuilt.is_set()


def test_a_failing_rebuild_does_not_stop_the_next(monkeypatch) -> None:
    monkeypatch.setattr(server, "SETTLE_SECONDS", 0.05)
    calls = []

    def rebuild() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk full")

    exports = CourseExports(rebuild)
    exports.request()
    assert exports.settled(timeout=10)
    exports.request()
    assert exports.settled(timeout=10) and len(calls) == 2
    exports.close()
