"""What a TA hands over becomes one submission per student, and every bad file a clear result."""

import io
import json
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest

from autograder.course import assignment as assignments
from autograder.grading import batch, intake, pipeline
from autograder.grading.config import BatchConfig
from tests.conftest import COURSE, FAST_LIMITS, SECRET

TENSORS = assignments.load(COURSE, "tensors")
CORRECT = (TENSORS.examples / "correct.ipynb").read_bytes()


def write(path: Path, content: bytes, mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def zipped(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_canvas_names_give_student_id_name_and_late_flag() -> None:
    assert intake.identify("doe_jane_LATE_4821_99017_tensors-1.ipynb") == {
        "student": "4821",
        "name": "doe jane",
        "marked_late": True,
        "lms_submission": "99017",
    }
    assert intake.identify("vandenberg_anna_77_12_my notebook.ipynb")["student"] == "77"
    assert intake.identify("alice.ipynb") == {
        "student": "alice",
        "name": "",
        "marked_late": False,
        "lms_submission": "",
    }


def test_newest_submission_counts_and_the_older_one_is_named(tmp_path: Path) -> None:
    write(tmp_path / "doe_jane_4821_100_hw.ipynb", CORRECT, mtime=1_700_000_000)
    write(tmp_path / "doe_jane_LATE_4821_101_hw-2.ipynb", CORRECT + b" ", mtime=1_700_090_000)
    write(tmp_path / "roe_rick_5000_102_hw.ipynb", CORRECT, mtime=1_700_000_000)
    (submission, other) = intake.collect([tmp_path])
    assert submission.student == "4821" and submission.source.endswith("hw-2.ipynb") and submission.marked_late
    assert [Path(source).name for source in submission.superseded] == ["doe_jane_4821_100_hw.ipynb"]
    assert submission.received == datetime.fromtimestamp(1_700_090_000, UTC)
    assert other.student == "5000" and other.superseded == ()


def test_directories_skip_non_submissions_but_named_files_are_judged(tmp_path: Path) -> None:
    write(tmp_path / "alice.ipynb", CORRECT)
    write(tmp_path / "variants.py", b"print('not a submission')")
    write(tmp_path / ".ipynb_checkpoints" / "alice-checkpoint.ipynb", CORRECT)
    assert [s.student for s in intake.collect([tmp_path])] == ["alice"]
    [report] = intake.collect([write(tmp_path / "bob.pdf", b"%PDF-1.4")])
    assert report.student == "bob" and report.problem == ""  # judged as a notebook: it is not one (below)
    result = batch.grade_one(BatchConfig(COURSE, "tensors", SECRET, FAST_LIMITS), report)
    assert result.score == 0 and "not a valid Jupyter notebook" in result.notebook_problems[0]


def test_zip_of_notebooks_is_read_without_extracting(tmp_path: Path) -> None:
    archive = write(
        tmp_path / "bulk.zip",
        zipped({"submissions/doe_jane_4821_100_hw.ipynb": CORRECT, "submissions/bob.ipynb": CORRECT, "README": b"x"}),
    )
    found = {s.student: s for s in intake.collect([archive])}
    assert set(found) == {"4821", "bob"}
    assert found["bob"].content == CORRECT and found["bob"].source.endswith("bulk.zip!submissions/bob.ipynb")
    assert not any(path.suffix == ".ipynb" for path in tmp_path.rglob("*"))


@pytest.mark.parametrize(
    ("members", "problem"),
    [
        ({"../../evil.ipynb": CORRECT}, "unsafe path inside the zip"),
        ({"/etc/evil.ipynb": CORRECT}, "unsafe path inside the zip"),
        ({"inner.zip": zipped({"a.ipynb": CORRECT})}, "a zip inside a zip"),
        ({"bomb.ipynb": b"\0" * (300 * 1024**2)}, "zip bomb"),
    ],
    ids=["traversal", "absolute", "nested zip", "zip bomb"],
)
def test_hostile_zips_become_per_submission_problems(tmp_path: Path, members: dict, problem: str) -> None:
    archive = write(tmp_path / "upload.zip", zipped(members))
    assert archive.stat().st_size < 2 * 1024**2
    [submission] = intake.collect([archive])
    assert problem in submission.problem and submission.content == b""


def test_symlink_in_zip_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("alice.ipynb")
        link.external_attr = (0o120777 << 16) | 0
        archive.writestr(link, "/etc/passwd")
    [submission] = intake.collect([write(tmp_path / "links.zip", buffer.getvalue())])
    assert "symbolic link inside the zip" in submission.problem


def test_symlinks_in_a_submitted_directory_are_not_followed(tmp_path: Path) -> None:
    secret = write(tmp_path / "outside" / "secret.ipynb", CORRECT)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "mallory.ipynb").symlink_to(secret)
    (tmp_path / "in" / "folder").symlink_to(tmp_path / "outside", target_is_directory=True)
    found = {s.student: s for s in intake.collect([tmp_path / "in"])}
    assert set(found) == {"mallory", "folder"}
    assert all("symbolic link" in s.problem and s.content == b"" for s in found.values())


def test_oversized_and_empty_files(tmp_path: Path) -> None:
    big = write(tmp_path / "big.ipynb", b" " * (2 * 1024**2))
    empty = write(tmp_path / "empty.ipynb", b"")
    found = {s.student: s for s in intake.collect([big, empty], max_bytes=1024**2)}
    assert "over the 1 MB limit" in found["big"].problem and found["big"].content == b""
    assert found["empty"].problem == "the file is empty"


def notebook_bytes(cells: list, **metadata) -> bytes:
    notebook = nbformat.v4.new_notebook(cells=cells, metadata=metadata)
    return nbformat.writes(notebook).encode()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{ not json", "not a valid Jupyter notebook"),
        (b'{"nbformat": 99, "nbformat_minor": 0, "cells": [], "metadata": {}}', "not a valid Jupyter notebook"),
        (b"\x00\x01\x02", "not a valid Jupyter notebook"),
        (notebook_bytes([nbformat.v4.new_markdown_cell("hi")]), "empty notebook"),
        (
            notebook_bytes([nbformat.v4.new_code_cell("x = 1")], autograder={"assignment": "sgd"}),
            "a notebook of assignment 'sgd', not 'tensors'",
        ),
    ],
    ids=["invalid json", "future nbformat", "binary", "no code", "other assignment"],
)
def test_unusable_notebooks_are_rejected_with_a_reason(content: bytes, reason: str) -> None:
    with pytest.raises(pipeline.SubmissionError, match=reason):
        pipeline.read_notebook(content, TENSORS)


def test_old_nbformat_is_converted_and_nul_bytes_in_code_are_kept_for_the_kernel_to_refuse() -> None:
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1", "language": "python", "outputs": []}]}],
    }
    assert pipeline.read_notebook(json.dumps(v3).encode(), TENSORS).cells[0].source == "x = 1"
    with_nul = notebook_bytes([nbformat.v4.new_code_cell("x = '\0'")])
    assert "\0" in pipeline.read_notebook(with_nul, TENSORS).cells[0].source
