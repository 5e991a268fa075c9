"""A manual question's rubric: items a TA applies, each worth points, and comments they reuse.

Declared in the question's config of the master notebook::

    # BEGIN QUESTION
    name: w1
    points: 2
    manual: true
    rubric:
      - {points: 1, text: names the batch and channel dimensions}
      - {points: 1, text: names height and width, in that order}
      - {points: -0.5, text: confuses channels with batch}
    comments:
      - "Dimension 1 holds the channels: 1 for a grey image, 3 for RGB."

A TA's score from items is their sum, kept between 0 and the question's points, so a
rubric may count up (positive items), down (a full-marks item and deductions) or both.
Items are numbered 1 to 9 in the order written: the review app's keys apply them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from autograder.errors import AssignmentError, UsageError

MAX_ITEMS = 9  # one digit key each


@dataclass(frozen=True)
class RubricItem:
    points: float
    text: str

    @property
    def label(self) -> str:
        """The item in words with its points, as feedback and the gradebook's history show it."""
        return f"{self.points:+g} {self.text}"


@dataclass(frozen=True)
class Rubric:
    items: tuple[RubricItem, ...] = ()
    comments: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, items: Any, comments: Any) -> Rubric:
        """The rubric of a question's config (``rubric:`` and ``comments:``, both optional)."""
        items, comments = items or [], comments or []
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise AssignmentError(f"rubric must be a list of at most {MAX_ITEMS} items ({{points: P, text: T}})")
        parsed = []
        for item in items:
            if not isinstance(item, dict) or set(item) != {"points", "text"}:
                raise AssignmentError(f"a rubric item has exactly the keys points and text, not {item!r}")
            points, words = item["points"], item["text"]
            if isinstance(points, bool) or not isinstance(points, int | float) or not str(words).strip():
                raise AssignmentError(f"a rubric item needs a number of points and a text, not {item!r}")
            parsed.append(RubricItem(float(points), str(words).strip()))
        if not isinstance(comments, list) or not all(isinstance(comment, str) and comment for comment in comments):
            raise AssignmentError("comments must be a list of texts")
        if len({item.text for item in parsed}) != len(parsed):
            raise AssignmentError("two rubric items have the same text")
        return cls(tuple(parsed), tuple(comment.strip() for comment in comments))

    def score(self, numbers: Iterable[int], points: float) -> tuple[float, list[RubricItem]]:
        """The score of applying the items numbered ``numbers`` (1-based), between 0 and ``points``, and the items."""
        chosen = []
        for number in sorted(set(numbers)):
            if not 1 <= number <= len(self.items):
                raise UsageError(f"rubric item {number} does not exist (this rubric has {len(self.items)})")
            chosen.append(self.items[number - 1])
        return round(min(points, max(0.0, sum(item.points for item in chosen))), 4), chosen
