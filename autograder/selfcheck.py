"""The student's self-check: run a question's public examples on the live function.

A released student folder holds ``<assignment>.public.json`` and
``<assignment>.public.safetensors`` next to the notebook: for each question the call
expression and driver the grader uses, the comparison rule, and for each public example
its inputs, the reference's answer and, for every known mistake, its explanation and
the wrong answer it gives on those inputs (precomputed by ``autograder release``). With
that data this module judges the student's function exactly as the grader does (the
same ``compare`` and ``judge``, the value passed through the same wire format) and prints
the same words, without the reference, the hidden checks, the course secret or the
sandbox. It runs offline and imports nothing that loads an assignment.

In the notebook::

    check = self_check("tensors", globals())
    check("q1")   # one question
    check()       # all of them

Property checks the course marked ``@public`` (an input left unchanged, an objective and a
PSNR within the grader's margins) ship as source and run here exactly as in the grader.
What it cannot do: hidden cases (other inputs, drawn per student) and the other property
checks, code the student does not get; a public example of such a question that matches
says it "can only be judged when graded", never "Passed".
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from markupsafe import Markup

from autograder.checks.calls import call_scope, describe_error, make_call
from autograder.checks.cell_tests import Expectation
from autograder.checks.compare import Rule
from autograder.checks.judge import judge
from autograder.checks.numerics import apply_numeric_settings
from autograder.checks.results import CheckResult, QuestionResult, question_score
from autograder.checks.spec import Mistake, Observation, Picture, PropertyCheck, QuestionCheck
from autograder.errors import UsageError
from autograder.feedback import html
from autograder.feedback.render import question_text
from autograder.protocol import wire
from autograder.protocol.probes import ProbeOutput, ProbeStatus

FORMAT = "autograder-public-checks/3"


def data_paths(folder: Path, assignment_id: str) -> tuple[Path, Path]:
    """The public data files of an assignment in a folder: (json, safetensors)."""
    return folder / f"{assignment_id}.public.json", folder / f"{assignment_id}.public.safetensors"


class PublicDataError(UsageError):
    """The public data files are missing, from another assignment or malformed."""


class UnknownQuestion(UsageError):
    """``check("q9")`` for a question the assignment does not have."""


@dataclass(frozen=True)
class PublicMistake:
    explanation: str
    output: Any  # the wrong answer on this example's inputs (wire tree)


@dataclass(frozen=True)
class PublicCase:
    name: str
    call: str
    inputs: Any  # wire trees, decoded afresh for every use
    expected: Any
    mistakes: tuple[PublicMistake, ...]
    expectation: bool = False  # ``expected`` is a test cell's expectation (``cell_tests``), not a value


@dataclass(frozen=True)
class PublicQuestion:
    id: str
    function: str
    points: float
    call: str
    driver: str
    rule: Rule
    cases: tuple[PublicCase, ...]
    hidden_cases: int
    properties: int  # property checks only the grader runs
    output_names: tuple[str, ...] = ()  # the parts of a tuple answer (``QuestionCheck.output_names``)
    public_properties: tuple[PropertyCheck, ...] = ()  # property checks shipped as source: run here too
    keep_inputs: bool = False  # the public properties look at the inputs after the call
    depends_on: tuple[str, ...] = ()  # questions whose functions this one's calls (``QuestionCheck.depends_on``)
    picture: Callable[[Observation], Picture] | None = None  # shipped as source (``@public``): drawn here too


@dataclass(frozen=True)
class PublicChecks:
    """An assignment's public data as the release wrote it: questions, examples, and the tensors they use."""

    assignment: str
    title: str
    version: str
    questions: tuple[PublicQuestion, ...]
    tensors: dict[str, torch.Tensor] = field(repr=False)  # large; a repr would print every value

    def question(self, question_id: str) -> PublicQuestion:
        for question in self.questions:
            if question.id == question_id:
                return question
        known = ", ".join(question.id for question in self.questions)
        raise UnknownQuestion(f"no question {question_id!r} in {self.assignment} (questions: {known})")

    def decode(self, tree: Any) -> Any:
        """A fresh trusted value (plain tensors and arrays) from a wire tree."""
        return wire.decode_tree(tree, self.tensors)


def rule_to_data(rule: Rule) -> dict[str, Any]:
    return {
        "rtol": rule.rtol,
        "atol": rule.atol,
        "scale_atol": rule.scale_atol,
        "check_dtype": rule.check_dtype,
        "float_dtype": str(rule.float_dtype).removeprefix("torch."),
    }


def rule_from_data(data: dict[str, Any]) -> Rule:
    dtype = getattr(torch, str(data.get("float_dtype", "float64")), None)
    if not isinstance(dtype, torch.dtype):
        raise PublicDataError(f"unknown float dtype {data.get('float_dtype')!r}")
    return Rule(data["rtol"], data["atol"], bool(data["scale_atol"]), bool(data["check_dtype"]), dtype)


def load(folder: Path, assignment_id: str) -> PublicChecks:
    """Read and validate an assignment's public data from ``folder``."""
    text_path, blob_path = data_paths(folder, assignment_id)
    if not text_path.is_file() or not blob_path.is_file():
        raise PublicDataError(
            f"{text_path.name} and {blob_path.name} are not in {folder}: open the notebook from the "
            "folder it came in (they are part of the assignment download)"
        )
    try:
        document = json.loads(text_path.read_text(encoding="utf-8"))
        tensors = wire.load_blob(blob_path.read_bytes())
        if document.get("format") != FORMAT:
            raise PublicDataError(f"{text_path.name}: unknown format {document.get('format')!r}")
        if document.get("assignment") != assignment_id:
            raise PublicDataError(f"{text_path.name} belongs to assignment {document.get('assignment')!r}")
        questions = tuple(_question(entry, tensors) for entry in document["questions"])
    except (KeyError, TypeError, ValueError) as error:  # JSONDecodeError and WireError are ValueErrors
        raise PublicDataError(f"{text_path.name} is damaged ({error}): download the assignment again") from None
    return PublicChecks(assignment_id, document.get("title", ""), str(document.get("version", "")), questions, tensors)


def _question(entry: dict[str, Any], tensors: dict[str, torch.Tensor]) -> PublicQuestion:
    cases = tuple(
        PublicCase(
            case["name"],
            case["call"],
            case["inputs"],
            case["expected"],
            tuple(PublicMistake(m["explanation"], m["output"]) for m in case["mistakes"]),
            bool(case["expectation"]),
        )
        for case in entry["cases"]
    )
    rule = rule_from_data(wire.decode_tree(entry["rule"], tensors))
    return PublicQuestion(
        entry["id"],
        entry["function"],
        float(entry["points"]),
        entry["call"],
        entry["driver"],
        rule,
        cases,
        int(entry["hidden_cases"]),
        int(entry["properties"]),
        tuple(str(name) for name in entry["output_names"]),
        tuple(_shipped(shipped["name"], shipped["source"]) for shipped in entry["public_properties"]),
        bool(entry["keep_inputs"]),
        tuple(str(question) for question in entry.get("depends_on", ())),  # absent from older releases
        _shipped(entry["picture"]["name"], entry["picture"]["source"]) if entry.get("picture") else None,
    )


def _shipped(name: str, source: str) -> Callable[..., Any]:
    """A public property check or picture, from the source the release wrote (the course's code, not the student's)."""
    namespace: dict[str, Any] = {"__name__": "autograder_public_property"}
    exec(compile(source, f"<public property {name}>", "exec"), namespace)
    return namespace[name]


# Judging -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionReport:
    """A question's public examples judged: the grader's results model, so the grader's renderer words it."""

    question: PublicQuestion
    result: QuestionResult

    @property
    def passed(self) -> bool:
        return self.result.passed


def run_question(checks: PublicChecks, question: PublicQuestion, namespace: dict[str, Any]) -> QuestionReport:
    """Call the student's function on every public example of a question and judge each answer.

    A failing question that calls another's function (``depends_on``) whose own examples
    fail says so: the error may be inherited (the grader tells, with the reference's
    versions standing in; the self-check has none to use).
    """
    report = _judged(checks, question, namespace)
    failing = [
        dependency
        for dependency in question.depends_on
        if not report.passed and not _judged(checks, checks.question(dependency), namespace).passed
    ]
    if failing:
        names = " and ".join(f"your `{checks.question(qid).function}` ({qid})" for qid in failing)
        hint = (
            f"this may be only because it inherits the error in {names}, which fails its own public example: fix "
            f"that first (the grader also judges `{question.function}` with the reference's versions in place)"
        )
        for check in report.result.checks:
            if not check.passed and not check.diagnosis:
                check.diagnosis = hint
    return report


def _judged(checks: PublicChecks, question: PublicQuestion, namespace: dict[str, Any]) -> QuestionReport:
    with _numeric_settings():
        scope = call_scope(namespace, question.driver)
        results = []
        for case in question.cases:
            output = _call(question, case, checks, namespace, scope)
            reference = QuestionCheck(
                question.call,
                cases=(),
                rule=question.rule,
                mistakes=tuple(_constant_mistake(checks, mistake) for mistake in case.mistakes),
                properties=question.public_properties,
                output_names=question.output_names,
            )
            expected = checks.decode(case.expected)
            if case.expectation:
                expected = Expectation.from_data(expected)
            verdict = judge(reference, question.function, checks.decode(case.inputs), expected, output)
            deferred = DEFERRED if verdict.passed and question.properties else ""
            figure = ""
            drawn = not any(result.figure for result in results)  # as the grader: the first public case's
            if question.picture is not None and drawn and output.status == ProbeStatus.OK:
                inputs = checks.decode(case.inputs)
                figure = _figure(question.picture, Observation(inputs, expected, output.value, output.inputs_after))
            results.append(
                CheckResult(
                    case.name,
                    False,
                    1.0,
                    verdict.passed,
                    deferred or verdict.message,
                    verdict.diagnosis,
                    verdict.kind or "",
                    figure,
                    not_run=deferred,
                )
            )
    score = question_score(question.points, results)
    return QuestionReport(question, QuestionResult(question.id, question.function, question.points, score, results))


def _figure(picture: Callable[[Observation], Picture], observation: Observation) -> str:
    """The picture the feedback page shows for this example, or "" where matplotlib is not installed."""
    try:
        from autograder.feedback import figures  # matplotlib: the student may not have it (README)
    except ImportError:
        return ""
    return figures.draw_observed(picture, observation)


def _call(
    question: PublicQuestion, case: PublicCase, checks: PublicChecks, namespace: dict[str, Any], scope: dict[str, Any]
) -> ProbeOutput:
    """What the harness would record: the student's value as the grader receives it."""
    if question.function and question.function not in namespace:
        return ProbeOutput(ProbeStatus.MISSING)
    inputs = checks.decode(case.inputs)
    try:
        value = make_call(case.call, scope, inputs)
    except Exception as error:  # the student's code failing is a verdict, not a crash
        return ProbeOutput(ProbeStatus.ERROR, error=describe_error(error))
    text, blob = wire.encode({"value": value, "inputs_after": inputs if question.keep_inputs else None})
    received = wire.decode(text, blob, received=True)
    return ProbeOutput(ProbeStatus.OK, value=received["value"], inputs_after=received["inputs_after"])


def _constant_mistake(checks: PublicChecks, mistake: PublicMistake) -> Mistake:
    wrong = checks.decode(mistake.output)
    return Mistake(mistake.explanation, lambda **inputs: wrong)


@contextlib.contextmanager
def _numeric_settings() -> Iterator[None]:
    """The grader's numeric settings while checking; the student's own afterwards."""
    saved = (
        getattr(torch.backends, "fp32_precision", None),
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.get_default_dtype(),
        torch.is_grad_enabled(),
    )
    apply_numeric_settings()
    try:
        yield
    finally:
        precision, deterministic, warn_only, dtype, grad = saved
        if precision is not None:
            torch.backends.fp32_precision = precision
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
        torch.set_default_dtype(dtype)
        torch.set_grad_enabled(grad)


# Words -------------------------------------------------------------------------------------

# A public example whose values match, in a question the grader also judges by properties
# (an input left unchanged, an objective, a PSNR) that only it runs: no verdict here.
DEFERRED = "nothing wrong found here, but only the grader can judge it (this question has checks only it runs)"


def heading(report: QuestionReport) -> str:
    """How many of a question's public examples pass (and how many only the grader can judge)."""
    question, checks = report.question, report.result.checks
    if not checks:
        return f"{question.id} `{question.function}`: no public examples (graded on hidden inputs only)"
    passed = sum(check.passed and not check.not_run for check in checks)
    deferred = sum(bool(check.not_run) for check in checks)
    words = f"{question.id} `{question.function}`: {passed} of {len(checks)} public examples pass"
    return words + (f", {deferred} can only be judged when graded" if deferred else "")


def render(report: QuestionReport) -> str:
    """A question's verdict in the grader's words (``feedback.render``), headed by how many examples pass."""
    if not report.result.checks:
        return heading(report)
    return "\n".join(question_text(report.result, heading(report)))


@dataclass(frozen=True)
class Verdicts:
    """What ``check()`` shows: the feedback page's HTML in Jupyter, the same words as plain text elsewhere."""

    text: str
    html: str

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text


def verdicts(reports: list[QuestionReport]) -> Verdicts:
    """The reports in words (``render``) and as HTML (``feedback.html``, the template feedback.html uses)."""
    last = closing(reports)
    text = "\n".join(filter(None, [*(render(report) for report in reports), last]))
    fragments = [html.question_fragment(report.result, heading(report)) for report in reports]
    page = "".join(fragments) + (str(Markup("<p>{}</p>").format(last)) if last else "")
    return Verdicts(text, html.NOTEBOOK_STYLE + html.inline_styles(f'<div class="autograder-check">{page}</div>'))


def closing(reports: list[QuestionReport]) -> str:
    """What a pass here does and does not promise ("" after a single failing question)."""
    if len(reports) == 1 and not reports[0].passed:
        return ""
    hidden = sum(report.question.hidden_cases for report in reports)
    with_properties = [report.question.id for report in reports if report.question.properties]
    more = f"the grader also runs {hidden} hidden case(s) on inputs you have not seen"
    if with_properties:
        more += f" and checks properties of {', '.join(with_properties)} that this self-check cannot"
    deferred = [report.question.id for report in reports if any(check.not_run for check in report.result.checks)]
    if all(report.passed for report in reports) and deferred:
        return f"No public example fails, but {', '.join(deferred)} can only be judged when graded: {more}."
    if all(report.passed for report in reports):
        return f"{'All public examples pass' if len(reports) > 1 else 'Passed'}. Not a grade yet: {more}."
    failing = sum(not report.passed for report in reports)
    return f"{failing} of {len(reports)} question(s) fail a public example. Beyond these, {more}."


class SelfCheck:
    """``check("q1")`` / ``check()`` in a student notebook (see ``self_check``)."""

    def __init__(self, checks: PublicChecks | None, namespace: dict[str, Any], problem: str = "") -> None:
        self.checks = checks
        self.namespace = namespace
        self.problem = problem

    def run(self, question: str | None = None) -> list[QuestionReport]:
        if self.checks is None:
            raise PublicDataError(self.problem)
        questions = self.checks.questions if question is None else (self.checks.question(question),)
        return [run_question(self.checks, q, self.namespace) for q in questions]

    def __call__(self, question: str | None = None) -> None:
        """Print the verdict of one question (by id) or of all; never raises for the student's code."""
        try:
            reports = self.run(question)
        except PublicDataError as error:
            print(f"self-check unavailable: {error}")
            return
        except UnknownQuestion as error:
            print(error)
            return
        shown = verdicts(reports)
        if _in_jupyter():
            from IPython.display import display

            display(shown)
        else:
            print(shown.text)

    def __repr__(self) -> str:
        name = self.checks.assignment if self.checks else "unavailable"
        return f"<self-check {name}: check('q1') for one question, check() for all>"


def _in_jupyter() -> bool:
    """Whether this runs in a Jupyter kernel (which shows HTML), not a terminal or a plain script."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def self_check(assignment_id: str, namespace: dict[str, Any], folder: str | Path | None = None) -> SelfCheck:
    """The notebook's ``check``: public data from ``folder`` (default: the working directory).

    Pass ``globals()`` as ``namespace``: the functions are looked up there when checked,
    so the latest definition of each is the one judged.
    """
    try:
        checks = load(Path(folder) if folder is not None else Path.cwd(), assignment_id)
    except PublicDataError as error:
        return SelfCheck(None, namespace, str(error))
    return SelfCheck(checks, namespace)
