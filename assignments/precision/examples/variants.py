"""Bundled example submissions of ``precision`` and what grading each must give.

Regenerate the notebooks with ``autograder examples precision`` after editing this file or
the student notebook. Each wrong variant must lose points on the question it breaks,
keep them on the others, and get the named diagnosis.
"""

from autograder.authoring.variants import HOSTILE_ANSWER, Variant

# w1, the written question a TA grades: a good answer, a partial one (the template's is empty)
GOOD_ANSWER = """
Storing the weights in float16 can stop training: an update of 1e-4 on a weight of 1.0 is
smaller than half the float16 spacing there, so it rounds away.

```python
w = torch.tensor(1.0, dtype=torch.float16)
print(w + 1e-4, torch.tensor(1.0) + 1e-4)
```
The float16 weight stays 1.0 while the float32 one moves, so the model trained in float16 never
learns from small gradients and ends up with different parameters.
"""
PARTIAL_ANSWER = """
Padding with zeros makes the border of the image darker than reflect padding.
"""

VARIANTS = [
    Variant("correct", "every function as the reference solves it, and a good written answer",
            written={"w1": GOOD_ANSWER}),
    Variant("template", "the untouched student notebook", base="template", loses=("q1", "q2", "q3", "q4"),
            diagnosis="NotImplementedError"),
    Variant(
        "q1_ignores_mode", "pad_and_correlate that always zero-pads through conv2d's padding=",
        solutions={"pad_and_correlate": """
def pad_and_correlate(x, weight, mode):
    return F.conv2d(x, weight, padding=weight.shape[-1] // 2)
"""},
        loses=("q1",), diagnosis="what 'zeros' padding gives",
        written={"w1": PARTIAL_ANSWER},
    ),
    Variant(
        "q1_convolution", "pad_and_correlate that flips the kernel (a true convolution)",
        solutions={"pad_and_correlate": """
def pad_and_correlate(x, weight, mode):
    p = weight.shape[-1] // 2
    if mode == "zeros":
        padded = F.pad(x, (p, p, p, p))
    else:
        padded = F.pad(x, (p, p, p, p), mode=mode)
    return F.conv2d(padded, torch.flip(weight, dims=(2, 3)))
"""},
        loses=("q1",), diagnosis="convolution (kernel flipped",
    ),
    Variant(
        "q1_valid", "pad_and_correlate that forgets to pad",
        solutions={"pad_and_correlate": """
def pad_and_correlate(x, weight, mode):
    return F.conv2d(x, weight)
"""},
        loses=("q1",), diagnosis="'valid' size",
    ),
    Variant(
        "q2_naive_exp", "stable_softmax without subtracting the maximum",
        solutions={"stable_softmax": """
def stable_softmax(x, dim=-1):
    if x.dtype not in (torch.float32, torch.float64):
        x = x.float()
    e = torch.exp(x)
    return e / e.sum(dim=dim, keepdim=True)
"""},
        loses=("q2",), diagnosis="overflowed to inf",
    ),
    Variant(
        "q2_uint8_wraps", "stable_softmax that subtracts the maximum before converting to float",
        solutions={"stable_softmax": """
def stable_softmax(x, dim=-1):
    shifted = x - x.max(dim=dim, keepdim=True).values
    if shifted.dtype not in (torch.float32, torch.float64):
        shifted = shifted.float()
    e = shifted.exp()
    return e / e.sum(dim=dim, keepdim=True)
"""},
        loses=("q2",), diagnosis="uint8 arithmetic wraps around",
    ),
    Variant(
        "q3_wide_accumulator", "sequential_sum that keeps its running total as a Python float",
        solutions={"sequential_sum": """
def sequential_sum(x):
    total = 0.0
    for v in x.tolist():
        total += v
    return torch.tensor(total, dtype=x.dtype)
"""},
        loses=("q3",), diagnosis="wider dtype than x's",
    ),
    Variant(
        "q4_float32_accumulator", "accurate_sum that accumulates in float32",
        solutions={"accurate_sum": """
def accurate_sum(x):
    return x.float().sum().to(x.dtype)
"""},
        loses=("q4",), diagnosis="narrower than float64",
    ),
    Variant(
        "w1_hostile_html",
        "every function right; a written answer holding a script and event handlers (the review app shows it inert)",
        written={"w1": HOSTILE_ANSWER},
    ),
]
