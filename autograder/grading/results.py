"""What grading a submission produced: plain data, safe to store, send and render.

Nothing here holds an object the student made; messages are strings built by the
grader and numbers are floats.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CheckResult:
    case: str
    hidden: bool
    weight: float
    passed: bool
    message: str = ""
    diagnosis: str = ""
    kind: str = ""


@dataclass
class QuestionResult:
    id: str
    function: str
    points: float
    score: float
    checks: list[CheckResult]

    @property
    def diagnoses(self) -> list[str]:
        """Distinct named mistakes, most frequent first."""
        counts: dict[str, int] = {}
        for check in self.checks:
            if check.diagnosis:
                counts[check.diagnosis] = counts.get(check.diagnosis, 0) + 1
        return sorted(counts, key=lambda text: -counts[text])

    @property
    def summary(self) -> str:
        """One line: the verdict a student reads first."""
        failed = [check for check in self.checks if not check.passed]
        if not failed:
            return "all checks passed"
        if self.diagnoses:
            return self.diagnoses[0]
        return failed[0].message


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    max_score: float
    questions: list[QuestionResult] = field(default_factory=list)
    notebook_problems: list[str] = field(default_factory=list)
    sandbox: str = ""
    seconds: float = 0.0
    fault: str = ""  # a grader fault (not the student's): the score is not valid

    @property
    def score(self) -> float:
        return round(sum(question.score for question in self.questions), 4)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"score": self.score}
