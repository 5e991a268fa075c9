"""The course package as a wheel students install: ``pip install autograder-<version>-py3-none-any.whl``.

Only the ``autograder`` package goes in (the engine, the self-check, the CLI), never an
assignment, a reference or a secret: those live outside the package. The wheel is written
by pip with the project's own build backend (setuptools) from ``pyproject.toml``, with
fixed timestamps, so that two releases of one commit are byte-identical.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import autograder
from autograder.errors import UsageError

DISTRIBUTION = "autograder"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
SOURCE_DATE_EPOCH = 315532800  # 1980-01-01, the earliest time a zip can hold


def wheel_name() -> str:
    return f"{DISTRIBUTION}-{autograder.__version__}-py3-none-any.whl"


def package_root() -> Path:
    return Path(autograder.__file__).resolve().parent


def package_files() -> list[tuple[str, bytes]]:
    """(archive name, content) of every file of the package (not bytecode), sorted."""
    root = package_root()
    files = sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo")
    )
    return [(f"autograder/{path.relative_to(root).as_posix()}", path.read_bytes()) for path in files]


def build_wheel(path: Path) -> Path:
    """Build the wheel into the directory ``path`` with pip and setuptools; returns the file.

    Built from a clean copy of the project (so no stale ``build/`` of an earlier run leaks
    in), with ``SOURCE_DATE_EPOCH`` fixing every timestamp, so one commit gives one wheel.
    """
    project = package_root().parent
    if not (project / "pyproject.toml").is_file():
        raise UsageError(f"releasing needs the project's checkout (no pyproject.toml in {project})")
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "source"
        source.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(project / name, source / name)
        shutil.copytree(package_root(), source / "autograder", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet"]
        environment = {**os.environ, "SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH), "PIP_NO_INDEX": "1"}
        subprocess.run([*command, "--wheel-dir", scratch, str(source)], check=True, env=environment)
        target = path / wheel_name()
        path.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(scratch) / wheel_name(), target)
    return target


def write_zip(target: Path, files: list[tuple[str, bytes]]) -> None:
    """A zip whose bytes depend only on the files given: fixed times, modes and order."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in files:
            entry = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            entry.create_system = 3  # unix, whatever the host
            archive.writestr(entry, data, compresslevel=9)
