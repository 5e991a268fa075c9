"""Otter test cells rewritten for the trusted judge: the kernel records values, the grader compares them."""

import numpy as np
import pytest
import torch

from autograder.checks import cell_tests
from autograder.checks.calls import call_scope, make_call
from autograder.errors import AssignmentError
from autograder.protocol import wire


def run(test: cell_tests.CellTest, namespace: dict) -> list:
    """What the kernel would record, as the grader decodes it (``received``, like a probe's output)."""
    values = make_call(cell_tests.CALL, call_scope(namespace, cell_tests.DRIVER), test.inputs)
    return wire.decode(*wire.encode(values), received=True)


def verdict(source: str, output: str, namespace: dict) -> str | None:
    test = cell_tests.rewrite(source, output, "q1, test 1")
    mismatch = test.expectation.mismatch(run(test, namespace))
    return None if mismatch is None else mismatch.describe()


@pytest.mark.parametrize(
    ("source", "output", "recorded", "how"),
    [
        ("square(1) == 1", "True", "square(1)", "=="),
        ("1 == square(1)", "True", "square(1)", "=="),
        ("np.isclose(square(1.5), 2.25)", "True", "square(1.5)", "isclose"),
        ("torch.allclose(grad(x), torch.tensor([1.0, 2.0]))", "True", "grad(x)", "allclose"),
        ("assert math.isclose(square(0.1), 0.01, rel_tol=1e-3)", "", "square(0.1)", "math.isclose"),
        ("np.testing.assert_allclose(square(2), 4)", "", "square(2)", "assert_allclose"),
        ("np.testing.assert_array_equal(f(), [1, 2])", "", "f()", "array_equal"),
        ("print(f())", "4", "str(f())", "text"),
        ("square(3)", "9", "square(3)", "=="),
        ("np.arange(2)", "array([0, 1])", "np.arange(2)", "output"),
    ],
)
def test_a_comparison_with_a_constant_is_taken_apart(source: str, output: str, recorded: str, how: str) -> None:
    test = cell_tests.rewrite(source, output, "q1, test 1")
    (comparison,) = test.expectation.comparisons
    assert (comparison.expression, comparison.how, test.forgeable) == (recorded, how, ())
    recorded = f"repr({recorded})" if how == "output" else recorded
    assert test.source == f"{cell_tests.RECORD}(0, {recorded})"  # the comparison itself is not sent


def test_tolerances_are_those_of_the_function_the_test_called() -> None:
    comparisons = [
        cell_tests.rewrite(source, "True", "q").expectation.comparisons[0]
        for source in ("np.isclose(f(), 1.0)", "np.isclose(f(), 1.0, rtol=0.1, atol=0)", "math.isclose(f(), 1.0)")
    ]
    assert [(c.rtol, c.atol) for c in comparisons] == [(1e-5, 1e-8), (0.1, 0.0), (1e-9, 0.0)]


def test_asserts_in_sequence_are_recorded_in_order_with_the_statements_between() -> None:
    test = cell_tests.rewrite("g = gen()\nassert next(g) == 0\nassert next(g) == 1", "", "q2, test 1")
    assert [c.expected for c in test.expectation.comparisons] == [0, 1]

    def gen():
        yield from (0, 1)

    assert test.expectation.mismatch(run(test, {"gen": gen})) is None

    def wrong():
        yield from (0, 2)

    mismatch = test.expectation.mismatch(run(test, {"gen": wrong}))
    assert "`next(g) == 1` does not hold: `next(g)` is 2" in mismatch.describe()


@pytest.mark.parametrize(
    ("source", "output", "line"),
    [
        ("assert type(df) == dict", "", "line 1: assert type(df) == dict"),
        ("for k in d:\n    assert d[k] >= 0", "", "line 2: assert d[k] >= 0"),
        ("isinstance(best, str)", "True", "line 1: isinstance(best, str)"),
        ("x = f()\nnp.testing.assert_array_less(x, 3)", "", "line 2: np.testing.assert_array_less(x, 3)"),
    ],
)
def test_what_cannot_be_taken_apart_is_listed_as_forgeable(source: str, output: str, line: str) -> None:
    assert line in cell_tests.rewrite(source, output, "q3, test 2").forgeable


def test_forgeable_lines_still_decide_the_test_in_the_kernel() -> None:
    test = cell_tests.rewrite("for k in d:\n    assert d[k] >= 0", "", "q3, test 2")
    assert test.expectation.mismatch(run(test, {"d": {"a": 1}})) is None
    with pytest.raises(AssertionError):
        run(test, {"d": {"a": -1}})


@pytest.mark.parametrize(
    ("value", "holds"),
    [
        (8, True),
        (8.0, True),
        (np.int64(8), True),
        (torch.tensor(8.0), True),
        (torch.tensor([8.0]), True),
        (torch.tensor([8.0, 8.0]), False),
        ("8", False),
        (None, False),
        (7.999, False),
    ],
)
def test_equality_is_pythons_on_the_decoded_value(value, holds: bool) -> None:
    assert (verdict("f() == 8", "True", {"f": lambda: value}) is None) == holds


@pytest.mark.parametrize(
    ("source", "value", "holds"),
    [
        ("np.isclose(f(), 3.33333333)", 10 / 3, True),
        ("np.isclose(f(), 3.3)", 10 / 3, False),
        ("np.isclose(f(), 3.3, rtol=0.1)", 10 / 3, True),
        ("np.isclose(f(), 1.0)", np.ones(2), False),  # an array of booleans is not "True"
        ("np.allclose(f(), [1.0, 2.0])", torch.tensor([1.0, 2.0 + 1e-9]), True),
        ("np.allclose(f(), [1.0, 2.0])", torch.tensor([1.0, 2.0, 3.0]), False),  # shapes do not broadcast
        ("torch.allclose(f(), torch.tensor([1.0, 2.0]))", [1.0, 2.1], False),
        ("math.isclose(f(), 1.0, abs_tol=0.01)", 1.005, True),
    ],
)
def test_closeness_is_judged_with_the_test_functions_rule(source: str, value, holds: bool) -> None:
    assert (verdict(source, "True", {"f": lambda: value, "np": np, "torch": torch}) is None) == holds


def test_an_echoed_value_is_compared_by_its_meaning_or_its_text() -> None:
    assert verdict("f()", "27", {"f": lambda: 27.0}) is None
    assert verdict("f()", "27", {"f": lambda: 28}) is not None
    assert verdict("np.arange(f())", "array([0, 1])", {"f": lambda: 2, "np": np}) is None
    assert verdict("np.arange(f())", "array([0, 1])", {"f": lambda: 3, "np": np}) is not None


def test_an_object_the_grader_cannot_read_fails_the_comparison() -> None:
    class Sneaky:
        def __eq__(self, other):
            return True

    message = verdict("f() == 8", "True", {"f": Sneaky})
    assert "`f()` is an object of type" in message and message.endswith("Sneaky")


def test_the_expectation_survives_the_trip_into_public_data() -> None:
    expectation = cell_tests.rewrite("assert np.isclose(f(), 2.5, atol=0.1)\nf() == [1, 2]", "True", "q").expectation
    assert cell_tests.Expectation.from_data(wire.decode(*wire.encode(expectation.to_data()))) == expectation


def test_a_test_that_is_not_python_names_its_question_and_cell() -> None:
    with pytest.raises(AssignmentError, match=r"q1, test 2 \(cell 7\): the test is not valid Python"):
        cell_tests.rewrite("square(1) ==", "True", "q1, test 2 (cell 7)")


def test_all_or_nothing_gives_the_points_only_when_every_check_passed() -> None:
    from autograder.checks.results import CheckResult, question_score

    checks = [CheckResult("a", False, 1.0, True), CheckResult("b", False, 2.0, False)]
    assert question_score(3.0, checks) == 1.0 and question_score(3.0, checks, all_or_nothing=True) == 0.0
    checks[1].passed = True
    assert question_score(3.0, checks, all_or_nothing=True) == 3.0


def test_an_exception_based_test_function_called_once_is_taken_apart_too() -> None:
    source = "def test_value(square):\n    assert square(2) == 4\n    assert square(3) == 9\n\ntest_value(square)"
    test = cell_tests.rewrite(source, "", "q1, test 1")
    assert [c.expected for c in test.expectation.comparisons] == [4, 9] and test.forgeable == ()
    assert test.expectation.mismatch(run(test, {"square": lambda v: v * v})) is None
    assert (
        "`square(3) == 9` does not hold"
        in test.expectation.mismatch(run(test, {"square": lambda v: 4 if v == 2 else 0})).describe()
    )
    twice = cell_tests.rewrite(source + "\ntest_value(square)", "", "q1, test 1")  # values would come twice
    assert twice.expectation.comparisons == () and len(twice.forgeable) == 2


def test_values_are_matched_to_their_comparison_whatever_order_they_run_in() -> None:
    source = "def t():\n    assert a() == 1\n\nassert b() == 2\nt()"
    test = cell_tests.rewrite(source, "", "q")  # b's comparison runs first, a's last
    assert test.expectation.mismatch(run(test, {"a": lambda: 1, "b": lambda: 2})) is None
    assert test.expectation.mismatch(run(test, {"a": lambda: 1, "b": lambda: 3})) is not None


@pytest.mark.parametrize(
    ("source", "value", "holds"),
    [
        ("np.testing.assert_array_equal(f(), [1, 2, 3])", np.array([1, 2, 3]), True),
        ("np.testing.assert_array_equal(f(), [1, 2, 3])", torch.tensor([1, 2, 4]), False),
        ("np.testing.assert_array_equal(f(), [1, 2, 3])", [1, 2], False),
        ("np.testing.assert_allclose(f(), [1.0, 2.0])", np.ones((2, 2)), False),  # shapes must match
        ("np.isclose(1.0, f(), rtol=0.5)", 1.8, True),  # numpy scales rtol by the second argument
        ("np.isclose(1.0, f(), rtol=0.5)", 0.55, False),
        ("f() == (1, 2)", (torch.tensor(1), torch.tensor(2)), True),  # tensors inside a tuple compare as Python's
    ],
)
def test_each_assertion_function_is_judged_as_it_would_judge(source: str, value, holds: bool) -> None:
    assert (verdict(source, "", {"f": lambda: value, "np": np, "torch": torch}) is None) == holds


@pytest.mark.parametrize(
    ("source", "listed"),
    [
        ("from math import isclose\nassert isclose(f(), 1.0)", "forgeable"),  # whose isclose? not taken apart
        ("def test_q1(f):\n    assert f() == 4", "unchecked"),  # never called
        ("x = f()", "unchecked"),  # checks nothing but that it runs
        ("# only a comment", "unchecked"),
    ],
)
def test_tests_that_could_pass_vacuously_are_listed(source: str, listed: str) -> None:
    test = cell_tests.rewrite(source, "", "q")
    assert getattr(test, listed) and test.expectation.comparisons == ()
