"""Test cells of a master notebook (otter-assign's format), rewritten so that the grader gives the verdict.

An otter test cell is code run after the student's notebook: ``assert`` statements, and
a last expression whose printed value must match the output recorded in the master
notebook (``square(1) == 1`` printing ``True``). Run as written, the verdict would come
from the student's own process, which the student's code controls. So each cell is
rewritten before it is sent into the sandbox: every comparison of a value with a
constant (``assert EXPR == CONSTANT``, ``np.isclose(EXPR, C)``, ``np.allclose``,
``torch.isclose``/``allclose``, ``math.isclose``, ``np.testing.assert_allclose``, and
the last expression's echoed value) becomes "record EXPR". The recorded values come back
as data, and ``Expectation`` compares them here, in the trusted process.

What cannot be taken apart (``assert type(df) == pd.Series``, an ``assert`` inside a
loop) still runs in the kernel and fails the test by raising there: such a line is
*forgeable*, and ``autograder validate`` lists it with the rewrite that would make it
trusted. Where this deliberately differs from a doctest: the meaning of a comparison is
judged, not the text printed (``np.True_`` is true, a student's debugging ``print`` does
not fail a test).
"""

from __future__ import annotations

import ast
import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from autograder.checks.compare import Mismatch
from autograder.checks.kinds import Kind
from autograder.errors import AssignmentError
from autograder.protocol.wire import Opaque, Received

RECORD = "__autograder_record__"
RUNNER = "__autograder_cell_test__"
INPUT = "test"  # the case input holding the rewritten cell
CALL = f"{RUNNER}({INPUT})"
# Defines the runner in the question's scope (the student's namespace in the kernel): it
# runs a rewritten cell at module level over a copy of that scope and returns what it recorded.
DRIVER = f'''
def {RUNNER}(source):
    scope = dict(globals())
    recorded = []
    scope["{RECORD}"] = lambda index, value: recorded.append([index, value])
    exec(compile(source, "<test cell>", "exec"), scope)
    return recorded
'''
# Tolerances of the closeness functions a test may call, as their libraries define them.
NUMPY_CLOSE = {"rtol": 1e-5, "atol": 1e-8}
# Called as module.function, so the library is known: a bare `isclose` (numpy's? math's?) is not taken apart.
CLOSENESS: dict[str, tuple[str, dict[str, float], dict[str, str]]] = {
    # module.function: (how, default tolerances, the function's keyword -> ours)
    **{
        f"{module}.{name}": (name, NUMPY_CLOSE, {"rtol": "rtol", "atol": "atol"})
        for module in ("np", "numpy", "torch")
        for name in ("isclose", "allclose")
    },
    **{
        f"{module}.testing.assert_allclose": (
            "assert_allclose",
            {"rtol": 1e-7, "atol": 0.0},
            {"rtol": "rtol", "atol": "atol"},
        )
        for module in ("np", "numpy")
    },
    "math.isclose": ("math.isclose", {"rtol": 1e-9, "atol": 0.0}, {"rel_tol": "rtol", "abs_tol": "atol"}),
}
EQUALITY_FUNCTIONS = tuple(
    f"{module}.testing.{name}" for module in ("np", "numpy") for name in ("assert_equal", "assert_array_equal")
)
CONSTANT_BUILDERS = ("tensor", "array", "asarray", "as_tensor")
TRUE_OUTPUTS = ("True", "np.True_", "tensor(True)")


@dataclass(frozen=True)
class Comparison:
    """One recorded value and how the grader judges it against the test's constant."""

    expression: str  # the source of the recorded expression, for messages
    how: str  # "==", "isclose", "allclose", "math.isclose" or "output" (the echoed text)
    expected: Any
    rtol: float = 0.0
    atol: float = 0.0
    line: int = 0
    constant_first: bool = False  # the test wrote the constant as the first argument (closeness is not symmetric)

    def holds(self, actual: Any) -> bool:
        try:
            return JUDGES[self.how](self, actual)
        except Exception:  # a value of the wrong kind (a string for a number): the comparison fails
            return False

    def statement(self) -> str:
        """The comparison as the test wrote it, in short."""
        if self.how in ("output", "text"):
            return f"{self.expression} shows {self.expected!r}"
        if self.how in ("==", "array_equal"):
            return f"{self.expression} == {self.expected!r}"
        return f"{self.how}({self.expression}, {self.expected!r})"


@dataclass(frozen=True)
class Expectation:
    """What a rewritten cell must record: its comparisons, in order, judged in the trusted process."""

    comparisons: tuple[Comparison, ...]

    def to_data(self) -> dict[str, Any]:
        """As plain data, for the self-check's public examples (its constants are literals)."""
        return {"comparisons": [dataclasses.asdict(comparison) for comparison in self.comparisons]}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Expectation:
        fields = {field.name for field in dataclasses.fields(Comparison)}
        comparisons = tuple(
            Comparison(**{k: v for k, v in item.items() if k in fields}) for item in data["comparisons"]
        )
        if any(comparison.how not in JUDGES for comparison in comparisons):
            raise ValueError("unknown kind of comparison")
        return cls(comparisons)

    def mismatch(self, actual: Any) -> Mismatch | None:
        """The first comparison that does not hold; ``actual`` is what the cell recorded: [index, value] pairs."""
        pairs = actual if isinstance(actual, list) else []
        indices = [pair[0] for pair in pairs if isinstance(pair, list) and len(pair) == 2]
        if len(indices) != len(pairs) or sorted(indices) != list(range(len(self.comparisons))):
            return Mismatch(Kind.UNREADABLE, "", "the test did not run to its end (each comparison once)")
        values = dict((pair[0], pair[1]) for pair in pairs)
        for index, comparison in enumerate(self.comparisons):
            value = values[index]
            if not comparison.holds(value):
                return Mismatch(
                    Kind.VALUES,
                    "",
                    f"`{comparison.statement()}` does not hold: `{comparison.expression}` is {_shown(value)}",
                    {"line": comparison.line},
                )
        return None


@dataclass(frozen=True)
class CellTest:
    """A test cell rewritten: the source sent to the kernel, what it must record, and what stays forgeable."""

    source: str
    expectation: Expectation
    forgeable: tuple[str, ...]  # "line N: <statement>" for each check still judged in the kernel
    unchecked: tuple[str, ...] = ()  # "line N: <expression>" whose value nothing checks (no output recorded)

    @property
    def inputs(self) -> dict[str, str]:
        return {INPUT: self.source}


def rewrite(source: str, output: str, where: str) -> CellTest:
    """The test cell ``source``, whose recorded output is ``output``, rewritten for the trusted judge.

    ``where`` names the cell in error messages ("q1, test 2 (cell 11 of demo.ipynb)").
    """
    try:
        module = ast.parse(source)
    except SyntaxError as error:
        raise AssignmentError(f"{where}: the test is not valid Python: {error.msg} (line {error.lineno})") from None
    comparisons: list[Comparison] = []
    forgeable: list[str] = []
    unchecked: list[str] = []
    body = _rewritten(module.body, source, output, comparisons, forgeable, unchecked, _called_once(module.body))
    if not comparisons and not forgeable and not unchecked:  # nothing in it can fail but an exception
        unchecked.append("the whole cell: it compares nothing and asserts nothing, so it checks only that it runs")
    rewritten = ast.unparse(ast.fix_missing_locations(ast.Module(body=body, type_ignores=[])))
    return CellTest(rewritten, Expectation(tuple(comparisons)), tuple(forgeable), tuple(unchecked))


def _rewritten(
    statements: list[ast.stmt],
    source: str,
    output: str,
    comparisons: list[Comparison],
    forgeable: list[str],
    unchecked: list[str],
    test_functions: set[str],
) -> list[ast.stmt]:
    """``statements`` with each comparison replaced by recording its expression; appends what it found.

    The body of a test function the cell calls once (otter's exception-based tests,
    ``def test_q1(x): assert x == 2`` then ``test_q1(x)``) is taken apart the same way:
    its values are recorded when it runs, in the order they are written.
    """
    body: list[ast.stmt] = []
    last = len(statements) - 1
    for index, statement in enumerate(statements):
        if isinstance(statement, ast.FunctionDef) and statement.name in test_functions:
            statement.body = _rewritten(statement.body, source, "", comparisons, forgeable, unchecked, set())
            body.append(statement)
            continue
        if (
            isinstance(statement, ast.FunctionDef)
            and statement.name.startswith("test")
            and not _calls(statements, statement.name)
        ):
            unchecked.append(f"{_line(statement, source)} (never called, so its asserts never run)")
        if isinstance(statement, ast.Assert):
            comparison = _decompose(statement.test, source)
        elif isinstance(statement, ast.Expr):  # a comparison written bare is meant to hold, output or not
            comparison = _decompose(statement.value, source)
            if comparison is None and index == last and output.strip() and _printed(statement.value):
                argument = statement.value.args[0]  # type: ignore[attr-defined]
                comparison = Comparison(
                    f"str({_source(argument, source)})", "text", output.strip(), line=statement.lineno
                )
            elif comparison is None and index == last and output.strip():
                comparison, in_kernel = _echoed(statement.value, source, output)
                if in_kernel:
                    forgeable.append(_line(statement, source))
            elif comparison is None and index == last and _looks_checked(statement.value):
                unchecked.append(_line(statement, source))
        else:
            comparison = None
        if comparison is None:
            forgeable += [_line(node, source) for node in ast.walk(statement) if _judges_in_kernel(node)]
            body.append(statement)
            continue
        body.append(_record(comparison, len(comparisons), statement))
        comparisons.append(comparison)
    return body


def _printed(node: ast.expr) -> bool:
    """``print(X)``: one argument, nothing else (its text is what the test recorded)."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "print"
        and len(node.args) == 1
        and not node.keywords
    )


def _looks_checked(node: ast.expr) -> bool:
    """An expression whose value a test would check (a comparison, a boolean call), not a bare call for effect."""
    return isinstance(node, ast.Compare | ast.BoolOp | ast.UnaryOp) or (
        isinstance(node, ast.Call)
        and _function_name(node.func).rsplit(".", 1)[-1] in ("isinstance", "all", "any", "callable")
    )


def _calls(statements: list[ast.stmt], name: str) -> bool:
    module = ast.Module(body=statements, type_ignores=[])
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name
        for node in ast.walk(module)
    )


def _called_once(statements: list[ast.stmt]) -> set[str]:
    """Functions the cell defines and then calls exactly once, as a statement of its own."""
    defined = {statement.name for statement in statements if isinstance(statement, ast.FunctionDef)}
    calls = [
        statement.value.func.id
        for statement in statements
        if isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
        and isinstance(statement.value.func, ast.Name)
    ]
    called = {name for name in defined if calls.count(name) == 1}
    mentioned = [
        node.id for node in ast.walk(ast.Module(body=statements, type_ignores=[])) if isinstance(node, ast.Name)
    ]
    return {name for name in called if mentioned.count(name) == 1}  # no other use: exactly one run


def _record(comparison: Comparison, index: int, statement: ast.stmt) -> ast.stmt:
    value = ast.parse(comparison.expression, mode="eval").body
    if comparison.how == "output":
        value = ast.Call(ast.Name("repr", ast.Load()), [value], [])
    call = ast.Call(ast.Name(RECORD, ast.Load()), [ast.Constant(index), value], [])
    return ast.copy_location(ast.Expr(call), statement)


def _echoed(node: ast.expr, source: str, output: str) -> tuple[Comparison, bool]:
    """The last expression, whose printed value the test recorded as ``output``.

    Also says whether the verdict stays in the kernel: a boolean expression that is not
    a comparison with a constant (``isinstance(x, int)`` shown as True).
    """
    shown = output.strip()
    if shown in TRUE_OUTPUTS:
        decomposed = _decompose(node, source)
        if decomposed is not None:
            return decomposed, False
        return Comparison(_source(node, source), "==", True, line=node.lineno), True
    try:
        constant = ast.literal_eval(shown)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return Comparison(_source(node, source), "output", shown, line=node.lineno), False
    return Comparison(_source(node, source), "==", constant, line=node.lineno), False


def _decompose(node: ast.expr, source: str) -> Comparison | None:
    """``EXPR == CONSTANT`` (either way round) or a closeness call, as a comparison; else None."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
        left, right = node.left, node.comparators[0]
        for recorded, other in ((left, right), (right, left)):
            constant = _constant(other)
            if constant is not _NOT_CONSTANT and _constant(recorded) is _NOT_CONSTANT:
                return Comparison(_source(recorded, source), "==", constant, line=node.lineno)
        return None
    return _decompose_call(node, source)


def _decompose_call(node: ast.expr, source: str) -> Comparison | None:
    """A call of a closeness or equality function over one constant, as a comparison; else None."""
    if not isinstance(node, ast.Call) or len(node.args) != 2:
        return None
    name = _function_name(node.func)
    recorded, constant = _split_constant(node.args)
    if recorded is None:
        return None
    if name in EQUALITY_FUNCTIONS and not node.keywords:
        return Comparison(_source(recorded, source), "array_equal", constant, line=node.lineno)
    if name not in CLOSENESS:
        return None
    how, defaults, keywords = CLOSENESS[name]
    tolerances = dict(defaults)
    for keyword in node.keywords:
        value = _constant(keyword.value)
        if keyword.arg not in keywords or not isinstance(value, int | float):
            return None  # equal_nan, a tolerance computed at run time, ...
        tolerances[keywords[keyword.arg]] = float(value)
    first = recorded is node.args[1]  # numpy scales the tolerance by the second argument
    return Comparison(_source(recorded, source), how, constant, line=node.lineno, constant_first=first, **tolerances)


def _split_constant(args: list[ast.expr]) -> tuple[ast.expr | None, Any]:
    first, second = (_constant(arg) for arg in args)
    if second is not _NOT_CONSTANT and first is _NOT_CONSTANT:
        return args[0], second
    if first is not _NOT_CONSTANT and second is _NOT_CONSTANT:
        return args[1], first
    return None, None


_NOT_CONSTANT = object()


def _constant(node: ast.expr) -> Any:
    """A literal (``6.25``, ``[1, 2]``), or ``np.array``/``torch.tensor`` of one, as a plain value."""
    if isinstance(node, ast.Call) and _function_name(node.func).rsplit(".", 1)[-1] in CONSTANT_BUILDERS:
        if len(node.args) == 1 and not node.keywords:
            return _constant(node.args[0])
        return _NOT_CONSTANT
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _NOT_CONSTANT


def _function_name(node: ast.expr) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _judges_in_kernel(node: ast.AST) -> bool:
    """An ``assert`` or an assert-like call left as it is: its verdict comes from the kernel."""
    if isinstance(node, ast.Assert | ast.Raise):
        return True
    return isinstance(node, ast.Call) and _function_name(node.func).rsplit(".", 1)[-1].startswith("assert")


def _line(node: ast.AST, source: str) -> str:
    text = (ast.get_source_segment(source, node) or "").splitlines()
    return f"line {getattr(node, 'lineno', 0)}: {text[0].strip() if text else type(node).__name__}"


def _source(node: ast.expr, source: str) -> str:
    return ast.get_source_segment(source, node) or ast.unparse(node)


def _shown(value: Any) -> str:
    if isinstance(value, Received):
        data = value.data
        return f"a {value.kind} of shape {tuple(data.shape)}" if data.numel() > 6 else f"{data.tolist()!r}"
    if isinstance(value, Opaque):
        return f"an object of type {value.type_name}"
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


# How each kind of comparison judges a decoded value: Python's own operators on plain values only.


def _plain(value: Any) -> Any:
    """A decoded value as Python would compare it: tensors (inside containers too) as plain tensors or numbers."""
    if isinstance(value, Received):
        return value.data.item() if value.data.numel() == 1 and value.data.ndim == 0 else value.data
    if isinstance(value, Opaque):
        raise TypeError("an object the grader does not read")
    if isinstance(value, list | tuple):
        return type(value)(_plain(item) for item in value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _numbers(value: Any) -> np.ndarray:
    plain = _plain(value)
    if isinstance(plain, torch.Tensor):
        return plain.detach().to(torch.float64).numpy()
    if isinstance(plain, str | bytes) or plain is None:
        raise TypeError("not a number")
    return np.asarray(plain, dtype=np.float64)


def _equal(comparison: Comparison, actual: Any) -> bool:
    outcome = _plain(actual) == comparison.expected
    if isinstance(outcome, torch.Tensor):
        outcome = outcome.numpy()
    if isinstance(outcome, np.ndarray):  # `assert t == c` holds for a one-element array only
        return outcome.size == 1 and bool(outcome.reshape(-1)[0])
    return isinstance(outcome, bool | np.bool_) and bool(outcome)


def _close(comparison: Comparison, actual: Any) -> np.ndarray:
    """numpy's closeness, with the arguments in the order the test wrote them (the second scales rtol)."""
    values, expected = _numbers(actual), np.asarray(comparison.expected, np.float64)
    first, second = (expected, values) if comparison.constant_first else (values, expected)
    np.broadcast_shapes(values.shape, expected.shape)  # a shape mismatch fails, as it raises in numpy
    return np.isclose(first, second, comparison.rtol, comparison.atol, equal_nan=comparison.how == "assert_allclose")


def _isclose(comparison: Comparison, actual: Any) -> bool:
    close = _close(comparison, actual)
    return close.size == 1 and bool(close.reshape(-1)[0])


def _allclose(comparison: Comparison, actual: Any) -> bool:
    return bool(_close(comparison, actual).all())


def _assert_allclose(comparison: Comparison, actual: Any) -> bool:
    """``np.testing.assert_allclose``: shapes must match (a scalar constant stands for any shape), NaN equals NaN."""
    values, expected = _numbers(actual), np.asarray(comparison.expected, np.float64)
    return (expected.ndim == 0 or values.shape == expected.shape) and bool(_close(comparison, actual).all())


def _array_equal(comparison: Comparison, actual: Any) -> bool:
    """``assert_array_equal``/``assert_equal``: same shape (a scalar stands for any), every element equal."""
    plain = _plain(actual)
    values = plain.detach().numpy() if isinstance(plain, torch.Tensor) else np.asarray(plain)
    expected = np.asarray(comparison.expected)
    return (expected.ndim == 0 or values.shape == expected.shape) and bool(np.all(values == expected))


def _math_isclose(comparison: Comparison, actual: Any) -> bool:
    values = _numbers(actual)
    return values.size == 1 and math.isclose(
        float(values.reshape(-1)[0]), float(comparison.expected), rel_tol=comparison.rtol, abs_tol=comparison.atol
    )


def _output(comparison: Comparison, actual: Any) -> bool:
    lines = lambda text: [line.rstrip() for line in text.strip().splitlines()]  # noqa: E731
    return isinstance(actual, str) and lines(actual) == lines(comparison.expected)


JUDGES: dict[str, Callable[[Comparison, Any], bool]] = {
    "==": _equal,
    "array_equal": _array_equal,
    "isclose": _isclose,
    "allclose": _allclose,
    "assert_allclose": _assert_allclose,
    "math.isclose": _math_isclose,
    "output": _output,
    "text": _output,  # what print showed: the recorded str of its argument
}
