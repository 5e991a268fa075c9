"""Where the time of one submission goes: ``autograder grade`` run in this process, with clocks.

``python -m bench.breakdown ASSIGNMENT NOTEBOOK --copies 3 --json OUT`` grades
``--copies`` copies of one notebook (as different students) sequentially through the
real CLI (``grade --workers 1``, sandbox on), after wrapping the functions that mark
each phase with a clock. Time is charged exclusively to the innermost running phase,
so the phases of a submission add up to its wall time. The first copy pays what a
process pays once (lazy imports on the grader's side); the later copies show the
steady state of a warm worker.

The wrappers only time; they change no argument and no result. This module is for the
benchmark and must never be imported by the package.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

STARTED = time.time()

CALIBRATION = """\
import json, time
t = time.perf_counter(); import torch; a = time.perf_counter() - t
t = time.perf_counter(); torch.use_deterministic_algorithms(True, warn_only=True); b = time.perf_counter() - t
t = time.perf_counter(); import ipykernel.ipkernel; c = time.perf_counter() - t
print(json.dumps({"import torch": a, "torch.use_deterministic_algorithms, first call": b,
                  "import ipykernel.ipkernel (after torch)": c}))
"""


class Clock:
    """Charges wall time to the innermost open phase of the current submission."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.last = time.monotonic()
        self.submission = 0  # 0: before the first submission (start-up, loading); AFTER: export
        self.marks: list[float] = []  # when each submission started, and when the export did
        self.totals: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.order: list[str] = []

    def _charge(self) -> None:
        now = time.monotonic()
        if self.stack:
            self.totals[self.submission][self.stack[-1]] += now - self.last
        self.last = now

    def enter(self, label: str) -> None:
        self._charge()
        self.stack.append(label)
        if label not in self.order:
            self.order.append(label)

    def exit(self) -> None:
        self._charge()
        self.stack.pop()


CLOCK = Clock()
UNHOOKED: list[str] = []  # functions not found (renamed in the grader?): their time falls to the enclosing phase


def timed(owner: Any, name: str, label: str | Callable[..., str]) -> None:
    """Wraps ``owner.name`` (function, method, static or async) so its time goes to ``label``."""
    if not hasattr(owner, name):
        UNHOOKED.append(f"{getattr(owner, '__name__', owner)}.{name}")
        return
    raw = inspect.getattr_static(owner, name)
    static, bound_to_class = isinstance(raw, staticmethod), isinstance(raw, classmethod)
    original = raw.__func__ if bound_to_class else getattr(owner, name)

    def name_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        return label(*args, **kwargs) if callable(label) else label

    if inspect.iscoroutinefunction(original):

        @functools.wraps(original)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            CLOCK.enter(name_of(args, kwargs))
            try:
                return await original(*args, **kwargs)
            finally:
                CLOCK.exit()

    else:

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            CLOCK.enter(name_of(args, kwargs))
            try:
                return original(*args, **kwargs)
            finally:
                CLOCK.exit()

    setattr(owner, name, staticmethod(wrapper) if static else classmethod(wrapper) if bound_to_class else wrapper)


class _CellLabels:
    """Names a kernel cell's phase: the first student code cell, other cells, harness cells."""

    def __init__(self) -> None:
        self.seen: dict[int, set[str]] = defaultdict(set)

    def __call__(self, session: Any, cell: Any, index: int, label: str) -> str:
        seen = self.seen[CLOCK.submission]
        if label.startswith("cell "):
            kind = "student cells: the first code cell" if "student" not in seen else "student cells: the others"
            seen.add("student")
        elif label == "setup":
            kind = "harness: setup cell (loads wire, numerics, calls, probe runner)"
        else:
            kind = "harness: first question cell" if "question" not in seen else "harness: the other question cells"
            seen.add("question")
        return kind


AFTER = 1_000_000  # CLOCK.submission while the session exports, after the last submission


def _next_submission(*args: Any, **kwargs: Any) -> str:
    CLOCK.submission += 1
    CLOCK.marks.append(time.monotonic())
    return "pipeline: read notebook, run dir, result (rest)"


def _export(*args: Any, **kwargs: Any) -> str:
    CLOCK.submission = AFTER
    CLOCK.marks.append(time.monotonic())
    return "session: export gradebook.csv, canvas.csv, summary.html"


def instrument() -> None:
    """Puts the clocks on the grading path; imports autograder (and so torch)."""
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    from autograder.course import assignment as assignments
    from autograder.execution import harness, kernel, runner, sandbox
    from autograder.grading import pipeline, session

    timed(assignments, "load", "load the assignment (checks, reference)")
    timed(pipeline, "grade", _next_submission)
    timed(pipeline, "plan", "grader: draw inputs, reference answers")
    timed(pipeline, "apply_numeric_settings", "grader: torch numeric settings")
    timed(runner.NotebookRunner, "run", "runner: kernel log, watchdog, nbclient (rest)")
    timed(sandbox.Sandbox, "__init__", "sandbox: host probe, seccomp filter, cgroup")
    timed(kernel.SandboxedKernel, "start", "kernel: run dir, kernel spec (rest)")
    timed(AsyncKernelManager, "start_kernel", "kernel: spawn (connection file, Popen)")
    timed(AsyncKernelClient, "wait_for_ready", "kernel: boot until ready (launcher, bwrap, ipykernel)")
    timed(kernel, "_warm_up", "kernel: warm-up, import numpy and torch (rest)")
    timed(NotebookClient, "async_start_new_kernel_client", "runner: connect nbclient (rest)")
    timed(runner._Session, "student_cells", "student cells: loop (rest)")
    timed(runner._Session, "_execute", _CellLabels())
    timed(harness.Harness, "_write", "harness: write inputs and plan")
    timed(runner._Session, "harness_cells", "harness: loop (rest)")
    timed(NotebookClient, "_async_cleanup_kernel", "kernel shutdown: nbclient (rest)")
    timed(AsyncKernelManager, "_async_interrupt_kernel", "kernel shutdown: interrupt first (jupyter_client)")
    timed(AsyncKernelManager, "_async_request_shutdown", "kernel shutdown: send shutdown_request")
    timed(AsyncKernelManager, "_async_finish_shutdown", "kernel shutdown: wait for the kernel to exit")
    timed(AsyncKernelManager, "_async_cleanup_resources", "kernel shutdown: clean up files and sockets")
    timed(kernel.SandboxedKernel, "stop", "kernel shutdown: backstop")
    timed(sandbox.Sandbox, "close", "sandbox: cgroup removal")
    timed(pipeline, "_judge_question", "grader: judge (and feedback figures)")
    timed(session.Session, "_record", "session: gradebook row, results.json, feedback.html")
    timed(session.Session, "export", _export)


def calibration() -> dict[str, float]:
    """The same imports in a fresh unsandboxed interpreter, for comparison with the kernel's."""
    done = subprocess.run([sys.executable, "-c", CALIBRATION], capture_output=True, text=True, timeout=600)
    return json.loads(done.stdout) if done.returncode == 0 else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.breakdown")
    parser.add_argument("assignment")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--spawned-at", type=float, help="time.time() when the parent started this process")
    args = parser.parse_args(argv)
    startup = {"interpreter start (until this module runs)": STARTED - args.spawned_at} if args.spawned_at else {}
    began = time.monotonic()
    import autograder.cli

    startup["import autograder (torch, nbclient, dask, ...)"] = time.monotonic() - began
    instrument()
    work = Path(tempfile.mkdtemp(prefix="bench-breakdown-"))
    try:
        copies = []
        for index in range(1, args.copies + 1):
            copy = work / f"student{index}.ipynb"
            shutil.copyfile(args.notebook, copy)
            copies.append(str(copy))
        begin = time.monotonic()
        argv_grade = ["grade", args.assignment, *copies, "--workers", "1", "--output", str(work / "out"), "--force"]
        argv_grade += ["--warm-kernels", "0"]  # phases one after another, so they add up to the wall time
        code = autograder.cli.main(argv_grade)
        end = time.monotonic()
        CLOCK._charge()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    marks = CLOCK.marks
    per_submission = [
        label for label in CLOCK.order if any(CLOCK.totals[n].get(label) for n in range(1, args.copies + 1))
    ]
    once = {label: CLOCK.totals[0].get(label, 0.0) + CLOCK.totals[AFTER].get(label, 0.0) for label in CLOCK.order}
    report = {
        "assignment": args.assignment,
        "notebook": str(args.notebook),
        "copies": args.copies,
        "exit_code": code,
        "load_1m": os.getloadavg()[0],
        "once_s": {**startup, **{label: seconds for label, seconds in once.items() if seconds}},
        "cli_wall_s": end - begin,
        # from each submission's start to the next one's (its recording included), the last until the export
        "submission_wall_s": [b - a for a, b in itertools.pairwise(marks)],
        "phases": [
            {"phase": label, "seconds": [CLOCK.totals[n].get(label, 0.0) for n in range(1, args.copies + 1)]}
            for label in per_submission
        ],
        "calibration_s": calibration(),
        "unhooked": UNHOOKED,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    return code


if __name__ == "__main__":
    sys.exit(main())
