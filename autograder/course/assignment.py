"""An assignment as the instructor wrote it: one master notebook, and optionally its hidden checks.

Layout of a course (the repository root by default)::

    assignments/<id>/<id>.ipynb          the master notebook, in otter-assign's format (``master.py``):
                                         settings, questions and points, solutions, prompts, tests
    assignments/<id>/checks.py           optional, hidden: CHECKS = {"q1": QuestionCheck(...), ...},
                                         random hidden cases, named mistakes, properties, pictures
    assignments/<id>/requirements.txt    optional: packages the grading environment needs (``make setup``)
    assignments/<id>/examples/           bundled example submissions

The student notebook, the solution and the reference implementation (the solutions,
run as a module in the trusted process) are all derived from the master notebook.
Loading validates the pieces against each other, so a typo in a check fails when the
assignment is loaded, not halfway through grading 300 notebooks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib.util
import io
import linecache
import os
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat

from autograder.checks import cell_tests
from autograder.checks.spec import Case, QuestionCheck
from autograder.course import master as masters
from autograder.course.late import LatePolicy
from autograder.course.rubric import Rubric
from autograder.course.similarity import SimilaritySettings
from autograder.errors import AssignmentError

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
GPU_POLICIES = ("rescale", "cpu")
DEVICES = ("cpu", "cuda")
# The master notebook's own settings: the ASSIGNMENT CONFIG's ``autograder:`` table.
SETTINGS = ("title", "version", "gpu_policy", "late", "lms", "similarity")


@dataclass(frozen=True)
class Question:
    """One graded function: its id and points, where it is graded, and its checks.

    ``devices`` are the runner types that grade it ("cpu", "cuda"); ``check`` holds its
    cases: those of its entry in ``checks.py`` and its master notebook's test cells.
    """

    id: str
    points: float
    function: str
    devices: tuple[str, ...]
    check: QuestionCheck
    all_or_nothing: bool = False  # full points only when every check passes (otter's setting)


@dataclass(frozen=True)
class ManualQuestion:
    """A question a TA grades (otter's ``manual: true``): never scored automatically."""

    id: str
    points: float
    prompt: str
    answer: str  # the model answer, as the solution shows it
    rubric: Rubric = field(default_factory=Rubric)


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    version: str
    folder: Path
    master: masters.Master
    questions: tuple[Question, ...]
    manual: tuple[ManualQuestion, ...] = ()
    late: LatePolicy = field(default_factory=LatePolicy)
    canvas_column: str = ""  # the gradebook column to import into, e.g. "Tensors (123456)"
    gpu_policy: str = "rescale"  # GPU checks without a GPU runner: "rescale" (not counted) or "cpu" (CPU result)
    similarity: SimilaritySettings = field(default_factory=SimilaritySettings)

    @property
    def lms_column(self) -> str:
        return self.canvas_column or f"{self.title} ({self.id})"

    @property
    def max_score(self) -> float:
        """What the assignment is worth: its automatic questions and those a TA grades."""
        return sum(question.points for question in (*self.questions, *self.manual))

    def manual_question(self, question_id: str) -> ManualQuestion:
        return next(question for question in self.manual if question.id == question_id)

    def question(self, question_id: str) -> Question:
        return next(question for question in self.questions if question.id == question_id)

    @functools.cached_property
    def reference(self) -> ModuleType:
        """The master's solutions run as a module, built when first needed.

        Test cells do not need it (their expected values are written in them), so an
        assignment whose solutions import a package this host lacks still grades them.
        """
        return _reference(self.master, f"autograder_course.{self.id}.reference")

    @functools.cached_property
    def master_namespace(self) -> dict[str, Any]:
        """The solution notebook's code cells run top to bottom here, as otter runs a master notebook.

        Test cells are validated against it: they may use names any cell defines (provided
        data, helpers), not only the solutions. Printed output is swallowed.
        """
        namespace: dict[str, Any] = {"__name__": "__main__"}
        code = [cell.source for cell in self.master.solution.cells if cell.cell_type == "code"]
        for number, source in enumerate(code, start=1):
            python = masters.python_source(source)
            try:
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    exec(compile(python, f"<{self.master.path.name}: code cell {number}>", "exec"), namespace)
            except Exception as error:
                first = source.strip().splitlines()[0][:60] if source.strip() else ""
                why = f"{type(error).__name__}: {error}"
                raise AssignmentError(
                    f"{self.master.path.name}: its code cell {number} (`{first}`) raised {why}"
                ) from None
        return namespace

    @property
    def examples(self) -> Path:
        return self.folder / "examples"

    @property
    def notebook_name(self) -> str:
        """The file name of the student's notebook (the master's)."""
        return self.master.path.name

    def student_notebook(self) -> nbformat.NotebookNode:
        """A fresh copy of the student's notebook as the master derives it (before the release adds its cells)."""
        return self.master.student_notebook()


def course_root(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The course directory: explicit, else $AUTOGRADER_COURSE, else this repository."""
    root = Path(explicit or os.environ.get("AUTOGRADER_COURSE") or PACKAGE_ROOT)
    if not (root / "assignments").is_dir():
        raise AssignmentError(f"{root} is not a course directory (no assignments/ folder)")
    return root


def master_path(folder: Path) -> Path | None:
    """The master notebook of an assignment folder: ``<id>.ipynb``, else its only notebook."""
    named = folder / f"{folder.name}.ipynb"
    if named.is_file():
        return named
    notebooks = sorted(folder.glob("*.ipynb"))
    return notebooks[0] if len(notebooks) == 1 else None


def available(root: Path) -> list[str]:
    folders = (root / "assignments").iterdir() if (root / "assignments").is_dir() else []
    return sorted(folder.name for folder in folders if folder.is_dir() and master_path(folder) is not None)


def load(root: Path, assignment_id: str) -> Assignment:
    folder = root / "assignments" / assignment_id
    path = master_path(folder) if folder.is_dir() else None
    if path is None:
        known = ", ".join(available(root)) or "none"
        raise AssignmentError(f"no assignment {assignment_id!r} (known: {known})")
    master = masters.parse(path)
    settings = master.settings
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise AssignmentError(
            f"{path.name}: unknown autograder setting(s) {', '.join(unknown)} (known: {', '.join(SETTINGS)})"
        )
    name = master.config.get("name")
    if name is not None and str(name) != assignment_id:
        raise AssignmentError(f"{path.name}: its ASSIGNMENT CONFIG names {name!r}, but its folder is {assignment_id!r}")
    definitions: dict[str, QuestionCheck] = {}
    if (folder / "checks.py").is_file():
        checks = _module(folder / "checks.py", f"autograder_course.{assignment_id}.checks")
        definitions = getattr(checks, "CHECKS", {})
    automatic = [question for question in master.questions if not question.manual]
    questions = tuple(_question(question, definitions.get(question.name), path) for question in automatic)
    extra = set(definitions) - {question.id for question in questions}
    if extra:
        raise AssignmentError(f"{folder / 'checks.py'} defines checks for unknown questions {sorted(extra)}")
    _check_dependencies(questions, folder / "checks.py")
    manual = tuple(
        ManualQuestion(question.name, question.points, question.prompt, question.solution, question.rubric)
        for question in master.questions
        if question.manual
    )
    try:
        late = LatePolicy.from_table(settings.get("late", {}))
        similarity = SimilaritySettings.from_table(settings.get("similarity", {}))
    except AssignmentError as error:
        raise AssignmentError(f"{path.name}: {error}") from None
    return Assignment(
        assignment_id,
        str(settings.get("title") or _heading(master) or assignment_id),
        str(settings.get("version", "1")),
        folder,
        master,
        questions,
        manual,
        late,
        (settings.get("lms") or {}).get("canvas_column", ""),
        _gpu_policy(settings, path),
        similarity,
    )


def _check_dependencies(questions: tuple[Question, ...], source: Path) -> None:
    """Each question a check depends on is another automatic question with a function; credit is a fraction."""
    functions = {question.id: question.function for question in questions}
    for question in questions:
        for dependency in question.check.depends_on:
            if dependency.question == question.id or not functions.get(dependency.question):
                raise AssignmentError(
                    f"{source.name}, {question.id}: depends_on {dependency.question!r}, which is not another "
                    "automatic question with a function"
                )
        if not 0.0 <= question.check.inherited_credit <= 1.0:
            raise AssignmentError(f"{source.name}, {question.id}: inherited_credit must be between 0 and 1")


def _gpu_policy(settings: dict, source: Path) -> str:
    policy = settings.get("gpu_policy", "rescale")
    if policy not in GPU_POLICIES:
        raise AssignmentError(f"{source.name}: gpu_policy must be one of {', '.join(GPU_POLICIES)}, not {policy!r}")
    return policy


def _question(question: masters.MasterQuestion, defined: QuestionCheck | None, source: Path) -> Question:
    where = f"{source.name}, question {question.name}"
    tests = tuple(_test_case(question, test, source, share=defined is None) for test in question.tests)
    if defined is None and not tests:
        raise AssignmentError(f"{where}: no test cells and no checks in checks.py")
    if defined is None:
        check = QuestionCheck(call=cell_tests.CALL, cases=tests, driver=cell_tests.DRIVER)
    else:
        if question.function not in defined.call:
            raise AssignmentError(f"{where}: call {defined.call!r} does not use {question.function or 'its solution'}")
        if not defined.cases and not tests:
            raise AssignmentError(f"{where}: no cases")
        check = defined
        if tests:
            check = dataclasses.replace(defined, cases=defined.cases + tests, driver=defined.driver + cell_tests.DRIVER)
    devices = question.devices if question.devices is not None else DEVICES if defined is not None else ("cpu",)
    if not devices or any(device not in DEVICES for device in devices) or len(set(devices)) != len(devices):
        raise AssignmentError(
            f"{where}: devices must list distinct devices among {', '.join(DEVICES)}, not {list(devices)}"
        )
    return Question(question.name, question.points, question.function, tuple(devices), check, question.all_or_nothing)


def _test_case(question: masters.MasterQuestion, test: masters.TestCell, source: Path, share: bool) -> Case:
    """A test cell as a case: its rewritten source is the case's one input, its comparisons the expectation.

    ``share``: the question's points are split over its tests as otter splits them (the
    test's weight is its points); beside the cases of a checks.py entry, a test weighs 1.
    """
    rewritten = cell_tests.rewrite(
        test.source, test.output, f"{source.name}, question {question.name}, test {test.number} (cell {test.cell})"
    )
    comparisons = rewritten.expectation.comparisons
    first = next((line.strip() for line in test.source.splitlines() if line.strip()), "")
    shown = f"{comparisons[0].statement()}{', ...' if len(comparisons) > 1 else ''}" if comparisons else first
    name = f"hidden test {test.number}" if test.hidden else f"test {test.number}: {shown[:80]}"
    inputs = rewritten.inputs
    return Case(
        name,
        lambda rng: dict(inputs),
        hidden=test.hidden,
        weight=float(test.points or 0.0) if share else 1.0,
        call=cell_tests.CALL,
        expect=rewritten.expectation,
        forgeable=rewritten.forgeable,
        unchecked=rewritten.unchecked,
        origin=f"{source.name}, cell {test.cell}",
    )


def _heading(master: masters.Master) -> str:
    """The text of the notebook's first markdown heading."""
    for cell in master.student.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def _reference(master: masters.Master, name: str) -> ModuleType:
    """The master's solutions run as a module (trusted: the instructor's code, never the student's).

    Its source is registered with ``linecache`` so that ``inspect.getsource`` finds each
    function and class (the bundled "correct" example is built from it).
    """
    filename = f"<reference of {master.path.name}>"
    module = types.ModuleType(name)
    module.__file__ = filename
    linecache.cache[filename] = (len(master.reference), None, master.reference.splitlines(True), filename)
    sys.modules[name] = module
    try:
        exec(compile(master.reference, filename, "exec"), module.__dict__)
    except Exception as error:
        raise AssignmentError(
            f"{master.path.name}: the solutions do not run: {type(error).__name__}: {error}"
        ) from None
    return module


def _module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
