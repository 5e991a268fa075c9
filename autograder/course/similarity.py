"""How an assignment's similarity report ranks pairs: the ``similarity:`` table of the master notebook's settings.

Every key is optional; the defaults suit a class that starts from one release notebook.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from autograder.errors import AssignmentError


@dataclass(frozen=True)
class SimilaritySettings:
    code: float = 0.7  # a function is flagged when this share of the smaller side's fingerprints is shared
    forensics: float = 0.5  # notebook forensics (cell ids, outputs, user names) flag from this score
    answers: float = 0.5  # the same unnamed wrong answer, or the same rare named mistake
    report_from: float = 0.3  # evidence below this score is left out of similarity.csv
    min_fingerprints: int = 6  # a function with fewer (after the starter code is removed) gives no evidence
    common_share: float = 0.05  # a fingerprint, cell id or output in more than this share of the class is common
    common_min: int = 3  # ... or in more than this many submissions, whichever is larger

    def common_above(self, students: int) -> int:
        """In more submissions than this, a fingerprint, cell id, output or answer is common to the class."""
        return max(self.common_min, int(self.common_share * students))

    @classmethod
    def from_table(cls, table: Any) -> SimilaritySettings:
        if not isinstance(table, dict):
            raise AssignmentError(f"similarity must be a table, not {table!r}")
        fields = {field.name: field.type for field in dataclasses.fields(cls)}
        unknown = sorted(set(table) - set(fields))
        if unknown:
            raise AssignmentError(f"similarity: unknown key(s) {', '.join(unknown)} (known: {', '.join(fields)})")
        for key, value in table.items():
            integer = fields[key] == "int"
            if isinstance(value, bool) or not isinstance(value, int if integer else int | float):
                raise AssignmentError(f"similarity: {key!r} must be {'an integer' if integer else 'a number'}")
            if value < 0 or (not integer and value > 1):
                raise AssignmentError(f"similarity: {key!r} must be {'0 or more' if integer else 'in [0, 1]'}")
        return cls(**table)
