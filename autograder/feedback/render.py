"""Check results in words: the one renderer behind the terminal, the HTML, Gradescope's JSON and ``check()``.

A question reads as a headline (``QuestionResult.summary``: the named mistake, else the
first problem) and one line per check. What the headline says is not said again on a
check's line, so a diagnosis is printed once. Public checks show their example's name;
hidden checks say only "hidden check failed". Checks that did not run for one reason on
one device (every CUDA check without a GPU runner) are one line, not one per case.

It imports nothing but the results model, so the student's self-check can use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from autograder.checks.results import CheckResult, ManualResult, QuestionResult, SubmissionResult

AWAITING = "awaiting grading (not counted in the score yet)"


@dataclass(frozen=True)
class CheckLine:
    label: str
    text: str
    diagnosis: str


def verdict(check: CheckResult) -> str:
    return "SKIP" if check.not_run else "PASS" if check.passed else "FAIL"


def headline(question: QuestionResult) -> str:
    """What is wrong with the question as a whole ("" when nothing is)."""
    return "" if question.passed else question.summary


def check_lines(question: QuestionResult) -> list[tuple[CheckResult, CheckLine]]:
    """A question's checks as they are listed, each with its words (what the headline says left out)."""
    said = headline(question)
    lines = [(check, _describe(check, said)) for check in question.checks if not check.not_run]
    skipped: dict[tuple[str, str], list[CheckResult]] = {}
    for check in question.checks:
        if check.not_run:
            skipped.setdefault((check.device, check.message), []).append(check)
    for (device, message), group in skipped.items():
        count = f"{len(group)} check" + ("s" if len(group) > 1 else "")
        lines.append((group[0], CheckLine(count + ("" if device == "cpu" else f" [{device}]"), message, "")))
    return lines


def _describe(check: CheckResult, said: str) -> CheckLine:
    """A check in words: what was checked, what went wrong, and the named mistake unless ``said`` already."""
    where = "" if check.device == "cpu" else f" [{check.device}]"
    if check.passed:
        return CheckLine(("hidden check" if check.hidden else f"example: {check.case}") + where, "", "")
    diagnosis = "" if check.diagnosis == said else check.diagnosis
    if check.hidden:  # its message may describe the hidden input: only a diagnosis, else the mismatch itself
        text = "" if check.diagnosis else check.message
        label = "hidden check failed"
    else:
        text = check.message
        label = f"example: {check.case}"
    return CheckLine(label + where, "" if text == said else text, diagnosis)


def question_lines(question: QuestionResult) -> list[str]:
    """A question's checks as plain text lines (Gradescope's output, the terminal, ``check()``)."""
    return [
        f"{verdict(check)} {line.label}"
        + (f": {line.text}" if line.text else "")
        + (f" -> {line.diagnosis}" if line.diagnosis else "")
        for check, line in check_lines(question)
    ]


def question_text(question: QuestionResult, heading: str) -> list[str]:
    """``heading``, the headline after it when there is one, and the check lines indented."""
    said = headline(question)
    return [f"{heading}: {said}" if said else heading, *(f"  {line}" for line in question_lines(question))]


def manual_line(manual: ManualResult) -> str:
    """A question a TA grades: its score and who gave it, or that it awaits grading (not counted yet)."""
    if manual.graded:
        grader = manual.grader or "a TA"
        return f"{manual.id}: {number(manual.score or 0.0)} / {number(manual.points)}, graded by {grader}"
    points = f"{number(manual.points)} point{'s' if manual.points != 1 else ''}"
    return f"{manual.id} ({points}, graded by a TA): {AWAITING}"


def manual_text(manual: ManualResult) -> list[str]:
    """``manual_line``, then the rubric items the TA applied and their comment, indented."""
    lines = [manual_line(manual), *(f"  {item}" for item in manual.items)]
    if manual.comment:
        lines.append(f"  {manual.comment}")
    return lines


def override_line(question: QuestionResult) -> str:
    """Why a question's score is not the automatic one ("" when it is)."""
    override = question.override
    if override is None:
        return ""
    line = (
        f"score set by {override.grader or 'a TA'}: {number(override.points)} / {number(question.points)} "
        f"(automatic: {number(question.score)}); {override.reason}"
    )
    if question.override_outdated:
        line += f" [the automatic score was {number(override.automatic)} when this was set]"
    return line


def question_heading(question: QuestionResult) -> str:
    return f"{question.id} {question.function}: {number(question.earned)} / {number(question.points)}"


def feedback_text(result: SubmissionResult) -> str:
    """The feedback as plain text, for terminals and logs."""
    lines = [f"{result.assignment}, {result.student}: {number(result.final_score)} / {number(result.max_score)}"]
    lines += [f"! {text}" for text in [result.fault, *result.notes, *result.notebook_problems] if text]
    for question in result.questions:
        lines += question_text(question, question_heading(question))
        lines += [f"  {line}" for line in [override_line(question)] if line]
    lines += [line for manual in result.manual for line in manual_text(manual)]
    return "\n".join(lines) + "\n"


def number(value: float) -> str:
    return f"{value:g}"
