"""Checks for assignment ``inverse`` (hidden: never released).

Images are float64 (H, W) tensors made in code: a Shepp-Logan-style phantom, random
piecewise-constant images and smooth random images, all drawn from the student's seed
for hidden cases (public cases use the notebook's own example images). Kernels are not
symmetric, so a flipped kernel or a forward operator used as its adjoint shows.
"""

import math

import torch
import torch.nn.functional as F

from autograder.checks.compare import Rule
from autograder.checks.spec import Built, Case, Dependency, Mistake, Observation, Picture, QuestionCheck, Rng, public

DOUBLE = torch.float64


# test images ------------------------------------------------------------------------------


def _grid(height: int, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    ys = torch.linspace(-1.0, 1.0, height, dtype=DOUBLE)
    xs = torch.linspace(-1.0, 1.0, width, dtype=DOUBLE)
    return torch.meshgrid(ys, xs, indexing="ij")


# (centre x, centre y, semi-axis x, semi-axis y, intensity): the notebook's phantom
PHANTOM_ELLIPSES = (
    (0.0, 0.0, 0.9, 1.05, 1.0),
    (0.0, -0.02, 0.75, 0.8, -0.6),
    (0.3, 0.0, 0.15, 0.35, 0.3),
    (-0.3, 0.05, 0.22, 0.3, 0.2),
    (0.0, 0.45, 0.12, 0.12, 0.3),
    (0.0, -0.5, 0.08, 0.06, 0.3),
)


def phantom(height: int, width: int, ellipses=PHANTOM_ELLIPSES) -> torch.Tensor:
    y, x = _grid(height, width)
    image = torch.zeros(height, width, dtype=DOUBLE)
    for cx, cy, ax, ay, value in ellipses:
        image = image + value * ((((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2) <= 1).to(DOUBLE)
    return image.clamp(0.0, 1.0)


def _random_phantom(rng: Rng, height: int, width: int) -> torch.Tensor:
    def jitter(value: float, spread: float) -> float:
        return value + spread * (2 * rng.uniform(1, dtype=DOUBLE).item() - 1)

    ellipses = tuple(
        (jitter(cx, 0.05), jitter(cy, 0.05), jitter(ax, 0.03), jitter(ay, 0.03), value)
        for cx, cy, ax, ay, value in PHANTOM_ELLIPSES
    )
    return phantom(height, width, ellipses)


def _piecewise_constant(rng: Rng, height: int, width: int) -> torch.Tensor:
    image = torch.full((height, width), 0.2, dtype=DOUBLE)
    for _ in range(rng.integer(3, 6)):
        top, left = rng.integer(0, height - 4), rng.integer(0, width - 4)
        bottom, right = rng.integer(top + 3, height), rng.integer(left + 3, width)
        image[top:bottom, left:right] = rng.uniform(1, dtype=DOUBLE).item()
    return image


def _smooth(rng: Rng, height: int, width: int) -> torch.Tensor:
    y, x = _grid(height, width)
    image = torch.full((height, width), 0.5, dtype=DOUBLE)
    for _ in range(4):
        fy, fx, phase = (rng.uniform(3, dtype=DOUBLE) * torch.tensor([3.0, 3.0, 6.28], dtype=DOUBLE)).tolist()
        image = image + 0.12 * torch.cos(math.pi * (fy * y + fx * x) + phase)
    return image


def _random_image(rng: Rng, height: int, width: int) -> torch.Tensor:
    kind = rng.choice(["phantom", "piecewise", "smooth"])
    if kind == "phantom":
        return _random_phantom(rng, height, width)
    return _piecewise_constant(rng, height, width) if kind == "piecewise" else _smooth(rng, height, width)


def _size(rng: Rng) -> tuple[int, int]:
    height = rng.integer(16, 32)
    width = rng.integer(20, 40)
    while width == height:
        width = rng.integer(20, 40)
    return height, width


EXAMPLE_KERNEL = torch.tensor(
    [[0.0, 0.1, 0.0], [0.05, 0.4, 0.25], [0.0, 0.0, 0.2]], dtype=DOUBLE
)  # sums to 1, not symmetric


def _random_kernel(rng: Rng) -> torch.Tensor:
    k = rng.choice([3, 5])
    kernel = rng.uniform(k, k, dtype=DOUBLE) ** 2
    kernel[k // 2, k // 2] += 0.5
    return kernel / kernel.sum()


def _noise(height: int, width: int, sigma: float, seed: int) -> torch.Tensor:
    return sigma * torch.randn(height, width, generator=torch.Generator().manual_seed(seed), dtype=DOUBLE)


def _example_blurred(noise: float = 0.01) -> torch.Tensor:
    """The notebook's f: the 24x32 phantom blurred by the example kernel, plus noise (seed 0)."""
    return _blur(phantom(24, 32), EXAMPLE_KERNEL) + _noise(24, 32, noise, 0)


# operators (the grader's own, for mistakes and properties) --------------------------------


def _blur(u, kernel, shift=0, sign=1):
    """sign=1: K u with c = k // 2 + shift; sign=-1: K^T u."""
    k = kernel.shape[0]
    c = k // 2 + shift
    out = torch.zeros_like(u)
    for a in range(k):
        for b in range(kernel.shape[1]):
            out = out + kernel[a, b] * torch.roll(u, shifts=(sign * (a - c), sign * (b - c)), dims=(0, 1))
    return out


def _blur_padded(u, kernel, mode, adjoint=False):
    """The blur with a non-periodic boundary (``mode`` padding instead of wrapping around)."""
    p = kernel.shape[0] // 2
    weight = kernel if adjoint else kernel.flip(0, 1)
    padded = F.pad(u[None, None], (p, p, p, p), mode=mode)
    return F.conv2d(padded, weight[None, None])[0, 0]


def _transfer(kernel, height, width):
    k, c = kernel.shape[0], kernel.shape[0] // 2
    psf = torch.zeros(height, width, dtype=kernel.dtype)
    for a in range(k):
        for b in range(k):
            psf[(a - c) % height, (b - c) % width] += kernel[a, b]
    return torch.fft.fft2(psf)


# q1 blur ----------------------------------------------------------------------------------


def _blur_case(rng: Rng) -> dict:
    return {"u": _random_image(rng, *_size(rng)), "kernel": _random_kernel(rng)}


NON_PERIODIC = (
    "the boundary is not periodic: indices wrap around (mod H, mod W), so use torch.roll or circular padding, not"
)

q1 = QuestionCheck(
    call="blur(u, kernel)",
    cases=(
        Case("24x32 phantom, the notebook's 3x3 kernel", lambda rng: {"u": phantom(24, 32), "kernel": EXAMPLE_KERNEL}),
        Case("random image, random kernel", _blur_case, hidden=True),
        Case("random image, random kernel", _blur_case, hidden=True),
        Case("random image, random kernel", _blur_case, hidden=True),
    ),
    mistakes=(
        Mistake(
            "your output is shifted by one pixel: an off-by-one in c (the centre is c = k // 2)",
            lambda u, kernel: _blur(u, kernel, shift=1),
        ),
        Mistake(
            "your output is shifted by one pixel: an off-by-one in c (the centre is c = k // 2)",
            lambda u, kernel: _blur(u, kernel, shift=-1),
        ),
        Mistake(
            "the kernel is not centred: you used c = 0 instead of c = k // 2",
            lambda u, kernel: _blur(u, kernel, shift=-(kernel.shape[0] // 2)),
        ),
        Mistake(
            "you flipped the kernel: that is a correlation, u[i + a - c], which is K^T; the blur reads u[i - a + c]",
            lambda u, kernel: _blur(u, kernel, sign=-1),
        ),
        Mistake(f"{NON_PERIODIC} zero padding", lambda u, kernel: _blur_padded(u, kernel, "constant")),
        Mistake(f"{NON_PERIODIC} replicate padding", lambda u, kernel: _blur_padded(u, kernel, "replicate")),
        Mistake(f"{NON_PERIODIC} reflect padding", lambda u, kernel: _blur_padded(u, kernel, "reflect")),
        Mistake(
            "the kernel's axes are swapped: a indexes rows (i), b columns (j)", lambda u, kernel: _blur(u, kernel.T)
        ),
    ),
)


# q2 blur_adjoint --------------------------------------------------------------------------

ADJOINTNESS = "relative error |<K u, f> - <u, K^T f>| / |<K u, f>|"

# The adjointness case returns one number computed on both sides with the function under
# test: the grader supplies K u (from its own blur), so the student's blur is not involved.
ADJOINT_DRIVER = f"""
def adjointness_test(u, f, kernel, Ku):
    lhs = float((Ku * f).sum())
    rhs = float((u * blur_adjoint(f, kernel)).sum())
    return {{{ADJOINTNESS!r}: abs(lhs - rhs) / abs(lhs)}}
"""


def _adjoint_inputs(rng: Rng | None, adjointness: bool) -> dict:
    if rng is None:
        u, kernel = phantom(24, 32), EXAMPLE_KERNEL
        f = _example_blurred()
    else:
        height, width = _size(rng)
        kernel = _random_kernel(rng)
        f = _random_image(rng, height, width)
        u = rng.normal(height, width, dtype=DOUBLE)
        if adjointness:
            f = rng.normal(height, width, dtype=DOUBLE)
    if not adjointness:
        return {"f": f, "kernel": kernel, "u": None, "Ku": None}
    return {"f": f, "kernel": kernel, "u": u, "Ku": _blur(u, kernel)}


def _adjoint_mistake(explanation: str, wrong_adjoint) -> Mistake:
    def output(f, kernel, u, Ku):
        value = wrong_adjoint(f, kernel)
        if u is None:
            return value
        lhs, rhs = float((Ku * f).sum()), float((u * value).sum())
        return {ADJOINTNESS: abs(lhs - rhs) / abs(lhs)}

    return Mistake(explanation, output)


q2 = QuestionCheck(
    call="blur_adjoint(f, kernel) if u is None else adjointness_test(u, f, kernel, Ku)",
    driver=ADJOINT_DRIVER,
    cases=(
        Case("the notebook's blurred phantom f", lambda rng: _adjoint_inputs(None, False)),
        Case(
            "adjointness test <K u, f> = <u, K^T f> on the notebook's images", lambda rng: _adjoint_inputs(None, True)
        ),
        Case("random image, random kernel", lambda rng: _adjoint_inputs(rng, False), hidden=True),
        Case("random image, random kernel", lambda rng: _adjoint_inputs(rng, False), hidden=True),
        Case(
            "adjointness test <K u, f> = <u, K^T f> on random u, f", lambda rng: _adjoint_inputs(rng, True), hidden=True
        ),
    ),
    mistakes=(
        _adjoint_mistake(
            "you used the forward operator K (blur) as its own adjoint: K^T reads f[i + a - c], "
            "K reads u[i - a + c], and they differ unless the kernel is point-symmetric",
            lambda f, kernel: _blur(f, kernel),
        ),
        _adjoint_mistake(
            "your output is shifted by one pixel: an off-by-one in c (the centre is c = k // 2)",
            lambda f, kernel: _blur(f, kernel, shift=1, sign=-1),
        ),
        _adjoint_mistake(
            "your output is shifted by one pixel: an off-by-one in c (the centre is c = k // 2)",
            lambda f, kernel: _blur(f, kernel, shift=-1, sign=-1),
        ),
        _adjoint_mistake(
            f"{NON_PERIODIC} zero padding", lambda f, kernel: _blur_padded(f, kernel, "constant", adjoint=True)
        ),
        _adjoint_mistake(
            f"{NON_PERIODIC} replicate padding", lambda f, kernel: _blur_padded(f, kernel, "replicate", adjoint=True)
        ),
        _adjoint_mistake(
            "the kernel's axes are swapped: a indexes rows (i), b columns (j)",
            lambda f, kernel: _blur(f, kernel.T, sign=-1),
        ),
    ),
)


# q3 tikhonov_deblur -----------------------------------------------------------------------


def _tikhonov(f, kernel, lam, conj=True, centred=True):
    height, width = f.shape
    if centred:
        transfer = _transfer(kernel, height, width)
    else:
        psf = torch.zeros_like(f)
        psf[: kernel.shape[0], : kernel.shape[1]] = kernel
        transfer = torch.fft.fft2(psf)
    numerator = (transfer.conj() if conj else transfer) * torch.fft.fft2(f)
    return torch.fft.ifft2(numerator / (transfer.abs() ** 2 + lam)).real


def _deblur_inputs(rng: Rng) -> dict:
    height, width = _size(rng)
    kernel = _random_kernel(rng)
    clean = _random_image(rng, height, width)
    f = _blur(clean, kernel) + 0.01 * rng.normal(height, width, dtype=DOUBLE)
    return {"f": f, "kernel": kernel, "lam": rng.choice([0.002, 0.005, 0.02, 0.05, 0.1])}


def _reconstruction(observation: Observation, yours, reference, curves=None) -> Picture:
    """The student's reconstruction beside the reference's, the clean image and the data.

    Pictures are drawn for public cases only, whose clean image is the phantom (q3, q4) or
    given as an input (q5).
    """
    f = observation.inputs["f"]
    clean = observation.inputs.get("clean", phantom(*f.shape))
    mine = yours.data.to(DOUBLE)  # received: what the student returned, as data
    images = {"clean image": clean, "data f": f, "reference": reference, "yours": mine}
    if mine.shape == reference.shape:
        images["|yours - reference|"] = (mine - reference).abs()
    return Picture(images=images, curves=curves or {}, curve_label="objective")


# Public: the self-check draws them too (from the same public data), so the student sees
# in the notebook the picture the feedback page shows.
@public
def _deblurred_picture(observation: Observation) -> Picture:
    return _reconstruction(observation, observation.actual, observation.expected)


@public
def _descent_picture(observation: Observation) -> Picture:
    (mine, history), (reference, reference_history) = observation.actual, observation.expected
    return _reconstruction(observation, mine, reference, curves={"yours": history, "reference": reference_history})


q3 = QuestionCheck(
    call="tikhonov_deblur(f, kernel, lam)",
    picture=_deblurred_picture,
    cases=(
        Case(
            "the notebook's blurred phantom, lam = 0.01",
            lambda rng: {"f": _example_blurred(), "kernel": EXAMPLE_KERNEL, "lam": 0.01},
        ),
        Case("random image and kernel", _deblur_inputs, hidden=True),
        Case("random image and kernel", _deblur_inputs, hidden=True),
        Case("random image and kernel", _deblur_inputs, hidden=True),
    ),
    mistakes=(
        Mistake(
            "this is the unregularised inverse (lam = 0): lam must be added to |K^|^2 in the denominator",
            lambda f, kernel, lam: _tikhonov(f, kernel, 0.0),
        ),
        Mistake(
            "lam was applied as lam ** 2: the objective has lam ||u||^2, so the denominator is |K^|^2 + lam",
            lambda f, kernel, lam: _tikhonov(f, kernel, lam**2),
        ),
        Mistake(
            "lam was applied as lam / 2: the factors 2 of both gradients cancel, the denominator is |K^|^2 + lam",
            lambda f, kernel, lam: _tikhonov(f, kernel, lam / 2),
        ),
        Mistake(
            "lam was applied as 2 lam: the factors 2 of both gradients cancel, the denominator is |K^|^2 + lam",
            lambda f, kernel, lam: _tikhonov(f, kernel, 2 * lam),
        ),
        Mistake(
            "the adjoint K^T is the complex conjugate conj(K^) in Fourier space: you multiplied by K^",
            lambda f, kernel, lam: _tikhonov(f, kernel, lam, conj=False),
        ),
        Mistake(
            "the kernel was not centred before the FFT: place kernel[c, c] at (0, 0) (wrap the rest "
            "around), otherwise the result is shifted by c",
            lambda f, kernel, lam: _tikhonov(f, kernel, lam, centred=False),
        ),
    ),
)


# q4 gradient_descent_deblur ---------------------------------------------------------------


def _descent(f, kernel, lam, step, iters, data=2.0, reg=2.0, adjoint=True, record="all", reg_in_history=True):
    def objective(u):
        value = ((_blur(u, kernel) - f) ** 2).sum()
        return float(value + lam * (u**2).sum()) if reg_in_history else float(value)

    u = torch.zeros_like(f)
    history = [objective(u)]
    for _ in range(iters):
        residual = _blur(u, kernel) - f
        back = _blur(residual, kernel, sign=-1) if adjoint else _blur(residual, kernel)
        u = u - step * (data * back + reg * lam * u)
        history.append(objective(u))
    if record == "no t0":
        history = history[1:]
    elif record == "before":
        history = history[:-1]
    return u, history


def _stability_limit(kernel, shape, lam) -> float:
    """Steps below 1 / (max |K^|^2 + lam) decrease the objective at every iteration."""
    return 1.0 / (float(_transfer(kernel, *shape).abs().max() ** 2) + lam)


def _descent_inputs(rng: Rng, stable: bool) -> dict:
    inputs = _deblur_inputs(rng)
    limit = _stability_limit(inputs["kernel"], inputs["f"].shape, inputs["lam"])
    factor = rng.uniform(1, low=0.3, high=0.9, dtype=DOUBLE).item() if stable else 1.3
    return {**inputs, "step": factor * limit, "iters": rng.integer(10, 25) if stable else 15}


def _monotone_or_divergent(observation: Observation) -> str | None:
    inputs = observation.inputs
    history = observation.actual[1]
    limit = _stability_limit(inputs["kernel"], inputs["f"].shape, inputs["lam"])
    if inputs["step"] < limit:
        for t in range(len(history) - 1):
            if history[t + 1] > history[t] * (1 + 1e-12):
                return (
                    f"with step {inputs['step']:.4g} below the stability limit {limit:.4g} the objective must "
                    f"not increase, but yours rises at t = {t + 1}"
                )
        return None
    if not history[-1] > history[0]:
        return (
            f"with step {inputs['step']:.4g} above the stability limit {limit:.4g} the iteration diverges and "
            "the history must show it: do not stop early or shrink the step"
        )
    return None


def _periodic_stand_in(function: str):
    """A stand-in for the reference's ``function`` (blur or its adjoint) on one case's kernel and image size.

    Both are periodic and shift-invariant, so the operator is its impulse response
    (computed here, by the reference) applied with an FFT: data and generic code, never the
    reference's source. The student's q4 calls it with the case's own kernel.
    """

    def stand_in(inputs: dict, reference: dict) -> Built:
        impulse = torch.zeros_like(inputs["f"])
        impulse[0, 0] = 1.0
        response = reference[function](impulse, inputs["kernel"])
        return Built(
            "lambda u, kernel: torch.fft.ifft2(torch.fft.fft2(u) * torch.fft.fft2(response)).real.to(u.dtype)",
            response=response,
        )

    return stand_in


q4 = QuestionCheck(
    call="gradient_descent_deblur(f, kernel, lam, step, iters)",
    output_names=("u", "history"),
    # the notebook asks for q4 to call the student's blur (q1) and blur_adjoint (q2): an error
    # there is diagnosed as inherited, and such a check earns half its credit
    depends_on=(Dependency("q1", _periodic_stand_in("blur")), Dependency("q2", _periodic_stand_in("blur_adjoint"))),
    inherited_credit=0.5,
    properties=(_monotone_or_divergent,),
    picture=_descent_picture,
    cases=(
        Case(
            "the notebook's blurred phantom, lam = 0.01, step = 0.45, 20 iterations",
            lambda rng: {"f": _example_blurred(), "kernel": EXAMPLE_KERNEL, "lam": 0.01, "step": 0.45, "iters": 20},
        ),
        Case(
            "the notebook's blurred phantom, step = 1.2 (above the stability limit: it diverges)",
            lambda rng: {"f": _example_blurred(), "kernel": EXAMPLE_KERNEL, "lam": 0.01, "step": 1.2, "iters": 15},
        ),
        Case("random image and kernel, stable step", lambda rng: _descent_inputs(rng, True), hidden=True),
        Case("random image and kernel, stable step", lambda rng: _descent_inputs(rng, True), hidden=True),
        Case(
            "random image and kernel, step above the stability limit (diverges)",
            lambda rng: _descent_inputs(rng, False),
            hidden=True,
        ),
    ),
    mistakes=(
        Mistake(
            "the gradient's factor 2 is missing: grad = 2 K^T (K u - f) + 2 lam u",
            lambda **a: _descent(**a, data=1.0, reg=1.0),
        ),
        Mistake(
            "the regulariser's gradient is 2 lam u, not lam u (wrong gradient factor)",
            lambda **a: _descent(**a, reg=1.0),
        ),
        Mistake(
            "the data term's gradient is 2 K^T (K u - f), not K^T (K u - f) (wrong gradient factor)",
            lambda **a: _descent(**a, data=1.0),
        ),
        Mistake(
            "you used K instead of its adjoint K^T in the gradient: grad = 2 K^T (K u - f) + 2 lam u",
            lambda **a: _descent(**a, adjoint=False),
        ),
        Mistake(
            "the objective at t = 0 (u_0 = 0, objective ||f||^2) is not recorded: history has iters + 1 "
            "values, t = 0..iters",
            lambda **a: _descent(**a, record="no t0"),
        ),
        Mistake(
            "history is off by one: it stops at t = iters - 1; record the objective after the last update "
            "too (iters + 1 values)",
            lambda **a: _descent(**a, record="before"),
        ),
        Mistake(
            "the history leaves out lam ||u_t||^2: the objective is ||K u - f||^2 + lam ||u||^2",
            lambda **a: _descent(**a, reg_in_history=False),
        ),
    ),
)


# q5 tv_denoise ----------------------------------------------------------------------------


def tv_objective(u: torch.Tensor, f: torch.Tensor, lam: float) -> float:
    dx = F.pad(u[:, 1:] - u[:, :-1], (0, 1))
    dy = F.pad(u[1:, :] - u[:-1, :], (0, 0, 0, 1))
    return float(0.5 * ((u - f) ** 2).sum() + lam * torch.sqrt(dx**2 + dy**2 + 1e-6).sum())


def psnr(u: torch.Tensor, clean: torch.Tensor) -> float:
    return 10 * math.log10(1.0 / max(float(((u - clean) ** 2).mean()), 1e-300))  # images in [0, 1]


# The objective may exceed the reference's by this fraction of the decrease the reference
# achieves from the noisy input (Adam with a sensible constant step stays well within it in
# 200 steps; 10 steps or returning f do not). Relative to the decrease, not to the objective
# itself, so that the margin does not shrink with the noise level.
OBJECTIVE_MARGIN = 0.05
PSNR_MARGIN = 0.5  # dB


@public  # the self-check runs it too: a public example that passes there passes here
def _tv_outcome(observation: Observation) -> str | None:
    f, lam, clean = observation.inputs["f"], observation.inputs["lam"], observation.inputs["clean"]
    u = observation.actual.data.to(DOUBLE)
    objective, reference = tv_objective(u, f, lam), tv_objective(observation.expected, f, lam)
    start = tv_objective(f, f, lam)
    quality, reference_quality = psnr(u, clean), psnr(observation.expected, clean)
    allowed = reference + OBJECTIVE_MARGIN * (start - reference)
    numbers = (
        f"objective {objective:.6g} (reference {reference:.6g}, at most {allowed:.6g} allowed, noisy "
        f"input {start:.6g}); PSNR against the clean image {quality:.2f} dB (reference "
        f"{reference_quality:.2f} dB, noisy input {psnr(f, clean):.2f} dB)"
    )
    if not objective <= allowed:
        return (
            f"your u does not minimise the objective well enough: {numbers}. Use all iters steps, a larger "
            "step size or another optimizer"
        )
    if quality < reference_quality - PSNR_MARGIN:
        return f"your u is more than {PSNR_MARGIN:g} dB PSNR below the reference's: {numbers}"
    return None


def _tv_inputs(rng: Rng | None) -> dict:
    if rng is None:
        clean = phantom(24, 32)
        return {"f": clean + _noise(24, 32, 0.1, 1), "lam": 0.08, "iters": 200, "clean": clean}
    height, width = _size(rng)
    clean = _random_image(rng, height, width)
    sigma = rng.choice([0.05, 0.08, 0.1])
    return {
        "f": clean + sigma * rng.normal(height, width, dtype=DOUBLE),
        "lam": sigma * 0.8,
        "iters": 200,
        "clean": clean,
    }


q5 = QuestionCheck(
    call="tv_denoise(f, lam, iters)",
    # Graded on outcome: any finite float64 (H, W) tensor passes the value comparison (a NaN fails
    # it), and the property compares objective and PSNR with the reference's. Matching values
    # would wrongly demand the reference's optimizer and step sizes.
    rule=Rule(rtol=0.0, atol=math.inf, scale_atol=False),
    properties=(_tv_outcome,),
    picture=_deblurred_picture,
    cases=(
        Case("the notebook's noisy phantom, lam = 0.08", lambda rng: _tv_inputs(None)),
        Case("random noisy image", _tv_inputs, hidden=True),
        Case("random noisy image", _tv_inputs, hidden=True),
    ),
)


CHECKS = {"q1": q1, "q2": q2, "q3": q3, "q4": q4, "q5": q5}
