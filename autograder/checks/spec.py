"""The vocabulary an assignment's ``checks.py`` is written in.

A question's checks are data: the call expression that exercises the student's
function, the cases (public ones on fixed example inputs, hidden ones on random inputs
drawn from the student's seed), the comparison rule, and the known mistakes, each a
sentence for the student plus a few lines computing the wrong answer it produces. The
engine (``judge.py``) does everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import torch

from autograder.checks.calls import call_scope, make_call
from autograder.checks.cell_tests import Expectation
from autograder.checks.compare import CLOSE, EXACT, Rule
from autograder.protocol.wire import Built

__all__ = [
    "CLOSE",
    "EXACT",
    "Built",
    "Case",
    "Dependency",
    "Mistake",
    "Observation",
    "Picture",
    "QuestionCheck",
    "Rng",
    "Rule",
    "is_public",
    "public",
]
PropertyCheck = Callable[["Observation"], "str | None"]
Checked = TypeVar("Checked", bound=Callable[..., Any])
_PUBLIC = "__autograder_public__"


def public(check: Checked) -> Checked:
    """Mark a property check, or a question's picture, as one the student's self-check runs too (a decorator).

    Its source, and that of the helpers and constants of ``checks.py`` it uses, ship in the
    release (``authoring.shipping``), so a public example passes the self-check only when
    it passes the grader, and the self-check draws the picture the feedback page shows.
    Mark only what may be public: the helpers travel with it.
    """
    setattr(check, _PUBLIC, True)
    return check


def is_public(check: Callable[..., Any] | None) -> bool:
    return bool(getattr(check, _PUBLIC, False))


class Rng:
    """Random inputs for one case, drawn on the CPU from one seed (so regrading repeats them)."""

    def __init__(self, seed: int) -> None:
        self.generator = torch.Generator().manual_seed(seed)

    def integer(self, low: int, high: int) -> int:
        """A uniform integer in [low, high] (both included)."""
        return int(torch.randint(low, high + 1, (), generator=self.generator))

    def choice(self, options: Sequence[Any]) -> Any:
        return options[self.integer(0, len(options) - 1)]

    def uniform(
        self, *shape: int, low: float = 0.0, high: float = 1.0, dtype: torch.dtype = torch.float32
    ) -> torch.Tensor:
        values = torch.rand(shape, generator=self.generator, dtype=torch.float64)
        return (low + (high - low) * values).to(dtype)

    def normal(self, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.randn(shape, generator=self.generator, dtype=torch.float64).to(dtype)

    def uint8_image(self, height: int, width: int, channels: int | None = None) -> np.ndarray:
        shape = (height, width) if channels is None else (height, width, channels)
        return torch.randint(0, 256, shape, generator=self.generator, dtype=torch.uint8).numpy()


@dataclass(frozen=True)
class Case:
    """One set of inputs. ``inputs`` maps an Rng to the call's keyword arguments.

    A master notebook's test cell is a case too: its own ``call`` (instead of the
    question's), and an ``expect``ation of fixed values instead of the reference's answer;
    ``forgeable`` lists the lines of it that are still judged in the student's kernel, and
    ``unchecked`` those whose value nothing checks.
    """

    name: str
    inputs: Callable[[Rng], dict[str, Any]]
    hidden: bool = False
    weight: float = 1.0
    call: str = ""
    expect: Expectation | None = None
    forgeable: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()
    origin: str = ""  # where the case is written, when not in checks.py ("demo.ipynb, cell 12")


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer: ``output(**inputs)`` computes it, ``explanation`` names it."""

    explanation: str
    output: Callable[..., Any]


@dataclass(frozen=True)
class Observation:
    """What a property check sees of one probe: all trusted data or decoded records."""

    inputs: dict[str, Any]
    expected: Any
    actual: Any
    inputs_after: dict[str, Any] | None


@dataclass(frozen=True)
class Picture:
    """What to show the student for an image question: images side by side, and curves.

    Drawn by the grader from trusted data (public inputs, the reference's answer and the
    student's decoded output) for the question's first public case only, so no hidden
    input is ever pictured.
    """

    images: dict[str, torch.Tensor]
    curves: dict[str, Sequence[float]] = field(default_factory=dict)
    curve_label: str = ""  # the y axis of the curves, e.g. "objective"
    value_range: tuple[float, float] = (0.0, 1.0)  # the grey scale of every image


@dataclass(frozen=True)
class Dependency:
    """Another question whose function this one calls (inverse q4 calls q1's ``blur``).

    ``stand_in`` builds, from one case's inputs and the reference's namespace, what stands
    in for the student's version of that function in a second call of theirs: a ``Built``
    of data and generic code (say, the reference operator's impulse response and an FFT),
    never the reference's own source, since it is sent into the sandbox. When the
    student's answer is wrong but right with every stand-in, the error is inherited.
    """

    question: str
    stand_in: Callable[[dict[str, Any], dict[str, Any]], Built]


@dataclass(frozen=True)
class QuestionCheck:
    """All checks of one question.

    ``call`` is a Python expression over the case's input names, evaluated in the
    student's namespace (and, for the expected answer, in the reference's). ``driver`` is
    optional source defining helpers the call may use (say, running ``Cubic.apply`` and
    a backward pass, or turning a returned model into its parameters); it is exec'd on
    both sides over a copy of that namespace. ``properties`` are extra checks run when
    the value matches the reference (e.g. "the input was left unchanged"); each returns
    None when satisfied or a sentence saying what is wrong. ``picture``, for image
    questions, turns the first public case's observation into a ``Picture`` for the
    feedback. ``depends_on`` lists the questions whose functions the student's calls; a
    check that fails, but passes with their stand-ins, earns ``inherited_credit`` of its
    weight (0: none) and a diagnosis naming the question at fault.
    """

    call: str
    cases: tuple[Case, ...]
    rule: Rule = CLOSE
    mistakes: tuple[Mistake, ...] = ()
    properties: tuple[PropertyCheck, ...] = field(default=())
    keep_inputs: bool = False
    driver: str = ""
    picture: Callable[[Observation], Picture] | None = None
    output_names: tuple[str, ...] = ()  # the parts of a tuple answer, for the feedback: ("dW", "db")
    depends_on: tuple[Dependency, ...] = ()
    inherited_credit: float = 0.0

    def evaluate(self, namespace: dict[str, Any], inputs: dict[str, Any], call: str = "") -> Any:
        """The call's value in a namespace (the grader uses this with the reference); ``call``: a case's own."""
        return make_call(call or self.call, call_scope(namespace, self.driver), inputs)
