"""The review app served by waitress on 127.0.0.1, for ``autograder review`` and the browser tests."""

from __future__ import annotations

import socket

from waitress.server import BaseWSGIServer, create_server

from autograder.grading.marking import Marking
from autograder.review.app import create_app

THREADS = 4  # a few TAs at once; each request is a few database reads


def serve(marking: Marking, token: str, port: int = 0, grader: str = "") -> BaseWSGIServer:
    """A server for the app bound to 127.0.0.1 (``port`` 0: a free one), not started yet: call ``run()``.

    The socket is bound first, because the app answers only to its own address
    (``review.security``), which is known once the port is.
    """
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.bind(("127.0.0.1", port))
    bound = listening.getsockname()[1]
    app = create_app(marking, token, {f"127.0.0.1:{bound}", f"localhost:{bound}"}, grader)
    return create_server(app, sockets=[listening], threads=THREADS)
