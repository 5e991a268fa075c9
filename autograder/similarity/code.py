"""Code evidence: each graded function compared by winnowed fingerprints (copydetect), starter code removed.

The code is first tokenised (Python's own ``tokenize``) and normalised the way copydetect
does it: every name but keywords and builtins becomes ``V``, every string ``S``, and
layout and comments go; copydetect then fingerprints, winnows and compares. So renaming
variables, reformatting and editing comments change nothing, and reordering independent
statements changes only the fingerprints at their seams. (copydetect's own pygments
tokeniser does the same at ten times the cost: 9 ms a function, 20 s for a class of 300.)
Two sets of fingerprints never count: the starter code's (the function's stub in the
assignment's notebook, which every student starts from) and those common to a large
part of the class (the natural way to write a line, or code handed out elsewhere).
"""

from __future__ import annotations

import ast
import builtins
import collections
import io
import itertools
import keyword
import re
import tokenize
from dataclasses import dataclass

import nbformat
import numpy as np
from copydetect import CodeFingerprint, compare_files

from autograder.course.assignment import Assignment
from autograder.course.similarity import SimilaritySettings
from autograder.similarity.model import Entry, Evidence, Found, Segment

SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
FSTRING = {
    getattr(tokenize, name) for name in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END") if hasattr(tokenize, name)
}
BUILTINS = frozenset(dir(builtins))
K = 12  # characters per k-gram of the filtered code (names are one character there)
WINDOW = 3  # winnowing window: every shared run of K + WINDOW - 1 characters is seen
_MAGIC = re.compile(r"^\s*[%!].*$", re.MULTILINE)  # IPython magics and shell lines: not Python


@dataclass(frozen=True)
class _Function:
    student: str
    code: str
    filtered: str
    offsets: np.ndarray

    def fingerprint(self, ignored: list[int]) -> CodeFingerprint:
        """copydetect's fingerprint of the normalised code, without the ``ignored`` hashes."""
        fingerprint = CodeFingerprint(
            "function.py", K, WINDOW, boilerplate=ignored, filter=False, fp=io.StringIO(self.filtered)
        )
        fingerprint.raw_code, fingerprint.offsets = self.code, self.offsets  # what copydetect's filter would set
        return fingerprint


def definitions(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """The source of each top-level function and class the notebook's code cells define, by name.

    The last definition of a name wins: it is what the grader calls, cells running top to bottom.
    """
    found: dict[str, str] = {}
    for cell in notebook.cells:
        if cell.get("cell_type") != "code" or not isinstance(cell.get("source"), str):
            continue
        source = _MAGIC.sub("", cell.source)
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):  # a student's cell, parsed, never run
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                found[node.name] = ast.get_source_segment(source, node) or ""
    return found


def evidence(assignment: Assignment, entries: list[Entry], settings: SimilaritySettings) -> Found:
    """Code evidence per pair of students (sorted names), one item per question whose function is alike."""
    starter = definitions(assignment.student_notebook())
    defined = {entry.student: definitions(entry.notebook) for entry in entries if entry.notebook is not None}
    common_above = settings.common_above(len(entries))
    found: Found = collections.defaultdict(list)
    for question in assignment.questions:
        name = question.function
        stub = _function("", starter.get(name, "")).fingerprint([]).hashes
        functions = [_function(student, code[name]) for student, code in defined.items() if code.get(name)]
        first = [function.fingerprint(list(stub)) for function in functions]
        frequency = collections.Counter(h for fingerprint in first for h in fingerprint.hashes)
        ignored = list(stub | {h for h, count in frequency.items() if count > common_above})
        kept = [(function, function.fingerprint(ignored)) for function in functions]
        kept = [
            (function, fingerprint)
            for function, fingerprint in kept
            if len(fingerprint.hashes) >= settings.min_fingerprints
        ]
        for one, other in _candidates(kept):
            item = _compare(question.id, one, other, settings)
            if item.score >= settings.report_from:
                found[tuple(sorted((one[0].student, other[0].student)))].append(item)
    return found


def _function(student: str, code: str) -> _Function:
    return _Function(student, code, *normalised(code))


def normalised(code: str) -> tuple[str, np.ndarray]:
    """The code as copydetect compares it, and its offsets (filtered index, original minus filtered index).

    One offset per filtered character, so copydetect maps every shared stretch back to the source.
    """
    lines = code.splitlines(keepends=True)
    starts = [0, *itertools.accumulate(len(line) for line in lines)]
    out: list[str] = []
    offsets: list[tuple[int, int]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type in SKIPPED:
                continue
            position = starts[token.start[0] - 1] + token.start[1]
            if token.type == tokenize.NAME and not keyword.iskeyword(token.string) and token.string not in BUILTINS:
                text = "V"
            elif token.type == tokenize.STRING or token.type in FSTRING:
                text = "S"
            else:
                text = token.string
            for index in range(len(text)):
                offsets.append((len(out) + index, position + min(index, len(token.string) - 1) - len(out) - index))
            out.extend(text)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # a function ast could parse tokenises; keep what was read
    return "".join(out), np.array(offsets, dtype=np.int64).reshape(-1, 2)


Fingerprinted = tuple[_Function, CodeFingerprint]


def _candidates(functions: list[Fingerprinted]) -> list[tuple[Fingerprinted, Fingerprinted]]:
    """Pairs that share at least one fingerprint (an index, so a class of 300 is not 45,000 comparisons)."""
    holders: dict[int, list[int]] = collections.defaultdict(list)
    for index, (_, fingerprint) in enumerate(functions):
        for h in fingerprint.hashes:
            holders[h].append(index)
    pairs = {pair for indices in holders.values() for pair in itertools.combinations(indices, 2)}
    return [(functions[i], functions[j]) for i, j in sorted(pairs)]


def _compare(question: str, first: Fingerprinted, second: Fingerprinted, settings: SimilaritySettings) -> Evidence:
    (one, one_print), (other, other_print) = sorted((first, second), key=lambda item: item[0].student)
    _, (share_one, share_other), (slices_one, slices_other) = compare_files(one_print, other_print)
    score = round(float(min(1.0, max(share_one, share_other))), 3)
    words = (
        f"{question}: {score:.0%} of the smaller function's code (names, layout and comments aside, "
        "starter code and code common in the class removed) is alike"
    )
    sides = (_segments(one.code, slices_one), _segments(other.code, slices_other))
    return Evidence("code", question, score, words, score >= settings.code, sides)


def _segments(code: str, slices: object) -> tuple[Segment, ...]:
    """``code`` cut into stretches the other side shares and stretches it does not."""
    starts, ends = (list(map(int, row)) for row in slices) if len(slices[0]) else ([], [])  # type: ignore[index]
    segments, position = [], 0
    for start, end in sorted(zip(starts, ends, strict=True)):
        start, end = max(start, position), min(max(end, start), len(code))
        if start > position:
            segments.append(Segment(code[position:start], False))
        if end > start:
            segments.append(Segment(code[start:end], True))
        position = max(position, end)
    if position < len(code):
        segments.append(Segment(code[position:], False))
    return tuple(segments)
