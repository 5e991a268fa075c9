"""Reference solutions for assignment ``autograd`` (hidden: never released, never sandboxed).

Each function (and the class ``Cubic``) is self-contained given ``import torch``, so the
bundled "correct" example submission is built from this very source.
"""

import torch


def abs_loss_grad(w, x, y):
    return torch.sign(w * x - y) * x


def linear_mse_grads(W, b, X, Y):
    n, m = Y.shape
    residual = X @ W.T + b - Y
    upstream = 2 * residual / (n * m)
    return upstream.T @ X, upstream.sum(dim=0)


def numerical_gradient(f, x, eps=1e-6):
    base = x.detach().clone()
    grad = torch.zeros_like(base)
    for i in range(base.numel()):
        step = torch.zeros_like(base)
        step.view(-1)[i] = eps
        grad.view(-1)[i] = (f(base + step) - f(base - step)) / (2 * eps)
    return grad


class Cubic(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x >= 0, x ** 3, torch.zeros_like(x))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.where(x >= 0, 3 * x ** 2, torch.zeros_like(x))
