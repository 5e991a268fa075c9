"""Limits: each hit gives a clear per-submission result, and the grader is unharmed.

Processes, file size, scratch space, open files, CPU time and output size are tried in
one notebook (gated to questions); memory, time, an interrupt-proof loop and a flood of
the host directories each stop the kernel, so each gets its own small notebook.
"""

from __future__ import annotations

import threading
import time

import pytest

from autograder.execution import runner
from tests.conftest import needs_bwrap
from tests.security.conftest import gate, grade_notebook, hostile, limits, needs_cgroup, scores

pytestmark = needs_bwrap

MiB = 1024**2
TIGHT = limits(file_bytes=8 * MiB, tmpfs_bytes=32 * MiB, open_files=256, max_processes=64, cpu_seconds=600)


def rss() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))


@pytest.fixture(scope="module")
def resources(tmp_path_factory):
    """One notebook against the process, file, scratch, descriptor, CPU and output limits."""
    notebook = hostile(
        """
        import os, resource, subprocess
        _children = []
        for _ in range(500):
            try:
                _children.append(subprocess.Popen(["sleep", "60"]))
            except OSError:
                break
        PROCESSES = len(_children) >= 500
        for child in _children:
            child.kill()
            child.wait()
        """,
        """
        def _writes(path, megabytes, files=1):
            try:
                for index in range(files):
                    with open(f"{path}.{index}", "wb") as handle:
                        for _ in range(megabytes):
                            handle.write(b"x" * 1024**2)
                return True
            except OSError:
                return False
        BIG_FILE = _writes(os.path.expanduser("~/big"), 16)
        SCRATCH_FULL = _writes(os.path.expanduser("~/many"), 4, files=16)
        TMP_FULL = _writes("/tmp/many", 4, files=16)
        """,
        """
        _descriptors = []
        try:
            for _ in range(1000):
                _descriptors.append(os.open("/dev/null", os.O_RDONLY))
        except OSError:
            pass
        DESCRIPTORS = len(_descriptors) >= 1000
        for descriptor in _descriptors:
            os.close(descriptor)
        CPU = resource.getrlimit(resource.RLIMIT_CPU)[1] in (resource.RLIM_INFINITY, -1)
        CORE = resource.getrlimit(resource.RLIMIT_CORE)[1] != 0
        """,
        gate("q1", "PROCESSES"),
        gate("q2", "BIG_FILE"),
        gate("q3", "SCRATCH_FULL or TMP_FULL"),
        gate("q4", "DESCRIPTORS"),
        gate("q5", "CPU or CORE"),
        "for _ in range(200_000):\n    print('y' * 999)  # 200 MB of output\n",
    )
    directory = tmp_path_factory.mktemp("limits")
    grade_notebook(directory, hostile(), TIGHT, student="warm-up")  # one-time costs out of the measurement
    before, peak, done = rss(), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = grade_notebook(directory, notebook, TIGHT)
    finally:
        done.set()
        sampler.join()
    return result, peak[0] - before


@pytest.mark.parametrize(
    "question",
    [
        pytest.param("q1", id="spawn 500 processes -> cgroup pids.max", marks=needs_cgroup),
        pytest.param("q2", id="write a file over the size limit -> RLIMIT_FSIZE"),
        pytest.param("q3", id="fill the scratch dir and /tmp -> size-limited tmpfs"),
        pytest.param("q4", id="open 1000 files -> RLIMIT_NOFILE"),
        pytest.param("q5", id="run without CPU-time limit or with core dumps -> RLIMIT_CPU, RLIMIT_CORE"),
    ],
)
def test_limit_holds(resources, question: str) -> None:
    result, _ = resources
    assert scores(result)[question] == 0, f"{question}'s limit did not hold: {scores(result)}"


def test_200_mb_of_output_is_truncated_and_the_grader_stays_small(resources) -> None:
    """Output cap -> at most Limits.cell_output_bytes kept per cell; the rest only counted."""
    result, growth = resources
    truncated = [problem for problem in result.notebook_problems if "output truncated" in problem]
    assert truncated, result.notebook_problems
    assert growth < 150 * MiB, f"the grader grew by {growth // MiB} MiB"  # ~60 MiB measured, 240 uncapped
    assert len(repr(result)) < 100_000  # what reports are made of stays small


@needs_cgroup
def test_12_gib_allocation_is_stopped_at_the_memory_limit(tmp_path) -> None:
    """cgroup memory.max (1 GiB here) -> the kernel is OOM-killed, the result says why."""
    notebook = hostile("hog = bytearray(12 * 1024**3)\n")
    result = grade_notebook(tmp_path, notebook, limits(memory_bytes=1024 * MiB))
    assert any("memory limit exceeded" in problem for problem in result.notebook_problems), result.notebook_problems
    assert not result.fault and result.score == 0
    assert all("memory limit exceeded" in check.message for q in result.questions for check in q.checks)


def test_cell_and_notebook_time_limits_keep_the_honest_part(tmp_path) -> None:
    """A loop hits the cell limit and is interrupted; slow cells hit the notebook limit; the rest is graded."""
    notebook = hostile("while True:\n    pass\n", *["import time\ntime.sleep(2)\n"] * 8)
    result = grade_notebook(tmp_path, notebook, limits(cell_timeout=8, notebook_timeout=20))
    problems = "\n".join(result.notebook_problems)
    assert "timeout (ran longer than" in problems  # 8 s, or what was left of the notebook's 20 s
    assert "not run" in problems and "total time limit" in problems
    assert result.score == result.automatic_max, problems


def test_loop_that_ignores_the_interrupt_is_stopped(tmp_path, monkeypatch) -> None:
    """SIGINT ignored -> after the grace period the kernel is killed instead of blocking every later cell."""
    monkeypatch.setattr(runner, "INTERRUPT_GRACE", 3.0)
    notebook = hostile("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n")
    started = time.monotonic()
    result = grade_notebook(tmp_path, notebook, limits(cell_timeout=8))
    assert time.monotonic() - started < 90  # not six harness cells waiting 30 s each (180 s and more)
    assert any("did not stop when interrupted" in problem for problem in result.notebook_problems)
    assert not result.fault and result.score == 0


def test_flooding_the_host_directories_stops_the_kernel(tmp_path) -> None:
    """Disk watchdog -> writes beyond Limits.disk_bytes to the (host-backed) output dir stop the kernel."""
    notebook = hostile(
        """
        import os
        _mounts = [line.split()[4] for line in open("/proc/self/mountinfo")]
        _outputs = next(path for path in _mounts if path.endswith("/outputs"))
        for index in range(200):
            with open(os.path.join(_outputs, f"junk{index}"), "wb") as handle:
                handle.write(b"x" * 8 * 1024**2)
        """
    )
    result = grade_notebook(tmp_path, notebook, limits(disk_bytes=64 * MiB))
    assert any("disk limit exceeded" in problem for problem in result.notebook_problems), result.notebook_problems
    assert not result.fault
