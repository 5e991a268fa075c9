"""Compare a student's returned value with the reference's, in the order that teaches.

Type first, then (for arrays) shape, dtype and device, then values; containers are
compared item by item. The first difference found is returned as a ``Mismatch``: its
kind, where in the value it is, the numbers (greatest absolute and relative difference
and their positions, the fraction of mismatched elements, NaN/Inf counts) and the
words, which are generated here and nowhere else.

The student's side arrives decoded with ``wire.decode(received=True)``: tensors and
arrays are ``Received`` records, so their type and device are those the student had.
Nothing here calls a method of an object the student made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from autograder.checks.kinds import Kind
from autograder.checks.tolerances import Tolerance, tolerance_for
from autograder.protocol.wire import Opaque, Received


@dataclass(frozen=True)
class Rule:
    """How values are compared. ``rtol``/``atol`` of None mean "by dtype" (see tolerances).

    ``float_dtype`` sets the tolerance for Python floats (e.g. a loss from ``.item()``
    of a float32 tensor is judged with float32 tolerances).
    """

    rtol: float | None = None
    atol: float | None = None
    scale_atol: bool = True
    check_dtype: bool = True
    float_dtype: torch.dtype = torch.float64


EXACT = Rule(rtol=0.0, atol=0.0, scale_atol=False)
CLOSE = Rule()


@dataclass(frozen=True)
class Mismatch:
    kind: Kind  # TYPE, LENGTH, KEYS, SHAPE, DTYPE, DEVICE or VALUES
    path: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        where = f"at {self.path}: " if self.path else ""
        return f"{where}{self.message}"


def compare(actual: Any, expected: Any, rule: Rule = CLOSE, device: str = "cpu", path: str = "") -> Mismatch | None:
    """The first difference between ``actual`` and ``expected``, or None if they agree."""
    if isinstance(expected, torch.Tensor | np.ndarray):
        return _compare_array(actual, expected, rule, device, path)
    if isinstance(expected, tuple | list):
        return _compare_sequence(actual, expected, rule, device, path)
    if isinstance(expected, dict):
        return _compare_dict(actual, expected, rule, device, path)
    return _compare_scalar(actual, expected, rule, device, path)


def describe_type(value: Any) -> str:
    """A short human name for the type of a received value."""
    if isinstance(value, Received):
        return "a numpy array" if value.kind == "ndarray" else f"a tensor ({value.type_name})"
    if isinstance(value, Opaque):
        return f"an object of type {value.type_name}"
    if value is None:
        return "None"
    article = "an" if type(value).__name__[0] in "aeiou" else "a"
    return f"{article} {type(value).__name__}"


def _type_mismatch(actual: Any, wanted: str, path: str) -> Mismatch:
    return Mismatch(Kind.TYPE, path, f"returned {describe_type(actual)}, expected {wanted}")


def _compare_sequence(actual: Any, expected: tuple | list, rule: Rule, device: str, path: str) -> Mismatch | None:
    kind = type(expected).__name__
    if type(actual) is not type(expected):
        return _type_mismatch(actual, f"a {kind}", path)
    if len(actual) != len(expected):
        return Mismatch(
            Kind.LENGTH,
            path,
            f"returned a {kind} of length {len(actual)}, expected length {len(expected)}",
            {"actual": len(actual), "expected": len(expected)},
        )
    for index, (item, reference) in enumerate(zip(actual, expected, strict=True)):
        mismatch = compare(item, reference, rule, device, f"{path}[{index}]")
        if mismatch is not None:
            return mismatch
    return None


def _compare_dict(actual: Any, expected: dict, rule: Rule, device: str, path: str) -> Mismatch | None:
    if not isinstance(actual, dict):
        return _type_mismatch(actual, "a dict", path)
    if set(actual) != set(expected):
        return Mismatch(
            Kind.KEYS, path, f"returned keys {sorted(map(str, actual))}, expected {sorted(map(str, expected))}"
        )
    for key, reference in expected.items():
        mismatch = compare(actual[key], reference, rule, device, f"{path}[{key!r}]")
        if mismatch is not None:
            return mismatch
    return None


def _compare_scalar(actual: Any, expected: Any, rule: Rule, device: str, path: str) -> Mismatch | None:
    if expected is None or isinstance(expected, str):
        if actual != expected or type(actual) is not type(expected):
            return Mismatch(Kind.VALUES, path, f"returned {_short(actual)}, expected {_short(expected)}")
        return None
    if isinstance(expected, bool | int) and not isinstance(expected, float):
        if type(actual) is not type(expected):
            return _type_mismatch(actual, f"a Python {type(expected).__name__}", path)
        if actual != expected:
            return Mismatch(
                Kind.VALUES, path, f"returned {actual}, expected {expected}", {"actual": actual, "expected": expected}
            )
        return None
    if isinstance(expected, float):
        if type(actual) not in (int, float):
            return _type_mismatch(actual, "a Python float", path)
        tolerance = tolerance_for(
            torch.tensor(expected, dtype=rule.float_dtype), rule.rtol, rule.atol, rule.scale_atol, device
        )
        if math.isnan(expected) and math.isnan(actual):
            return None
        difference = abs(actual - expected)
        if not difference <= tolerance.atol + tolerance.rtol * abs(expected):
            return Mismatch(
                Kind.VALUES,
                path,
                f"returned {actual:.8g}, expected {expected:.8g} (difference {difference:.3g}; {tolerance.describe()})",
                {"actual": actual, "expected": expected, "max_abs": difference},
            )
        return None
    raise TypeError(f"reference returned an unsupported type {type(expected).__name__}")


def _compare_array(
    actual: Any, expected: torch.Tensor | np.ndarray, rule: Rule, device: str, path: str
) -> Mismatch | None:
    wanted_kind = "ndarray" if isinstance(expected, np.ndarray) else "tensor"
    wanted = "a numpy array" if wanted_kind == "ndarray" else "a torch.Tensor"
    if not isinstance(actual, Received) or actual.kind != wanted_kind:
        return _type_mismatch(actual, wanted, path)
    if wanted_kind == "tensor" and actual.type_name != "torch.Tensor":
        return Mismatch(
            Kind.TYPE, path, f"returned a tensor subclass {actual.type_name}, expected a plain torch.Tensor"
        )
    reference = torch.from_numpy(expected) if isinstance(expected, np.ndarray) else expected
    data = actual.data
    if tuple(data.shape) != tuple(reference.shape):
        return Mismatch(
            Kind.SHAPE,
            path,
            f"shape {tuple(data.shape)}, expected {tuple(reference.shape)}"
            + _shape_hint(tuple(data.shape), tuple(reference.shape)),
            {"actual": list(data.shape), "expected": list(reference.shape)},
        )
    if rule.check_dtype and data.dtype != reference.dtype:
        return Mismatch(
            Kind.DTYPE,
            path,
            f"dtype {_dtype_name(data.dtype)}, expected {_dtype_name(reference.dtype)}",
            {"actual": str(data.dtype), "expected": str(reference.dtype)},
        )
    if wanted_kind == "tensor" and actual.device.split(":")[0] != device.split(":")[0]:
        return Mismatch(Kind.DEVICE, path, f"on device {actual.device}, expected {device} (the inputs' device)")
    return _compare_values(data, reference, rule, device, path)


def _compare_values(
    actual: torch.Tensor, expected: torch.Tensor, rule: Rule, device: str, path: str
) -> Mismatch | None:
    tolerance = tolerance_for(expected, rule.rtol, rule.atol, rule.scale_atol, device)
    if expected.dtype == torch.bool or actual.dtype == torch.bool:
        a, e = actual.to(torch.int64), expected.to(torch.int64)
    else:
        a, e = actual.to(torch.float64), expected.to(torch.float64)
    difference = (a - e).abs()
    allowed = tolerance.atol + tolerance.rtol * e.abs()
    both_nan = torch.isnan(a) & torch.isnan(e)
    same_inf = torch.isinf(a) & torch.isinf(e) & (a == e)
    bad = ~((difference <= allowed) | both_nan | same_inf)
    if not bool(bad.any()):
        return None
    return _values_mismatch(a, e, bad, difference, tolerance, path)


def _values_mismatch(
    a: torch.Tensor, e: torch.Tensor, bad: torch.Tensor, difference: torch.Tensor, tolerance: Tolerance, path: str
) -> Mismatch:
    count, total = int(bad.sum()), bad.numel()
    details: dict[str, Any] = {"mismatched": count, "total": total, "fraction": count / max(total, 1)}
    parts = [f"values differ in {count} of {total} elements ({100 * count / max(total, 1):.1f}%)"]
    non_finite = ~torch.isfinite(a) & torch.isfinite(e)
    if bool(non_finite.any()):
        where = _index(non_finite.nonzero()[0], a.shape)
        details.update(non_finite=int(non_finite.sum()), first_non_finite=where)
        parts.append(
            f"{int(non_finite.sum())} of yours are NaN or Inf where the expected values are finite (first at {where})"
        )
    finite_difference = torch.where(torch.isfinite(difference), difference, torch.zeros_like(difference))
    if bool(finite_difference.any()):
        flat = int(finite_difference.flatten().argmax())
        where = _index_flat(flat, a.shape)
        details.update(max_abs=float(finite_difference.flatten()[flat]), max_abs_at=where)
        text = f"greatest absolute difference {details['max_abs']:.4g} at {where}"
        # Relative to an expected value at the noise floor (0, or below atol) is no measure of anything.
        meaningful = torch.isfinite(e) & (e.abs() > max(tolerance.atol, 1e-300))
        if bool(meaningful.any()):
            relative = torch.where(meaningful, finite_difference / e.abs().clamp_min(1e-300), torch.zeros_like(e))
            flat_rel = int(relative.flatten().argmax())
            details.update(max_rel=float(relative.flatten()[flat_rel]), max_rel_at=_index_flat(flat_rel, a.shape))
            text += f", greatest relative difference {details['max_rel']:.4g} at {details['max_rel_at']}"
        parts.append(f"{text} (allowed: {tolerance.describe()})")
        if a.numel() <= 6:
            parts.append(f"yours: {_values_text(a)}, expected: {_values_text(e)}")
    scale = _scale_hint(a, e)
    if scale:
        parts.append(scale)
    return Mismatch(Kind.VALUES, path, "; ".join(parts), details)


def least_squares_scale(actual: torch.Tensor, expected: torch.Tensor) -> float | None:
    """s minimising ||actual - s * expected||, i.e. <a, e> / <e, e>, or None if undefined."""
    finite = torch.isfinite(actual) & torch.isfinite(expected)
    if not bool(finite.all()):
        return None
    denominator = float((expected * expected).sum())
    if denominator == 0.0:
        return None
    return float((actual * expected).sum()) / denominator


def _scale_hint(a: torch.Tensor, e: torch.Tensor) -> str:
    """Name a constant factor when the whole answer is a multiple of the expected one."""
    if not (a.is_floating_point() and a.numel() > 1):
        return ""
    scale = least_squares_scale(a, e)
    if scale is None or abs(scale - 1.0) < 1e-3 or abs(scale) < 1e-12:
        return ""
    residual = float((a - scale * e).norm()) / max(float((scale * e).norm()), 1e-300)
    if residual > 1e-4:
        return ""
    return f"your values are {scale:.6g} times the expected ones"


def _shape_hint(actual: tuple[int, ...], expected: tuple[int, ...]) -> str:
    if sorted(actual) == sorted(expected):
        return " (the same sizes in another order: check which dimension is which)"
    if expected[1:] == actual and expected[:1] == (1,):
        return " (the leading dimension of size 1 is missing)"
    if actual[1:] == expected and actual[:1] == (1,):
        return " (an extra leading dimension of size 1)"
    if math.prod(actual) == math.prod(expected):
        return " (the same number of elements, arranged differently)"
    return ""


def _index_flat(flat: int, shape: torch.Size) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(flat, tuple(shape))) if len(shape) else ()


def _index(position: torch.Tensor, shape: torch.Size) -> tuple[int, ...]:
    return tuple(int(i) for i in position.tolist()) if len(shape) else ()


def _values_text(t: torch.Tensor) -> str:
    return "[" + ", ".join(f"{float(v):.6g}" for v in t.flatten().tolist()) + "]"


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


def _short(value: Any) -> str:
    return repr(value)[:80] if not isinstance(value, Opaque) else repr(value)
