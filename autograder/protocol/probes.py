"""A probe, one call of a student's function, as the grader plans it and reads it back.

These records cross the sandbox boundary as data: the plan goes in as JSON plus
safetensors (``harness.py`` writes it), and what the call produced comes back the same
way and is decoded into a ``ProbeOutput`` (``wire.decode`` keeps the student's values inert).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Probe:
    """One call of a student function on concrete inputs."""

    id: str
    question: str
    call: str
    inputs: dict[str, Any]
    device: str = "cpu"
    keep_inputs: bool = False
    hidden: bool = False
    # function name -> a ``Built`` that replaces the student's function of that name during
    # this call (another question's, for a diagnosis that follows dependencies)
    stand_ins: dict[str, Any] = field(default_factory=dict)

    @property
    def phase(self) -> str:
        """When the probe runs: "public", then "hidden", then "stand-ins" (after every other result is kept)."""
        if self.stand_ins:
            return "stand-ins"
        return "hidden" if self.hidden else "public"


class ProbeStatus(enum.StrEnum):
    """How a probe ended; the probe runner in the kernel writes these words."""

    OK = "ok"  # the call returned a value
    ERROR = "error"  # the call raised
    MISSING = "missing"  # the function is not defined
    NO_OUTPUT = "no output"  # nothing came back (the kernel died, the cell timed out, ...)


@dataclass
class ProbeOutput:
    """What one probe produced, as read back from the sandbox."""

    status: ProbeStatus
    value: Any = None
    error: dict[str, str] = field(default_factory=dict)
    inputs_after: dict[str, Any] | None = None
    seconds: float = 0.0
    problem: str = ""  # why there is no output, when status is NO_OUTPUT
