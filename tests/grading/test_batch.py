"""A grading worker killed mid-run: its submission is retried once, every other result stands."""

import json
import signal
import threading
import time
from pathlib import Path

import psutil
import pytest

from autograder.grading import batch, intake
from autograder.grading.config import BatchConfig
from tests.conftest import COURSE, FAST_LIMITS, SECRET, needs_bwrap

CORRECT = COURSE / "assignments" / "tensors" / "examples" / "correct.ipynb"


def slow_copy(path: Path) -> None:
    """The correct notebook plus a cell that sleeps, so grading is still running when the worker is killed."""
    notebook = json.loads(CORRECT.read_text())
    notebook["cells"].append(
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": "import time\ntime.sleep(4)",
        }
    )
    path.write_text(json.dumps(notebook))


def kill_a_busy_worker(killed: list[int]) -> None:
    """SIGKILL the first Dask worker process seen running a sandboxed kernel (bwrap)."""
    me = psutil.Process()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for process in me.children(recursive=True):
            try:
                if process.name() == "bwrap":
                    worker = process.parent()
                    while worker is not None and worker.parent() is not None and worker.parent().pid != me.pid:
                        worker = worker.parent()
                    if worker is not None and worker.pid != me.pid:
                        worker.send_signal(signal.SIGKILL)
                        killed.append(worker.pid)
                        return
            except psutil.Error:
                continue
        time.sleep(0.2)


@needs_bwrap
@pytest.mark.sandbox
def test_killed_worker_is_retried_and_other_results_stand(tmp_path: Path) -> None:
    for name in ("ann", "bob", "cid"):
        slow_copy(tmp_path / f"{name}.ipynb")
    submissions = intake.collect([tmp_path])
    killed: list[int] = []
    killer = threading.Thread(target=kill_a_busy_worker, args=(killed,), daemon=True)
    killer.start()
    results = {}
    batch.grade_all(
        BatchConfig(COURSE, "tensors", SECRET, FAST_LIMITS, workers=2),
        submissions,
        on_result=lambda submission, result: results.setdefault(submission.student, result),
    )
    killer.join(timeout=1)
    assert killed, "no worker was caught grading"
    assert not psutil.pid_exists(killed[0]) or psutil.Process(killed[0]).status() == psutil.STATUS_ZOMBIE
    assert sorted(results) == ["ann", "bob", "cid"]
    assert {student: (result.fault, result.score, result.first_problem) for student, result in results.items()} == {
        student: ("", 10.0, "") for student in ("ann", "bob", "cid")
    }
