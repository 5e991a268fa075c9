"""``autograder release``: what students get holds nothing hidden; releases are reproducible."""

import ast
import io
import json
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

from autograder import cli, selfcheck
from autograder.authoring import package, release, shipping, variants
from autograder.course import assignment as assignments
from autograder.course import notebook as notebooks
from autograder.grading import pipeline
from tests.authoring.conftest import RELEASE_SECRET, release_all
from tests.conftest import COURSE

ASSIGNMENTS = assignments.available(COURSE)
MIN_LINE = 20  # shorter lines ("return x", "else:") prove nothing either way


def expand(name: str, data: bytes) -> dict[str, bytes]:
    """A file and, for zips (the LMS zip, the wheel inside it), every member, recursively."""
    found = {name: data}
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                found |= expand(f"{name}!{member}", archive.read(member))
    return found


def student_files(released: release.Release) -> dict[str, bytes]:
    """Everything a student receives: the folder's files, the zip, and every zip's members."""
    raw: dict[str, bytes] = {}
    for path in sorted(released.student.rglob("*")):
        if path.is_file():
            raw |= expand(str(path.relative_to(released.root)), path.read_bytes())
    return raw | expand(released.student_zip.name, released.student_zip.read_bytes())


def as_texts(files: dict[str, bytes]) -> dict[str, str]:
    """The files as text, plus the strings inside notebooks and JSON decoded (escapes undone)."""
    texts = {name: data.decode("utf-8", errors="replace") for name, data in files.items()}
    for name, data in files.items():
        if name.endswith((".ipynb", ".json")):
            texts[f"{name} (strings)"] = "\n".join(_strings(json.loads(data)))
    return texts


def _strings(tree) -> list[str]:
    if isinstance(tree, str):
        return [tree]
    if isinstance(tree, dict):
        return [text for value in tree.values() for text in _strings(value)]
    if isinstance(tree, list):
        return [text for value in tree for text in _strings(value)]
    return []


def public_text(assignment: assignments.Assignment) -> str:
    """Public by design: the student's notebook the master derives, the engine's own source, the
    call expressions and drivers that check() needs (shipped on purpose; the grader sends them to
    the student's kernel too), and the property checks and pictures the course marked ``@public``
    with what they use (``authoring.shipping``)."""
    notebook = assignment.student_notebook()
    engine = [data.decode() for name, data in package.package_files() if name.endswith(".py")]
    calls = [text for q in assignment.questions for text in (q.check.call, q.check.driver)]
    shipped = [shipping.bundle(p) for q in assignment.questions for p in shipping.shipped(q.check)]
    return "\n".join([cell.source for cell in notebook.cells] + engine + calls + shipped)


def body_lines(source: str) -> set[str]:
    """The lines of every function and class body in Python source (docstrings and comments left out)."""
    lines = source.splitlines()
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            for statement in node.body:
                if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                    continue  # a docstring
                for number in range(statement.lineno, statement.end_lineno + 1):
                    found.add(lines[number - 1].strip())
        elif isinstance(node, ast.Lambda):
            found.add(ast.get_source_segment(source, node).strip())
    return {line for line in found if len(line) >= MIN_LINE and not line.startswith("#")}


def hidden_tensors(assignment: assignments.Assignment) -> list[bytes]:
    """Raw bytes of the hidden inputs two students would get (random, so distinctive)."""
    found = []
    for student in ("alice", "bob"):
        for planned in pipeline.plan(assignment, student, b"some course secret"):
            if planned.question.check.cases[planned.case_index].hidden:
                for value in planned.probe.inputs.values():
                    array = value.view(torch.uint8).numpy() if isinstance(value, torch.Tensor) else value
                    if isinstance(array, np.ndarray) and array.nbytes >= 64 and len(np.unique(array)) > 4:
                        found.append(array.tobytes())
    return found


def find_leaks(assignment: assignments.Assignment, raw: dict[str, bytes]) -> list[str]:
    """Hidden code, the secret, hidden files or hidden inputs found among the files a student gets."""
    files = as_texts(raw)
    public = public_text(assignment)
    secrets = [RELEASE_SECRET]
    if (COURSE / "secrets" / "course-secret").is_file():
        secrets.append((COURSE / "secrets" / "course-secret").read_text().strip())
    hidden_code = {
        "reference": {line for line in body_lines(assignment.master.reference) if line not in public},
        "checks.py": {line for line in body_lines((assignment.folder / "checks.py").read_text()) if line not in public},
    }
    assert hidden_code["reference"] and hidden_code["checks.py"]
    leaks = [
        f"{name}: {kind} line {line!r}"
        for name, text in files.items()
        for kind, lines in hidden_code.items()
        for line in lines
        if line in text
    ]
    leaks += [f"{name}: the course secret" for name, text in files.items() for secret in secrets if secret in text]
    hidden_files = ("checks.py", f"/{assignment.id}.py", f"!{assignment.id}.py", "examples/variants.py")
    leaks += [f"{name}: a file of the hidden side" for name in raw if name.endswith(hidden_files)]
    leaks += [
        f"a hidden input ({len(data)} bytes)"
        for data in hidden_tensors(assignment)
        if any(data in content for content in raw.values())
    ]
    return leaks


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_student_release_leaks_nothing(released: dict, assignment_id: str) -> None:
    assignment = assignments.load(COURSE, assignment_id)
    assert find_leaks(assignment, student_files(released[assignment_id])) == []


def test_leak_scan_finds_planted_leaks(released: dict) -> None:
    assignment = assignments.load(COURSE, "inverse")
    raw = student_files(released["inverse"])
    raw["student/notes.py"] = assignment.master.reference.encode()
    raw["student/extra.json"] = json.dumps({"checks": (assignment.folder / "checks.py").read_text()}).encode()
    raw["student/config.txt"] = f"secret = {RELEASE_SECRET}".encode()
    raw["student/cache.bin"] = hidden_tensors(assignment)[0]
    leaks = find_leaks(assignment, raw)
    for expected in ("notes.py: reference line", "(strings): checks.py line", "the course secret", "a hidden input"):
        assert any(expected in leak for leak in leaks), expected


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_public_data_holds_only_public_cases(released: dict, assignment_id: str) -> None:
    assignment = assignments.load(COURSE, assignment_id)
    checks = selfcheck.load(released[assignment_id].student, assignment_id)
    for question, shipped in zip(assignment.questions, checks.questions, strict=True):
        public = [case.name for case in question.check.cases if not case.hidden]
        assert [case.name for case in shipped.cases] == public
        assert shipped.hidden_cases == len(question.check.cases) - len(public)


def test_releases_are_byte_identical(released: dict, tmp_path: Path) -> None:
    again = release_all(tmp_path)
    for assignment_id, first in released.items():
        second = again[assignment_id]
        names = sorted(str(p.relative_to(first.root)) for p in first.root.rglob("*") if p.is_file())
        assert names == sorted(str(p.relative_to(second.root)) for p in second.root.rglob("*") if p.is_file())
        for name in names:
            assert (first.root / name).read_bytes() == (second.root / name).read_bytes(), name


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_released_notebooks_are_clean_and_stamped(released: dict, assignment_id: str) -> None:
    assignment = assignments.load(COURSE, assignment_id)
    student = nbformat.read(released[assignment_id].student / assignment.notebook_name, as_version=4)
    solution = nbformat.read(released[assignment_id].solution / assignment.notebook_name, as_version=4)
    for notebook in (student, solution):
        nbformat.validate(notebook)
        assert notebook.metadata.kernelspec == release.KERNELSPEC
        assert notebook.metadata.autograder == {"assignment": assignment_id, "version": assignment.version}
        ids = [cell.id for cell in notebook.cells]
        assert len(set(ids)) == len(ids)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
        sources = [cell.source for cell in notebook.cells]
        checks = [source.split("  #")[0] for source in sources if source.startswith("check(")]
        assert [f'check("{q.id}")' for q in assignment.questions] == checks[:-1] and checks[-1] == "check()"
        assert sources[-1].startswith("check()  # NameError? run the setup cell")  # what a restarted kernel shows
        assert any(f'self_check("{assignment_id}", globals())' in source for source in sources)
    assert [cell.id for cell in student.cells] == [cell.id for cell in solution.cells]
    for question in assignment.questions:
        stub = student.cells[notebooks.solution_cell_index(student, question.function)].source
        solved = solution.cells[notebooks.solution_cell_index(solution, question.function)].source
        assert "NotImplementedError" in stub
        assert "NotImplementedError" not in solved and f"{question.function}" in solved


def test_grading_bundle_is_a_course_of_one_assignment(released: dict) -> None:
    bundle = released["tensors"].bundle
    assert assignments.available(bundle) == ["tensors"]
    assignment = assignments.load(bundle, "tensors")
    assert [v.name for v in variants.load_variants(assignment)][:2] == ["correct", "template"]
    assert not (bundle / "secrets").exists()
    with zipfile.ZipFile(released["tensors"].bundle_zip) as archive:
        assert "tensors/assignments/tensors/tensors.ipynb" in archive.namelist()


def test_student_zip_is_the_student_folder(released: dict) -> None:
    rel = released["tensors"]
    with zipfile.ZipFile(rel.student_zip) as archive:
        members = {info.filename: info for info in archive.infolist()}
    folder = sorted(f"tensors/{p.relative_to(rel.student).as_posix()}" for p in rel.student.rglob("*") if p.is_file())
    assert sorted(members) == folder
    assert {info.date_time for info in members.values()} == {(1980, 1, 1, 0, 0, 0)}


def test_cli_release_and_refusal_to_overwrite_foreign_files(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["release", "tensors", "--output", str(tmp_path)]) == 0
    assert (tmp_path / "tensors" / "tensors-student.zip").is_file()
    assert cli.main(["release", "tensors", "--output", str(tmp_path)]) == 0  # replaces its own release
    (tmp_path / "tensors" / "notes.txt").write_text("mine")
    assert cli.main(["release", "tensors", "--output", str(tmp_path)]) == 2
    assert "not replacing it" in capsys.readouterr().err
    assert (tmp_path / "tensors" / "notes.txt").read_text() == "mine"
