"""What grading a submission produced: plain data, safe to store, send and render.

Nothing here holds an object the student made; messages are strings built by the
grader and numbers are floats. Strings may quote the student (an exception message, a
file name), so whatever builds a result from the student's side returns it ``cleaned``
(``pipeline.grade``, ``pipeline.rejected``, the batch's fault results): every string
valid, printable and capped (``autograder.text``), which is what the gradebook, the
files, the terminal and the CSVs then receive.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from typing import Any

from autograder import text


@dataclass
class CheckResult:
    case: str
    hidden: bool
    weight: float
    passed: bool
    message: str = ""
    diagnosis: str = ""
    kind: str = ""  # a ``Kind`` when the check failed
    figure: str = ""  # a PNG (base64) the grader drew from public data, for image questions
    device: str = "cpu"  # where the student's function ran for this check
    not_run: str = ""  # why the check did not run (say, no GPU runner)
    counted: bool = True  # False: left out of the score (a check not run, under the "rescale" policy)
    answer: str = ""  # a failed public check: the digest of the student's value (``protocol.digest``)
    partial: float = 0.0  # the share of its weight a failed check still earns (an error inherited elsewhere)


def question_score(points: float, checks: list[CheckResult], all_or_nothing: bool = False) -> float:
    """Points in proportion to the weight of passed checks (and the ``partial`` share of failed ones) that count.

    ``all_or_nothing``: the points when every counted check passed, else 0.
    """
    counted = [check for check in checks if check.counted]
    total = sum(check.weight for check in counted)
    earned = sum(check.weight * (1.0 if check.passed else check.partial) for check in counted)
    if all_or_nothing:
        return points if counted and all(check.passed for check in counted) else 0.0
    return round(points * earned / total, 4) if total else 0.0


@dataclass
class Override:
    """A TA's score in place of the automatic one, with why; ``automatic``: the automatic score it replaced."""

    points: float
    reason: str
    grader: str
    automatic: float


@dataclass
class QuestionResult:
    id: str
    function: str
    points: float
    score: float  # what the checks earned (the automatic score)
    checks: list[CheckResult]
    all_or_nothing: bool = False  # scored by ``question_score``'s rule of that name
    override: Override | None = None

    @property
    def earned(self) -> float:
        """The points that count: the override's when a TA set one, else the automatic score."""
        return self.override.points if self.override else self.score

    @property
    def override_outdated(self) -> bool:
        """The automatic score changed (a regrade) since the override was made: a TA should look again."""
        return self.override is not None and self.override.automatic != self.score

    @property
    def diagnoses(self) -> list[str]:
        """Distinct named mistakes, most frequent first."""
        counts: dict[str, int] = {}
        for check in self.checks:
            if check.diagnosis:
                counts[check.diagnosis] = counts.get(check.diagnosis, 0) + 1
        return sorted(counts, key=lambda text: -counts[text])

    @property
    def passed(self) -> bool:
        """No check that ran failed (checks not run are not failures)."""
        return all(check.passed for check in self.checks if not check.not_run)

    @property
    def summary(self) -> str:
        """One line: the verdict a student reads first."""
        failed = [check for check in self.checks if not check.passed and not check.not_run]
        not_run = [check for check in self.checks if check.not_run]
        if not failed:
            return "all checks passed" + (f" ({len(not_run)} not run: {not_run[0].not_run})" if not_run else "")
        if self.diagnoses:
            return self.diagnoses[0]
        return failed[0].message


@dataclass
class ManualResult:
    """A question a TA grades (a written answer, a plot): never scored automatically.

    ``score`` is None while it awaits grading; then it holds the TA's points, with the
    rubric items they applied (in words, with their points) and their comment.
    """

    id: str
    points: float
    score: float | None = None
    items: list[str] = field(default_factory=list)
    comment: str = ""
    grader: str = ""

    @property
    def graded(self) -> bool:
        return self.score is not None


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    max_score: float
    questions: list[QuestionResult] = field(default_factory=list)
    notebook_problems: list[str] = field(default_factory=list)
    sandbox: str = ""  # what isolated the student's kernel, in words (``SandboxMode``)
    isolated: bool = False  # the kernel ran inside bubblewrap
    seconds: float = 0.0
    fault: str = ""  # a grader fault (not the student's): the score is not valid
    source: str = ""  # the file graded, as received
    notes: list[str] = field(default_factory=list)  # about the submission: superseded files, lateness
    cached: bool = False  # reused from an identical earlier grading, not executed again
    penalty: float = 0.0  # fraction of the score taken off (late policy)
    runners: dict[str, str] = field(default_factory=dict)  # device -> the host (and Dask worker) that ran it
    manual: list[ManualResult] = field(default_factory=list)  # questions a TA grades (in max_score)

    @property
    def score(self) -> float:
        """Points earned, before any penalty: the automatic questions (or their overrides) and graded manual ones."""
        earned = sum(question.earned for question in self.questions)
        return round(earned + sum(manual.score or 0.0 for manual in self.manual), 4)

    @property
    def automatic_max(self) -> float:
        """The points the automatically graded questions are worth (max_score less the manual ones)."""
        return round(sum(question.points for question in self.questions), 4)

    @property
    def awaiting(self) -> list[str]:
        """The manual questions a TA has not graded yet (the score is provisional while any are)."""
        return [manual.id for manual in self.manual if not manual.graded]

    @property
    def final_score(self) -> float:
        """What goes in the gradebook: the score after the late penalty."""
        return round(self.score * (1.0 - self.penalty), 4)

    @property
    def first_problem(self) -> str:
        """What a TA scanning a table wants to see first."""
        if self.fault:
            return f"grader fault: {self.fault}"
        return next((f"{q.id}: {q.summary}" for q in self.questions if q.earned < q.points), "")

    def cleaned(self) -> SubmissionResult:
        """This result with every string made safe to store and show."""
        return dataclasses.replace(
            self,
            student=text.clean_line(self.student),
            fault=text.clean(self.fault),
            source=text.clean_line(self.source),
            notes=[text.clean(note) for note in self.notes],
            notebook_problems=[text.clean(problem) for problem in self.notebook_problems],
            questions=[
                dataclasses.replace(
                    question,
                    checks=[
                        dataclasses.replace(
                            check,
                            message=text.clean(check.message),
                            diagnosis=text.clean(check.diagnosis),
                            not_run=text.clean(check.not_run),
                        )
                        for check in question.checks
                    ],
                )
                for question in self.questions
            ],
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"score": self.score, "final_score": self.final_score}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        """The inverse of ``to_dict`` (for results stored in the gradebook)."""
        fields = {key: value for key, value in data.items() if key not in ("score", "final_score")}
        fields["questions"] = [
            QuestionResult(
                **{
                    **question,
                    "checks": [CheckResult(**check) for check in question["checks"]],
                    "override": Override(**question["override"]) if question.get("override") else None,
                }
            )
            for question in data["questions"]
        ]
        fields["manual"] = [ManualResult(**manual) for manual in data.get("manual", [])]
        return cls(**fields)
