"""Checks for assignment ``autograd`` (hidden: never released).

Public cases use the notebook's example inputs; hidden cases draw shapes and values from
the student's seed (non-square, M != D != N). Each mistake computes the answer a typical
slip produces on the same inputs, so feedback can name it; constant factors (2, 1/2, N,
N*M, -1) are named too, since the least-squares scale of a gradient that is a multiple of
the right one is exactly that factor.
"""

import torch

from autograder.checks.compare import Rule
from autograder.checks.spec import Built, Case, Mistake, Observation, QuestionCheck, Rng, public


def _distinct_sizes(rng: Rng, count: int, low: int = 2, high: int = 9) -> list[int]:
    sizes: list[int] = []
    while len(sizes) < count:
        size = rng.integer(low, high)
        if size not in sizes:
            sizes.append(size)
    return sizes


def _scaled(factor: float, explanation: str, gradient) -> Mistake:
    """A gradient off by a constant factor (what least_squares_scale would report)."""

    def output(**inputs):
        value = gradient(**inputs)
        if isinstance(value, tuple):
            return tuple(factor * v for v in value)
        return factor * value

    return Mistake(explanation, output)


# q1 abs_loss_grad -------------------------------------------------------------------------


def _abs_grad(w, x, y):
    return torch.sign(w * x - y) * x


def _random_abs(rng: Rng) -> dict:
    shape = _distinct_sizes(rng, rng.integer(1, 3), 2, 7)
    w, x = rng.normal(*shape), rng.normal(*shape)
    sign = torch.where(rng.uniform(*shape) < 0.5, -1.0, 1.0)
    residual = sign * rng.uniform(*shape, low=0.3, high=2.0)  # |w * x - y| >= 0.3
    return {"w": w, "x": x, "y": w * x - residual}


q1 = QuestionCheck(
    call="abs_loss_grad(w, x, y)",
    cases=(
        Case(
            "the notebook's 4-vector",
            lambda rng: {
                "w": torch.tensor([1.0, -2.0, 0.5, 3.0]),
                "x": torch.tensor([2.0, 1.0, -4.0, 0.5]),
                "y": torch.tensor([1.0, 1.0, 1.0, 2.0]),
            },
        ),
        Case("random tensor", _random_abs, hidden=True),
        Case("random tensor", _random_abs, hidden=True),
    ),
    mistakes=(
        _scaled(
            -1.0, "sign error: d|r|/dr = sign(r) with r = w * x - y, not sign(y - w * x)", _abs_grad
        ),
        Mistake(
            "the chain rule's inner factor is missing: dr/dw = x multiplies sign(r)",
            lambda w, x, y: torch.sign(w * x - y),
        ),
        Mistake(
            "you used sign(w) or sign(x) instead of the sign of the residual w * x - y",
            lambda w, x, y: torch.sign(w) * x,
        ),
        Mistake(
            "that is the gradient of the squared error 2 (w x - y) x, not of the absolute value",
            lambda w, x, y: 2 * (w * x - y) * x,
        ),
        Mistake(
            "you divided by the number of entries: L is a sum, not a mean",
            lambda w, x, y: _abs_grad(w, x, y) / w.numel(),
        ),
    ),
)


# q2 linear_mse_grads ----------------------------------------------------------------------


def _mse_grads(W, b, X, Y):
    n, m = Y.shape
    upstream = 2 * (X @ W.T + b - Y) / (n * m)
    return upstream.T @ X, upstream.sum(dim=0)


def _linear_case(rng: Rng) -> dict:
    n, d, m = _distinct_sizes(rng, 3, 2, 9)
    while n * m in (6, 12, 24):  # the example's N*M = 12 hard-coded would be off by 1/2, 1 or 2: unnamed or misnamed
        n, d, m = _distinct_sizes(rng, 3, 2, 9)
    return {"W": rng.normal(m, d), "b": rng.normal(m), "X": rng.normal(n, d), "Y": rng.normal(n, m)}


def _example_linear(rng: Rng) -> dict:
    # N=4, D=2, M=3: a wrong scale by N, M, N*M, 2 or 1/2 differs from every other one
    X = torch.tensor([[1.0, 2.0], [0.0, -1.0], [2.0, 0.0], [1.0, 1.0]])
    W = torch.tensor([[0.5, -0.5], [1.0, 0.0], [-1.0, 1.0]])
    return {
        "W": W,
        "b": torch.tensor([0.1, -0.2, 0.3]),
        "X": X,
        "Y": torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0], [2.0, 1.0, 0.0], [1.0, -1.0, 1.0]]),
    }


EXAMPLE_SIZES = (
    "your code uses the notebook example's sizes (N = 4, M = 3), not the inputs': read n, m from Y.shape"
)


def _hard_coded(n: int | None, m: int | None) -> Mistake:
    """The right formula with N, M or both fixed to the public example's (it passes that example only)."""

    def output(W, b, X, Y):
        scale = (Y.shape[0] / n if n else 1.0) * (Y.shape[1] / m if m else 1.0)
        return tuple(scale * g for g in _mse_grads(W, b, X, Y))

    return Mistake(EXAMPLE_SIZES, output)


def _by_n(W, b, X, Y):
    return tuple(Y.shape[1] * g for g in _mse_grads(W, b, X, Y))


def _by_nm(W, b, X, Y):
    return tuple(Y.numel() * g for g in _mse_grads(W, b, X, Y))


def _by_m(W, b, X, Y):
    return tuple(Y.shape[0] * g for g in _mse_grads(W, b, X, Y))


q2 = QuestionCheck(
    call="linear_mse_grads(W, b, X, Y)",
    output_names=("dW", "db"),
    cases=(
        Case("the notebook's N=4, D=2, M=3 example", _example_linear),
        Case("random N, D, M", _linear_case, hidden=True),
        Case("random N, D, M", _linear_case, hidden=True),
    ),
    mistakes=(
        _scaled(
            -1.0, "sign error: the residual is (X W^T + b - Y), prediction minus target", _mse_grads
        ),
        _scaled(0.5, "the factor 2 from d(r^2)/dr = 2r is missing", _mse_grads),
        _scaled(
            2.0,
            "your gradient is twice the right one: the factor 2 counted twice, or the "
            "gradient accumulated twice (call backward once, or zero .grad in between)",
            _mse_grads,
        ),
        _hard_coded(4, 3),
        _hard_coded(4, None),
        _hard_coded(None, 3),
        Mistake("sum instead of mean: L averages over all N*M entries, so divide by N*M", _by_nm),
        Mistake("you divided by N only: L averages over all N*M entries, so divide by N*M", _by_n),
        Mistake("you divided by M only: L averages over all N*M entries, so divide by N*M", _by_m),
        Mistake(
            "dW is transposed: it must have W's shape (M, D), i.e. G^T X, not X^T G",
            lambda W, b, X, Y: (_mse_grads(W, b, X, Y)[0].T, _mse_grads(W, b, X, Y)[1]),
        ),
        Mistake(
            "db is summed over the wrong axis: b is added to every row, "
            "so sum over the N rows (dim 0)",
            lambda W, b, X, Y: (
                _mse_grads(W, b, X, Y)[0],
                (2 * (X @ W.T + b - Y) / Y.numel()).sum(dim=1),
            ),
        ),
        Mistake(
            "the bias was left out of the residual: r = X W^T + b - Y",
            lambda W, b, X, Y: _mse_grads(W, torch.zeros_like(b), X, Y),
        ),
    ),
)


# q3 numerical_gradient --------------------------------------------------------------------

def _objective(A, c) -> Built:
    """f(v) = sum(A v^3) + sum(sin v) + c (sum v)^2, built alike in the kernel and here (a callable input)."""
    return Built("lambda v: (A * v ** 3).sum() + torch.sin(v).sum() + c * v.sum() ** 2", A=A, c=c)


def _differences(f, x, eps, kind: str):
    base = x.clone()
    grad = torch.zeros_like(base)
    for i in range(base.numel()):
        step = torch.zeros_like(base)
        step.view(-1)[i] = eps
        if kind == "forward":
            grad.view(-1)[i] = (f(base + step) - f(base)) / eps
        elif kind == "one eps":
            grad.view(-1)[i] = (f(base + step) - f(base - step)) / eps
        elif kind == "default eps":
            step.view(-1)[i] = 1e-6
            grad.view(-1)[i] = (f(base + step) - f(base - step)) / (2 * 1e-6)
    return grad


def _not_restored(f, x, eps):
    work = x.clone()
    grad = torch.zeros_like(work)
    for i in range(work.numel()):
        work.view(-1)[i] += eps
        plus = f(work)
        work.view(-1)[i] -= 2 * eps
        grad.view(-1)[i] = (plus - f(work)) / (2 * eps)
    return grad


NOT_RESTORED = "x was modified in place and not restored: perturb a copy, or put every entry back"


@public  # the self-check runs it too: a public example that passes there passes here
def _x_unchanged(observation: Observation) -> str | None:
    after = (observation.inputs_after or {}).get("x")
    if after is None:
        return None
    if not torch.allclose(
        after.data.to(torch.float64), observation.inputs["x"], rtol=1e-12, atol=1e-12
    ):
        return f"{NOT_RESTORED} (your function changed the caller's x)"
    return None


def _numerical_case(rng: Rng, eps: float, coupled: bool) -> dict:
    shape = _distinct_sizes(rng, rng.integer(1, 2), 2, 5)
    x = rng.normal(*shape, dtype=torch.float64)
    A = rng.uniform(*shape, low=0.5, high=2.0, dtype=torch.float64)
    return {"f": _objective(A, rng.uniform(low=0.5, high=1.5).item() if coupled else 0.0), "x": x, "eps": eps}


q3 = QuestionCheck(
    call="numerical_gradient(f, x, eps)",
    keep_inputs=True,
    rule=Rule(rtol=1e-6, atol=1e-6),
    properties=(_x_unchanged,),
    cases=(
        Case(
            "the notebook's 3-vector, eps=1e-6",
            lambda rng: {
                "f": _objective(torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64), 1.0),
                "x": torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64),
                "eps": 1e-6,
            },
        ),
        Case(
            "the notebook's 3-vector, eps=0.1",
            lambda rng: {
                "f": _objective(torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64), 1.0),
                "x": torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64),
                "eps": 0.1,
            },
        ),
        Case(
            "random x, large eps",
            lambda rng: _numerical_case(rng, rng.choice([0.05, 0.1, 0.2]), True),
            hidden=True,
        ),
        Case("random x, separable f", lambda rng: _numerical_case(rng, 0.1, False), hidden=True),
        Case("random x, eps=1e-4", lambda rng: _numerical_case(rng, 1e-4, True), hidden=True),
    ),
    mistakes=(
        Mistake(
            "forward difference (f(x + eps e_i) - f(x)) / eps instead of the central difference",
            lambda f, x, eps: _differences(f, x, eps, "forward"),
        ),
        Mistake(
            "the central difference spans 2 eps: divide by 2 * eps, not eps",
            lambda f, x, eps: _differences(f, x, eps, "one eps"),
        ),
        Mistake(
            "the eps argument is ignored: use the step you are given, not a fixed 1e-6",
            lambda f, x, eps: _differences(f, x, eps, "default eps"),
        ),
        Mistake(NOT_RESTORED, _not_restored),
    ),
)


# q4 Cubic ---------------------------------------------------------------------------------

CUBIC_DRIVER = """
import torch

def cubic_probe(Cubic, x, upstream, check):
    x = x.detach().clone().requires_grad_(True)
    if check == "finite differences":
        agrees = torch.autograd.gradcheck(Cubic.apply, (x,), eps=1e-6, atol=1e-6, rtol=1e-4,
                                          raise_exception=False)
        return {"backward agrees with central differences of forward (gradcheck)": bool(agrees)}
    y = Cubic.apply(x)
    (gradient,) = torch.autograd.grad(y, x, upstream)
    return {"forward": y.detach(), "gradient": gradient.detach()}
"""


def _cubic(x, upstream, check, forward=None, backward=None):
    if check != "values":
        raise ValueError("a mistake is named on the value checks only")
    positive = x >= 0
    y = forward(x) if forward else torch.where(positive, x**3, torch.zeros_like(x))
    g = (
        backward(x, upstream)
        if backward
        else upstream * torch.where(positive, 3 * x**2, torch.zeros_like(x))
    )
    return {"forward": y, "gradient": g}


def _cubic_case(rng: Rng, ones: bool) -> dict:
    shape = _distinct_sizes(rng, rng.integer(1, 3), 2, 6)
    x = rng.normal(*shape, dtype=torch.float64) * 1.5
    x = torch.where(x.abs() < 0.1, x + 0.3 * torch.sign(x + 1e-3), x)
    upstream = torch.ones_like(x) if ones else rng.normal(*shape, dtype=torch.float64)
    return {"x": x, "upstream": upstream, "check": "values"}


_CUBIC_X = torch.tensor([-2.0, -0.5, 0.5, 1.0, 2.0], dtype=torch.float64)

q4 = QuestionCheck(
    call="cubic_probe(Cubic, x, upstream, check)",
    driver=CUBIC_DRIVER,
    cases=(
        Case(
            "the notebook's 5-vector, upstream ones",
            lambda rng: {
                "x": _CUBIC_X,
                "upstream": torch.ones(5, dtype=torch.float64),
                "check": "values",
            },
        ),
        Case(
            "the notebook's 5-vector, upstream [1, 2, -1, 0.5, -3]",
            lambda rng: {
                "x": _CUBIC_X,
                "upstream": torch.tensor([1.0, 2.0, -1.0, 0.5, -3.0], dtype=torch.float64),
                "check": "values",
            },
        ),
        Case("random x, upstream ones", lambda rng: _cubic_case(rng, True), hidden=True),
        Case(
            "random x, random upstream gradient", lambda rng: _cubic_case(rng, False), hidden=True
        ),
        Case(
            "random x, random upstream gradient", lambda rng: _cubic_case(rng, False), hidden=True
        ),
        Case(
            "random x: backward agrees with finite differences (float64)",
            lambda rng: {**_cubic_case(rng, True), "check": "finite differences"},
            hidden=True,
        ),
    ),
    mistakes=(
        Mistake(
            "backward ignores grad_output: the chain rule multiplies the local derivative "
            "3 x^2 by the upstream gradient",
            lambda x, upstream, check: _cubic(
                x, upstream, check, backward=lambda x, u: torch.where(x >= 0, 3 * x**2, 0 * x)
            ),
        ),
        Mistake(
            "backward takes the wrong branch at x < 0: the derivative is 0 there, not 3 x^2",
            lambda x, upstream, check: _cubic(
                x, upstream, check, backward=lambda x, u: u * 3 * x**2
            ),
        ),
        Mistake(
            "forward takes the wrong branch at x < 0: the output is 0 there, not x^3",
            lambda x, upstream, check: _cubic(x, upstream, check, forward=lambda x: x**3),
        ),
        Mistake(
            "backward returns the local derivative 3 x^2 without the x >= 0 branch and without "
            "grad_output",
            lambda x, upstream, check: _cubic(x, upstream, check, backward=lambda x, u: 3 * x**2),
        ),
        Mistake(
            "backward uses the derivative of x^2 (2 x) instead of 3 x^2",
            lambda x, upstream, check: _cubic(
                x, upstream, check, backward=lambda x, u: u * torch.where(x >= 0, 2 * x, 0 * x)
            ),
        ),
        Mistake(
            "backward returns the forward value x^3 instead of the derivative",
            lambda x, upstream, check: _cubic(
                x, upstream, check, backward=lambda x, u: u * torch.where(x >= 0, x**3, 0 * x)
            ),
        ),
    ),
)


CHECKS = {"q1": q1, "q2": q2, "q3": q3, "q4": q4}
