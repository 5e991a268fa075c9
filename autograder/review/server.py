"""The review app served by waitress on 127.0.0.1, for ``autograder review`` and the browser tests."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable

from waitress.server import BaseWSGIServer, create_server

from autograder.grading.marking import Marking
from autograder.review.app import create_app

log = logging.getLogger(__name__)
THREADS = 4  # a few TAs at once; each request is a few database reads
SETTLE_SECONDS = 1.0  # a burst of saves (a TA grading fast) becomes one rebuild of the course exports


class CourseExports:
    """Rebuilds the course-wide exports in one background thread, after each burst of changes.

    Saving a grade rewrites the student's own files at once; the class-wide files (a
    second or more, most of it the summary's plots) follow once no change has come for
    ``SETTLE_SECONDS``, one rebuild at a time, and a last time when the server stops.
    """

    def __init__(self, rebuild: Callable[[], None]) -> None:
        self.rebuild = rebuild
        self.condition = threading.Condition()
        self.requested = self.done = 0  # changes asked for, and covered by a finished rebuild
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name="course-exports", daemon=True)
        self.thread.start()

    def request(self) -> None:
        with self.condition:
            self.requested += 1
            self.condition.notify_all()

    def settled(self, timeout: float = 60.0) -> bool:
        """Wait until every change asked for so far is in the exports; False if that took over ``timeout``."""
        with self.condition:
            target = self.requested
            return self.condition.wait_for(lambda: self.done >= target, timeout)

    def close(self) -> None:
        """Stop, after a last rebuild if a change is still waiting for one."""
        with self.condition:
            self.stopping = True
            self.condition.notify_all()
        self.thread.join()

    def _run(self) -> None:
        while True:
            with self.condition:
                self.condition.wait_for(lambda: self.requested > self.done or self.stopping)
                if self.requested == self.done:  # stopping, nothing waiting
                    return
                covered = self.requested
                while not self.stopping:  # until no change came for SETTLE_SECONDS
                    self.condition.wait(SETTLE_SECONDS)
                    if self.requested == covered:
                        break
                    covered = self.requested
            try:
                self.rebuild()
            except Exception:  # a failed rebuild must not stop the next; the files stay as they were
                log.exception("rebuilding the course exports failed")
            with self.condition:
                self.done = covered
                self.condition.notify_all()


class ReviewServer:
    """The app on 127.0.0.1 (``port`` 0: a free one), not started yet: ``run()`` serves until ``close()``.

    The socket is bound before the app is made, because the app answers only to its own
    address (``review.security``), which is known once the port is.
    """

    def __init__(self, marking: Marking, token: str, port: int = 0, grader: str = "") -> None:
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(("127.0.0.1", port))
        self.port: int = listening.getsockname()[1]
        self.exports = CourseExports(marking.rebuild_course)
        marking.course_changed = self.exports.request
        app = create_app(marking, token, {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}, grader)
        self.server: BaseWSGIServer = create_server(app, sockets=[listening], threads=THREADS)

    def run(self) -> None:
        self.server.run()

    def close(self) -> None:
        self.server.close()
        self.exports.close()
