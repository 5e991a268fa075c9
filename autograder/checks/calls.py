"""How a case becomes a call of a function: the one definition the grader, the harness and the self-check share.

A question's ``call`` is a Python expression over the case's input names, and its
optional ``driver`` is source defining helpers the call may use. Both are evaluated over
a copy of a namespace: the reference module's on the trusted side, the student's in the
kernel (this file is sent there as source by ``harness.SOURCES``, so it imports nothing
from the package) and in the self-check.
"""

from __future__ import annotations

import traceback
from typing import Any

MAX_TRACEBACK = 4_000


def call_scope(namespace: dict[str, Any], driver: str) -> dict[str, Any]:
    """A copy of ``namespace`` with the driver's helpers defined in it (the namespace itself is untouched)."""
    scope = dict(namespace)
    if driver:
        exec(compile(driver, "<autograder driver>", "exec"), scope)
    return scope


def make_call(call: str, scope: dict[str, Any], inputs: dict[str, Any]) -> Any:
    """The call expression's value, with the case's inputs as its local names."""
    return eval(compile(call, "<autograder call>", "eval"), scope, inputs)


def describe_error(error: BaseException) -> dict[str, str]:
    """An exception the call raised, as data: type, message and the end of its traceback.

    Every part is read defensively: in the kernel the exception is the student's, and its
    ``__str__`` may raise.
    """
    try:
        message = str(error)[:MAX_TRACEBACK]
    except Exception:
        message = "<message could not be read>"
    try:
        lines = traceback.format_exception(type(error), error, error.__traceback__)
        text = "".join(lines)[-MAX_TRACEBACK:]
    except Exception:
        text = ""
    return {"type": type(error).__name__, "message": message, "traceback": text}
