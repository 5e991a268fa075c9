"""Warm kernels: started ahead in their own sandbox, warmed up invisibly, one submission each."""

import dataclasses
import os
import signal
import tempfile
import time

import pytest

from autograder.errors import KernelStartError
from autograder.execution import pool as pool_module
from autograder.execution.pool import KernelPool
from autograder.grading import pipeline
from tests.conftest import COURSE, FAST_LIMITS, SECRET, needs_bwrap
from tests.execution.test_sandbox import run_notebook

pytestmark = [needs_bwrap, pytest.mark.sandbox]


def test_warm_up_imports_torch_without_binding_a_name_the_student_could_rely_on() -> None:
    execution, outputs = run_notebook(
        ["torch.zeros(1)"],  # the student forgot `import torch`
        {"q1": "__import__('sys').modules.get('torch') is not None", "q2": "'torch' in globals()"},
    )
    assert execution.cells[1].status == "error" and "NameError" in execution.cells[1].error
    assert outputs["q1"].value is True  # the warm-up did import it
    assert outputs["q2"].value is False


def test_a_gpu_runners_kernel_has_cuda_initialised_by_the_warm_up_where_there_is_cuda() -> None:
    limits = dataclasses.replace(FAST_LIMITS, gpu=True)
    _, outputs = run_notebook(
        ["import torch"], {"q1": "torch.cuda.is_initialized() == torch.cuda.is_available()"}, limits
    )
    assert outputs["q1"].value is True


def test_each_kernel_serves_one_submission_and_the_next_starts_ahead() -> None:
    with KernelPool(FAST_LIMITS, warm=1) as pool:
        assert pool.started_ahead == 1
        planted = [
            "import torch, pathlib",
            "torch.planted_by_the_last_student = True",
            "pathlib.Path('/tmp/planted').write_text('x')",
        ]
        first, _ = run_notebook(planted, {"q1": "1"}, pool=pool)
        assert first.failed_cells == [] and pool.started_ahead == 1
        ahead = pool._ready[0].result()  # the kernel the next submission gets
        _, outputs = run_notebook(
            ["import torch, pathlib"],
            {
                "q1": "hasattr(torch, 'planted_by_the_last_student')",
                "q2": "pathlib.Path('/tmp/planted').exists()",
                "q3": "pathlib.Path.home().resolve() == pathlib.Path(os.getcwd()).resolve()",
            },
            pool=pool,
        )
        assert {qid: output.value for qid, output in outputs.items()} == {"q1": False, "q2": False, "q3": True}
        assert not ahead.run.root.exists()  # it served the second submission and was removed after it
        last_ahead = pool._ready[0].result()
    assert not last_ahead.run.root.exists() and not last_ahead.manager.has_kernel  # closing discards it


def test_a_kernel_that_died_while_waiting_is_replaced() -> None:
    with KernelPool(FAST_LIMITS, warm=1) as pool:
        ahead = pool._ready[0].result()
        pool.run(ahead.manager.signal_kernel(signal.SIGKILL))
        deadline = time.monotonic() + 10
        while pool.run(ahead.manager.is_alive()) and time.monotonic() < deadline:
            time.sleep(0.1)
        execution, outputs = run_notebook(["import torch"], {"q1": "1"}, pool=pool)
    assert execution.failed_cells == [] and outputs["q1"].value == 1
    assert not ahead.run.root.exists()


def test_no_kernel_is_started_ahead_beyond_what_will_be_taken() -> None:
    with KernelPool(FAST_LIMITS, warm=2, expected=1) as pool:
        assert pool.started_ahead == 1
        pool.run(pool.take().discard())
        assert pool.started_ahead == 0
        pool.expect(None)  # a Dask worker: it does not know how many tasks will come
        assert pool.started_ahead == 2
        pool.expect(1)  # its task of the batch's last round: nothing more is started
        pool.run(pool.take().discard())
        assert pool.started_ahead == 1


def test_a_failed_warm_up_is_a_start_error_and_leaves_nothing(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(pool_module, "WARM_UP", "raise ValueError('broken warm-up')")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # run dirs are made here, so leftovers would show
    with KernelPool(FAST_LIMITS) as pool, pytest.raises(KernelStartError, match="ValueError: broken warm-up"):
        pool.take()
    assert os.listdir(tmp_path) == []


def test_grade_refuses_a_pool_for_other_limits() -> None:
    from autograder.course import assignment as assignments

    assignment = assignments.load(COURSE, "tensors")
    notebook = COURSE / "assignments" / "tensors" / "examples" / "correct.ipynb"
    with KernelPool(FAST_LIMITS) as pool, pytest.raises(ValueError, match="not this runner's"):
        pipeline.grade(assignment, notebook, "someone", secret=SECRET, limits=FAST_LIMITS, device="cuda", kernels=pool)


def test_negative_warm_count_is_refused() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        KernelPool(FAST_LIMITS, warm=-1)
