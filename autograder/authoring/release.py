"""Release an assignment: from the repository to what students download and hosts grade with.

Like nbgrader's converters, a release is a readable list of small named steps. The
notebook steps turn the instructor's notebook into the student's and the solution's;
the release steps write ``dist/<id>/``::

    student/       the notebook, its public examples as data (for check()), README.md,
                   the course package's wheel and assets/ (if any); nothing hidden
    <id>-student.zip   the same folder, ready to upload to the LMS
    solution/      the notebook with the reference solutions filled in
    autograder/    a course directory holding only this assignment (its master notebook,
                   checks.py, requirements.txt and examples/variants.py): what a grading
                   host needs to grade and validate it, with the package installed
    <id>-autograder.zip  the same folder, zipped

Two releases of one commit are byte-identical: no timestamps, fixed zip entries, stable
cell ids, JSON with sorted keys. The course secret is never read.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import nbformat

from autograder.authoring import package, public_data
from autograder.course import notebook as notebooks
from autograder.course.assignment import Assignment, AssignmentError
from autograder.selfcheck import data_paths

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
VOLATILE_CELL_METADATA = ("collapsed", "scrolled", "ExecuteTime", "execution")


# Notebook steps: each changes the notebook in place and does one thing ----------------------


class NotebookStep(Protocol):
    def __call__(self, notebook: nbformat.NotebookNode, assignment: Assignment) -> None: ...


class AddSelfCheck:
    """A setup cell after the imports, ``check("qN")`` closing each question, ``check()`` at the end."""

    def __call__(self, notebook: nbformat.NotebookNode, assignment: Assignment) -> None:
        cells = notebook.cells
        placements = []
        for question in assignment.questions:
            solution = notebooks.solution_cell_index(notebook, question.function)
            end = solution + 1
            while end < len(cells) and cells[end].cell_type != "markdown":
                if notebooks.is_solution_cell(cells[end]):
                    break
                end += 1
            placements.append((end, question.id))
        for end, question_id in sorted(placements, reverse=True):
            cells.insert(
                end,
                _cell(
                    "code",
                    CHECK_SOURCE.format(question=question_id),
                    notebooks.release_cell_id(assignment, f"check-{question_id}"),
                ),
            )
        cells += [
            _cell("markdown", FINAL_TEXT, notebooks.release_cell_id(assignment, "check-all-text")),
            _cell(
                "code",
                CHECK_SOURCE.format(question="").replace('""', ""),
                notebooks.release_cell_id(assignment, "check-all"),
            ),
        ]
        first_code = next(index for index, cell in enumerate(cells) if cell.cell_type == "code")
        cells[first_code + 1 : first_code + 1] = [
            _cell("markdown", SETUP_TEXT, notebooks.release_cell_id(assignment, "check-text")),
            _cell(
                "code",
                SETUP_SOURCE.format(assignment=assignment.id, wheel=package.wheel_name()),
                notebooks.release_cell_id(assignment, "check-setup"),
            ),
        ]


class ClearOutputs:
    """No outputs, no execution counts, no editor state in cell metadata."""

    def __call__(self, notebook: nbformat.NotebookNode, assignment: Assignment) -> None:
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
            for key in VOLATILE_CELL_METADATA:
                cell.metadata.pop(key, None)


class SetKernelspec:
    """Python 3, whatever kernel the author last used."""

    def __call__(self, notebook: nbformat.NotebookNode, assignment: Assignment) -> None:
        notebook.metadata.kernelspec = nbformat.from_dict(KERNELSPEC)
        notebook.metadata.language_info = nbformat.from_dict({"name": "python"})


class StampMetadata:
    """Assignment id and version in the notebook's metadata: a renamed file still names its assignment."""

    def __call__(self, notebook: nbformat.NotebookNode, assignment: Assignment) -> None:
        notebooks.stamp(notebook, assignment)


class StableCellIds:
    """Every cell keeps its id; a cell without one (or with a duplicate) gets one from its position."""

    def __call__(self, notebook: nbformat.NotebookNode, assignment: Assignment) -> None:
        notebook.nbformat, notebook.nbformat_minor = 4, max(5, notebook.get("nbformat_minor", 0))
        seen: set[str] = set()
        for index, cell in enumerate(notebook.cells):
            if not cell.get("id") or cell.id in seen:
                cell.id = notebooks.release_cell_id(assignment, f"cell-{index:02d}")
            seen.add(cell.id)


class Validate:
    """The result must be a valid nbformat 4.5 notebook."""

    def __call__(self, notebook: nbformat.NotebookNode, assignment: Assignment) -> None:
        nbformat.validate(notebook)


STUDENT_NOTEBOOK: tuple[NotebookStep, ...] = (
    AddSelfCheck(),
    ClearOutputs(),
    SetKernelspec(),
    StampMetadata(),
    StableCellIds(),
    Validate(),
)


def convert(
    notebook: nbformat.NotebookNode, assignment: Assignment, steps: Sequence[NotebookStep]
) -> nbformat.NotebookNode:
    """``notebook`` (a version the master notebook derives) with ``steps`` applied in order."""
    for step in steps:
        step(notebook, assignment)
    return notebook


def student_notebook(assignment: Assignment) -> nbformat.NotebookNode:
    return convert(assignment.student_notebook(), assignment, STUDENT_NOTEBOOK)


def solution_notebook(assignment: Assignment) -> nbformat.NotebookNode:
    return convert(assignment.master.solution_notebook(), assignment, STUDENT_NOTEBOOK)


def notebook_text(notebook: nbformat.NotebookNode) -> str:
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# Release steps: each writes one part of dist/<id>/ -------------------------------------------


@dataclass
class Release:
    """Where one assignment's release goes, and what has been written so far."""

    assignment: Assignment
    course: Path
    root: Path
    written: list[Path] = field(default_factory=list)

    @property
    def student(self) -> Path:
        return self.root / "student"

    @property
    def solution(self) -> Path:
        return self.root / "solution"

    @property
    def bundle(self) -> Path:
        return self.root / "autograder"

    @property
    def student_zip(self) -> Path:
        return self.root / f"{self.assignment.id}-student.zip"

    @property
    def bundle_zip(self) -> Path:
        return self.root / f"{self.assignment.id}-autograder.zip"

    def write(self, path: Path, data: str | bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        self.written.append(path)

    def copy(self, source: Path, target: Path) -> None:
        self.write(target, source.read_bytes())


class ReleaseStep(Protocol):
    def __call__(self, release: Release) -> None: ...


class WriteNotebook:
    """One of the assignment's notebooks (``build`` makes it) into one of the release's folders."""

    def __init__(self, folder: Callable[[Release], Path], build: Callable[[Assignment], nbformat.NotebookNode]) -> None:
        self.folder = folder
        self.build = build

    def __call__(self, release: Release) -> None:
        notebook = self.build(release.assignment)
        release.write(self.folder(release) / release.assignment.notebook_name, notebook_text(notebook))


class WritePublicData:
    """The public examples, expected answers and mistakes' answers check() compares with."""

    def __call__(self, release: Release) -> None:
        text, blob = public_data.build(release.assignment)
        text_path, blob_path = data_paths(release.student, release.assignment.id)
        release.write(text_path, text)
        release.write(blob_path, blob)


class WriteStudentReadme:
    def __call__(self, release: Release) -> None:
        assignment = release.assignment
        text = STUDENT_README.format(
            title=assignment.title,
            id=assignment.id,
            version=assignment.version,
            notebook=assignment.notebook_name,
            wheel=package.wheel_name(),
        )
        release.write(release.student / "README.md", text)


class WritePackage:
    """The course package's wheel: the one thing students install."""

    def __call__(self, release: Release) -> None:
        release.written.append(package.build_wheel(release.student))


class CopyAssets:
    """``assignments/<id>/assets/`` (data files the notebook opens), if the assignment has one."""

    def __call__(self, release: Release) -> None:
        assets = release.assignment.folder / "assets"
        for path in _files(assets):
            release.copy(path, release.student / "assets" / path.relative_to(assets))


class WriteGradingBundle:
    """A course directory with only this assignment, for a grading host (no secret in it)."""

    def __call__(self, release: Release) -> None:
        assignment = release.assignment
        target = release.bundle / "assignments" / assignment.id
        for name in (assignment.notebook_name, "checks.py", "requirements.txt", "examples/variants.py"):
            if (assignment.folder / name).is_file():
                release.copy(assignment.folder / name, target / name)
        for path in _files(assignment.folder / "assets"):
            release.copy(path, target / "assets" / path.relative_to(assignment.folder / "assets"))
        release.write(release.bundle / "README.md", BUNDLE_README.format(id=assignment.id, version=assignment.version))


class ZipFolder:
    """A folder as a reproducible zip whose entries sit under ``<id>/``."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def __call__(self, release: Release) -> None:
        source = getattr(release, self.folder)
        target = release.student_zip if self.folder == "student" else release.bundle_zip
        files = [
            (f"{release.assignment.id}/{path.relative_to(source).as_posix()}", path.read_bytes())
            for path in _files(source)
        ]
        package.write_zip(target, files)
        release.written.append(target)


RELEASE: tuple[ReleaseStep, ...] = (
    WriteNotebook(lambda release: release.student, student_notebook),
    WritePublicData(),
    WriteStudentReadme(),
    WritePackage(),
    CopyAssets(),
    ZipFolder("student"),
    WriteNotebook(lambda release: release.solution, solution_notebook),
    WriteGradingBundle(),
    ZipFolder("bundle"),
)


def release(assignment: Assignment, course: Path, output: Path) -> Release:
    """Write the release of ``assignment`` to ``output/<id>/``, replacing an earlier release there."""
    result = Release(assignment, course, output / assignment.id)
    _clear(result)
    for step in RELEASE:
        step(result)
    return result


def _clear(release: Release) -> None:
    """Remove an earlier release; refuse to touch a folder holding anything else."""
    if not release.root.exists():
        return
    ours = {release.student, release.solution, release.bundle, release.student_zip, release.bundle_zip}
    others = sorted(str(path) for path in release.root.iterdir() if path not in ours)
    if not release.root.is_dir() or others:
        raise AssignmentError(
            f"{release.root} holds files that are not a release ({', '.join(others)}): not replacing it"
        )
    shutil.rmtree(release.root)


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.rglob("*") if path.is_file() and "__pycache__" not in path.parts)


def _cell(kind: str, source: str, cell_id: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
    cell["id"] = cell_id
    return cell


# Texts the release adds ---------------------------------------------------------------------

SETUP_TEXT = """\
**Check your work as you go.** The cell below sets up `check`. After writing a function, run
the `check("q…")` cell that closes its question: it calls your function on this notebook's
public examples, compares the answers with the reference's (shipped with this notebook as
data) in the grader's own words, and names a typical mistake when it recognises one.
Passing is necessary, not sufficient: the grader also calls your functions on hidden inputs
of other sizes. See README.md for the one-time install."""

SETUP_SOURCE = """\
try:
    from autograder.selfcheck import self_check
except ImportError as missing:  # not installed for this kernel's Python (the grader does not need it)
    def self_check(assignment, namespace, missing=getattr(missing, "name", None) or "autograder"):
        import sys
        package = "{wheel}" if missing == "autograder" else missing
        return lambda question=None: print(
            f"self-check unavailable: this kernel's Python ({{sys.executable}}) cannot import {{missing}}. "
            f"Run `%pip install {{package}}` in a cell (in this notebook's folder), then this cell again; "
            "or switch to the kernel of the Python you installed the course package for (README.md)."
        )
check = self_check("{assignment}", globals())"""

# The comment is what a student sees in the NameError's traceback after a kernel restart.
CHECK_SOURCE = 'check("{question}")  # NameError? run the setup cell near the top first'

FINAL_TEXT = """\
## Before you submit

Restart the kernel and run all cells (the grader runs your notebook from top to bottom in a
fresh kernel), then check every question at once:"""

STUDENT_README = """\
# {title} (assignment `{id}`, version {version})

- `{notebook}`: the notebook you fill in and submit (renaming it is fine).
- `{id}.public.json`, `{id}.public.safetensors`: the public examples the self-check
  compares your answers with. Keep them next to the notebook and do not edit them.
- `{wheel}`: the course package, for the self-check.

## Install once

In a terminal, in this folder, with the Python you run Jupyter with (a virtual environment
is a good idea: `python -m venv .venv`, then `source .venv/bin/activate`):

    python -m pip install torch --index-url https://download.pytorch.org/whl/cpu
    python -m pip install {wheel} jupyterlab matplotlib

The first line installs PyTorch's CPU build (under 1 GB in all; the default build brings
about 4.5 GB more of CUDA libraries this course does not need). Skip it if you already have
PyTorch 2.13 or newer: the course package keeps the one you have and adds only numpy,
safetensors and jinja2. Skip `jupyterlab` if you already have Jupyter (VS Code and Jupyter
Notebook work too); with `matplotlib`, `check()` also draws the pictures the grader's
feedback shows. After that everything works offline.

To reinstall later without a network, keep the packages (your torch included) in a folder once:

    python -m pip download {wheel} "torch==$(python -c 'import torch; print(torch.__version__)')" \\
        -d packages --extra-index-url https://download.pytorch.org/whl/cpu
    python -m pip install --no-index --find-links packages {wheel}

In a notebook, `%pip install {wheel}` installs into the kernel's own Python.

## Check your work

Open `{notebook}` from this folder and run its cells. `check("q1")` calls your q1
function on the notebook's public examples and tells you what is wrong, in the words the
grader uses (naming typical mistakes it recognises); `check()` checks every question.
Nothing is sent anywhere.

A pass is necessary, not sufficient: the grader also calls your functions on hidden inputs
of other shapes and sizes, so write general code. It runs your notebook from top to bottom
in a fresh kernel and then calls the functions by name: before submitting, restart the
kernel, run all cells, and keep the function names and signatures as given.
"""

BUNDLE_README = """\
# Grading bundle: `{id}`, version {version}

A course directory holding only this assignment, for a grading host that has the
`autograder` package installed with its grading packages
(`python -m pip install 'autograder-<version>-py3-none-any.whl[grade]'`). From this folder:

    autograder --course . validate {id}            # prove the checks bite before grading
    autograder --course . grade {id} SUBMISSIONS... --output grades/

Hidden inputs are drawn from the course secret, which is not in this bundle: set
`$AUTOGRADER_SECRET`, or copy the course's `secrets/course-secret` here, so that every
host (and every regrade) draws the same inputs.
"""
