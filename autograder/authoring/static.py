"""``autograder validate ID --static``: check an assignment in this process, in seconds, before any sandbox runs.

Everything here is the instructor's own code (the master notebook's solutions, checks.py,
variants.py), so it runs in the trusted process. For every case it builds the inputs
(public ones, and each hidden one under several seeds), evaluates the reference, and runs
every named mistake and property on them. It reports, naming the question, the case and
the source line: inputs that do not match the call's names, a reference that raises or
fails its own test cell, a mistake that never applies, a mistake that equals the
reference on some case (a student making it passes there), two mistakes that cannot be
told apart on a case, a property that fails on the reference, forgeable test cells and
stale bundled examples. ``autograder validate`` (the full one) runs this first.
"""

from __future__ import annotations

import ast
import builtins
import copy
import inspect
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autograder.authoring import shipping, variants
from autograder.checks.calls import call_scope, make_call
from autograder.checks.compare import compare
from autograder.checks.spec import Case, Mistake, Observation, QuestionCheck, Rng
from autograder.course.assignment import Assignment, Question
from autograder.errors import AssignmentError
from autograder.grading.seeds import PUBLIC_KEY, case_seed
from autograder.protocol import wire

log = logging.getLogger(__name__)
HIDDEN_SEEDS = 4  # each hidden case is drawn this many times (as for as many students)
ERROR, WARNING, NOTE = "error", "warning", "note"  # a note: what the author should know, nothing wrong
FAILED = object()  # what ``_Report.attempt`` returns when the action raised


@dataclass(frozen=True)
class Finding:
    severity: str  # ERROR: the assignment is not sound; WARNING: worth a look; NOTE: for the record
    question: str  # "" for the assignment as a whole
    case: str
    message: str
    where: str = ""  # "checks.py, line 57", "tensors.ipynb, cell 12"

    def line(self) -> str:
        at = " / ".join(part for part in (self.question, self.case and f"case {self.case!r}") if part)
        return f"{self.severity}: {at + ': ' if at else ''}{self.message}" + (f" ({self.where})" if self.where else "")


def check(assignment: Assignment) -> list[Finding]:
    """Every finding of the static checks, errors first."""
    findings = [finding for question in assignment.questions for finding in _question(assignment, question)]
    findings += _stale_examples(assignment)
    return sorted(findings, key=lambda finding: (ERROR, WARNING, NOTE).index(finding.severity))


def _question(assignment: Assignment, question: Question) -> list[Finding]:
    check, findings = question.check, []
    scope_names = set(call_scope(vars(assignment.reference), check.driver)) | set(dir(builtins))
    tally = _MistakeTally(check.mistakes)
    for index, case in enumerate(check.cases):
        where = case.origin or _where(case.inputs)
        for seed in _seeds(assignment, question, index, case):
            report = _Report(findings, question.id, case.name, where)
            inputs = report.attempt("building the inputs raised", case.inputs, Rng(seed))
            if inputs is FAILED or report.names(case.call or check.call, inputs, scope_names):
                break
            if case.expect is not None:
                _solution_passes_its_test(assignment, check, case, inputs, report)
                break
            expected = report.attempt(
                "the reference raised",
                check.evaluate,
                vars(assignment.reference),
                wire.build_inputs(copy.deepcopy(inputs)),
            )
            if expected is FAILED:
                break
            _properties(check, inputs, expected, report)
            tally.run(check, case, inputs, expected)
        if case.forgeable:
            findings.append(
                Finding(WARNING, question.id, case.name, FORGEABLE.format("; ".join(case.forgeable)), where)
            )
        if case.unchecked:
            findings.append(Finding(ERROR, question.id, case.name, UNCHECKED.format("; ".join(case.unchecked)), where))
    return findings + tally.findings(question.id) + _public_properties(question)


def _public_properties(question: Question) -> list[Finding]:
    """A property or picture marked ``@public`` must ship to the self-check; what ships is listed, for the author."""
    found = []
    for check_property in shipping.shipped(question.check):
        where = _where(check_property)
        try:
            source = shipping.bundle(check_property)
        except AssignmentError as error:
            found.append(Finding(ERROR, question.id, "", str(error), where))
            continue
        shipped = ", ".join(re.findall(r"^def (\w+)", source, re.MULTILINE))
        found.append(Finding(NOTE, question.id, "", f"public in the release, for the self-check: {shipped}", where))
    return found


UNCHECKED = (
    "never checked: {}. The cell has no recorded output, so nothing compares this value and the test passes "
    "whatever the student wrote: run the master notebook to record it, or write `assert ...`"
)
FORGEABLE = (
    "forgeable: judged in the student's kernel, not by the grader: {}. Rewrite each as `assert EXPR == CONSTANT` "
    "or `np.isclose(EXPR, CONSTANT)` (EXPR calls the student's code, the grader compares), or move it into checks.py"
)


class _MistakeTally:
    """Where each named mistake applied, where it equals the reference, and which public cases confuse two."""

    def __init__(self, mistakes: tuple[Mistake, ...]) -> None:
        self.mistakes = mistakes
        self.applied: set[int] = set()
        self.differs: set[int] = set()
        self.equal: dict[int, list[str]] = {index: [] for index in range(len(mistakes))}
        self.confused: dict[tuple[int, ...], list[str]] = {}  # mistakes alike on a public case -> the cases

    def run(self, check: QuestionCheck, case: Case, inputs: dict[str, Any], expected: Any) -> None:
        alike: list[tuple[Any, list[int]]] = []  # (an answer, the mistakes giving it), on this case
        for index, mistake in enumerate(self.mistakes):
            try:
                wrong = mistake.output(**wire.build_inputs(copy.deepcopy(inputs)))
            except Exception as error:  # the mistake cannot happen on these inputs
                log.debug("mistake %r not computable: %s", mistake.explanation, error)
                continue
            self.applied.add(index)
            returned = wire.decode(*wire.encode(wrong), received=True)  # as the grader would receive it
            if compare(returned, expected, check.rule) is None:
                self.equal[index].append(case.name)
                continue
            self.differs.add(index)
            group = next((group for answer, group in alike if compare(returned, answer, check.rule) is None), None)
            if group is None:
                alike.append((wrong, [index]))
            else:
                group.append(index)
        for _, group in alike:  # on a public example the student reads the first one's words only
            words = {self.mistakes[index].explanation for index in group}
            if not case.hidden and len(words) > 1:
                self.confused.setdefault(tuple(group), []).append(case.name)

    def findings(self, question: str) -> list[Finding]:
        found = []
        for index, mistake in enumerate(self.mistakes):
            where, words = _where(mistake.output), repr(mistake.explanation)
            if index not in self.applied:
                found.append(
                    Finding(ERROR, question, "", f"mistake {words} never applies: it raised on every case", where)
                )
            elif index not in self.differs:
                found.append(Finding(ERROR, question, "", f"mistake {words} equals the reference on every case", where))
            elif self.equal[index]:
                found.append(
                    Finding(
                        WARNING,
                        question,
                        "",
                        f"mistake {words} equals the reference on {_counted(self.equal[index])}: "
                        "a student who makes it passes there",
                        where,
                    )
                )
        for group, cases in self.confused.items():
            first, *others = (repr(self.mistakes[index].explanation) for index in group)
            found.append(
                Finding(
                    WARNING,
                    question,
                    "",
                    f"on {_counted(cases)}, {len(group)} mistakes give the same answer, so only the first is named: "
                    f"{first}; not {', '.join(others)}. Choose example inputs that tell them apart",
                    _where(self.mistakes[group[-1]].output),
                )
            )
        return found


def _counted(cases: list[str]) -> str:
    """Case names with how often each occurred ("'random ints' (2 seeds), 'the example'")."""
    counts = {name: cases.count(name) for name in cases}
    return ", ".join(f"{name!r}" + (f" ({count} seeds)" if count > 1 else "") for name, count in counts.items())


@dataclass
class _Report:
    findings: list[Finding]
    question: str
    case: str
    where: str

    def add(self, severity: str, message: str, where: str = "") -> None:
        finding = Finding(severity, self.question, self.case, message, where or self.where)
        if finding not in self.findings:
            self.findings.append(finding)

    def attempt(self, what: str, action: Callable[..., Any], *args: Any) -> Any:
        """``action(*args)``, or ``FAILED`` (reported) when it raises."""
        try:
            return action(*args)
        except Exception as error:
            self.add(ERROR, f"{what}: {type(error).__name__}: {error}")
            return FAILED

    def names(self, call: str, inputs: dict[str, Any], known: set[str]) -> bool:
        """Report names the call uses that nothing defines, and inputs it never uses; True if any name is missing."""
        try:
            tree = ast.parse(call, mode="eval")
        except SyntaxError as error:
            self.add(ERROR, f"the call {call!r} is not a Python expression: {error.msg}")
            return True
        used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        missing = sorted(used - set(inputs) - known)
        if missing:
            self.add(
                ERROR,
                f"the inputs do not match the call {call!r}: it uses {', '.join(missing)}, "
                f"the case gives {', '.join(sorted(inputs)) or 'nothing'}",
            )
        unused = sorted(set(inputs) - used)
        if unused:
            self.add(WARNING, f"input(s) {', '.join(unused)} not used by the call {call!r}")
        return bool(missing)


def _seeds(assignment: Assignment, question: Question, index: int, case: Case) -> list[int]:
    """The public seed, or several students' seeds for a hidden case (static ones, not the course's)."""
    if not case.hidden:
        return [case_seed(PUBLIC_KEY, assignment.id, "", f"{question.id}/{index}")]
    return [
        case_seed(b"static validation", assignment.id, f"student-{n}", f"{question.id}/{index}")
        for n in range(HIDDEN_SEEDS)
    ]


def _solution_passes_its_test(
    assignment: Assignment, check: QuestionCheck, case: Case, inputs: dict[str, Any], report: _Report
) -> None:
    """A test cell run against the solutions (in this process: they are the instructor's)."""
    namespace = report.attempt("running the master notebook's code raised", lambda: assignment.master_namespace)
    if namespace is FAILED:
        return
    recorded = report.attempt(
        "the solution fails its own test (it raised)", make_call, case.call, call_scope(namespace, check.driver), inputs
    )
    if recorded is FAILED or case.expect is None:
        return
    received = wire.decode(*wire.encode(recorded), received=True)  # as the grader reads a student's
    mismatch = case.expect.mismatch(received)
    if mismatch is not None:
        report.add(ERROR, f"the solution fails its own test: {mismatch.describe()}")


def _properties(check: QuestionCheck, inputs: dict[str, Any], expected: Any, report: _Report) -> None:
    built = wire.build_inputs(copy.deepcopy(inputs))
    observation = Observation(
        built, expected, expected, wire.build_inputs(copy.deepcopy(inputs)) if check.keep_inputs else None
    )
    for check_property in check.properties:
        problem = report.attempt("a property raised on the reference", check_property, observation)
        if problem and problem is not FAILED:
            report.add(ERROR, f"a property fails on the reference's own answer: {problem}", _where(check_property))


def _stale_examples(assignment: Assignment) -> list[Finding]:
    """Example notebooks that differ from what their variant builds (missing ones only warn: a
    release's grading bundle carries variants.py without them), and notebooks no variant builds."""
    if not (assignment.examples / "variants.py").is_file():
        return []
    findings, rebuild = [], f"run `autograder examples {assignment.id}`"
    listed = variants.load_variants(assignment)
    for variant in listed:
        path = assignment.examples / f"{variant.name}.ipynb"
        if not path.is_file():
            findings.append(Finding(WARNING, "", "", f"examples/{path.name} is not built: {rebuild}"))
        elif json.loads(path.read_text()) != json.loads(json.dumps(variants.build(assignment, variant))):
            findings.append(Finding(ERROR, "", "", f"examples/{path.name} is stale: {rebuild}"))
    names = {f"{variant.name}.ipynb" for variant in listed}
    for path in sorted(assignment.examples.glob("*.ipynb")):
        if path.name not in names:
            findings.append(
                Finding(WARNING, "", "", f"examples/{path.name} is no variant's: delete it, or list its variant")
            )
    return findings


def _where(code: Any) -> str:
    """``checks.py, line N`` for a function or lambda defined in an assignment's files."""
    try:
        path = inspect.getsourcefile(code) or ""
        line = inspect.getsourcelines(code)[1]
    except (OSError, TypeError):
        return ""
    return f"{path.rsplit('/', 1)[-1]}, line {line}" if path and not path.startswith("<") else ""
