"""The platform's errors: one base, and a kind for each party a failure belongs to.

The command line maps each kind to its exit status (``exit_status``): 2 when the user
asked for something that cannot be done as asked (the message says what to change), 1
when the grader or its host failed. An exception outside this tree escaping a command
is a bug: status 1, with its traceback.
"""

from __future__ import annotations


class AutograderError(Exception):
    """A failure the platform recognises; ``exit_status`` is what the command line returns for it."""

    exit_status = 1


class UsageError(AutograderError):
    """What was asked cannot be done as asked: a missing file, a bad option."""

    exit_status = 2


class AssignmentError(UsageError):
    """An assignment's files cannot be loaded or are inconsistent; the message names the file and the key."""


class Conflict(UsageError):
    """A change was made against a version of a grade that someone else has changed since; nothing was saved."""


class SandboxUnavailable(UsageError):
    """Grading was asked for with the sandbox, and bubblewrap cannot run on this host."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"the sandbox cannot run here: {reason}. Install bubblewrap (apt-get install bubblewrap) on a host "
            "that allows namespaces (`autograder doctor` shows what is missing), or pass --no-sandbox to run "
            "student code unsandboxed, knowingly: only for code you trust, such as your own"
        )


class SubmissionError(AutograderError):
    """A submission itself is unusable (not a notebook, empty, another assignment's).

    Grading scores it 0 with this reason; it is the student's, never a grader fault.
    """

    exit_status = 2


class KernelStartError(AutograderError):
    """A sandboxed kernel did not come up: a grader fault, never the student's."""
