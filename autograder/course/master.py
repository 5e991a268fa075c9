"""An assignment's master notebook, in otter-assign's format: the one source of an assignment.

The instructor writes one notebook; the student's notebook, the solution, the reference
implementation, the questions with their points and the tests are all read from it.
The syntax is otter-grader's (its "v1" master-notebook format), so an otter master
notebook works as it stands::

    raw  # ASSIGNMENT CONFIG  + YAML     settings; ours sit under an ``autograder:`` key
    raw  # BEGIN QUESTION     + YAML     name, points, manual (and our ``devices``) ... # END QUESTION
    raw  # BEGIN SOLUTION / # END SOLUTION        around the cells holding the solution
         in code:  # BEGIN SOLUTION [NO PROMPT] ... # END SOLUTION   a block the student never sees
                   ... # SOLUTION                  a line whose right-hand side is hidden
                   \"\"\" # BEGIN PROMPT ... \"\"\" # END PROMPT   what the student sees instead
    raw  # BEGIN PROMPT / # END PROMPT            around cells only the student sees
    raw  # BEGIN TESTS / # END TESTS              around test cells; "# HIDDEN" as a first
         line hides one, a \"\"\" # BEGIN TEST CONFIG block gives its points
    # IGNORE lines and # BEGIN/END IGNORE blocks are in no version.

A markdown cell that is one fenced block (```otter ... ```) counts as the raw cell it holds.

Why not otter-assign's own parser: it is one stage of otter's ``Assignment`` pipeline,
which writes the release folders, runs the notebook and needs otter's dependencies; the
grader needs the parts as data (questions, tests as source with their recorded output,
solution code), so this module reads the same syntax into records. Its tests use
fixtures written in otter's format.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import yaml

from autograder.course.rubric import Rubric
from autograder.errors import AssignmentError

KEY = "autograder"
_BOUNDARY = re.compile(r"#\s+(begin|end)\s+(question|solution|prompt|tests)\b", re.IGNORECASE)
_CONFIG = re.compile(r"#\s+assignment\s+config\s*$", re.IGNORECASE)
_BEGIN_SOLUTION = re.compile(r"(\s*)# BEGIN SOLUTION( NO PROMPT)?")
# otter's rules, matched from the line's start: any line holding the marker loses what follows the "=",
# or everything (a subscript target keeps only a quoted key, so `a[i] = b[j] == c` keeps no answer)
_SOLUTION_ASSIGNMENT = re.compile(
    r"(\s*(?:[\w.]+(?=[^\w.])(?:\[(?:'[^']*'|\"[^\"]*\"|\w+)\])*(?:,\s*)?)+\s*=)[^=].* ?# ?SOLUTION"
)
_SOLUTION_LINE = re.compile(r"(\s*).* ?# ?SOLUTION")
_MARKER_SUFFIXES = ("# SOLUTION NO PROMPT", "# BEGIN PROMPT", "# END PROMPT", "# SEED")
_BEGIN_TEST_CONFIG = re.compile(r'(?:.\s*=\s*)?""?"?\s*#\s*BEGIN\s*TEST\s*CONFIG', re.IGNORECASE)
_END_TEST_CONFIG = re.compile(r'""?"?\s*#\s*END\s*TEST\s*CONFIG', re.IGNORECASE)
ANSWER_PLACEHOLDER = "_Type your answer here, replacing this text._"
# otter's keys (check_cell, export and private_points concern its own release and PDF: accepted, not used), and ours
QUESTION_KEYS = {
    *("name", "points", "manual", "all_or_nothing", "check_cell", "export", "private_points"),
    *("devices", "rubric", "comments"),
}


@dataclass(frozen=True)
class TestCell:
    """One test cell of a question, as the master notebook holds it."""

    number: int  # 1, 2, ... within its question
    source: str  # the code, without its "# HIDDEN" line and config block
    output: str  # what running it in the master printed (otter's expected output)
    hidden: bool
    points: float | None  # resolved as otter resolves them (``_test_points``): a float once read
    cell: int  # its position in the master notebook, 1-based, for messages


@dataclass(frozen=True)
class MasterQuestion:
    name: str
    points: float
    manual: bool
    devices: tuple[str, ...] | None  # None: the default for its kind of checks
    prompt: str  # the markdown the question shows the student
    solution: str  # the solution code (autograded) or the model answer (manual), as the solution shows it
    function: str  # the name its solution defines first ("" for a manual question, or one defining none)
    tests: tuple[TestCell, ...]
    all_or_nothing: bool = False  # otter's: full points only when every test passes
    rubric: Rubric = field(default_factory=Rubric)  # a manual question's items and comments (``course.rubric``)


@dataclass(frozen=True)
class Master:
    """A master notebook read into its parts."""

    path: Path
    config: dict[str, Any]  # the ASSIGNMENT CONFIG
    questions: tuple[MasterQuestion, ...]
    student: nbformat.NotebookNode  # without solutions, tests or markers
    solution: nbformat.NotebookNode  # with solutions, without tests, prompts or markers
    reference: str  # source of the reference module: the notebook's imports and every autograded solution

    @property
    def settings(self) -> dict[str, Any]:
        """Our own settings, the config's ``autograder:`` table."""
        table = self.config.get(KEY, {})
        if not isinstance(table, dict):
            raise AssignmentError(f"{self.path.name}: the ASSIGNMENT CONFIG's {KEY!r} must be a table")
        return table

    def student_notebook(self) -> nbformat.NotebookNode:
        return copy.deepcopy(self.student)

    def solution_notebook(self) -> nbformat.NotebookNode:
        return copy.deepcopy(self.solution)


def parse(path: Path) -> Master:
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:
        raise AssignmentError(f"{path} is not a readable notebook: {error}") from None
    return _Reader(path, notebook).read()


@dataclass
class _Question:
    """A question while its cells are read."""

    config: dict[str, Any]
    opened: int
    prompt: list[str] = field(default_factory=list)
    solution: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    tests: list[tuple[int, nbformat.NotebookNode]] = field(default_factory=list)
    solution_cells: list[nbformat.NotebookNode] = field(default_factory=list)  # their student versions
    placeholders: list[nbformat.NotebookNode] = field(default_factory=list)  # where written answers go
    has_prompt: bool = False


class _Reader:
    def __init__(self, path: Path, notebook: nbformat.NotebookNode) -> None:
        self.path = path
        self.notebook = notebook
        self.config: dict[str, Any] = {}
        self.questions: list[MasterQuestion] = []
        self.question: _Question | None = None
        self.block: str | None = None
        self.student: list[nbformat.NotebookNode] = []
        self.solution: list[nbformat.NotebookNode] = []
        self.imports: list[str] = []

    def fail(self, cell: int, message: str) -> AssignmentError:
        return AssignmentError(f"{self.path.name}, cell {cell}: {message}")

    def read(self) -> Master:
        for index, original in enumerate(self.notebook.cells, start=1):
            cell = _unfenced(original)
            if cell.cell_type == "raw" and _CONFIG.match(_first_line(cell)):
                self.config = self._yaml(cell, index, "ASSIGNMENT CONFIG")
            elif (boundary := _boundary(cell)) is not None:
                self._boundary(boundary, cell, index)
            else:
                self._content(original, index)
        if self.question is not None:
            raise self.fail(self.question.opened, f"question {self.question.config['name']!r} has no # END QUESTION")
        if not self.questions:
            raise AssignmentError(f"{self.path.name}: no questions (no # BEGIN QUESTION cell)")
        names = [question.name for question in self.questions]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise AssignmentError(f"{self.path.name}: question names used twice: {', '.join(twice)}")
        reference = "\n\n".join([*self.imports, *(q.solution for q in self.questions if not q.manual and q.solution)])
        return Master(
            self.path,
            self.config,
            tuple(self.questions),
            _notebook(self.notebook, self.student),
            _notebook(self.notebook, self.solution),
            reference + "\n",
        )

    # markers ------------------------------------------------------------------------------

    def _boundary(self, boundary: tuple[str, str], cell: nbformat.NotebookNode, index: int) -> None:
        edge, block = boundary
        if block == "question":
            if edge == "begin":
                if self.question is not None:
                    raise self.fail(index, "# BEGIN QUESTION inside another question (close it with # END QUESTION)")
                self.question = _Question(self._question_config(cell, index), index)
            else:
                if self.question is None or self.block is not None:
                    raise self.fail(index, "# END QUESTION without an open question, or inside another block")
                self.questions.append(self._finished(self.question, index))
                self.question = None
            return
        if edge == "begin":
            if self.block is not None:
                raise self.fail(index, f"# BEGIN {block.upper()} inside a {self.block} block")
            if block != "prompt" and self.question is None:
                raise self.fail(index, f"# BEGIN {block.upper()} outside a question")
            self.block = block
            if block == "prompt" and self.question is not None:
                self.question.has_prompt = True
        elif self.block != block:
            raise self.fail(index, f"# END {block.upper()} without # BEGIN {block.upper()}")
        else:
            self.block = None

    def _question_config(self, cell: nbformat.NotebookNode, index: int) -> dict[str, Any]:
        config = self._yaml(cell, index, "BEGIN QUESTION")
        if not isinstance(config.get("name"), str | int) or not str(config["name"]).strip():
            raise self.fail(index, "a question needs a name (`name: q1`)")
        config["name"] = str(config["name"])
        unknown = sorted(set(config) - QUESTION_KEYS)
        if unknown:
            raise self.fail(
                index, f"unknown question setting(s) {', '.join(unknown)} (known: {', '.join(sorted(QUESTION_KEYS))})"
            )
        return config

    def _yaml(self, cell: nbformat.NotebookNode, index: int, what: str) -> dict[str, Any]:
        text = "\n".join(_source(cell).splitlines()[1:])
        try:
            value = yaml.safe_load(text) or {}
        except yaml.YAMLError as error:
            raise self.fail(index, f"the {what} block is not valid YAML: {error}") from None
        if not isinstance(value, dict):
            raise self.fail(index, f"the {what} block must be YAML keys and values")
        return value

    # cells --------------------------------------------------------------------------------

    def _content(self, cell: nbformat.NotebookNode, index: int) -> None:
        question, block = self.question, self.block
        if block == "tests":
            assert question is not None
            if cell.cell_type != "code":
                raise self.fail(index, "a tests block holds code cells only (one test each)")
            question.tests.append((index, cell))
            return
        if _source(cell).strip() and not _strip_ignored(_source(cell).splitlines(), self.fail, index):
            return  # every line of it is ignored: the cell is in no version
        if cell.cell_type == "code":
            lines = _strip_ignored(_source(cell).splitlines(), self.fail, index)
            student, solution = _student_lines(lines, self.fail, index), _solution_lines(lines)
        else:
            student = solution = _strip_ignored(_source(cell).splitlines(), self.fail, index)
        if block == "prompt":
            self.student.append(_answer_cell(_copy(cell, student), question))
            return
        if block == "solution":
            assert question is not None
            question.solution.append("\n".join(solution))
            if cell.cell_type == "code":
                question.code.append("\n".join(solution))
                copied = _copy(cell, student)
                question.solution_cells.append(copied)
            else:  # a written answer: the student gets a fresh cell to write theirs in (no attachment of it)
                copied = nbformat.v4.new_markdown_cell(ANSWER_PLACEHOLDER)
                if cell.get("id"):
                    copied.id = cell.id
                question.placeholders.append(copied)
            self.student.append(_answer_cell(copied, question))
            self.solution.append(_copy(cell, solution))
            return
        if question is not None and cell.cell_type == "markdown":
            question.prompt.append("\n".join(solution))
        if cell.cell_type == "code":
            self.imports += _imports("\n".join(solution))
        self.student.append(_copy(cell, student))
        self.solution.append(_copy(cell, solution))

    def _finished(self, question: _Question, index: int) -> MasterQuestion:
        config = question.config
        name, manual = config["name"], bool(config.get("manual", False))
        if not manual and not question.solution:
            raise self.fail(index, f"question {name!r} has no # BEGIN SOLUTION block")
        if question.has_prompt:  # the prompt is what the student sees instead of the answer
            self.student = [cell for cell in self.student if all(cell is not p for p in question.placeholders)]
        code = "\n\n".join(question.code)
        function = "" if manual else _defined_name(code, self.fail, question.opened)
        for cell in question.solution_cells:
            if function and not manual and _defines(_source(cell), function):
                cell.metadata[KEY] = {"solution": function}
                break
        points = config.get("points")
        if not _is_points(points) and not isinstance(points, dict | list) and points is not None:
            raise self.fail(question.opened, f"question {name!r}: points must be a number, not {points!r}")
        tests = self._tests(question)
        if isinstance(points, dict | list):  # otter's {each: N} or a list: the tests' points add up
            points = sum(test.points or 0.0 for test in tests)
        if points is None:
            points = sum(test.points for test in tests) if tests else 1.0
        if not _is_points(points):
            raise self.fail(question.opened, f"question {name!r}: points must be a number, not {points!r}")
        devices = config.get("devices")
        if devices is not None and not (isinstance(devices, list) and all(isinstance(d, str) for d in devices)):
            raise self.fail(question.opened, f"question {name!r}: devices must be a list such as [cpu, cuda]")
        return MasterQuestion(
            name,
            float(points),
            manual,
            tuple(devices) if devices is not None else None,
            "\n\n".join(question.prompt).strip(),
            ("\n\n".join(question.solution) if manual else code).strip(),
            function,
            tests,
            bool(config.get("all_or_nothing", False)),
            self._rubric(config, question.opened),
        )

    def _rubric(self, config: dict[str, Any], index: int) -> Rubric:
        if not config.get("manual") and (config.get("rubric") or config.get("comments")):
            raise self.fail(index, f"question {config['name']!r}: only a manual question has a rubric")
        try:
            return Rubric.from_config(config.get("rubric"), config.get("comments"))
        except AssignmentError as error:
            raise self.fail(index, f"question {config['name']!r}: {error}") from None

    def _tests(self, question: _Question) -> tuple[TestCell, ...]:
        tests = [self._test(cell, index, number) for number, (index, cell) in enumerate(question.tests, 1)]
        total = question.config.get("points")
        given = [test.points for test in tests]
        if isinstance(total, dict):  # otter's {each: N}
            given, total = [float(total.get("each", 1))] * len(tests), None
        elif isinstance(total, list):
            if len(total) != len(tests):
                raise self.fail(question.opened, f"{len(total)} points listed for {len(tests)} tests")
            given, total = total, None
        try:
            points = _test_points(given, total)
        except AssignmentError as error:
            raise self.fail(question.opened, f"question {question.config['name']!r}: {error}") from None
        return tuple(dataclasses.replace(test, points=share) for test, share in zip(tests, points, strict=True))

    def _test(self, cell: nbformat.NotebookNode, index: int, number: int) -> TestCell:
        lines = _strip_ignored(_source(cell).splitlines(), self.fail, index)
        while lines and not lines[0].strip():  # leading blank lines: "# HIDDEN" may follow them
            lines = lines[1:]
        hidden = bool(lines) and lines[0].lstrip().startswith("#") and bool(re.search(r"\bhidden\b", lines[0], re.I))
        if hidden:
            lines = lines[1:]
        config: dict[str, Any] = {}
        if lines and _BEGIN_TEST_CONFIG.match(lines[0]):
            end = next((i for i, line in enumerate(lines) if _END_TEST_CONFIG.match(line)), None)
            if end is None:
                raise self.fail(index, "# BEGIN TEST CONFIG without # END TEST CONFIG")
            try:
                config = yaml.safe_load("\n".join(lines[1:end])) or {}
            except yaml.YAMLError as error:
                raise self.fail(index, f"the test config is not valid YAML: {error}") from None
            if not isinstance(config, dict):
                raise self.fail(index, "the test config must be YAML keys and values (points: 1, hidden: true)")
            lines = lines[end + 1 :]
        points = config.get("points")
        if points is not None and (not isinstance(points, int | float) or isinstance(points, bool)):
            raise self.fail(index, f"test points must be a number, not {points!r}")
        hidden = bool(config.get("hidden", hidden))
        return TestCell(number, "\n".join(lines), _recorded_output(cell), hidden, points, index)


# helpers ------------------------------------------------------------------------------------


def _test_points(given: list[float | None], total: float | int | None) -> list[float]:
    """Each test's points, as otter resolves them: unassigned tests share what the question has left."""
    specified = sum(p for p in given if p is not None)
    unassigned = sum(p is None for p in given)
    if total is not None:
        share = (total - specified) / unassigned if unassigned else 0.0
        if specified > total:
            raise AssignmentError(f"the tests' points ({specified}) exceed the question's ({total})")
    else:
        share = 1 / unassigned if unassigned and specified == 0 else 0.0
    return [float(p) if p is not None else share for p in given]


def _is_points(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _boundary(cell: nbformat.NotebookNode) -> tuple[str, str] | None:
    cell = _unfenced(cell)
    if cell.cell_type != "raw":
        return None
    match = _BOUNDARY.match(_first_line(cell))
    return (match.group(1).lower(), match.group(2).lower()) if match else None


def _unfenced(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A markdown cell that is one ```otter block, as the raw cell it holds."""
    if cell.cell_type != "markdown":
        return cell
    lines = _source(cell).strip().splitlines()
    if len(lines) >= 2 and lines[0].strip() == "```otter" and lines[-1].strip() == "```":
        return nbformat.v4.new_raw_cell("\n".join(lines[1:-1]))
    return cell


def _source(cell: nbformat.NotebookNode) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _first_line(cell: nbformat.NotebookNode) -> str:
    lines = _source(cell).strip().splitlines()
    return lines[0] if lines else ""


def _strip_ignored(lines: list[str], fail: Any, index: int) -> list[str]:
    kept, ignoring = [], False
    for line in lines:
        if re.match(r"\s*#\s*BEGIN\s*IGNORE\s*$", line, re.IGNORECASE):
            if ignoring:
                raise fail(index, "nested # BEGIN IGNORE")
            ignoring = True
        elif line.rstrip().endswith("# END IGNORE"):
            if not ignoring:
                raise fail(index, "# END IGNORE without # BEGIN IGNORE")
            ignoring = False
        elif not ignoring and not line.rstrip().endswith("# IGNORE"):
            kept.append(line)
    if ignoring:
        raise fail(index, "# BEGIN IGNORE without # END IGNORE")
    return kept


def _student_lines(lines: list[str], fail: Any, index: int) -> list[str]:
    """The student's version of a code cell: solution blocks and lines replaced as otter replaces them."""
    kept, in_solution = [], False
    for line in lines:
        stripped = line.rstrip()
        if any(stripped.endswith(suffix) for suffix in _MARKER_SUFFIXES):
            continue
        if stripped.endswith("# END SOLUTION"):
            if not in_solution:
                raise fail(index, "# END SOLUTION without # BEGIN SOLUTION")
            in_solution = False
            continue
        if in_solution:
            continue
        begin = _BEGIN_SOLUTION.match(line)
        if begin:
            in_solution = True
            if not begin.group(2):
                kept.append(begin.group(1) + "...")
            continue
        if match := _SOLUTION_ASSIGNMENT.match(line):
            line = match.group(1) + " ..."
        elif match := _SOLUTION_LINE.match(line):
            line = match.group(1) + "..."
        kept.append(line)
    if in_solution:
        raise fail(index, "# BEGIN SOLUTION without # END SOLUTION")
    return kept


def _solution_lines(lines: list[str]) -> list[str]:
    """The solution's version: markers dropped, prompt blocks (the student's version) left out."""
    kept, in_prompt = [], False
    for line in lines:
        stripped = line.rstrip()
        if stripped.endswith("# BEGIN PROMPT"):
            in_prompt = True
        elif stripped.endswith("# END PROMPT"):
            in_prompt = False
        elif in_prompt or _BEGIN_SOLUTION.match(line) or stripped.endswith("# END SOLUTION"):
            continue
        else:
            kept.append(re.sub(r"\s*# ?SOLUTION( NO PROMPT)?\s*$", "", line))
    return kept


def python_source(code: str) -> str:
    """A code cell as plain Python: its IPython magic and shell lines (``%matplotlib``, ``!pip``) left out."""
    return "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))


def _imports(code: str) -> list[str]:
    """The import statements of a code cell (shell and magic lines skipped)."""
    try:
        module = ast.parse(python_source(code))
    except SyntaxError:
        return []
    return [ast.unparse(node) for node in module.body if isinstance(node, ast.Import | ast.ImportFrom)]


def _defined_name(code: str, fail: Any, index: int) -> str:
    """The first function or class a solution defines, else the first name it assigns."""
    try:
        module = ast.parse(code)
    except SyntaxError as error:
        raise fail(index, f"the solution is not valid Python: {error.msg} (line {error.lineno})") from None
    definitions = [node.name for node in module.body if isinstance(node, ast.FunctionDef | ast.ClassDef)]
    public = [name for name in definitions if not name.startswith("_")]
    if public or definitions:
        return (public or definitions)[0]
    for node in module.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            return node.targets[0].id
    return ""


def _answer_cell(cell: nbformat.NotebookNode, question: _Question | None) -> nbformat.NotebookNode:
    """``cell``, marked as where the student answers it when ``question`` is one a TA grades.

    The mark (``metadata.autograder.answer``) travels with the cell wherever the student
    moves it, which is how the review app finds the answer (``course.answers``).
    """
    if question is not None and question.config.get("manual"):
        cell.metadata[KEY] = {"answer": question.config["name"]}
    return cell


def _defines(code: str, name: str) -> bool:
    """Whether ``code`` defines or assigns ``name`` at its top level."""
    try:
        module = ast.parse(code)
    except SyntaxError:
        return False
    for node in module.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name:
            return True
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return True
    return False


def _recorded_output(cell: nbformat.NotebookNode) -> str:
    """What a test cell showed when the master ran: its result (``text/plain``), else what it printed.

    stderr (a library's warning) is not part of what a test checks.
    """
    results, printed = [], []
    for output in cell.get("outputs", []):
        result = output.get("data", {}).get("text/plain")
        if result:
            results.append("".join(result) if isinstance(result, list) else result)
        elif output.get("output_type") == "stream" and output.get("name") == "stdout":
            printed.append("".join(output.get("text", "")))
    return "".join(results or printed)


def _copy(cell: nbformat.NotebookNode, lines: list[str]) -> nbformat.NotebookNode:
    copied = copy.deepcopy(cell)
    copied.source = "\n".join(lines)
    if copied.cell_type == "code":
        copied.outputs, copied.execution_count = [], None
    return copied


def _notebook(master: nbformat.NotebookNode, cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook(metadata=copy.deepcopy(master.metadata))
    notebook.nbformat_minor = max(master.get("nbformat_minor", 5), 5)
    notebook.cells = [copy.deepcopy(cell) for cell in cells]
    return notebook
