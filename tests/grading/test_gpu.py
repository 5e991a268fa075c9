"""On a GPU runner: correct notebooks pass their CUDA checks, and a CPU-only function is named.

Skipped (with the reason) where CUDA is absent; run for real on a machine with a GPU.
"""

import json
from pathlib import Path

import pytest
import torch

from autograder.checks.judge import HARD_CODED_CPU
from autograder.course import assignment as assignments
from autograder.grading import pipeline
from tests.conftest import COURSE, FAST_LIMITS, SECRET, needs_bwrap

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available on this machine"),
    needs_bwrap,
]


@pytest.mark.parametrize("assignment_id", ["tensors", "inverse"])
def test_correct_notebook_passes_on_cuda(assignment_id: str) -> None:
    assignment = assignments.load(COURSE, assignment_id)
    correct = assignment.examples / "correct.ipynb"
    result = pipeline.grade(assignment, correct, "gpu", secret=SECRET, limits=FAST_LIMITS, device="cuda")
    cuda_questions = [q.id for q in assignment.questions if "cuda" in q.devices]
    assert [q.id for q in result.questions] == cuda_questions
    checks = [check for question in result.questions for check in question.checks]
    assert checks and all(check.device == "cuda" for check in checks)
    assert all(check.passed for check in checks), [check.message for check in checks if not check.passed]


def test_function_that_returns_cpu_tensors_is_named(tmp_path: Path) -> None:
    assignment = assignments.load(COURSE, "tensors")
    notebook = json.loads((assignment.examples / "correct.ipynb").read_text())
    notebook["cells"].append(
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": "def flatten_features(x):\n    return x.cpu().reshape(x.shape[0], -1)",
        }
    )
    path = tmp_path / "cpu_only.ipynb"
    path.write_text(json.dumps(notebook))
    result = pipeline.grade(assignment, path, "gpu", secret=SECRET, limits=FAST_LIMITS, device="cuda")
    q4 = next(question for question in result.questions if question.id == "q4")
    assert q4.score == 0 and HARD_CODED_CPU in q4.summary
