"""No network from student code: not to the host's loopback, not by Unix sockets, no DNS.

One notebook tries everything; the host listens (TCP, UDP, an abstract and a path Unix
socket) and must receive nothing. The attacks that can tell whether they got through
report it through a question's gate.
"""

from __future__ import annotations

import os
import socket
import threading

import pytest

from tests.conftest import needs_bwrap
from tests.security.conftest import gate, grade_notebook, hostile, scores

pytestmark = needs_bwrap


class Listeners:
    """Host-side sockets that record any connection or datagram for a few seconds' grace."""

    def __init__(self, directory) -> None:
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.abstract_name = f"\0autograder-security-{os.getpid()}"
        self.abstract = socket.socket(socket.AF_UNIX)
        self.abstract.bind(self.abstract_name)
        self.abstract.listen()
        self.path = str(directory / "grader.sock")
        self.unix = socket.socket(socket.AF_UNIX)
        self.unix.bind(self.path)
        self.unix.listen()
        self.received: list[str] = []
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._accept, args=(sock, name), daemon=True)
            for sock, name in ((self.tcp, "tcp"), (self.abstract, "abstract"), (self.unix, "unix"))
        ]
        self.threads.append(threading.Thread(target=self._receive, daemon=True))
        for thread in self.threads:
            thread.start()

    def _accept(self, sock: socket.socket, name: str) -> None:
        sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                connection, _ = sock.accept()
            except (TimeoutError, OSError):
                continue
            self.received.append(name)
            connection.close()

    def _receive(self) -> None:
        self.udp.settimeout(0.2)
        while not self.stop.is_set():
            try:
                self.udp.recv(100)
            except (TimeoutError, OSError):
                continue
            self.received.append("udp")

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()
        for sock in (self.tcp, self.udp, self.abstract, self.unix):
            sock.close()


@pytest.fixture(scope="module")
def attempt(tmp_path_factory):
    directory = tmp_path_factory.mktemp("network")
    listeners = Listeners(directory)
    try:
        notebook = hostile(
            f"""
            import socket

            def _tries(family, address, kind=socket.SOCK_STREAM):
                try:
                    with socket.socket(family, kind) as sock:
                        sock.settimeout(3)
                        sock.connect(address)
                    return True
                except OSError:
                    return False

            TCP = _tries(socket.AF_INET, ("127.0.0.1", {listeners.port}))
            ABSTRACT = _tries(socket.AF_UNIX, {listeners.abstract_name!r})
            UNIX_PATH = _tries(socket.AF_UNIX, {listeners.path!r})
            for _ in range(20):
                try:
                    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", {listeners.port}))
                except OSError:
                    pass
            try:
                DNS = bool(socket.getaddrinfo("pypi.org", 443))
            except OSError:
                DNS = False
            """,
            gate("q1", "TCP"),
            gate("q2", "ABSTRACT"),
            gate("q3", "UNIX_PATH"),
            gate("q4", "DNS"),
        )
        result = grade_notebook(directory, notebook)
    finally:
        listeners.close()
    return result, listeners.received


@pytest.mark.parametrize(
    "question",
    [
        pytest.param("q1", id="TCP connect to a grader listener on 127.0.0.1 -> own network namespace"),
        pytest.param("q2", id="abstract Unix socket of the host -> own network namespace"),
        pytest.param("q3", id="Unix socket file of the grader -> mount namespace, path not mounted"),
        pytest.param("q4", id="DNS lookup of pypi.org -> own network namespace, no resolver"),
    ],
)
def test_blocked(attempt, question: str) -> None:
    result, _ = attempt
    assert scores(result)[question] == 0, f"{question}'s attack got through: {scores(result)}"


def test_host_listeners_received_nothing_tcp_udp_unix(attempt) -> None:
    """UDP datagrams to the host's loopback: the listener, not the sender, can tell."""
    _, received = attempt
    assert received == []


def test_honest_part_still_graded(attempt) -> None:
    result, _ = attempt
    assert scores(result)["q5"] == 2 and not result.fault
