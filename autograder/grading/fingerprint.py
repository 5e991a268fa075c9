"""Content addresses: what a grading result depends on, hashed, so unchanged work is reused.

A result is reused only when every input that could change it is unchanged: the
notebook's bytes, the student (hidden inputs are drawn from their seed), the assignment's
checks, reference and metadata, the grader's own code, torch's version, the course
secret and the limits that can change a score (``Limits.GRADE_INPUTS``: not the thread
count, which follows the host and the worker count). Change any one, even the checks of one question, and the
submission is graded again.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from pathlib import Path

import torch

import autograder
from autograder.course.assignment import Assignment
from autograder.execution.sandbox import Limits

PACKAGE = Path(autograder.__file__).parent


@functools.cache
def grader_version() -> str:
    """The package version plus a hash of its source: editing the grader regrades."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{autograder.__version__}+{digest.hexdigest()[:12]}"


def assignment_fingerprint(assignment: Assignment) -> str:
    digest = hashlib.sha256()
    for path in (assignment.master.path, assignment.folder / "checks.py"):
        digest.update(path.read_bytes() if path.is_file() else b"\0")
    return digest.hexdigest()


def cache_key(assignment_print: str, student: str, content_hash: str, secret: bytes, limits: Limits) -> str:
    """``assignment_print`` is ``assignment_fingerprint(assignment)``, computed once per batch."""
    parts = [
        assignment_print,
        grader_version(),
        torch.__version__,
        hmac.new(secret, b"cache key", hashlib.sha256).hexdigest(),  # never the secret itself
        limits.grade_inputs(),
        student,
        content_hash,
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()
