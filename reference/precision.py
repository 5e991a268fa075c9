"""Reference solutions for assignment ``precision`` (hidden: never released, never sandboxed).

Each function is self-contained given ``import numpy as np`` and ``import torch``, so the
bundled "correct" example submission is built from this very source.
"""

import torch


def pad_and_correlate(x, weight, mode):
    p = weight.shape[-1] // 2
    if mode == "zeros":
        padded = torch.nn.functional.pad(x, (p, p, p, p), mode="constant", value=0.0)
    else:
        padded = torch.nn.functional.pad(x, (p, p, p, p), mode=mode)
    return torch.nn.functional.conv2d(padded, weight)


def stable_softmax(x, dim=-1):
    if x.dtype not in (torch.float32, torch.float64):
        x = x.to(torch.float32)
    shifted = x - x.amax(dim=dim, keepdim=True)
    exponentials = shifted.exp()
    return exponentials / exponentials.sum(dim=dim, keepdim=True)


def sequential_sum(x):
    total = x[0]
    for value in x[1:]:
        total = total + value
    return total


def accurate_sum(x):
    return x.to(torch.float64).sum().to(x.dtype)
