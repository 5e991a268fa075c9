"""Turn what a TA hands us (files, folders, LMS zips) into one submission per student.

Accepted: ``.ipynb`` files, directories (searched recursively for notebooks, zips and
LMS-named files), and zip files of those (a Canvas bulk download is one). Canvas names
files ``lastname_firstname_<userid>_<submissionid>_<original name>`` (``_LATE`` before
the user id when late); the student id is then the user id, otherwise the file stem.

Everything is read into memory here, within limits, and nothing is ever extracted to
disk: a zip member named ``../../etc/passwd``, a symlink, a zip bomb or an oversized file
becomes a submission that carries its problem, which the grader reports as that
student's result. One bad file never stops the batch.

A submission is attributed only by its own container. A zip named for a student (an
upload in an LMS download) is that student's, whatever its members are called or dated:
a member named for another student cannot replace their work, and the zip's received
time is the only one that counts. Only a zip that names no student (a TA's bundle) is
read member by member, and then no member counts as received after the zip was made.
Names are student text: ids, names and sources are made printable (``text.clean_line``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from autograder import text
from autograder.errors import UsageError

log = logging.getLogger(__name__)

MAX_NOTEBOOK_BYTES = 20 * 1024**2
MAX_ZIP_MEMBERS = 5000
MAX_ZIP_TOTAL_BYTES = 2 * 1024**3
MAX_COMPRESSION_RATIO = 200  # zip bombs reach thousands; notebooks compress about 5-20x
Identity = dict[str, str | bool]  # identify's answer: student, name, marked_late, lms_submission
CANVAS_NAME = re.compile(r"^(?P<name>[^_]+(?:_[^_\d][^_]*)*?)_(?:(?P<late>LATE)_)?(?P<user>\d+)_(?P<submission>\d+)_")


@dataclass(frozen=True)
class Submission:
    """One file received for one student; ``problem`` says why it cannot be graded."""

    student: str
    source: str  # where it came from, for people: a path, or zip path!member
    content: bytes = b""
    received: datetime = field(default_factory=lambda: datetime.now(UTC))
    name: str = ""  # the student's name where the LMS gave it
    marked_late: bool = False  # the LMS said so
    lms_submission: str = ""
    problem: str = ""
    superseded: tuple[str, ...] = ()  # older submissions of the same student, not graded

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def collect(paths: list[Path], max_bytes: int = MAX_NOTEBOOK_BYTES) -> list[Submission]:
    """One submission per student (the newest when there are several), sorted by student."""
    received: list[Submission] = []
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"no such submission: {path}")
        received += _from_path(path, max_bytes, named_explicitly=True)
    return _newest_per_student(received)


def identify(file_name: str) -> Identity:
    """Student id, name, late flag and LMS submission id from an LMS download's file name."""
    stem = PurePosixPath(file_name.replace("\\", "/")).name
    match = CANVAS_NAME.match(stem)
    if match is None:
        student = text.clean_line(PurePosixPath(stem).stem) or "_"
        return {"student": student, "name": "", "marked_late": False, "lms_submission": ""}
    return {
        "student": match["user"],
        "name": text.clean_line(match["name"].replace("_", " ")),
        "marked_late": bool(match["late"]),
        "lms_submission": match["submission"],
    }


def _from_path(path: Path, max_bytes: int, named_explicitly: bool = False) -> list[Submission]:
    if path.is_symlink():
        return [_problem(path.name, str(path), "a symbolic link, not a file: submit the notebook itself")]
    if path.is_dir():
        found = []
        for child in sorted(path.iterdir()):
            if child.name.startswith(".") or child.name == "__pycache__":
                continue
            if child.is_symlink() or child.is_dir() or _looks_like_submission(child.name):
                found += _from_path(child, max_bytes)
        return found
    mode = path.lstat().st_mode
    if not stat.S_ISREG(mode):
        return [_problem(path.name, str(path), "not a regular file")]
    received = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    if path.suffix.lower() == ".zip":
        return _from_zip(path, received, max_bytes)
    size = path.stat().st_size
    if size > max_bytes:
        return [_problem(path.name, str(path), _too_large(size, max_bytes), received)]
    return [_submission(path.name, str(path), _read(path, max_bytes), received)]


def _looks_like_submission(name: str) -> bool:
    return name.lower().endswith((".ipynb", ".zip")) or CANVAS_NAME.match(name) is not None


def _read(path: Path, max_bytes: int) -> bytes:
    """Read at most ``max_bytes + 1`` bytes without following a symlink swapped in meanwhile."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read(max_bytes + 1)


def _from_zip(path: Path, received: datetime, max_bytes: int) -> list[Submission]:
    owner = identify(path.name) if CANVAS_NAME.match(path.name) else None
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        return [_problem(path.name, str(path), f"not a readable zip file ({error})", received)]
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        problem = _zip_problem(members)
        if problem:
            return [_problem(path.name, str(path), problem, received)]
        found = []
        for info in members:
            source = f"{path}!{info.filename}"
            name = PurePosixPath(info.filename.replace("\\", "/")).name
            unsafe = _unsafe_member_name(info.filename)
            if not unsafe and (name.startswith(".") or "__MACOSX" in info.filename or not _looks_like_submission(name)):
                continue
            # A student's zip speaks only for that student, at the zip's time; a TA's bundle for each member.
            member_received = received if owner else min(datetime(*info.date_time, tzinfo=UTC), received)
            identity = owner or identify(name)
            if unsafe:
                problem = f"unsafe path inside the zip: {text.clean_line(repr(info.filename))}"
            elif stat.S_ISLNK(info.external_attr >> 16):
                problem = "a symbolic link inside the zip, not a notebook"
            elif info.file_size > max_bytes:
                problem = _too_large(info.file_size, max_bytes)
            elif name.lower().endswith(".zip"):
                problem = "a zip inside a zip: submit the notebook itself"
            else:
                with archive.open(info) as handle:
                    content = handle.read(max_bytes + 1)
                found.append(_submission(identity, source, content, member_received))
                continue
            found.append(_problem(identity, source, problem, member_received))
        return found


def _zip_problem(members: list[zipfile.ZipInfo]) -> str:
    """Refuse archives that would cost more to read than any honest course upload."""
    if len(members) > MAX_ZIP_MEMBERS:
        return f"the zip holds {len(members)} files (at most {MAX_ZIP_MEMBERS} accepted)"
    total = sum(info.file_size for info in members)
    if total > MAX_ZIP_TOTAL_BYTES:
        return f"the zip would unpack to {total / 1024**3:.1f} GiB (at most {MAX_ZIP_TOTAL_BYTES / 1024**3:g} GiB)"
    for info in members:
        if info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1) and info.file_size > 1024**2:
            return (
                f"{info.filename!r} is compressed {info.file_size / max(info.compress_size, 1):.0f}:1 "
                "(a zip bomb?): refused"
            )
    return ""


def _unsafe_member_name(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or bool(re.match(r"^[A-Za-z]:", name))


def _submission(who: str | Identity, source: str, content: bytes, received: datetime) -> Submission:
    """A received file for ``who`` (a file name to identify the student by, or their identity)."""
    if len(content) == 0:
        return _problem(who, source, "the file is empty", received)
    return _received(who, source, received, content=content)


def _problem(who: str | Identity, source: str, problem: str, received: datetime | None = None) -> Submission:
    return _received(who, source, received or datetime.now(UTC), problem=problem)


def _received(who: str | Identity, source: str, received: datetime, **fields: object) -> Submission:
    identity = identify(who) if isinstance(who, str) else who
    return Submission(source=text.clean_line(source, 1000), received=received, **identity, **fields)  # type: ignore[arg-type]


def _too_large(size: int, limit: int) -> str:
    return f"the file is {size / 1024**2:.1f} MB, over the {limit / 1024**2:g} MB limit for a notebook"


def _newest_per_student(received: list[Submission]) -> list[Submission]:
    """Keep each student's newest submission; record the others as superseded."""
    by_student: dict[str, list[Submission]] = {}
    for submission in received:
        by_student.setdefault(submission.student, []).append(submission)
    chosen = []
    for student in sorted(by_student):
        candidates = sorted(
            by_student[student], key=lambda s: (s.received, s.lms_submission.zfill(20), s.source), reverse=True
        )
        newest, older = candidates[0], candidates[1:]
        if older:
            log.info("student %s: %d submissions, grading %s", student, len(candidates), newest.source)
            newest = replace(newest, superseded=tuple(s.source for s in older))
        chosen.append(newest)
    return chosen
