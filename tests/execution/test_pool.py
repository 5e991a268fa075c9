"""Warm kernels: started ahead in their own sandbox, warmed up invisibly, one submission each."""

import dataclasses
import os
import signal
import tempfile
import time

import nbformat
import pytest

from autograder.errors import KernelStartError
from autograder.execution import kernel as kernel_module
from autograder.execution.pool import KernelPool
from autograder.execution.runner import NotebookRunner
from tests.conftest import FAST_LIMITS, needs_bwrap
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
        with pool.kernel():
            pass
        assert pool.started_ahead == 0
        pool.expect(None)  # a Dask worker: it does not know how many tasks will come
        assert pool.started_ahead == 2
        pool.expect(1)  # its task of the batch's last round: nothing more is started
        with pool.kernel():
            pass
        assert pool.started_ahead == 1


def test_a_failed_warm_up_is_a_start_error_and_leaves_nothing(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(kernel_module, "WARM_UP", "raise ValueError('broken warm-up')")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # run dirs are made here, so leftovers would show
    with KernelPool(FAST_LIMITS) as pool, pytest.raises(KernelStartError, match="ValueError: broken warm-up"):
        pool.kernel().__enter__()
    assert os.listdir(tmp_path) == []


def test_a_kernel_is_stopped_after_its_notebook_and_removed_with_its_block() -> None:
    """One owner: the runner stops the kernel (so its outputs can be read), leaving the block removes it all."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    with KernelPool(FAST_LIMITS) as pool:
        with pool.kernel() as kernel:
            execution = pool.run(NotebookRunner(kernel).run(notebook, list))
            assert execution.cells[0].status == "ok"
            assert not pool.run(kernel.is_alive()) and kernel.run.root.is_dir()
            assert kernel.sandbox.cgroup is None or not any(d.exists() for d in kernel.sandbox.cgroup.directories)
        assert not kernel.run.root.exists()


def test_negative_warm_count_is_refused() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        KernelPool(FAST_LIMITS, warm=-1)
