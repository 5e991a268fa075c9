"""Grade one submission: probes -> sandboxed run -> trusted judgement -> results.

This is the trusted process. It draws the hidden inputs from the student's seed,
computes the reference answers itself, runs the student's notebook in the sandbox with
the harness appended, reads back raw outputs as data, and judges them. Student code
never runs here, and nothing it produced is imported, exec'd or unpickled.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from autograder.checks.judge import Verdict, exception_name, judge
from autograder.checks.kinds import Kind
from autograder.checks.numerics import apply_numeric_settings
from autograder.checks.results import CheckResult, ManualResult, QuestionResult, SubmissionResult, question_score
from autograder.checks.spec import Observation, Rng
from autograder.course import notebook as notebooks
from autograder.course.assignment import Assignment, Question
from autograder.errors import AssignmentError, SubmissionError
from autograder.execution.harness import Harness, cell_label
from autograder.execution.pool import KernelPool
from autograder.execution.runner import CellStatus, Execution, NotebookRunner
from autograder.execution.sandbox import Limits
from autograder.feedback import figures
from autograder.grading.seeds import PUBLIC_KEY, case_seed
from autograder.protocol import wire
from autograder.protocol.digest import digest
from autograder.protocol.probes import Probe, ProbeOutput, ProbeStatus

log = logging.getLogger(__name__)
DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class PlannedProbe:
    probe: Probe
    question: Question
    case_index: int
    expected: Any


def plan(
    assignment: Assignment, student: str, secret: bytes, public_only: bool = False, device: str = "cpu"
) -> list[PlannedProbe]:
    """Every probe of the submission with its inputs and the reference's answer.

    ``public_only``: only the public cases (a self-check; no hidden input is drawn).
    ``device``: the runner's device; only questions graded there get probes. Inputs are
    drawn on the CPU either way (the kernel moves them), and the reference's answer is
    computed on the CPU, so every runner is held to the same expected values.
    """
    apply_numeric_settings()
    planned = []
    for question in questions_on(assignment, device):
        for index, case in enumerate(question.check.cases):
            if public_only and case.hidden:
                continue
            key, owner = (secret, student) if case.hidden else (PUBLIC_KEY, "")
            seed = case_seed(key, assignment.id, owner, f"{question.id}/{index}")
            try:
                inputs = case.inputs(Rng(seed))
                expected = case.expect  # a test cell's values; else the reference's answer (built only when needed)
                if expected is None:
                    built = wire.build_inputs(copy.deepcopy(inputs))
                    expected = question.check.evaluate(vars(assignment.reference), built, case.call)
                stand_ins = _stand_ins(assignment, question, inputs) if case.expect is None else {}
            except Exception as error:  # the instructor's checks or solution, not the student
                raise AssignmentError(
                    f"{assignment.id} {question.id}, case {case.name!r}: {type(error).__name__}: {error} "
                    f"(`autograder validate {assignment.id} --static` checks every case)"
                ) from error
            probe = Probe(
                f"{question.id}/{index}",
                question.id,
                case.call or question.check.call,
                inputs,
                device=device,
                keep_inputs=question.check.keep_inputs,
                hidden=case.hidden,
            )
            planned.append(PlannedProbe(probe, question, index, expected))
            if stand_ins:  # the same call again, with the reference's versions of the functions it calls
                again = dataclasses.replace(probe, id=f"{probe.id}/stand-ins", stand_ins=stand_ins)
                planned.append(PlannedProbe(again, question, index, expected))
    return planned


def _stand_ins(assignment: Assignment, question: Question, inputs: dict[str, Any]) -> dict[str, Any]:
    """Function name -> the ``Built`` standing in for it, for each question this one depends on (none: {})."""
    if not question.check.depends_on:
        return {}
    built = wire.build_inputs(copy.deepcopy(inputs))
    reference = vars(assignment.reference)
    return {
        assignment.question(dependency.question).function: dependency.stand_in(built, reference)
        for dependency in question.check.depends_on
    }


def questions_on(assignment: Assignment, device: str) -> list[Question]:
    """The questions graded on a runner of this device type ("cpu", "cuda", "cuda:1" -> "cuda")."""
    kind = device.split(":")[0]
    return [question for question in assignment.questions if kind in question.devices]


def runner_limits(limits: Limits, device: str) -> Limits:
    """The limits of a kernel on this device's runner: only a GPU runner's kernel sees the GPU."""
    return dataclasses.replace(limits, gpu=device != "cpu")


def read_notebook(source: Path | bytes, assignment: Assignment | None = None) -> nbformat.NotebookNode:
    """The submission as a v4 notebook; raises ``SubmissionError`` with a reason otherwise.

    Older notebook formats are converted (nbformat knows how); a notebook whose metadata
    names another assignment is refused, whatever its file is called.
    """
    label = source.name if isinstance(source, Path) else "the file"
    try:
        text = source.read_bytes() if isinstance(source, Path) else source
        notebook = nbformat.reads(text.decode("utf-8"), as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat raises JSON, validation and version errors
        raise SubmissionError(f"{label} is not a valid Jupyter notebook: {_first_line(error)}") from None
    if not any(cell.get("source", "").strip() for cell in notebook.cells if cell.cell_type == "code"):
        raise SubmissionError(f"{label} is an empty notebook: it has no code")
    claimed = notebooks.stamped(notebook)
    if assignment is not None and claimed is not None and claimed.assignment != assignment.id:
        raise SubmissionError(f"{label} is a notebook of assignment {claimed.assignment!r}, not {assignment.id!r}")
    return notebook


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__


def grade(
    assignment: Assignment,
    source: Path | bytes,
    student: str,
    *,
    secret: bytes,
    limits: Limits = DEFAULT_LIMITS,
    public_only: bool = False,
    device: str = "cpu",
    kernels: KernelPool | None = None,
) -> SubmissionResult:
    """Grade a notebook (a path, or its bytes as received) for one student on one device.

    The result holds the questions graded on that device; ``devices.combine`` joins the
    CPU and GPU runners' results. ``kernels``: a pool to take the kernel from (a batch keeps
    kernels warm), whose limits then apply; by default one is started now with
    ``runner_limits(limits, device)``.
    """
    started = time.monotonic()
    try:
        notebook = read_notebook(source, assignment)
    except SubmissionError as error:
        return rejected(assignment, student, str(error), public_only)
    result = new_result(assignment, student)
    probes = plan(assignment, student, secret, public_only, device)
    with contextlib.ExitStack() as stack:
        pool = kernels or stack.enter_context(KernelPool(runner_limits(limits, device)))
        kernel = stack.enter_context(pool.kernel())
        questions = {q.id: (q.function, q.check.driver) for q in assignment.questions}
        harness = Harness(kernel.run, questions, [p.probe for p in probes])
        execution = pool.run(NotebookRunner(kernel).run(notebook, harness.cells))
        apply_numeric_settings()  # judged with the grader's settings, whatever ran before
        result.sandbox = str(execution.sandbox_mode)
        result.isolated = execution.sandbox_mode.isolated
        result.notebook_problems = _notebook_problems(execution)
        judged: dict[str, QuestionResult] = {}
        for question in questions_on(assignment, device):
            asked = [p for p in probes if p.question is question]
            judged[question.id] = _judge_question(question, asked, harness, execution, judged)
        result.questions = list(judged.values())
    result.seconds = round(time.monotonic() - started, 3)
    return result.cleaned()


def new_result(assignment: Assignment, student: str, **fields: Any) -> SubmissionResult:
    """An empty result of the assignment for a student: its maximum, and its manual questions awaiting a TA."""
    manual = [ManualResult(question.id, question.points) for question in assignment.manual]
    return SubmissionResult(student, assignment.id, assignment.max_score, manual=manual, **fields)


def rejected(assignment: Assignment, student: str, reason: str, public_only: bool = False) -> SubmissionResult:
    """The result of a submission that cannot be run at all: 0 points, with the reason."""
    result = new_result(assignment, student, notebook_problems=[reason])
    result.questions = [_unanswered(question, reason, public_only) for question in assignment.questions]
    return result.cleaned()


def _judge_question(
    question: Question,
    probes: list[PlannedProbe],
    harness: Harness,
    execution: Execution,
    earlier: dict[str, QuestionResult],
) -> QuestionResult:
    """The question's checks; ``earlier``: the questions judged before it (those it depends on, if any)."""
    outputs = harness.read(question.id, lambda phase: _why_no_output(cell_label(question.id, phase), execution))
    again = {planned.case_index: planned for planned in probes if planned.probe.stand_ins}
    checks = []
    for planned in (planned for planned in probes if not planned.probe.stand_ins):
        case = question.check.cases[planned.case_index]
        output = outputs[planned.probe.id]
        verdict = _verdict(question, planned, output, case.hidden)
        inherited = False
        if not verdict.passed and planned.case_index in again:
            retried = again[planned.case_index]
            verdict, inherited = _with_stand_ins(
                question, verdict, _verdict(question, retried, outputs[retried.probe.id], case.hidden), earlier
            )
        drawn = not case.hidden and not any(check.figure for check in checks)
        compared = not case.hidden and not verdict.passed and output.status == ProbeStatus.OK
        checks.append(
            CheckResult(
                case.name,
                case.hidden,
                case.weight,
                verdict.passed,
                verdict.message,
                verdict.diagnosis,
                verdict.kind or "",
                _figure(question, planned, output) if drawn else "",
                planned.probe.device,
                answer=digest(output.value) if compared else "",
                partial=question.check.inherited_credit if inherited else 0.0,
            )
        )
    score = question_score(question.points, checks, question.all_or_nothing)
    return QuestionResult(question.id, question.function, question.points, score, checks, question.all_or_nothing)


def _with_stand_ins(
    question: Question, verdict: Verdict, again: Verdict, earlier: dict[str, QuestionResult]
) -> tuple[Verdict, bool]:
    """A failed check in the light of the same call with the reference's versions of the functions it calls.

    Right with them: the error is inherited from a question it depends on (named: those
    that lost points), and the check says so. Still wrong, but now a known mistake: that
    mistake is the diagnosis. Returns the verdict and whether the error is inherited.
    """
    called = [dependency.question for dependency in question.check.depends_on]
    at_fault = [qid for qid in called if qid in earlier and earlier[qid].score < earlier[qid].points] or called
    functions = {qid: _function_of(qid, earlier) for qid in called}
    reference = " and ".join(f"`{functions[qid]}`" for qid in called)
    if again.passed:
        credit = question.check.inherited_credit
        earned = f"; this check earns {credit:.0%} of its credit" if credit else ""
        errors = " and ".join(f"your `{functions[qid]}` ({qid})" for qid in at_fault)
        diagnosis = (
            f"your `{question.function}` is right; it inherits the error in {errors}: with the reference's "
            f"{reference} in place of yours it returns the right answer{earned}"
        )
        return dataclasses.replace(verdict, diagnosis=diagnosis), True
    if again.diagnosis and not verdict.diagnosis:
        diagnosis = f"{again.diagnosis} (found by calling it with the reference's {reference} in place of yours)"
        return dataclasses.replace(verdict, diagnosis=diagnosis), False
    return verdict, False


def _function_of(question_id: str, earlier: dict[str, QuestionResult]) -> str:
    return earlier[question_id].function if question_id in earlier else question_id


def _verdict(question: Question, planned: PlannedProbe, output: ProbeOutput, hidden: bool) -> Verdict:
    """``judge``, where anything the student's value makes go wrong is that check's failure.

    The decoder already refuses malformed data; this guard keeps a value it let through
    that still breaks a comparison (an exotic dtype, an extreme number) from voiding the
    whole submission as a grader fault. It is logged with its traceback: if it is the
    grader's bug, ``autograder validate`` fails on the solution too.
    """
    try:
        return judge(
            question.check,
            question.function,
            planned.probe.inputs,
            planned.expected,
            output,
            planned.probe.device,
            hidden=hidden,
        )
    except Exception as error:
        log.warning("the answer to %s could not be judged", planned.probe.id, exc_info=True)
        return Verdict(False, f"your answer could not be compared ({type(error).__name__})", kind=Kind.UNREADABLE)


def _figure(question: Question, planned: PlannedProbe, output: ProbeOutput) -> str:
    """The question's picture of a public case, or "" (no picture, or nothing to draw)."""
    if question.check.picture is None or output.status != ProbeStatus.OK:
        return ""
    observation = Observation(
        wire.build_inputs(planned.probe.inputs), planned.expected, output.value, output.inputs_after
    )
    return figures.draw_observed(question.check.picture, observation)


def _why_no_output(label: str, execution: Execution) -> str:
    """What the runner saw happen to a harness cell of a question (``cell_label``), in the student's terms."""
    if execution.memory_limit_hit:
        return "your notebook was stopped: memory limit exceeded"
    cells = {cell.label: cell for cell in execution.harness}
    for cell_name in ("setup", label):
        cell = cells.get(cell_name)
        if cell is None or cell.status == CellStatus.NOT_RUN:
            if execution.kernel_died:
                return "not run: the Python kernel died while running your notebook"
            return "not run: the notebook did not get this far"
        if cell.status == CellStatus.TIMEOUT:
            return f"did not return within the time limit ({cell.error})"
        if cell.status == CellStatus.KERNEL_DIED:
            return "the Python kernel died during this call (a crash or the memory limit)"
        if cell.status == CellStatus.ERROR:  # its message may quote hidden inputs: only the exception's type
            return f"the grading harness failed in your kernel ({exception_name(cell.exception)})"
    return ""


MAX_CELL_PROBLEMS = 20  # cells reported by name; the rest are counted


def _notebook_problems(execution: Execution) -> list[str]:
    failed = execution.failed_cells
    listed = failed[:MAX_CELL_PROBLEMS]
    problems = [f"{cell.label}: {cell.status}" + (f" ({cell.error})" if cell.error else "") for cell in listed]
    if len(failed) > MAX_CELL_PROBLEMS:
        problems.append(f"... and {len(failed) - MAX_CELL_PROBLEMS} more cells that did not run cleanly (not listed)")
    if execution.notebook_timed_out:
        problems.append("the notebook ran past its total time limit; later cells were not run")
    if execution.memory_limit_hit:
        problems.append("memory limit exceeded: the kernel was stopped")
    elif execution.kernel_died:
        problems.append("the Python kernel died (crash or resource limit)")
    return problems


def _unanswered(question: Question, reason: str, public_only: bool) -> QuestionResult:
    checks = [
        CheckResult(case.name, case.hidden, case.weight, False, reason, kind=Kind.SUBMISSION)
        for case in question.check.cases
        if not (public_only and case.hidden)
    ]
    return QuestionResult(question.id, question.function, question.points, 0.0, checks)
