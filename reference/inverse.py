"""Reference solutions for assignment ``inverse`` (hidden: never released, never sandboxed).

Each function is self-contained given ``import numpy as np`` and ``import torch``, so the
bundled "correct" example submission is built from this very source.
"""

import torch


def blur(u, kernel):
    k, c = kernel.shape[0], kernel.shape[0] // 2
    out = torch.zeros_like(u)
    for a in range(k):
        for b in range(k):
            out = out + kernel[a, b] * torch.roll(u, shifts=(a - c, b - c), dims=(0, 1))
    return out


def blur_adjoint(f, kernel):
    k, c = kernel.shape[0], kernel.shape[0] // 2
    out = torch.zeros_like(f)
    for a in range(k):
        for b in range(k):
            out = out + kernel[a, b] * torch.roll(f, shifts=(c - a, c - b), dims=(0, 1))
    return out


def tikhonov_deblur(f, kernel, lam):
    height, width = f.shape
    k, c = kernel.shape[0], kernel.shape[0] // 2
    # the blur is a circular convolution with the kernel placed so that its centre sits at (0, 0)
    psf = torch.zeros_like(f)
    for a in range(k):
        for b in range(k):
            psf[(a - c) % height, (b - c) % width] += kernel[a, b]
    transfer = torch.fft.fft2(psf)
    spectrum = transfer.conj() * torch.fft.fft2(f) / (transfer.abs() ** 2 + lam)
    return torch.fft.ifft2(spectrum).real


def gradient_descent_deblur(f, kernel, lam, step, iters):
    k, c = kernel.shape[0], kernel.shape[0] // 2

    def K(u, sign):
        out = torch.zeros_like(u)
        for a in range(k):
            for b in range(k):
                out = out + kernel[a, b] * torch.roll(u, shifts=(sign * (a - c), sign * (b - c)), dims=(0, 1))
        return out

    def objective(u):
        return float(((K(u, 1) - f) ** 2).sum() + lam * (u**2).sum())

    u = torch.zeros_like(f)
    history = [objective(u)]
    for _ in range(iters):
        u = u - step * (2 * K(K(u, 1) - f, -1) + 2 * lam * u)
        history.append(objective(u))
    return u, history


def tv_denoise(f, lam, iters):
    u = f.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([u], lr=0.01)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=iters)
    for _ in range(iters):
        optimizer.zero_grad()
        dx = torch.nn.functional.pad(u[:, 1:] - u[:, :-1], (0, 1))
        dy = torch.nn.functional.pad(u[1:, :] - u[:-1, :], (0, 0, 0, 1))
        loss = 0.5 * ((u - f) ** 2).sum() + lam * torch.sqrt(dx**2 + dy**2 + 1e-6).sum()
        loss.backward()
        optimizer.step()
        schedule.step()
    return u.detach()
