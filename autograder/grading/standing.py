"""A student's standing: their newest automatic result with the TAs' adjustments laid over it.

The gradebook keeps automatic results and adjustments apart (``grading.adjustments``),
so a regrade replaces only the first. Everything a student or an LMS reads is built
from the two here: manual scores with their rubric items and comment, overrides with
their reason (and whether the automatic score moved since), and the late penalty
recomputed from the student's own deadline, an extension's when they have one.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from autograder.checks.results import ManualResult, Override, SubmissionResult
from autograder.course.assignment import Assignment
from autograder.course.late import LatePolicy
from autograder.grading.adjustments import Adjustment, Ledger, StudentAdjustments
from autograder.grading.gradebook import Gradebook

Row = tuple[dict, SubmissionResult]  # the student's identity and receipt, and their standing


def apply(
    assignment: Assignment,
    result: SubmissionResult,
    received: datetime,
    marked_late: bool,
    held: StudentAdjustments | None,
) -> SubmissionResult:
    """``result`` (not changed) with ``held`` applied and its lateness assessed; a new result."""
    held = held or StudentAdjustments()
    standing = SubmissionResult.from_dict(result.to_dict())
    standing.cached = result.cached
    for question in standing.questions:
        override = held.overrides.get(question.id)
        if override is not None and override.value is not None:
            value = override.value
            question.override = Override(float(value["points"]), override.reason, override.grader, value["automatic"])
    listed = {manual.id for manual in standing.manual}  # a result from before a manual question was added
    standing.manual += [ManualResult(q.id, q.points) for q in assignment.manual if q.id not in listed]
    for manual in standing.manual:
        score = held.scores.get(manual.id)
        if score is not None and score.value is not None:
            manual.score = float(score.value["points"])
            manual.items = list(score.value.get("items", []))
            manual.comment = str(score.value.get("comment", ""))
            manual.grader = score.grader
    policy = deadline_of(assignment.late, held.extension)
    lateness = policy.assess(received)
    standing.penalty = lateness.penalty
    notes = [lateness.describe()] if lateness.days else []
    if not lateness.days and marked_late:
        notes.append("the LMS marked this submission late, but it is within the deadline and grace period")
    if held.extension is not None and policy.deadline is not None:
        notes.append(f"extension granted: your deadline is {policy.deadline:%Y-%m-%d %H:%M %Z}")
    standing.notes = notes + standing.notes
    return standing


def deadline_of(policy: LatePolicy, extension: Adjustment | None) -> LatePolicy:
    """The late policy for a student with ``extension`` (extra days, or a new deadline)."""
    if extension is None or extension.value is None or policy.deadline is None:
        return policy
    if "deadline" in extension.value:
        return dataclasses.replace(policy, deadline=datetime.fromisoformat(extension.value["deadline"]))
    return dataclasses.replace(policy, deadline=policy.deadline + timedelta(days=float(extension.value["days"])))


def rows(assignment: Assignment, gradebook: Gradebook) -> list[Row]:
    """Every graded student's standing, by student id."""
    held = Ledger(gradebook).current(assignment.id)
    return [
        (student, apply(assignment, result, student["received"], student["marked_late"], held.get(student["student"])))
        for student, result in gradebook.current(assignment.id)
    ]


def of(assignment: Assignment, gradebook: Gradebook, student: str) -> Row | None:
    """One student's standing (None when they have no graded submission)."""
    held = Ledger(gradebook).current(assignment.id, student).get(student)
    for identity, result in gradebook.current(assignment.id, student):
        return identity, apply(assignment, result, identity["received"], identity["marked_late"], held)
    return None
