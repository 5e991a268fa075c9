"""The similarity report of a batch: every signal's evidence per pair, ranked, with clusters of flagged pairs."""

from __future__ import annotations

import time

from autograder.course.assignment import Assignment
from autograder.similarity import answers, code, forensics
from autograder.similarity.model import Entry, Evidence, Pair, Report


def analyse(assignment: Assignment, entries: list[Entry]) -> Report:
    """Compare every pair of submissions of one assignment (one entry per student)."""
    started = time.perf_counter()
    settings = assignment.similarity
    evidence: dict[tuple[str, str], list[Evidence]] = {}
    for found in (
        code.evidence(assignment, entries, settings),
        forensics.evidence(assignment, entries, settings),
        answers.evidence(entries, settings),
    ):
        for pair, items in found.items():
            evidence.setdefault(pair, []).extend(items)
    pairs = [
        Pair(a, b, tuple(sorted(items, key=lambda item: (-item.score, item.where, item.kind))))
        for (a, b), items in evidence.items()
    ]
    pairs.sort(key=lambda pair: (not pair.flagged, -pair.score, pair.a, pair.b))
    return Report(tuple(pairs), len(entries), round(time.perf_counter() - started, 3), _clusters(pairs))


def _clusters(pairs: list[Pair]) -> tuple[tuple[str, ...], ...]:
    """Students linked by flagged pairs (connected components), largest first."""
    parent: dict[str, str] = {}

    def root(student: str) -> str:
        while parent.setdefault(student, student) != student:
            parent[student] = parent[parent[student]]
            student = parent[student]
        return student

    for pair in pairs:
        if pair.flagged:
            parent[root(pair.a)] = root(pair.b)
    groups: dict[str, list[str]] = {}
    for student in parent:
        groups.setdefault(root(student), []).append(student)
    return tuple(sorted((tuple(sorted(group)) for group in groups.values()), key=lambda group: (-len(group), group)))
