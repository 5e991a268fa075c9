"""Per-student seeds: deterministic for regrading, different between students, unguessable.

A case's seed is HMAC-SHA256(course secret, "assignment/student/case") truncated to 63
bits. Without the secret a student cannot reproduce their hidden inputs; with it, the
grader regenerates exactly the same inputs on every regrade. Public cases are keyed by
``PUBLIC_KEY`` instead of the secret, so everybody (and the student's offline
self-check, which has no secret) sees the same examples.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

PUBLIC_KEY = b"public examples"


def course_secret(course: Path) -> bytes:
    """$AUTOGRADER_SECRET, else ``secrets/course-secret`` under the course (made on first use)."""
    from_environment = os.environ.get("AUTOGRADER_SECRET")
    if from_environment:
        return from_environment.encode()
    path = course / "secrets" / "course-secret"
    if not path.exists():
        path.parent.mkdir(mode=0o700, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
        log.warning("created a new course secret in %s: keep it, or regrades draw new hidden inputs", path)
    return path.read_text().strip().encode()


def case_seed(secret: bytes, assignment: str, student: str, case: str) -> int:
    message = f"{assignment}/{student}/{case}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1
