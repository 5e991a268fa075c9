"""Text that came from a student, made safe to store and to show.

A submission decides its file names, its notebook's JSON, every exception message and
every object name that crosses the sandbox boundary. Such text is hostile data: a lone
surrogate cannot be encoded (SQLite, UTF-8 files), a control sequence drives the TA's
terminal (OSC 52 writes their clipboard), bidirectional overrides disguise what a line
says, a cell starting with ``=`` is a formula in a spreadsheet, and a long message grows
every export. ``clean`` is applied where student text enters a result or an intake
record, so everything downstream (database, files, terminal, CSV) receives text that is
valid Unicode, has no control characters but newlines and tabs, and has a length cap;
``csv_cell`` adds the OWASP rule for spreadsheets on top.
"""

from __future__ import annotations

import re

REPLACEMENT = "\N{REPLACEMENT CHARACTER}"
MESSAGE_CHARS = 1_000  # one message (an exception, a cell's problem) as stored and shown
NAME_CHARS = 200  # a student id, a name, a file name

# C0 controls but tab and newline, DEL, C1 controls, lone surrogates, and the Unicode
# bidirectional controls (embedding, override, isolate marks) that reorder what a line shows.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\n\t\u2028\u2029\x85]+")
# OWASP, "CSV Injection": a cell starting with one of these is a formula in Excel, LibreOffice or Sheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def clean(text: object, limit: int = MESSAGE_CHARS) -> str:
    """``text`` as valid, printable Unicode of at most ``limit`` characters (a note says what was cut)."""
    value = text if isinstance(text, str) else str(text)
    value = _UNSAFE.sub(REPLACEMENT, value)
    if len(value) <= limit:
        return value
    note = f" [... {len(value) - limit:,} more characters cut]"
    return value[: max(0, limit - len(note))] + note


def clean_line(text: object, limit: int = NAME_CHARS) -> str:
    """``clean``, on one line: for ids, names and file names shown in tables."""
    return clean(_LINE_BREAKS.sub(" ", text if isinstance(text, str) else str(text)), limit)


_NUMBER = re.compile(r"-?\d+(\.\d+)?(e[+-]?\d+)?")


def csv_cell(text: str) -> str:
    """A cell that a spreadsheet shows as text or a plain number, never evaluates.

    OWASP's rule: a cell that starts like a formula gets a leading quote. A plain number
    (``-0.5``) is no formula and stays as it is.
    """
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return f"'{text}"
    return text
