"""What the similarity report holds: pairs of students, each with the evidence that makes them look alike.

The report ranks, it does not accuse: every item says what is alike and how much, for a
TA to check. Scores are in [0, 1]; a pair is flagged when one item reaches its kind's
threshold (``SimilaritySettings``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import nbformat

from autograder.checks.results import SubmissionResult

NOTEBOOK = "notebook"  # ``Evidence.where`` for evidence about the whole file rather than one question


@dataclass(frozen=True)
class Entry:
    """One student's graded notebook (None when it could not be read) and result."""

    student: str
    notebook: nbformat.NotebookNode | None
    result: SubmissionResult | None = None


@dataclass(frozen=True)
class Segment:
    """A stretch of one side's code, and whether the other side has it too."""

    text: str
    shared: bool


@dataclass(frozen=True)
class Evidence:
    """One reason two submissions look alike, with its score and, for code, the two sides."""

    kind: str  # "code", "cell ids", "outputs", "user names", "same wrong answer", "rare mistake"
    where: str  # a question id, or NOTEBOOK
    score: float
    words: str
    flagged: bool
    sides: tuple[tuple[Segment, ...], tuple[Segment, ...]] | None = None  # code side by side, for "code"


@dataclass(frozen=True)
class Pair:
    """Two students (``a`` before ``b`` in name order) and all that makes their work look alike."""

    a: str
    b: str
    evidence: tuple[Evidence, ...] = ()

    @property
    def score(self) -> float:
        """All the evidence together (independent signals: one minus the chance that none holds)."""
        return round(1 - math.prod(1 - item.score for item in self.evidence), 3)

    @property
    def flagged(self) -> bool:
        return any(item.flagged for item in self.evidence)


@dataclass(frozen=True)
class Report:
    """A batch's similarity: the pairs with any evidence, and the clusters the flagged ones form."""

    pairs: tuple[Pair, ...]  # most similar first
    students: int
    seconds: float = 0.0
    clusters: tuple[tuple[str, ...], ...] = field(default=())  # students linked by flagged pairs, largest first

    @property
    def flagged(self) -> tuple[Pair, ...]:
        return tuple(pair for pair in self.pairs if pair.flagged)


Found = dict[tuple[str, str], list[Evidence]]  # a signal's evidence, by pair of students (names sorted)
