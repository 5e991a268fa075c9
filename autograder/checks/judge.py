"""Judge one probe: did the student's call return the reference's answer, and if not, why.

Order of questions asked: was the function there, did it return, does the value match
(type, shape, dtype, device, values: see ``compare``), do the question's extra properties
hold. When the value is wrong, each known mistake's answer on the same inputs is
computed and compared with the student's; the first that matches names the mistake.

A hidden case's verdict says which kind of check failed and the named mistake, never a
value: no input, expected answer or shape of it, and nothing the student's code said
(an exception's message could hold the hidden inputs it was called with), only the
exception's builtin type and its line number.
"""

from __future__ import annotations

import builtins
import copy
import dataclasses
import logging
import re
from dataclasses import dataclass
from typing import Any

from autograder.checks.cell_tests import Expectation
from autograder.checks.compare import Mismatch, compare
from autograder.checks.kinds import Kind
from autograder.checks.spec import Mistake, Observation, QuestionCheck
from autograder.protocol import wire
from autograder.protocol.probes import ProbeOutput, ProbeStatus

log = logging.getLogger(__name__)


HARD_CODED_GPU = (
    "your function hard-codes the GPU (.cuda() or device='cuda'): create tensors on the inputs' device "
    "(device=x.device, or torch.zeros_like(x)) so that it runs on CPU and GPU alike"
)
HARD_CODED_CPU = (
    "for CUDA inputs your function returns a CPU result: it hard-codes the CPU (.cpu(), .numpy(), or a new "
    "tensor without device=x.device); keep the result on the inputs' device"
)
# What torch says when code asks for CUDA on a machine without it.
NO_CUDA_ERRORS = ("Found no NVIDIA driver", "Torch not compiled with CUDA", "No CUDA GPUs are available")
# A hidden check's words, by the kind of check that failed.
HIDDEN_FAILURES = {
    Kind.TYPE: "returned a value of the wrong type",
    Kind.LENGTH: "returned a sequence of the wrong length",
    Kind.KEYS: "returned a dict with the wrong keys",
    Kind.SHAPE: "returned an array of the wrong shape",
    Kind.DTYPE: "returned an array of the wrong dtype",
    Kind.DEVICE: "returned a result on the wrong device",
    Kind.VALUES: "returned wrong values",
    Kind.PROPERTY: "returned the right values, but a required property does not hold",
}
_BUILTIN_EXCEPTIONS = frozenset(
    name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)
)
_LINE = re.compile(r"line (\d{1,6})")


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str = ""
    diagnosis: str = ""
    kind: Kind | None = None  # why it failed


def judge(
    check: QuestionCheck,
    function: str,
    inputs: dict[str, Any],
    expected: Any,
    output: ProbeOutput,
    device: str = "cpu",
    hidden: bool = False,
) -> Verdict:
    """The verdict on one probe; with ``hidden``, in words that reveal nothing of the case."""
    verdict = _judge(check, function, inputs, expected, output, device)
    if (
        hidden and not verdict.passed and isinstance(expected, Expectation)
    ):  # its lines are the test's, not the student's
        if verdict.kind == Kind.ERROR:
            return dataclasses.replace(
                verdict, message=f"the hidden test raised {exception_name(output.error.get('type', ''))}"
            )
        if verdict.kind == Kind.VALUES:
            return dataclasses.replace(verdict, message="a comparison of the hidden test did not hold")
    return _conceal(verdict, function, output) if hidden and not verdict.passed else verdict


def exception_name(name: str) -> str:
    """The name of an exception the student's code raised, as shown for a hidden case.

    The kernel writes the name, so it could be any text: only builtin exception names pass.
    """
    return name if name in _BUILTIN_EXCEPTIONS else "an exception"


def _conceal(verdict: Verdict, function: str, output: ProbeOutput) -> Verdict:
    if verdict.kind == Kind.ERROR:
        lines = _LINE.findall(output.error.get("traceback", ""))
        where = f" (at line {lines[-1]} of your code)" if lines else ""
        message = f"`{function}` raised {exception_name(output.error.get('type', ''))}{where}"
    elif verdict.kind in HIDDEN_FAILURES:
        message = f"`{function}` {HIDDEN_FAILURES[verdict.kind]}"
    else:  # missing, not implemented, no output: the grader's own words, about no value
        message = verdict.message
    return dataclasses.replace(verdict, message=message)


def _judge(
    check: QuestionCheck,
    function: str,
    inputs: dict[str, Any],
    expected: Any,
    output: ProbeOutput,
    device: str,
) -> Verdict:
    if output.status == ProbeStatus.MISSING:
        return Verdict(
            False,
            f"`{function}` is not defined in your notebook: keep (and run) the cell "
            "that defines it, with this exact name",
            kind=Kind.MISSING,
        )
    if output.status == ProbeStatus.NO_OUTPUT:
        return Verdict(False, output.problem, kind=Kind.NO_OUTPUT)
    if output.status == ProbeStatus.ERROR:
        if output.error.get("type") == "NotImplementedError" and _raised_by_student(output.error):
            return Verdict(
                False,
                f"`{function}` still raises NotImplementedError: replace that line with your implementation",
                kind=Kind.NOT_IMPLEMENTED,
            )
        if isinstance(expected, Expectation):  # a test cell: its own lines are not the student's code
            return Verdict(False, _test_error(output.error), kind=Kind.ERROR)
        message = f"`{function}` raised {output.error.get('type')}: {output.error.get('message', '')}"
        return Verdict(
            False,
            message.strip().rstrip(":") + _last_frame(output.error.get("traceback", "")),
            HARD_CODED_GPU if device == "cpu" and _wants_a_gpu(output.error) else "",
            kind=Kind.ERROR,
        )
    if isinstance(expected, Expectation):  # a test cell's recorded values; no mistake to name
        mismatch = expected.mismatch(output.value)
        return Verdict(False, mismatch.describe(), kind=mismatch.kind) if mismatch else Verdict(True)
    mismatch = _named(compare(output.value, expected, check.rule, device), check.output_names)
    if mismatch is not None and mismatch.kind == Kind.DEVICE:
        return Verdict(False, mismatch.describe(), HARD_CODED_CPU if device != "cpu" else HARD_CODED_GPU, "device")
    if mismatch is not None:
        return Verdict(False, mismatch.describe(), _diagnose(check, inputs, output.value, device), kind=mismatch.kind)
    observation = Observation(wire.build_inputs(inputs), expected, output.value, output.inputs_after)
    for check_property in check.properties:
        problem = check_property(observation)
        if problem:
            return Verdict(False, problem, kind=Kind.PROPERTY)
    return Verdict(True)


def _named(mismatch: Mismatch | None, names: tuple[str, ...]) -> Mismatch | None:
    """The mismatch with its leading ``[i]`` replaced by the name of the answer's part i ("at dW: ...")."""
    found = re.match(r"\[(\d+)\]", mismatch.path) if mismatch is not None and names else None
    if found is None or int(found.group(1)) >= len(names):
        return mismatch
    return dataclasses.replace(mismatch, path=names[int(found.group(1))] + mismatch.path[found.end() :])


def _diagnose(check: QuestionCheck, inputs: dict[str, Any], actual: Any, device: str) -> str:
    for mistake in check.mistakes:
        if _matches(mistake, inputs, actual, check, device):
            return mistake.explanation
    return ""


def _matches(mistake: Mistake, inputs: dict[str, Any], actual: Any, check: QuestionCheck, device: str) -> bool:
    try:
        wrong = mistake.output(**wire.build_inputs(copy.deepcopy(inputs)))
    except Exception as error:  # a mistake that cannot happen on these inputs
        log.debug("mistake %r not computable: %s", mistake.explanation, error)
        return False
    return compare(actual, wrong, check.rule, device) is None


def _test_error(error: dict[str, str]) -> str:
    name, text = error.get("type", ""), error.get("message", "")
    if name == "AssertionError":
        return "an assert of the test did not hold" + (f": {text}" if text else "")
    return f"the test raised {name}" + (f": {text}" if text else "")


def _wants_a_gpu(error: dict[str, str]) -> bool:
    return any(text in error.get("message", "") for text in NO_CUDA_ERRORS)


def _raised_by_student(error: dict[str, str]) -> bool:
    """True when the last frame is the student's own code, not a library they called."""
    frames = [line for line in error.get("traceback", "").splitlines() if line.strip().startswith("File ")]
    return not frames or "site-packages" not in frames[-1]


def _last_frame(traceback: str) -> str:
    """The student's line that raised, from the traceback text, for the feedback."""
    lines = [line.strip() for line in traceback.splitlines() if line.strip()]
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].startswith("File ") or lines[index].startswith("Cell In["):
            code = lines[index + 1] if index + 1 < len(lines) else ""
            return f" (in `{code}`)" if code else ""
    return ""
