"""The sandbox a student kernel runs in: bubblewrap namespaces plus cgroup limits.

Inside, the kernel sees a read-only system (``/usr``, the Python installation and its
site-packages, a few files of ``/etc``), a private ``/tmp``, a writable scratch dir that
is its ``HOME`` and working directory, the grader's input dir read-only and an output
dir. It does not see the repository (so neither ``reference/`` nor the hidden checks),
other submissions, the gradebook or the grader's environment. It has no network (its own
empty network namespace), its own PID namespace, uid 65534, and a new session.

Paths keep their host names inside the sandbox, so the kernel's IPC sockets and
connection file, which both sides use, need no translation. The Python installation is
bound in at its own path: a home directory that another uid cannot read (say
``/root/.pyenv``) is never traversed, because only the installation itself is mounted.

Where ``bwrap`` cannot run, the kernel still runs in a scratch dir with a scrubbed
environment and whatever cgroup limits are available, and ``mode`` says "degraded" with
the reason, which the CLI prints loudly.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.execution.cgroups import RunCgroup

ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "passwd",
    "group",
    "nsswitch.conf",
    "localtime",
    "hosts",
    "ssl",
    "alternatives",
    "fonts",
)
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SANDBOX_UID = 65534


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission's kernel."""

    memory_bytes: int = 4 * 1024**3
    max_processes: int = 128
    cpu_seconds: int = 1800
    cell_timeout: float = 60.0
    notebook_timeout: float = 900.0
    harness_timeout: float = 120.0
    tmpfs_bytes: int = 512 * 1024**2
    threads: int = 1
    sandbox: bool = True  # False only by explicit choice (--no-sandbox), e.g. a student's own check


@functools.cache
def bwrap_problem() -> str | None:
    """Why bubblewrap cannot be used here, or None when it works."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bwrap not installed (apt-get install bubblewrap)"
    probe = [
        bwrap,
        "--unshare-all",
        "--die-with-parent",
        "--uid",
        str(SANDBOX_UID),
        "--ro-bind",
        "/",
        "/",
        "--proc",
        "/proc",
        "true",
    ]
    result = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        return f"bwrap cannot create namespaces: {result.stderr.strip()[:200]}"
    return None


def interpreter_paths() -> list[str]:
    """Directories the kernel's Python needs: its installation and every site-packages.

    Site dirs are collected from ``sys.path`` (a ``.pth`` file may add a shared
    dependency cache), so the project checkout itself is never among them.
    """
    wanted = {sys.prefix, sys.base_prefix, sysconfig.get_path("stdlib"), sysconfig.get_path("purelib")}
    wanted.update(entry for entry in sys.path if Path(entry).name in ("site-packages", "dist-packages"))
    resolved = {os.path.realpath(path) for path in wanted} | wanted
    existing = sorted(path for path in resolved if path and Path(path).is_dir())
    # Bind only the outermost directories; nested ones come along.
    return [path for path in existing if not any(path.startswith(other + os.sep) for other in existing)]


class RunDirectory:
    """A run's private directories on the host, removed as a whole afterwards.

    ``inputs`` (read-only inside) receives the probe plan just before the harness runs;
    ``outputs`` receives the raw probe results; ``scratch`` is the student's home;
    ``ipc`` holds the kernel's connection file and sockets.
    """

    def __init__(self, parent: str | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="autograder-run-", dir=parent))
        self.inputs = self.root / "inputs"
        self.outputs = self.root / "outputs"
        self.scratch = self.root / "scratch"
        self.ipc = self.root / "ipc"
        self.kernels = self.root / "kernels"
        for directory in (self.inputs, self.outputs, self.scratch, self.ipc, self.kernels):
            directory.mkdir(mode=0o755)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class Sandbox:
    """Builds the kernel command line for one run and owns its cgroup."""

    def __init__(self, run: RunDirectory, limits: Limits) -> None:
        self.run = run
        self.limits = limits
        self.cgroup = RunCgroup.create(limits.memory_bytes, limits.max_processes)
        problems = [problem for problem in (bwrap_problem(), self._cgroup_problem()) if problem]
        self.mode = "degraded (" + "; ".join(problems) + ")" if problems else "bubblewrap + cgroups"

    @property
    def isolated(self) -> bool:
        return bwrap_problem() is None

    def _cgroup_problem(self) -> str | None:
        if self.cgroup is None:
            return "no writable cgroup: memory and process limits not enforced"
        return None

    def environment(self) -> dict[str, str]:
        """The kernel's whole environment: nothing of the grader's leaks in."""
        scratch = str(self.run.scratch)
        threads = str(self.limits.threads)
        return {
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "HOME": scratch,
            "TMPDIR": "/tmp" if self.isolated else scratch,
            "LANG": "C.UTF-8",
            "PYTHONNOUSERSITE": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": f"{scratch}/.matplotlib",
            "IPYTHONDIR": f"{scratch}/.ipython",
            "JUPYTER_RUNTIME_DIR": f"{scratch}/.jupyter",
            "OMP_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
            "CUBLAS_WORKSPACE_CONFIG": ":4096:8",
        }

    def kernel_argv(self) -> list[str]:
        """``launch`` (cgroups, rlimits) -> ``bwrap`` (namespaces) -> ipykernel."""
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        launcher = [
            sys.executable,
            "-m",
            "autograder.execution.launch",
            f"--rlimit=cpu={self.limits.cpu_seconds}",
            "--rlimit=core=0",
        ]
        if self.cgroup is not None:
            launcher += [f"--cgroup-procs={procs}" for procs in self.cgroup.procs_files]
        if not self.isolated:
            return [*launcher, "--", "env", "-i", *self._env_assignments(), *kernel]
        return [*launcher, "--", *self._bwrap_argv(), *kernel]

    def _env_assignments(self) -> list[str]:
        return [f"{key}={value}" for key, value in self.environment().items()]

    def _bwrap_argv(self) -> list[str]:
        run = self.run
        argv = [
            "bwrap",
            "--unshare-all",
            "--die-with-parent",
            "--new-session",
            "--uid",
            str(SANDBOX_UID),
            "--gid",
            str(SANDBOX_UID),
            "--hostname",
            "sandbox",
            "--clearenv",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            str(self.limits.tmpfs_bytes),
            "--tmpfs",
            "/tmp",
        ]
        for directory in SYSTEM_DIRS:
            if os.path.islink(directory):
                argv += ["--symlink", os.readlink(directory), directory]
            elif os.path.isdir(directory):
                argv += ["--ro-bind", directory, directory]
        for name in ETC_FILES:
            if os.path.exists(f"/etc/{name}"):
                argv += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        for path in interpreter_paths():
            argv += ["--ro-bind", path, path]
        argv += [
            "--bind",
            str(run.scratch),
            str(run.scratch),
            "--bind",
            str(run.ipc),
            str(run.ipc),
            "--bind",
            str(run.outputs),
            str(run.outputs),
            "--ro-bind",
            str(run.inputs),
            str(run.inputs),
            "--chdir",
            str(run.scratch),
        ]
        for key, value in self.environment().items():
            argv += ["--setenv", key, value]
        return argv

    def close(self) -> None:
        """Kill whatever the submission left running and drop the cgroup."""
        if self.cgroup is not None:
            self.cgroup.remove()
