"""Bundled example submissions of ``inverse`` and what grading each must give.

Regenerate the notebooks with ``autograder examples inverse`` after editing this file or
the student notebook. Each wrong variant must lose points on the question it breaks,
keep them on the others, and get the named diagnosis. q4 calls the student's blur (q1) and
blur_adjoint (q2), so a variant that breaks one of them loses q4 too, diagnosed as inherited.
"""

from autograder.authoring.variants import HOSTILE_ANSWER, Variant

# w1, the written question a TA grades: a good answer, a partial one (the template's is empty)
GOOD_ANSWER = """
In Fourier space the blur multiplies each frequency by K^(w), which is almost zero at high
frequencies. Dividing by it (lam = 0) blows up the noise there (not stable), frequencies where it
is zero cannot be recovered (not unique) and noisy data has parts no image can explain (no exact
solution). Tikhonov divides by |K^|^2 + lam instead, so the amplification is bounded, but it also
damps real detail: more lam, more blur (bias), less noise. With lam = 1e-6 my result was full of
noise, with lam = 1e-2 it looked best, and with lam = 1 it was very blurry.
"""
PARTIAL_ANSWER = """
Without lam the division by zero gives infinity, so we need lam.
"""

VARIANTS = [
    Variant("correct", "every function as the reference solves it, and a good written answer",
            written={"w1": GOOD_ANSWER}),
    Variant("template", "the untouched student notebook", base="template", loses=("q1", "q2", "q3", "q4", "q5"),
            diagnosis="NotImplementedError"),
    Variant(
        "q1_shift_by_one", "blur with the centre off by one (c = k // 2 + 1)",
        solutions={"blur": """
def blur(u, kernel):
    k = kernel.shape[0]
    c = k // 2 + 1
    out = torch.zeros_like(u)
    for a in range(k):
        for b in range(k):
            out += kernel[a, b] * torch.roll(u, shifts=(a - c, b - c), dims=(0, 1))
    return out
"""},
        loses=("q1", "q4"), diagnosis="shifted by one pixel",
        diagnoses={"q4": "inherits the error in your `blur` (q1)"},
        written={"w1": PARTIAL_ANSWER},
    ),
    Variant(
        "q1_zero_boundary", "blur with zero padding instead of wrapping around",
        solutions={"blur": """
def blur(u, kernel):
    p = kernel.shape[0] // 2
    padded = F.pad(u[None, None], (p, p, p, p))
    return F.conv2d(padded, kernel.flip(0, 1)[None, None])[0, 0]
"""},
        loses=("q1", "q4"), diagnosis="the boundary is not periodic",
        diagnoses={"q4": "inherits the error in your `blur` (q1)"},
    ),
    Variant(
        "q2_forward_as_adjoint", "blur_adjoint that applies the forward blur again",
        solutions={"blur_adjoint": """
def blur_adjoint(f, kernel):
    k, c = kernel.shape[0], kernel.shape[0] // 2
    out = torch.zeros_like(f)
    for a in range(k):
        for b in range(k):
            out += kernel[a, b] * torch.roll(f, shifts=(a - c, b - c), dims=(0, 1))
    return out
"""},
        loses=("q2", "q4"), diagnosis="forward operator K (blur) as its own adjoint",
        diagnoses={"q4": "inherits the error in your `blur_adjoint` (q2)"},
    ),
    Variant(
        "q3_unregularised", "tikhonov_deblur that forgets lam",
        solutions={"tikhonov_deblur": """
def tikhonov_deblur(f, kernel, lam):
    H, W = f.shape
    k, c = kernel.shape[0], kernel.shape[0] // 2
    psf = torch.zeros_like(f)
    for a in range(k):
        for b in range(k):
            psf[(a - c) % H, (b - c) % W] += kernel[a, b]
    Kh = torch.fft.fft2(psf)
    return torch.fft.ifft2(Kh.conj() * torch.fft.fft2(f) / (Kh.abs() ** 2)).real
"""},
        loses=("q3",), diagnosis="unregularised inverse",
    ),
    Variant(
        "q3_lam_squared", "tikhonov_deblur with lam ** 2 in the denominator",
        solutions={"tikhonov_deblur": """
def tikhonov_deblur(f, kernel, lam):
    H, W = f.shape
    k, c = kernel.shape[0], kernel.shape[0] // 2
    psf = torch.zeros_like(f)
    for a in range(k):
        for b in range(k):
            psf[(a - c) % H, (b - c) % W] += kernel[a, b]
    Kh = torch.fft.fft2(psf)
    return torch.fft.ifft2(Kh.conj() * torch.fft.fft2(f) / (Kh.abs() ** 2 + lam ** 2)).real
"""},
        loses=("q3",), diagnosis="lam ** 2",
    ),
    Variant(
        "q4_missing_factor_2", "gradient_descent_deblur with the gradient of half the objective",
        solutions={"gradient_descent_deblur": """
def gradient_descent_deblur(f, kernel, lam, step, iters):
    def objective(u):
        return (((blur(u, kernel) - f) ** 2).sum() + lam * (u ** 2).sum()).item()

    u = torch.zeros_like(f)
    history = [objective(u)]
    for _ in range(iters):
        u = u - step * (blur_adjoint(blur(u, kernel) - f, kernel) + lam * u)
        history.append(objective(u))
    return u, history
"""},
        loses=("q4",), diagnosis="factor 2 is missing",
    ),
    Variant(
        "q4_history_without_t0", "gradient_descent_deblur that records the objective only after each update",
        solutions={"gradient_descent_deblur": """
def gradient_descent_deblur(f, kernel, lam, step, iters):
    u = torch.zeros_like(f)
    history = []
    for _ in range(iters):
        u = u - step * (2 * blur_adjoint(blur(u, kernel) - f, kernel) + 2 * lam * u)
        history.append((((blur(u, kernel) - f) ** 2).sum() + lam * (u ** 2).sum()).item())
    return u, history
"""},
        loses=("q4",), diagnosis="t = 0",
    ),
    Variant(
        "q5_too_few_iterations", "tv_denoise that stops after 10 Adam steps whatever iters says",
        solutions={"tv_denoise": """
def tv_denoise(f, lam, iters):
    u = f.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([u], lr=0.01)
    for _ in range(10):
        optimizer.zero_grad()
        dx = F.pad(u[:, 1:] - u[:, :-1], (0, 1))
        dy = F.pad(u[1:, :] - u[:-1, :], (0, 0, 0, 1))
        loss = 0.5 * ((u - f) ** 2).sum() + lam * torch.sqrt(dx ** 2 + dy ** 2 + 1e-6).sum()
        loss.backward()
        optimizer.step()
    return u.detach()
"""},
        loses=("q5",), diagnosis="does not minimise the objective",
    ),
    Variant(
        "w1_hostile_html",
        "every function right; a written answer holding a script and event handlers (the review app shows it inert)",
        written={"w1": HOSTILE_ANSWER},
    ),
]
