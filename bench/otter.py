"""The otter-grader side of the benchmark: its venv, an equivalent assignment, its commands.

otter-grader lives in its own venv, ``$AUTOGRADER_CACHE/bench-otter-<hash>`` (default
``~/.cache/autograder``), made on first use. Installing torch a second time there would
mean several GB from the package index (torch's CUDA build and its libraries), so
instead that venv sees the project's dependency cache through a ``.pth`` file, the way
``tools/bootstrap.sh`` gives ``.venv`` its dependencies: otter's kernels import the very
torch (``torch==2.14.*``) the grader's kernels import. otter's own dependencies are
installed into its venv; what the cache already has in a compatible version is reused.

The equivalent assignment: one OK-format test file per question whose cases call the
student's function on each *public* example input and compare the answer with the
reference's (type, shape, dtype, values with float32 tolerances), as a course would
write it for otter. ``otter generate`` packs them into ``autograder.zip`` and
``otter run -a autograder.zip NOTEBOOK`` grades one notebook in the local Python, without
Docker. Hidden cases are left out: otter would have to ship their inputs in the zip.

``python -m bench.otter tests ASSIGNMENT DEST`` writes the test files (it runs in the
project's venv, where the assignment and the reference can be loaded).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import os
import pprint
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

OTTER_SPEC = "otter-grader>=7,<8"
PIP_TIMEOUT = 1200


class OtterUnavailable(RuntimeError):
    """otter-grader cannot be installed or run here; the benchmark goes on without it."""


def cache_root() -> Path:
    return Path(os.environ.get("AUTOGRADER_CACHE", Path.home() / ".cache" / "autograder"))


def dependency_site() -> Path:
    """The site-packages that holds the project's torch (the shared dependency cache)."""
    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        raise OtterUnavailable("torch is not importable from the project's venv (run make setup)")
    return Path(spec.origin).parents[1]


def venv_path() -> Path:
    """Where otter's venv lives: keyed by otter's spec, the dependency cache and this Python."""
    key = hashlib.sha256(f"{OTTER_SPEC}\n{dependency_site()}\n{sys.version}".encode()).hexdigest()[:16]
    return cache_root() / f"bench-otter-{key}"


def venv_ready() -> bool:
    return (venv_path() / ".complete").exists()


def ensure_venv(log: Path) -> Path:
    """otter-grader's venv, created and installed on first use; raises ``OtterUnavailable``."""
    site = dependency_site()
    venv = venv_path()
    if venv_ready():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    python = venv / "bin" / "python"
    try:
        _run([sys.executable, "-m", "venv", str(venv)], log, "create the venv", timeout=300)
        purelib = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        # An "import" line makes site process the cache's own .pth files too (as bootstrap.sh does).
        Path(purelib, "_autograder_deps.pth").write_text(f"import site; site.addsitedir({str(site)!r})\n")
        _run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", OTTER_SPEC],
            log,
            f"pip install {OTTER_SPEC}",
            timeout=PIP_TIMEOUT,
        )
    except OtterUnavailable:
        shutil.rmtree(venv, ignore_errors=True)
        raise
    (venv / ".complete").write_text(OTTER_SPEC + "\n")
    return venv


def versions(venv: Path) -> dict[str, str]:
    """otter's and torch's versions as that venv sees them (its kernels use the same interpreter)."""
    code = "import json, otter, torch; print(json.dumps({'otter': otter.__version__, 'torch': torch.__version__}))"
    done = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise OtterUnavailable(f"otter's venv cannot import otter and torch: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout)


def build_assignment(venv: Path, assignment_id: str, work: Path, log: Path, env: dict[str, str] | None = None) -> Path:
    """Writes the tests (from the project's venv, in ``env``) and ``autograder.zip`` (with otter); returns the zip."""
    work.mkdir(parents=True, exist_ok=True)
    env = env or {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    tests = work / "tests"
    _run(
        [sys.executable, "-m", "bench.otter", "tests", assignment_id, str(tests)],
        log,
        "write otter tests",
        timeout=600,
        cwd=work,
        env=env,
    )
    archive = work / "autograder.zip"
    _run(
        [
            str(venv / "bin" / "otter"),
            "generate",
            "--tests-dir",
            str(tests),
            "--output-path",
            str(archive),
            "--no-config",
            "--no-requirements",
            "--no-environment",
        ],
        log,
        "otter generate",
        timeout=300,
        cwd=work,
    )
    return archive


def run_command(venv: Path, archive: Path, notebook: Path, output: Path) -> list[str]:
    """``otter run`` of one notebook: local Python, no container."""
    return [str(venv / "bin" / "otter"), "run", "--no-logo", "-a", str(archive), "-o", str(output), str(notebook)]


def score(output: Path) -> float | None:
    """The total otter gave, from its results.json (Gradescope format)."""
    try:
        results = json.loads((output / "results.json").read_text())
    except (OSError, ValueError):
        return None
    if "score" in results:
        return float(results["score"])
    return sum(float(test.get("score", 0)) for test in results.get("tests", []))


def _run(
    command: list[str], log: Path, what: str, timeout: float, cwd: Path | None = None, env: dict[str, str] | None = None
) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as sink:
        sink.write(f"$ {' '.join(command)}\n".encode())
        sink.flush()
        try:
            done = subprocess.run(command, stdout=sink, stderr=subprocess.STDOUT, timeout=timeout, cwd=cwd, env=env)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise OtterUnavailable(f"{what} failed: {error}") from error
    if done.returncode != 0:
        lines = [line for line in log.read_text(errors="replace").splitlines() if not line.startswith("WARNING")]
        raise OtterUnavailable(f"{what} failed (exit {done.returncode}): {' | '.join(lines[-3:])[-400:]}")


# Test files (run in the project's venv) -------------------------------------------------------

SAME = """\
>>> import numpy as np, torch
>>> def _same(got, want):
...     if isinstance(want, torch.Tensor):
...         return (isinstance(got, torch.Tensor) and got.shape == want.shape and got.dtype == want.dtype
...                 and torch.allclose(got.detach().cpu(), want, rtol=1.3e-6, atol=1e-5))
...     if isinstance(want, np.ndarray):
...         return (isinstance(got, np.ndarray) and got.shape == want.shape and got.dtype == want.dtype
...                 and np.allclose(got, want, rtol=1.3e-6, atol=1e-5))
...     return type(got) is type(want) and got == want
"""


class Unrepresentable(ValueError):
    """A value with no plain Python literal (the case is left out of the otter tests)."""


def literal(value: Any) -> str:
    """Python source that rebuilds ``value`` with numpy as ``np`` and torch as ``torch``."""
    import numpy as np
    import torch

    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Unrepresentable(f"non-finite float {value}")
        return repr(value)
    if isinstance(value, tuple):
        items = [literal(item) for item in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(key)}: {literal(item)}" for key, item in value.items()) + "}"
    if isinstance(value, np.generic):
        if value.dtype.kind == "f" and not np.isfinite(value):
            raise Unrepresentable("non-finite numpy scalar")
        return f"np.{value.dtype.name}({value.item()!r})"
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            raise Unrepresentable("non-finite array")
        return f"np.array({value.tolist()!r}, dtype=np.{value.dtype.name})"
    if isinstance(value, torch.Tensor):
        tensor = value.detach().cpu()
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise Unrepresentable("non-finite tensor")
        return f"torch.tensor({tensor.tolist()!r}, dtype={tensor.dtype})"
    raise Unrepresentable(type(value).__name__)


def write_tests(assignment_id: str, destination: Path) -> list[str]:
    """One OK-format file per question; returns the cases left out and why."""
    from autograder.course import assignment as assignments
    from autograder.grading import pipeline

    assignment = assignments.load(assignments.course_root(None), assignment_id)
    planned = pipeline.plan(assignment, "otter-bench", b"", public_only=True)
    destination.mkdir(parents=True, exist_ok=True)
    skipped = []
    for question in assignment.questions:
        cases = []
        for probe in (p for p in planned if p.question is question and not p.probe.stand_ins):
            try:
                inputs = literal(probe.probe.inputs)
                expected = literal(probe.expected)
            except Unrepresentable as error:
                skipped.append(f"{probe.probe.id}: {error}")
                continue
            check = f">>> _same(eval({probe.probe.call!r}, globals(), {inputs}), {expected})\nTrue\n"
            cases.append({"code": SAME + check, "hidden": False, "locked": False})
        test = {
            "name": question.id,
            "points": question.points,
            "suites": [{"cases": cases, "scored": True, "setup": "", "teardown": "", "type": "doctest"}],
        }
        text = f"OK_FORMAT = True\n\ntest = {pprint.pformat(test, width=120, sort_dicts=False)}\n"
        (destination / f"{question.id}.py").write_text(text)
    return skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.otter")
    commands = parser.add_subparsers(dest="command", required=True)
    tests = commands.add_parser("tests", help="write OK-format tests from an assignment's public cases")
    tests.add_argument("assignment")
    tests.add_argument("destination", type=Path)
    args = parser.parse_args(argv)
    for line in write_tests(args.assignment, args.destination):
        print(f"left out: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
