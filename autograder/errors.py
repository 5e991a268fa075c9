"""The errors that say the user asked for something that cannot be done as asked.

The command line exits with status 2 and the message for a ``UsageError`` (a missing
file, a bad option, an assignment.toml it cannot load, a host without the sandbox);
anything else that escapes a command is the grader's own failure: status 1, with its
traceback.
"""

from __future__ import annotations


class UsageError(Exception):
    """What was asked cannot be done as asked; the message says what to change."""
