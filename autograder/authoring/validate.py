"""Prove an assignment sound before releasing it, by grading it for real (sandbox included).

The promises, one per variant in the assignment's ``examples/variants.py``:

- "correct" is the release's solution notebook: full marks, and its cells run cleanly;
- "template" is the release's untouched student notebook: 0, without a grader fault;
- every other variant (a mutant: one typical mistake, or a hostile or broken notebook)
  loses points on the questions it breaks, keeps them on the others, and gets the
  diagnosis its author expected in the feedback of the questions it loses.

``broken_promises`` is the one place these promises are checked; the test suite holds
the bundled example notebooks to it too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.authoring import release, variants
from autograder.authoring.variants import Variant
from autograder.checks.results import QuestionResult, SubmissionResult
from autograder.course.assignment import Assignment
from autograder.execution.sandbox import Limits
from autograder.grading import batch
from autograder.grading.config import BatchConfig
from autograder.grading.intake import Submission

CORRECT, TEMPLATE = "correct", "template"


def broken_promises(variant: Variant, result: SubmissionResult) -> list[str]:
    """What in ``result`` breaks what ``variant`` promises (empty: it graded as promised)."""
    if result.fault:
        return [f"grader fault: {result.fault}"]
    problems = []
    for question in result.questions:
        if variant.expected_full(question.id) and question.score != question.points:
            problems.append(
                f"{question.id} scored {question.score:g}/{question.points:g}, expected full marks: {question.summary}"
            )
        elif question.id in variant.loses:
            if question.score >= question.points:
                problems.append(f"{question.id} kept full marks, expected to lose points")
            elif variant.diagnosis_of(question.id) not in feedback_text(question):
                wanted = variant.diagnosis_of(question.id)
                problems.append(f"{question.id}: no {wanted!r} in the feedback ({question.summary})")
    if variant.base == "template" and result.score != 0:
        problems.append(f"scored {result.score:g}, expected 0")
    if variant.notebook_problem:
        if not any(variant.notebook_problem in problem for problem in result.notebook_problems):
            problems.append(f"no notebook problem mentions {variant.notebook_problem!r}: {result.notebook_problems}")
    elif variant.base == "reference" and not variant.loses and result.notebook_problems:
        problems.append(f"a correct notebook must run cleanly: {'; '.join(result.notebook_problems)}")
    return problems


def sandbox_problems(result: SubmissionResult) -> list[str]:
    """Validation runs the real grading path: without bubblewrap it proves less, so it fails."""
    if result.sandbox and not result.isolated:
        return [f"the sandbox was {result.sandbox}: validate on a host where bubblewrap works"]
    return []


def feedback_text(question: QuestionResult) -> str:
    """Everything the feedback says about a question: its summary, messages and diagnoses."""
    return "\n".join([question.summary] + [f"{check.message} {check.diagnosis}" for check in question.checks])


def all_variants(assignment: Assignment) -> list[Variant]:
    """The assignment's variants, with "correct" and "template" first (added when not listed)."""
    listed = variants.load_variants(assignment)
    names = {variant.name for variant in listed}
    implicit = []
    if CORRECT not in names:
        implicit.append(Variant(CORRECT, "the solution notebook"))
    if TEMPLATE not in names:
        loses = tuple(question.id for question in assignment.questions)
        implicit.append(Variant(TEMPLATE, "the untouched student notebook", base="template", loses=loses))
    return implicit + listed


def notebook(assignment: Assignment, variant: Variant) -> nbformat.NotebookNode:
    """What to grade for a variant: the release's own notebooks for correct and template."""
    if variant.name == CORRECT:
        return release.solution_notebook(assignment)
    if variant.name == TEMPLATE:
        return release.student_notebook(assignment)
    return variants.build(assignment, variant)


@dataclass(frozen=True)
class Outcome:
    variant: Variant
    result: SubmissionResult
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def expected(self) -> str:
        variant = self.variant
        if variant.base == "template":
            text = "0"
        elif variant.loses:
            text = f"loses {', '.join(variant.loses)}"
        else:
            text = "full marks"
        if variant.diagnosis:
            text += f': "{variant.diagnosis}"'
        text += "".join(f'; {question}: "{wanted}"' for question, wanted in variant.diagnoses.items())
        if variant.notebook_problem:
            text += f'; cell problem "{variant.notebook_problem}"'
        return text

    def got(self) -> str:
        result = self.result
        if result.fault:
            return "grader fault"
        lost = [question.id for question in result.questions if question.score < question.points]
        return f"{result.score:g}/{result.automatic_max:g}" + (f", lost {', '.join(lost)}" if lost else "")

    def diagnosis(self) -> str:
        """What the feedback said first about the questions lost (else about the notebook)."""
        if self.result.fault:
            return self.result.fault
        lost = [question for question in self.result.questions if question.score < question.points]
        if lost:
            wanted = [question for question in lost if question.id in self.variant.loses] or lost
            return wanted[0].summary
        return "; ".join(self.result.notebook_problems)


def validate(
    course: Path,
    assignment: Assignment,
    secret: bytes,
    limits: Limits,
    workers: int,
    only: tuple[str, ...] | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Grade every variant (or those named in ``only``) through the real pipeline and judge the promises."""
    chosen = [variant for variant in all_variants(assignment) if only is None or variant.name in only]
    by_name = {variant.name: variant for variant in chosen}
    outcomes: dict[str, Outcome] = {}

    def record(submission: Submission, result: SubmissionResult) -> None:
        variant = by_name[submission.student]
        outcome = Outcome(variant, result, tuple(broken_promises(variant, result) + sandbox_problems(result)))
        outcomes[variant.name] = outcome
        if on_outcome is not None:
            on_outcome(outcome)

    submissions = [
        Submission(
            student=variant.name,
            source=f"{variant.name}.ipynb",
            content=release.notebook_text(notebook(assignment, variant)).encode(),
        )
        for variant in chosen
    ]
    batch.grade_all(BatchConfig(course, assignment.id, secret, limits, workers=max(1, workers)), submissions, record)
    return [outcomes[variant.name] for variant in chosen]
