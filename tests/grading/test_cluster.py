"""A real Dask cluster on loopback: CPU tasks go to CPU workers, GPU tasks only to the GPU worker.

The GPU worker is simulated (``--resources GPU=1`` on a machine without CUDA): its task
reports that it has no usable GPU, which must leave the students' CPU scores untouched
and list the GPU checks as not run.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from distributed import Client

from autograder.grading import batch, intake
from autograder.grading.config import BatchConfig
from tests.conftest import COURSE, FAST_LIMITS, SECRET, needs_bwrap

EXAMPLES = COURSE / "assignments" / "tensors" / "examples"


def start(module: str, *args: str) -> subprocess.Popen:
    command = [sys.executable, "-m", f"distributed.cli.{module}", *args]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture
def cluster(tmp_path: Path):
    """A scheduler and two workers, one offering CPU=1 and one offering a (simulated) GPU=1."""
    scheduler_file = tmp_path / "scheduler.json"
    processes = [
        start("dask_scheduler", "--host", "127.0.0.1", "--scheduler-file", str(scheduler_file), "--no-dashboard")
    ]
    deadline = time.monotonic() + 60
    while not scheduler_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    common = ["--scheduler-file", str(scheduler_file), "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"]
    processes.append(start("dask_worker", *common, "--name", "cpu-worker", "--resources", "CPU=1"))
    processes.append(start("dask_worker", *common, "--name", "gpu-worker", "--resources", "GPU=1"))

    with Client(scheduler_file=str(scheduler_file), timeout=60) as client:
        client.wait_for_workers(2, timeout=120)
        names = {info["name"]: address for address, info in client.scheduler_info()["workers"].items()}
    yield scheduler_file, names
    for process in reversed(processes):
        process.terminate()
        process.wait(timeout=30)


@needs_bwrap
@pytest.mark.sandbox
def test_cluster_routes_cpu_and_gpu_tasks_by_resource(cluster) -> None:
    scheduler_file, workers = cluster
    submissions = intake.collect([EXAMPLES / "correct.ipynb", EXAMPLES / "q5_reshape_not_permute.ipynb"])
    results = {}
    batch.grade_all(
        BatchConfig(COURSE, "tensors", SECRET, FAST_LIMITS, scheduler=str(scheduler_file)),
        submissions,
        on_result=lambda submission, result: results.setdefault(submission.student, result),
    )
    with Client(scheduler_file=str(scheduler_file), timeout=60) as client:
        assert client.run(_open_pools) == dict.fromkeys(workers.values(), 0)  # no kernel stays warm after the batch
    assert {student: result.score for student, result in results.items()} == {
        "correct": 10,
        "q5_reshape_not_permute": 8,
    }
    for result in results.values():
        assert result.runners["cpu"].endswith(workers["cpu-worker"]), json.dumps(result.runners)
        assert result.runners["cuda"].endswith(workers["gpu-worker"]), json.dumps(result.runners)
        gpu_checks = [check for question in result.questions for check in question.checks if check.device == "cuda"]
        assert gpu_checks and all(
            not check.counted and "no usable CUDA device" in check.not_run for check in gpu_checks
        )
        q1 = result.questions[0]  # image_to_batch is CPU only (syllabus)
        assert all(check.device == "cpu" for check in q1.checks)


def _open_pools() -> int:
    return len(batch._worker_pools)
