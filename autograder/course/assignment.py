"""An assignment as the instructor wrote it: metadata, notebook, checks and reference.

Layout of a course (the repository root by default)::

    assignments/<id>/assignment.toml   id, title, version, notebook, questions (points, function)
    assignments/<id>/<notebook>.ipynb  the student notebook (stubs raise NotImplementedError)
    assignments/<id>/checks.py         CHECKS = {"q1": QuestionCheck(...), ...}  (hidden)
    assignments/<id>/examples/         bundled example submissions
    reference/<id>.py                  reference implementations (hidden)

Loading validates the pieces against each other, so a typo in a check fails when the
assignment is loaded, not halfway through grading 300 notebooks.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from autograder.checks.spec import QuestionCheck
from autograder.course.late import LatePolicy
from autograder.course.similarity import SimilaritySettings
from autograder.errors import AssignmentError

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
GPU_POLICIES = ("rescale", "cpu")
DEVICES = ("cpu", "cuda")
QUESTION_KEYS = {"id": str, "function": str, "points": (int, float), "devices": list}  # devices is optional


@dataclass(frozen=True)
class Question:
    """One graded function: its id and points, where it is graded, and its checks.

    ``devices`` are the runner types that grade it ("cpu", "cuda"); ``check`` is the
    question's entry in the assignment's ``checks.py``.
    """

    id: str
    points: float
    function: str
    devices: tuple[str, ...]
    check: QuestionCheck


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    version: str
    folder: Path
    notebook: Path
    questions: tuple[Question, ...]
    reference: ModuleType
    late: LatePolicy = field(default_factory=LatePolicy)
    canvas_column: str = ""  # the gradebook column to import into, e.g. "Tensors (123456)"
    gpu_policy: str = "rescale"  # GPU checks without a GPU runner: "rescale" (not counted) or "cpu" (CPU result)
    similarity: SimilaritySettings = field(default_factory=SimilaritySettings)

    @property
    def lms_column(self) -> str:
        return self.canvas_column or f"{self.title} ({self.id})"

    @property
    def max_score(self) -> float:
        return sum(question.points for question in self.questions)

    def question(self, question_id: str) -> Question:
        return next(question for question in self.questions if question.id == question_id)

    @property
    def examples(self) -> Path:
        return self.folder / "examples"


def course_root(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The course directory: explicit, else $AUTOGRADER_COURSE, else this repository."""
    root = Path(explicit or os.environ.get("AUTOGRADER_COURSE") or PACKAGE_ROOT)
    if not (root / "assignments").is_dir():
        raise AssignmentError(f"{root} is not a course directory (no assignments/ folder)")
    return root


def available(root: Path) -> list[str]:
    return sorted(path.parent.name for path in (root / "assignments").glob("*/assignment.toml"))


def load(root: Path, assignment_id: str) -> Assignment:
    folder = root / "assignments" / assignment_id
    metadata_path = folder / "assignment.toml"
    if not metadata_path.is_file():
        known = ", ".join(available(root)) or "none"
        raise AssignmentError(f"no assignment {assignment_id!r} (known: {known})")
    metadata = tomllib.loads(metadata_path.read_text())
    if metadata.get("id") != assignment_id:
        raise AssignmentError(f"{metadata_path} declares id {metadata.get('id')!r}")
    checks = _module(folder / "checks.py", f"autograder_course.{assignment_id}.checks")
    reference = _module(root / "reference" / f"{assignment_id}.py", f"autograder_course.{assignment_id}.reference")
    definitions: dict[str, QuestionCheck] = getattr(checks, "CHECKS", {})
    entries = metadata.get("questions")
    if not isinstance(entries, list) or not entries:
        raise AssignmentError(f"{metadata_path}: no [[questions]] tables")
    entries = [_checked_entry(entry, metadata_path) for entry in entries]
    ids = [entry["id"] for entry in entries]
    duplicated = sorted({question_id for question_id in ids if ids.count(question_id) > 1})
    if duplicated:
        raise AssignmentError(f"{metadata_path}: question ids used twice: {', '.join(duplicated)}")
    questions = tuple(_question(entry, definitions, reference, metadata_path) for entry in entries)
    extra = set(definitions) - {question.id for question in questions}
    if extra:
        raise AssignmentError(f"{folder / 'checks.py'} defines checks for unknown questions {sorted(extra)}")
    notebook = folder / metadata["notebook"]
    if not notebook.is_file():
        raise AssignmentError(f"notebook {notebook} is missing")
    try:
        late = LatePolicy.from_table(metadata.get("late", {}))
        similarity = SimilaritySettings.from_table(metadata.get("similarity", {}))
    except AssignmentError as error:
        raise AssignmentError(f"{metadata_path}: {error}") from None
    return Assignment(
        assignment_id,
        metadata["title"],
        str(metadata["version"]),
        folder,
        notebook,
        questions,
        reference,
        late,
        metadata.get("lms", {}).get("canvas_column", ""),
        _gpu_policy(metadata, metadata_path),
        similarity,
    )


def _gpu_policy(metadata: dict, source: Path) -> str:
    policy = metadata.get("gpu_policy", "rescale")
    if policy not in GPU_POLICIES:
        raise AssignmentError(f"{source}: gpu_policy must be one of {', '.join(GPU_POLICIES)}, not {policy!r}")
    return policy


def _question(entry: dict, definitions: dict[str, QuestionCheck], reference: ModuleType, source: Path) -> Question:
    question_id, function = entry["id"], entry["function"]
    if question_id not in definitions:
        raise AssignmentError(f"{source}: question {question_id} has no checks in checks.py")
    check = definitions[question_id]
    if function not in check.call:
        raise AssignmentError(f"{question_id}: call {check.call!r} does not use {function}")
    if not hasattr(reference, function):
        raise AssignmentError(f"{question_id}: the reference does not define {function}")
    if not check.cases:
        raise AssignmentError(f"{question_id}: no cases")
    devices = tuple(entry.get("devices", DEVICES))
    return Question(question_id, float(entry["points"]), function, devices, check)


def _checked_entry(entry: object, source: Path) -> dict:
    """A [[questions]] table as assignment.toml must write it; the message names the file, question and key."""
    if not isinstance(entry, dict):
        raise AssignmentError(f"{source}: each [[questions]] entry must be a table, not {entry!r}")
    where = f"{source}: question {entry.get('id', '(no id)')}"
    for key, kind in QUESTION_KEYS.items():
        if key not in entry:
            if key != "devices":
                raise AssignmentError(f"{where}: missing key {key!r}")
            continue
        value = entry[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise AssignmentError(f"{where}: {key!r} must be a {_kind_name(kind)}, not {value!r}")
    unknown = sorted(set(entry) - set(QUESTION_KEYS))
    if unknown:
        known = ", ".join(QUESTION_KEYS)
        raise AssignmentError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))} (known: {known})")
    if entry["points"] <= 0:
        raise AssignmentError(f"{where}: 'points' must be positive, not {entry['points']!r}")
    devices = entry.get("devices", list(DEVICES))
    wrong = [device for device in devices if device not in DEVICES]
    if wrong or not devices or len(set(devices)) != len(devices):
        raise AssignmentError(
            f"{where}: 'devices' must list distinct devices among {', '.join(DEVICES)}, not {devices!r}"
        )
    return entry


def _kind_name(kind: type | tuple[type, ...]) -> str:
    return {str: "string", list: "list"}.get(kind, "number")  # type: ignore[call-overload]


def _module(path: Path, name: str) -> ModuleType:
    if not path.is_file():
        raise AssignmentError(f"{path} is missing")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered so that inspect.getsource finds classes (e.g. a reference autograd.Function).
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
