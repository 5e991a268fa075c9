"""Answer evidence: the same wrong answer, bit for bit, on the same public example, or the same rare mistake.

Every student gets the same public inputs, so a named mistake (forgetting ``/ 255``)
gives everyone who makes it the same wrong answer: only wrong answers that no known
mistake explains count here. A named mistake that only a few students make is weak
evidence on its own, reported to rank, never enough to flag.
"""

from __future__ import annotations

import collections
import itertools

from autograder.course.similarity import SimilaritySettings
from autograder.similarity.model import Entry, Evidence, Found

SAME_ANSWER = 0.6
RARE_MISTAKE = 0.3


def evidence(entries: list[Entry], settings: SimilaritySettings) -> Found:
    common_above = settings.common_above(len(entries))
    answers: dict[tuple[str, str, str], list[str]] = collections.defaultdict(list)  # (question, case, digest)
    mistakes: dict[tuple[str, str], list[str]] = collections.defaultdict(list)  # (question, diagnosis)
    for entry in entries:
        for question in entry.result.questions if entry.result is not None and not entry.result.fault else ():
            for check in question.checks:
                if check.answer and not check.diagnosis:
                    answers[(question.id, check.case, check.answer)].append(entry.student)
            for diagnosis in question.diagnoses:
                mistakes[(question.id, diagnosis)].append(entry.student)
    found: Found = collections.defaultdict(list)
    for (question, case, _), students in sorted(answers.items()):
        words = f"{question}: the same wrong answer, bit for bit, on the public example {case!r}"
        flagged = settings.answers <= SAME_ANSWER
        _add(
            found,
            students,
            common_above,
            Evidence("same wrong answer", question, SAME_ANSWER, words, flagged),
            settings,
        )
    for (question, diagnosis), students in sorted(mistakes.items()):
        words = f"{question}: the same mistake, which only {len(students)} students made: {diagnosis}"
        _add(found, students, common_above, Evidence("rare mistake", question, RARE_MISTAKE, words, False), settings)
    return found


def _add(
    found: Found,
    students: list[str],
    common_above: int,
    item: Evidence,
    settings: SimilaritySettings,
) -> None:
    """``item`` for every pair among ``students``, unless they are too few or too many (common) to say anything."""
    if not 2 <= len(students) <= common_above or item.score < settings.report_from:
        return
    for pair in itertools.combinations(sorted(set(students)), 2):
        found[pair].append(item)
