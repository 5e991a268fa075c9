"""A student's install: the course wheel into a venv that already has a CPU torch of another release.

The wheel must keep that torch (its requirement is a range, not the grading host's pin),
bring only what the self-check uses (no nbclient, dask, SQLAlchemy, ...), and the
self-check must then judge a solved notebook under that torch as it does on the grading
host. It installs torch 2.13's CPU wheel from this machine's wheel folder (pip's
find-links), so it runs offline in about a minute; elsewhere it skips, saying why.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.authoring.test_selfcheck import STUDENT_SESSION

GRADING_ONLY = ("nbclient", "dask", "sqlalchemy", "rich", "matplotlib", "flask", "torchvision")


def local_cpu_torch() -> Path | None:
    """A CPU build of torch for this Python in a folder pip's find-links names, if there is one."""
    folders = os.environ.get("PIP_FIND_LINKS", "").split()
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    for folder in map(Path, folders):
        found = sorted(folder.glob(f"torch-*+cpu-{tag}-{tag}-*.whl")) if folder.is_dir() else []
        if found:
            return found[-1]
    return None


TORCH = local_cpu_torch()
pytestmark = pytest.mark.skipif(TORCH is None, reason="no CPU torch wheel in $PIP_FIND_LINKS to install offline")


def run(*command: str | Path, **options: object) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "AUTOGRADER_COURSE")}
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=900, env=environment, **options
    )


@pytest.fixture(scope="module")
def student_venv(released: dict, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """(the venv's python, the unzipped tensors folder, pip's output installing the wheel)."""
    root = tmp_path_factory.mktemp("student")
    with zipfile.ZipFile(released["tensors"].student_zip) as archive:
        archive.extractall(root)
    folder = root / "tensors"
    assert run(sys.executable, "-m", "venv", root / "venv").returncode == 0
    python = root / "venv" / "bin" / "python"
    done = run(python, "-m", "pip", "install", "-q", TORCH)
    assert done.returncode == 0, done.stderr
    wheel = next(folder.glob("autograder-*.whl"))
    installed = run(python, "-m", "pip", "install", wheel)
    assert installed.returncode == 0, installed.stderr
    return python, folder, installed.stdout


def test_the_wheel_keeps_the_students_torch_and_brings_no_grading_package(student_venv) -> None:
    python, folder, pip_output = student_venv
    probe = "import importlib.util, torch; print(torch.__version__, [m for m in %r if importlib.util.find_spec(m)])"
    done = run(python, "-c", probe % (GRADING_ONLY,), cwd=folder)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split(" ", 1) == [TORCH.name.split("-")[1], "[]\n"], (done.stdout, pip_output)
    assert "Uninstalling torch" not in pip_output


def test_the_self_check_judges_under_that_torch_as_on_the_grading_host(student_venv, released: dict) -> None:
    python, folder, _ = student_venv
    (folder / "my solution.ipynb").write_bytes((released["tensors"].solution / "tensors.ipynb").read_bytes())
    wrong = "def image_to_batch(img):\n    return torch.from_numpy(img).float()[None, None]\n"
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))")
    completed = run(python, "-c", STUDENT_SESSION, site.stdout.strip(), cwd=folder, input=wrong)
    assert completed.returncode == 0, completed.stderr
    solved, mistaken = completed.stdout.split("=== forgot 255")
    assert "All public examples pass. Not a grade yet" in solved and "FAIL" not in solved
    assert "you forgot to divide by 255" in mistaken


def test_the_command_line_names_the_grading_extra_instead_of_a_traceback(student_venv) -> None:
    python, folder, _ = student_venv
    done = run(python.parent / "autograder", "grade", "tensors", "x.ipynb", cwd=folder)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "python -m pip install 'autograder[grade]'" in done.stderr and "'rich' is not installed" in done.stderr
