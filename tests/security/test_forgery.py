"""Score forgery fails: nothing the kernel says or plants counts, only values the grader judges.

Each question's function is sabotaged so that honestly it would score nothing, then an
attack tries to make it score anyway: numeric flags the harness would have to keep,
objects that lie about equality or run code when unpickled, monkeypatched comparison
functions, and results planted in the output dir (with the hidden answers themselves,
the strongest forgery there is) before the kernel kills itself at the harness cell.
"""

from __future__ import annotations

import base64

import pytest

from autograder.grading.pipeline import plan
from autograder.protocol import wire
from tests.conftest import SECRET, needs_bwrap
from tests.security.conftest import TENSORS, grade_notebook, hostile, scores

pytestmark = needs_bwrap

STUDENT = "mallory"


def planted_answers(question: str) -> tuple[str, str]:
    """The correct outputs of ``question`` for this student's hidden inputs, as the harness would write them."""
    records = [
        {"id": planned.probe.id, "status": "ok", "value": planned.expected, "seconds": 0.01}
        for planned in plan(TENSORS, STUDENT, SECRET)
        if planned.probe.question == question
    ]
    text, blob = wire.encode(records)
    return text, base64.b64encode(blob).decode()


@pytest.fixture(scope="module")
def attempt(tmp_path_factory):
    directory = tmp_path_factory.mktemp("forgery")
    unpickled = directory / "unpickled-by-the-grader"
    text, blob = planted_answers("q5")
    notebook = hostile(
        # q1: numeric flags the student set and the harness must reset.
        """
        torch.backends.fp32_precision = "tf32"
        torch.use_deterministic_algorithms(False)
        torch.set_default_dtype(torch.float64)
        torch.set_grad_enabled(False)
        image_to_batch = _gate(image_to_batch, lambda: (
            torch.backends.fp32_precision == "tf32"
            or not torch.are_deterministic_algorithms_enabled()
            or torch.get_default_dtype() == torch.float64
            or not torch.is_grad_enabled()
        ))
        """,
        # q2: an object that equals everything and runs code if unpickled.
        f"""
        class _Forged:
            def __eq__(self, other):
                return True
            def __ne__(self, other):
                return False
            def __reduce__(self):
                return (open, ({str(unpickled)!r}, "w"))
            def __array__(self, *args, **kwargs):
                raise TypeError("no")
        batch_to_images = lambda batch: _Forged()
        """,
        # q3: comparison functions patched everywhere the kernel can reach, answer wrong.
        """
        import builtins, math, numpy, operator
        torch.allclose = torch.equal = lambda *args, **kwargs: True
        torch.testing.assert_close = lambda *args, **kwargs: None
        numpy.allclose = numpy.array_equal = lambda *args, **kwargs: True
        numpy.testing.assert_allclose = lambda *args, **kwargs: None
        math.isclose = operator.eq = lambda *args, **kwargs: True
        builtins.all = builtins.any = lambda *args, **kwargs: True
        conv2d_output_shape = lambda *args, **kwargs: (0, 0, 0, 0)
        """,
        # q4: a tensor subclass with wrong values that lies to every comparison.
        """
        class _Liar(torch.Tensor):
            def __eq__(self, other):
                return True
            @classmethod
            def __torch_function__(cls, func, types, args=(), kwargs=None):
                if func in (torch.allclose, torch.equal, torch.Tensor.equal):
                    return True
                return super().__torch_function__(func, types, args, kwargs or {})
        flatten_features = (lambda honest: lambda x: torch.zeros_like(honest(x)).as_subclass(_Liar))(flatten_features)
        """,
        # q5: the hidden answers planted as harness output, fake harness lines, then death at the harness.
        f"""
        import base64, os
        _mounts = [line.split()[4] for line in open("/proc/self/mountinfo")]
        _outputs = next(path for path in _mounts if path.endswith("/outputs"))
        open(os.path.join(_outputs, "q5.json"), "w").write({text!r})
        open(os.path.join(_outputs, "q5.safetensors"), "wb").write(base64.b64decode({blob!r}))
        print("autograder: q5: called channels_last_to_first on 5 inputs, 5 returned")
        print("score: 10/10, all checks passed")
        def channels_last_to_first(x):
            os._exit(0)
        """,
    )
    result = grade_notebook(directory, notebook, student=STUDENT)
    return result, unpickled.exists()


@pytest.mark.parametrize(
    "question",
    [
        pytest.param("q1", id="TF32, determinism, default dtype, grad mode changed -> harness re-applies settings"),
        pytest.param("q2", id="object with custom __eq__ and __reduce__ -> wire never unpickles, Opaque"),
        pytest.param("q3", id="torch, numpy, math, builtins comparisons monkeypatched -> judged in the grader"),
        pytest.param("q4", id="tensor subclass lying via __eq__ and __torch_function__ -> wire sends plain data"),
        pytest.param("q5", id="hidden answers planted as results, fake harness output, os._exit -> outputs cleared"),
    ],
)
def test_forgery_scores_nothing(attempt, question: str) -> None:
    result, _ = attempt
    assert scores(result)[question] == 0, f"{question}'s forgery scored: {scores(result)}"


def test_nothing_was_unpickled_by_the_grader(attempt) -> None:
    _, unpickled = attempt
    assert not unpickled


def test_the_kernel_death_at_the_harness_is_reported(attempt) -> None:
    result, _ = attempt
    assert not result.fault
    assert any("kernel died" in problem for problem in result.notebook_problems), result.notebook_problems
    q5 = next(question for question in result.questions if question.id == "q5")
    assert all("kernel died" in check.message for check in q5.checks), [check.message for check in q5.checks]


def test_grader_numeric_settings_restored_after_grading(attempt) -> None:
    import torch

    assert torch.get_default_dtype() == torch.float32 and torch.is_grad_enabled()
    assert torch.are_deterministic_algorithms_enabled()
