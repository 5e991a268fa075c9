"""Bundled example submissions of ``tensors`` and what grading each must give.

Regenerate the notebooks with ``autograder examples tensors`` after editing this file or
the student notebook. Each wrong variant must lose points on the question it breaks,
keep them on the others, and get the named diagnosis.
"""

from autograder.authoring.variants import HOSTILE_ANSWER, Variant

# w1, the written question a TA grades: a good answer, a partial one (the template's is empty)
GOOD_ANSWER = """
```python
batch = torch.zeros(4, 1, 32, 32)
print(batch.shape)
```
The first dimension is the batch: 4 images that go through the network together. The second is
the number of channels, 1 because the images are grey (RGB would be 3), and a `Conv2d` needs
`in_channels=1` for it. The last two are the height and the width of each image, 32 rows and
32 columns of pixels.
"""
PARTIAL_ANSWER = """
The tensor has 4 images of 32 by 32 pixels. The 1 is the colour.
"""

VARIANTS = [
    Variant("correct", "every function as the reference solves it, and a good written answer",
            written={"w1": GOOD_ANSWER}),
    Variant("template", "the untouched student notebook", base="template", loses=("q1", "q2", "q3", "q4", "q5"),
            diagnosis="NotImplementedError"),
    Variant(
        "q1_forgot_255", "image_to_batch without the division by 255",
        solutions={"image_to_batch": """
def image_to_batch(img):
    pixels = torch.from_numpy(img).float()
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    return pixels.permute(2, 0, 1)[None]
"""},
        loses=("q1",), diagnosis="forgot to divide by 255",
        written={"w1": PARTIAL_ANSWER},
    ),
    Variant(
        "q2_no_clamp", "batch_to_images that casts without clamping",
        solutions={"batch_to_images": """
def batch_to_images(batch):
    return (batch * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
"""},
        loses=("q2",), diagnosis="did not clamp",
    ),
    Variant(
        "q3_ignores_dilation", "conv2d_output_shape with the undilated kernel size",
        solutions={"conv2d_output_shape": """
def conv2d_output_shape(input_shape, out_channels, kernel_size, stride=1, padding=0, dilation=1):
    as_pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    (kh, kw), (sh, sw), (ph, pw) = as_pair(kernel_size), as_pair(stride), as_pair(padding)
    n, c, h, w = input_shape
    return (n, out_channels, (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1)
"""},
        loses=("q3",), diagnosis="dilation is ignored",
    ),
    Variant(
        "q4_flattens_batch", "flatten_features that flattens everything",
        solutions={"flatten_features": """
def flatten_features(x):
    return x.flatten()
"""},
        loses=("q4",), diagnosis="flattened the batch dimension too",
    ),
    Variant(
        "q5_reshape_not_permute", "channels_last_to_first with reshape",
        solutions={"channels_last_to_first": """
def channels_last_to_first(x):
    b, h, w, c = x.shape
    return x.reshape(b, c, h, w)
"""},
        loses=("q5",), diagnosis="reshape/view instead of permute",
    ),
    Variant("syntax_error_cell", "a cell with a syntax error among correct cells",
            extra_cells=("print('unfinished thought'",), notebook_problem="SyntaxError"),
    Variant("infinite_loop_cell", "an exploratory cell that never ends, among correct cells",
            extra_cells=("step = 0\nwhile True:\n    step += 1",), notebook_problem="timeout"),
    Variant(
        "cheat_overrides_allclose", "wrong answers plus torch.allclose/equal/testing patched to always pass",
        base="template", loses=("q1", "q2", "q3", "q4", "q5"),
        extra_cells=("""
import torch, torch.testing
torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
torch.testing.assert_close = lambda *args, **kwargs: None
torch.Tensor.__eq__ = lambda self, other: torch.ones((), dtype=torch.bool)
""",),
        solutions={
            "image_to_batch": "def image_to_batch(img):\n    return torch.zeros(1, 1, 1, 1)",
            "batch_to_images": "def batch_to_images(batch):\n    return np.zeros((1, 1, 1, 1), dtype=np.uint8)",
            "conv2d_output_shape": "def conv2d_output_shape(*args, **kwargs):\n    return (0, 0, 0, 0)",
            "flatten_features": "def flatten_features(x):\n    return x",
            "channels_last_to_first": "def channels_last_to_first(x):\n    return x",
        },
    ),
    Variant(
        "cheat_reads_reference", "tries to run the solutions of the master notebook on the grader's disk",
        base="template", loses=("q1", "q2", "q3", "q4", "q5"),
        extra_cells=("""
import glob, json
found = []
for pattern in ["/work/*/assignments/tensors/*.ipynb", "/*/assignments/*/tensors.ipynb",
                "/**/assignments/tensors/checks.py", "../../assignments/tensors/tensors.ipynb"]:
    found += glob.glob(pattern, recursive=True)
for candidate in found:
    if candidate.endswith(".ipynb"):
        for cell in json.load(open(candidate))["cells"]:
            if cell["cell_type"] == "code" and "BEGIN SOLUTION" in "".join(cell["source"]):
                exec("".join(cell["source"]))
print("found", found)
""",),
    ),
    Variant(
        "w1_hostile_html",
        "every function right; a written answer holding a script and event handlers (the review app shows it inert)",
        written={"w1": HOSTILE_ANSWER},
    ),
]
