"""CPU and GPU runners: which device grades which questions, and how their results join.

Every submission is graded on a CPU runner. Questions that declare ``cuda`` among their
devices are graded again on a GPU runner when one exists, with the same inputs moved to
the GPU and the same expected values; those checks are added to the question, labelled
with their device. Without a GPU runner they are listed as "not run" and scored by the
assignment's ``gpu_policy``: "rescale" leaves them out of the question's total, "cpu"
counts each as its CPU twin's outcome. Never as passed without having run. A question
graded on CUDA only has no CPU twin: without a GPU runner it is listed with its points
and every check "not run", and scores nothing, visibly, whatever the policy.
"""

from __future__ import annotations

import copy

from autograder.checks.kinds import Kind
from autograder.checks.results import CheckResult, QuestionResult, SubmissionResult, question_score
from autograder.checks.spec import Case
from autograder.course.assignment import Assignment

NO_GPU_RUNNER = "no GPU runner"


def needs_gpu(assignment: Assignment) -> bool:
    return any("cuda" in question.devices for question in assignment.questions)


def combine(
    assignment: Assignment, cpu: SubmissionResult, gpu: SubmissionResult | None, why_not: str = NO_GPU_RUNNER
) -> SubmissionResult:
    """The CPU result with each cuda question's GPU checks added (or listed as not run: ``why_not``).

    A GPU result that is a grader fault (say, a GPU runner without a usable GPU) counts as
    not run, with the fault as the reason: the student is not marked down for it.
    """
    if not needs_gpu(assignment) or not cpu.questions:  # nothing ran on the CPU either: keep its reason
        return cpu
    result = copy.deepcopy(cpu)
    if gpu is not None:
        result.runners |= gpu.runners
        if gpu.fault:
            why_not, gpu = f"the GPU run failed ({gpu.fault})", None
    gpu_questions = {question.id: question for question in (gpu.questions if gpu is not None else [])}
    cpu_questions = {question.id: question for question in result.questions}
    result.questions = []
    for declared in assignment.questions:  # in the assignment's order, every question there
        question = cpu_questions.get(declared.id)
        if question is None:  # graded on CUDA only
            question = QuestionResult(declared.id, declared.function, declared.points, 0.0, [])
        if "cuda" in declared.devices:
            ran = gpu_questions.get(declared.id)
            cuda_only = "cpu" not in declared.devices
            twins = [_untwinned(case) for case in declared.check.cases] if cuda_only else question.checks
            extra = ran.checks if ran is not None else [_not_run(check, why_not, assignment) for check in twins]
            question.checks = [*question.checks, *extra]
            question.score = question_score(question.points, question.checks, question.all_or_nothing)
        result.questions.append(question)
    if gpu is not None:
        result.notebook_problems += [f"on the GPU: {problem}" for problem in gpu.notebook_problems]
        result.seconds = round(result.seconds + gpu.seconds, 3)
    return result


def _untwinned(case: Case) -> CheckResult:
    """A stand-in CPU twin for a CUDA-only question's case: it did not run either, so it never counts."""
    return CheckResult(case.name, case.hidden, case.weight, False, counted=False, not_run="cuda only")


def _not_run(twin: CheckResult, why: str, assignment: Assignment) -> CheckResult:
    as_cpu = assignment.gpu_policy == "cpu" and not twin.not_run
    return CheckResult(
        twin.case,
        twin.hidden,
        twin.weight,
        twin.passed if as_cpu else False,
        f"not run: {why}" + ("; counted as the CPU result" if as_cpu else "; not counted"),
        device="cuda",
        kind=Kind.NOT_RUN,
        not_run=why,
        counted=as_cpu,
    )
