"""Comparisons report the first difference in teaching order, with numbers."""

import numpy as np
import torch

from autograder.checks.compare import CLOSE, EXACT, Rule, compare, least_squares_scale
from autograder.protocol import wire


def received(value):
    return wire.decode(*wire.encode(value), received=True)


def test_type_is_checked_before_anything_else() -> None:
    mismatch = compare(received(np.zeros((2, 2), dtype=np.float32)), torch.zeros(2, 2))
    assert mismatch.kind == "type" and "numpy array" in mismatch.message


def test_tensor_subclass_is_a_type_mismatch() -> None:
    class Always(torch.Tensor):
        pass

    mismatch = compare(received(torch.zeros(2).as_subclass(Always)), torch.zeros(2))
    assert mismatch.kind == "type" and "subclass" in mismatch.message


def test_shape_then_dtype_then_values() -> None:
    assert compare(received(torch.zeros(3, 2)), torch.zeros(2, 3)).kind == "shape"
    assert compare(received(torch.zeros(2, 3, dtype=torch.float64)), torch.zeros(2, 3)).kind == "dtype"
    mismatch = compare(received(torch.tensor([0.0, 1.0, 2.5])), torch.tensor([0.0, 1.0, 2.0]))
    assert mismatch.kind == "values"
    assert mismatch.details["mismatched"] == 1 and mismatch.details["max_abs_at"] == (2,)
    assert abs(mismatch.details["max_abs"] - 0.5) < 1e-12


def test_shape_hints_name_permutations_and_missing_batch() -> None:
    assert "another order" in compare(received(torch.zeros(3, 2, 4)), torch.zeros(2, 3, 4)).message
    assert (
        "leading dimension of size 1 is missing" in compare(received(torch.zeros(2, 3)), torch.zeros(1, 2, 3)).message
    )


def test_float32_tolerance_scales_with_magnitude() -> None:
    big = torch.full((4,), 1000.0)
    assert compare(received(big + 5e-4), big) is None  # within 1e-5 * 1000 + rtol
    assert compare(received(big + 5e-2), big) is not None


def test_exact_rule_allows_no_difference() -> None:
    assert compare(received(torch.tensor([1.0 + 1e-7])), torch.tensor([1.0]), CLOSE) is None
    assert compare(received(torch.tensor([1.0 + 1e-7])), torch.tensor([1.0]), EXACT) is not None


def test_nan_in_student_output_is_reported_with_position() -> None:
    mismatch = compare(received(torch.tensor([1.0, float("nan")])), torch.tensor([1.0, 2.0]))
    assert mismatch.details["non_finite"] == 1 and mismatch.details["first_non_finite"] == (1,)


def test_constant_factor_is_named() -> None:
    expected = torch.linspace(1, 2, 10)
    assert "2 times the expected" in compare(received(2 * expected), expected).message
    assert least_squares_scale(-expected, expected) == -1.0


def test_python_scalars_are_typed() -> None:
    assert compare(received((1, 2)), (1, 2), EXACT) is None
    assert compare(received([1, 2]), (1, 2), EXACT).kind == "type"
    assert compare(received((1, np.int64(2))), (1, 2), EXACT).kind == "type"
    assert compare(received(1.0 + 1e-9), 1.0) is None
    assert compare(received(1.1), 1.0, Rule(float_dtype=torch.float32)).kind == "values"


def test_uint8_off_by_one_rule() -> None:
    rule = Rule(rtol=0.0, atol=1.0, scale_atol=False)
    expected = np.array([10, 20], dtype=np.uint8)
    assert compare(received(np.array([11, 19], dtype=np.uint8)), expected, rule) is None
    assert compare(received(np.array([12, 20], dtype=np.uint8)), expected, rule) is not None


def test_not_implemented_from_a_library_is_not_called_a_stub() -> None:
    from autograder.checks.judge import judge
    from autograder.checks.spec import Case, QuestionCheck
    from autograder.protocol.probes import ProbeOutput

    check = QuestionCheck(call="f(x)", cases=(Case("c", lambda rng: {}),))
    library = {
        "type": "NotImplementedError",
        "message": "reflect padding of 2-D input",
        "traceback": 'File "/env/site-packages/torch/nn/functional.py", line 1\n    raise',
    }
    stub = {
        "type": "NotImplementedError",
        "message": "",
        "traceback": 'File "/tmp/ipykernel_1/1.py", line 3\n    raise',
    }
    assert "still raises" not in judge(check, "f", {}, None, ProbeOutput("error", error=library)).message
    assert "still raises" in judge(check, "f", {}, None, ProbeOutput("error", error=stub)).message


def test_no_relative_difference_against_expected_zeros() -> None:
    """A relative difference to an expected 0 (6.5e+299 once) says nothing: only the absolute one is given."""
    expected = torch.zeros(4)
    actual = wire.Received(torch.tensor([0.0, 1e-3, 0.0, 0.0]), "tensor", "cpu", "torch.Tensor")
    mismatch = compare(actual, expected)
    assert mismatch is not None and "absolute difference 0.001" in mismatch.message
    assert "relative" not in mismatch.message.split("(allowed")[0]
    mixed = compare(wire.Received(torch.tensor([0.5, 2.0]), "tensor", "cpu", "torch.Tensor"), torch.tensor([0.0, 1.0]))
    assert mixed is not None and "greatest relative difference 1 at (1,)" in mixed.message


def test_the_parts_of_a_tuple_answer_are_named_in_the_feedback() -> None:
    from autograder.checks.judge import judge
    from autograder.checks.spec import QuestionCheck
    from autograder.protocol.probes import ProbeOutput, ProbeStatus

    check = QuestionCheck(call="f()", cases=(), output_names=("dW", "db"))
    returned = wire.decode(*wire.encode((torch.ones(2), torch.zeros(3))), received=True)
    verdict = judge(check, "f", {}, (torch.ones(2), torch.ones(3)), ProbeOutput(ProbeStatus.OK, value=returned))
    assert verdict.message.startswith("at db: ") and not verdict.passed
