"""Checks for assignment ``precision`` (hidden: never released).

Public cases use the notebook's example inputs; hidden cases draw sizes, values and
dtypes from the student's seed. Each mistake computes the answer a typical slip
produces on the same inputs, so the feedback can name it.
"""

import torch
import torch.nn.functional as F

from autograder.checks.compare import EXACT, Rule
from autograder.checks.spec import Case, Mistake, QuestionCheck, Rng

MODES = ("zeros", "reflect", "replicate", "circular")


def _distinct_sizes(rng: Rng, count: int, low: int, high: int) -> list[int]:
    sizes: list[int] = []
    while len(sizes) < count:
        size = rng.integer(low, high)
        if size not in sizes:
            sizes.append(size)
    return sizes


# q1 pad_and_correlate ---------------------------------------------------------------------

EXAMPLE_IMAGE = torch.tensor(
    [
        [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
        [1.0, 3.0, 0.0, 2.0, 6.0, 1.0],
        [4.0, 0.0, 5.0, 1.0, 2.0, 3.0],
        [2.0, 6.0, 1.0, 0.0, 3.0, 7.0],
        [5.0, 2.0, 3.0, 4.0, 1.0, 0.0],
    ]
).reshape(1, 1, 5, 6)
EXAMPLE_KERNEL = torch.tensor([[0.0, 1.0, 2.0], [-1.0, 0.5, 0.0], [0.0, 0.0, 3.0]]).reshape(
    1, 1, 3, 3
)  # not symmetric: flips show


def _padded(x: torch.Tensor, p: int, mode: str, pad: tuple[int, ...] | None = None) -> torch.Tensor:
    pad = (p, p, p, p) if pad is None else pad
    if mode == "zeros":
        return F.pad(x, pad, mode="constant", value=0.0)
    return F.pad(x, pad, mode=mode)


def _correlate(x, weight, mode, flip=False, pad=None):
    p = weight.shape[-1] // 2
    kernel = weight.flip(-2, -1) if flip else weight
    return F.conv2d(_padded(x, p, mode, pad), kernel)


def _example_case(mode: str) -> Case:
    return Case(
        f"5x6 example image, 3x3 kernel, mode '{mode}'",
        lambda rng: {"x": EXAMPLE_IMAGE.clone(), "weight": EXAMPLE_KERNEL.clone(), "mode": mode},
    )


def _random_conv(rng: Rng, mode: str) -> dict:
    batch, channels, outputs = rng.integer(1, 3), rng.integer(1, 3), rng.integer(1, 4)
    height, width = _distinct_sizes(rng, 2, 7, 14)
    k = rng.choice([3, 5])
    return {
        "x": rng.normal(batch, channels, height, width),
        "weight": rng.normal(outputs, channels, k, k),
        "mode": mode,
    }


def _other_mode(wrong: str) -> Mistake:
    return Mistake(
        f"your output is exactly what '{wrong}' padding gives, not the requested mode: pad with the "
        "mode you are given ('zeros' is F.pad's 'constant' with value 0)",
        lambda x, weight, mode: None if mode == wrong else _correlate(x, weight, wrong),
    )


def _pad_only(which: str):
    def output(x, weight, mode):
        p = weight.shape[-1] // 2
        return _correlate(x, weight, mode, pad=(p, p) if which == "W" else (0, 0, p, p))

    return output


q1 = QuestionCheck(
    call="pad_and_correlate(x, weight, mode)",
    cases=(
        *(_example_case(mode) for mode in MODES),
        *(
            Case(f"random batch and kernel, mode '{mode}'", lambda rng, mode=mode: _random_conv(rng, mode), hidden=True)
            for mode in MODES
        ),
    ),
    mistakes=(
        *(_other_mode(mode) for mode in MODES),
        Mistake(
            "you computed a convolution (kernel flipped in both axes) instead of a cross-correlation: "
            "F.conv2d does not flip the kernel",
            lambda x, weight, mode: _correlate(x, weight, mode, flip=True),
        ),
        Mistake(
            "your output has the 'valid' size (H - k + 1, W - k + 1): pad by k // 2 on every side first",
            lambda x, weight, mode: F.conv2d(x, weight),
        ),
        Mistake(
            "you padded twice (F.pad and then padding= in conv2d): the output must stay (B, O, H, W)",
            lambda x, weight, mode: F.conv2d(
                _padded(x, weight.shape[-1] // 2, mode), weight, padding=weight.shape[-1] // 2
            ),
        ),
        Mistake(
            "padding was applied to the wrong dims: only W (the last dimension) was padded. F.pad's tuple "
            "starts from the last dimension: (left, right, top, bottom) pads W and then H",
            _pad_only("W"),
        ),
        Mistake("padding was applied to the wrong dims: only H was padded, not W", _pad_only("H")),
    ),
)


# q2 stable_softmax ------------------------------------------------------------------------


def _softmax(x, dim, work=torch.float32, out=None, shift=True, normalise=True):
    values = x.to(work)
    if shift:
        values = values - values.amax(dim=dim, keepdim=True)
    exponentials = values.exp()
    result = exponentials / exponentials.sum(dim=dim, keepdim=True) if normalise else exponentials
    return result.to(out or work)


def _working(dtype: torch.dtype) -> torch.dtype:
    return dtype if dtype in (torch.float32, torch.float64) else torch.float32


def _half_or_int(x) -> bool:
    return x.dtype not in (torch.float32, torch.float64)


def _uint8_wrap(x, dim):
    if x.dtype != torch.uint8:
        return None
    shifted = (x - x.amax(dim=dim, keepdim=True)).to(torch.float32)  # wraps around in uint8
    return _softmax(shifted, dim, shift=False)


def _other_dim(x, dim, choose):
    wrong = choose(x.ndim)
    if wrong % x.ndim == dim % x.ndim:
        return None
    return _softmax(x, wrong, work=_working(x.dtype))


def _random_softmax(rng: Rng, kind: str) -> dict:
    if kind == "uint8":
        height, width = _distinct_sizes(rng, 2, 4, 12)
        return {"x": torch.from_numpy(rng.uint8_image(height, width)), "dim": rng.choice([0, 1, -1])}
    if kind == "int64":
        return {
            "x": torch.randint(-300, 300, (rng.integer(2, 5), rng.integer(6, 12)), generator=rng.generator),
            "dim": -1,
        }
    if kind == "float32":
        shape = _distinct_sizes(rng, 3, 2, 7)
        return {"x": rng.uniform(*shape, low=-1e4, high=1e4), "dim": rng.choice([0, 1, 2, -1])}
    if kind in ("float16", "bfloat16"):
        shape = _distinct_sizes(rng, 2, 3, 9)
        return {"x": rng.uniform(*shape, low=-30.0, high=30.0, dtype=getattr(torch, kind)), "dim": rng.choice([0, -1])}
    shape = _distinct_sizes(rng, 2, 3, 9)
    return {"x": rng.normal(*shape, dtype=torch.float64) * 800, "dim": rng.choice([0, 1])}


q2 = QuestionCheck(
    call="stable_softmax(x, dim)",
    cases=(
        Case("uint8 [255, 204, 170]", lambda rng: {"x": torch.tensor([255, 204, 170], dtype=torch.uint8), "dim": -1}),
        Case(
            "float32 values up to 1e4",
            lambda rng: {"x": torch.tensor([[1e4, 0.0, -1e4, 9999.0], [1.0, 2.0, 3.0, 4.0]]), "dim": -1},
        ),
        Case(
            "float16 2x3, dim 0",
            lambda rng: {"x": torch.tensor([[12.0, -3.0, 0.5], [11.0, 20.0, 0.25]], dtype=torch.float16), "dim": 0},
        ),
        Case(
            "float64 [1000, 1001, 1002]",
            lambda rng: {"x": torch.tensor([1000.0, 1001.0, 1002.0], dtype=torch.float64), "dim": 0},
        ),
        Case("random uint8 image", lambda rng: _random_softmax(rng, "uint8"), hidden=True),
        Case("random int64", lambda rng: _random_softmax(rng, "int64"), hidden=True),
        Case("random float32 up to 1e4", lambda rng: _random_softmax(rng, "float32"), hidden=True),
        Case("random float16", lambda rng: _random_softmax(rng, "float16"), hidden=True),
        Case("random bfloat16", lambda rng: _random_softmax(rng, "bfloat16"), hidden=True),
        Case("random float64", lambda rng: _random_softmax(rng, "float64"), hidden=True),
    ),
    mistakes=(
        Mistake(
            "uint8 arithmetic wraps around: x - max computed in uint8 turns -51 into 205, whose exp overflows. "
            "Convert to float32 before subtracting",
            _uint8_wrap,
        ),
        Mistake(
            "exp overflowed to inf and inf / inf = NaN: subtract the maximum along dim before exponentiating",
            lambda x, dim: _softmax(x, dim, work=_working(x.dtype), shift=False),
        ),
        Mistake(
            "exp overflowed to inf in half precision (float16 overflows above 65504): convert to float32 and "
            "subtract the maximum first",
            lambda x, dim: (
                _softmax(x, dim, work=x.dtype, out=torch.float32, shift=False)
                if x.dtype in (torch.float16, torch.bfloat16)
                else None
            ),
        ),
        Mistake(
            "you computed in float16/bfloat16 and converted only the result: compute in float32",
            lambda x, dim: (
                _softmax(x, dim, work=x.dtype, out=torch.float32)
                if x.dtype in (torch.float16, torch.bfloat16)
                else None
            ),
        ),
        Mistake(
            "wrong output dtype: integer, float16 and bfloat16 inputs are computed in and returned as float32",
            lambda x, dim: _softmax(x, dim, out=x.dtype) if _half_or_int(x) else None,
        ),
        Mistake(
            "wrong output dtype: integer, float16 and bfloat16 inputs are computed in and returned as float32",
            lambda x, dim: _softmax(x, dim, work=x.dtype) if x.dtype in (torch.float16, torch.bfloat16) else None,
        ),
        Mistake(
            "wrong output dtype: float64 inputs must stay float64 (do not convert them to float32)",
            lambda x, dim: _softmax(x, dim) if x.dtype == torch.float64 else None,
        ),
        Mistake(
            "you normalised along the wrong dim: the dim argument was ignored (you used the last one)",
            lambda x, dim: _other_dim(x, dim, lambda ndim: -1),
        ),
        Mistake(
            "you normalised along the wrong dim (dim 0 instead of the one asked for)",
            lambda x, dim: _other_dim(x, dim, lambda ndim: 0),
        ),
        Mistake(
            "your values do not sum to 1 along dim: divide the exponentials by their sum",
            lambda x, dim: _softmax(x, dim, work=_working(x.dtype), normalise=False),
        ),
    ),
)


# q3 sequential_sum ------------------------------------------------------------------------


def _sequential(x: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
    values = x.to(dtype or x.dtype)
    total = values[0]
    for value in values[1:]:
        total = total + value
    return total


def _sum_inputs(rng: Rng, kind: str) -> dict:
    n = rng.integer(1500, 3000)
    if kind == "float16":
        return {"x": rng.uniform(n, low=0.0, high=0.02, dtype=torch.float16)}
    if kind == "bfloat16":
        return {"x": rng.uniform(n // 4, low=0.0, high=0.1, dtype=torch.bfloat16)}
    if kind == "float32":  # large entries that cancel, among many small ones, in random order
        values = rng.normal(n, dtype=torch.float64) * 0.1
        big = torch.randperm(n, generator=rng.generator)[:4]
        values[big] = torch.tensor([3e7, -3e7, 5e7, -5e7], dtype=torch.float64)
        return {"x": values.to(torch.float32)}
    return {"x": rng.normal(n // 4, dtype=torch.float64)}


SUM_EXAMPLES = (
    Case("float16: 4000 times 0.01", lambda rng: {"x": torch.full((4000,), 0.01, dtype=torch.float16)}),
    Case("float32: 1e8 followed by 1000 ones", lambda rng: {"x": torch.cat([torch.tensor([1e8]), torch.ones(1000)])}),
)

q3 = QuestionCheck(
    call="sequential_sum(x)",
    rule=EXACT,  # the contract fixes every rounding step, so the answer is exact
    cases=(
        *SUM_EXAMPLES,
        Case("random float16", lambda rng: _sum_inputs(rng, "float16"), hidden=True),
        Case("random bfloat16", lambda rng: _sum_inputs(rng, "bfloat16"), hidden=True),
        Case("random float32 with large entries", lambda rng: _sum_inputs(rng, "float32"), hidden=True),
    ),
    mistakes=(
        Mistake(
            "you accumulated in a wider dtype than x's (float64) and cast back: the running total must stay "
            "in x's dtype, which is why it stalls",
            lambda x: torch.tensor(sum(x.tolist()), dtype=torch.float64).to(x.dtype),
        ),
        Mistake(
            "you accumulated in a wider dtype than x's (float32) and cast back: the running total must stay "
            "in x's dtype, which is why it stalls",
            lambda x: _sequential(x, torch.float32).to(x.dtype),
        ),
        Mistake(
            "x.sum() is not the left-to-right sum asked for: torch accumulates in a wider dtype and in another "
            "order. Write the loop",
            lambda x: x.sum(),
        ),
        Mistake(
            "the result dtype is wrong: it must be x's dtype (you accumulated in float64)",
            lambda x: torch.tensor(sum(x.tolist()), dtype=torch.float64),
        ),
        Mistake(
            "the result dtype is wrong: it must be x's dtype (you accumulated in float32)",
            lambda x: _sequential(x, torch.float32),
        ),
        Mistake("return a 0-d tensor, not a Python number (drop .item() / float())", lambda x: float(_sequential(x))),
        Mistake(
            "the result has shape (1,): start from x[0] (a 0-d tensor), not x[:1]", lambda x: _sequential(x).reshape(1)
        ),
    ),
)


# q4 accurate_sum --------------------------------------------------------------------------

q4 = QuestionCheck(
    call="accurate_sum(x)",
    # Exact for float16/bfloat16/float32 (one ulp of float32 is 6e-8 relative); the 1e-12 only
    # forgives float64 inputs summed in another order (math.fsum, a loop) than torch.sum.
    rule=Rule(rtol=1e-12, atol=0.0, scale_atol=False),
    cases=(
        *SUM_EXAMPLES,
        Case("random float16", lambda rng: _sum_inputs(rng, "float16"), hidden=True),
        Case("random bfloat16", lambda rng: _sum_inputs(rng, "bfloat16"), hidden=True),
        Case("random float32 with large entries", lambda rng: _sum_inputs(rng, "float32"), hidden=True),
        Case("random float32 with large entries", lambda rng: _sum_inputs(rng, "float32"), hidden=True),
        Case("random float64", lambda rng: _sum_inputs(rng, "float64"), hidden=True),
    ),
    mistakes=(
        Mistake(
            "you accumulated in a dtype narrower than float64 (x.sum() in x's dtype accumulates in float32 at "
            "best): convert to float64 before summing",
            lambda x: x.sum(),
        ),
        Mistake(
            "you accumulated in float32, which is narrower than float64: convert to float64 before summing",
            lambda x: x.to(torch.float32).sum().to(x.dtype),
        ),
        Mistake(
            "you added one at a time in x's dtype, which is narrower than float64: convert to float64 first",
            lambda x: _sequential(x),
        ),
        Mistake(
            "the result dtype is wrong: cast the float64 sum back to x's dtype", lambda x: x.to(torch.float64).sum()
        ),
        Mistake(
            "return a 0-d tensor, not a Python number (drop .item() / float())",
            lambda x: float(x.to(torch.float64).sum().to(x.dtype)),
        ),
        Mistake(
            "return a 0-d tensor, not a Python number, and cast back to x's dtype",
            lambda x: float(x.to(torch.float64).sum()),
        ),
    ),
)


CHECKS = {"q1": q1, "q2": q2, "q3": q3, "q4": q4}
