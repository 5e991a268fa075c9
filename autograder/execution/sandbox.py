"""The sandbox a student kernel runs in: bubblewrap namespaces, a uid, cgroups, rlimits, seccomp.

Inside, the kernel sees a read-only system (``/usr``, the Python installation and its
site-packages, a few files of ``/etc``), a private size-limited ``/tmp``, a private
size-limited scratch dir that is its ``HOME`` and working directory, the grader's input
dir read-only, and the output and IPC dirs it must write. It does not see the
repository (so neither the master notebooks' solutions nor the hidden checks), other submissions, the
gradebook or the grader's environment. It has no network (its own empty network
namespace), its own PID namespace, a new session and no capabilities.

When the grader runs as root, bwrap builds the sandbox without a user namespace and a
small step inside (``host.DROP_PRIVILEGES``) makes the kernel host uid 65534 with
``no_new_privs`` before any student code exists; otherwise the kernel is uid 65534 in a
user namespace, which is the grader's own uid on the host. Either way only the mounted
directories must be readable by the sandbox uid: their parents, say a 0700 home holding
the Python installation, are recreated by bwrap and never traversed.

Paths keep their host names inside the sandbox, so the kernel's IPC sockets and
connection file, which both sides use, need no translation.

Without a usable ``bwrap`` a sandboxed run raises ``SandboxUnavailable``; only
``Limits(sandbox=False)`` (``--no-sandbox``) runs a kernel outside it, in a scratch dir
with a scrubbed environment and the cgroup and rlimit limits that remain.
"""

from __future__ import annotations

import glob
import logging
import os
import socket
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import SandboxUnavailable
from autograder.execution import host, hostile_tree, seccomp
from autograder.execution.cgroups import RunCgroup
from autograder.execution.host import SANDBOX_UID, bwrap_problem, interpreter_paths

__all__ = [
    "SANDBOX_UID",
    "Limits",
    "RunDirectory",
    "Sandbox",
    "SandboxUnavailable",
    "bwrap_problem",
    "interpreter_paths",
]

log = logging.getLogger(__name__)

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
MiB = 1024**2


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission's kernel."""

    memory_bytes: int = 4 * 1024**3  # cgroup memory ceiling (RLIMIT_DATA where there is no cgroup)
    max_processes: int = 128  # cgroup pids.max: the kernel and everything it starts
    cpu_seconds: int = 1800  # RLIMIT_CPU of each process
    cell_timeout: float = 60.0
    notebook_timeout: float = 900.0  # all student cells together
    harness_timeout: float = 120.0  # each harness cell
    tmpfs_bytes: int = 512 * MiB  # each of /tmp and the scratch dir (also charged as memory)
    file_bytes: int = 256 * MiB  # RLIMIT_FSIZE: the largest file the kernel may write
    open_files: int = 1024  # RLIMIT_NOFILE
    disk_bytes: int = 1024 * MiB  # what the kernel may put in the run's host dirs (outputs, IPC)
    cell_output_bytes: int = 1 * MiB  # outputs kept per cell; the rest is dropped and counted
    notebook_output_bytes: int = 4 * MiB  # outputs kept per notebook
    threads: int = 1
    sandbox: bool = True  # False only by explicit choice (--no-sandbox), e.g. a student's own check
    gpu: bool = False  # expose the host's NVIDIA devices (a GPU runner's kernel); CPU kernels never see them

    # The limits that can change what a submission scores, hence part of its regrade cache key.
    # Not ``threads`` (derived from the host's cores and the worker count: speed only) nor ``gpu``
    # (set per runner, and each runner grades only its own device's questions).
    GRADE_INPUTS = (
        "memory_bytes",
        "max_processes",
        "cpu_seconds",
        "cell_timeout",
        "notebook_timeout",
        "harness_timeout",
        "tmpfs_bytes",
        "file_bytes",
        "open_files",
        "disk_bytes",
        "cell_output_bytes",
        "notebook_output_bytes",
        "sandbox",
    )

    def grade_inputs(self) -> str:
        """The ``GRADE_INPUTS`` and their values, as one stable line."""
        return ", ".join(f"{name}={getattr(self, name)!r}" for name in self.GRADE_INPUTS)


class RunDirectory:
    """A run's private directories on the host, removed as a whole afterwards.

    ``inputs`` (read-only inside) receives the probe plan just before the harness runs;
    ``outputs`` receives the raw probe results; ``scratch`` is the student's home (a
    tmpfs inside the sandbox, this host dir only with --no-sandbox); ``ipc`` holds the
    kernel's connection file and sockets.

    A grader process killed mid-run (say a batch worker) cannot remove its directory, which
    may hold hidden inputs, nor kill its kernel if the kernel outlived it: each new run
    first sweeps the directories whose owner process (recorded in ``owner``) is gone,
    killing every process left in their cgroups (recorded in ``cgroups``) first.
    """

    PREFIX = "autograder-run-"

    def __init__(self, parent: str | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=self.PREFIX, dir=parent))
        (self.root / "owner").write_text(f"{socket.gethostname()} {os.getpid()}")
        self.sweep(self.root.parent)
        self.inputs = self.root / "inputs"
        self.outputs = self.root / "outputs"
        self.scratch = self.root / "scratch"
        self.ipc = self.root / "ipc"
        self.kernels = self.root / "kernels"
        for directory in (self.inputs, self.outputs, self.scratch, self.ipc, self.kernels):
            directory.mkdir(mode=0o755)

    def remove(self) -> None:
        """Delete the directory, following no link the kernel planted; never raises (a failure is logged).

        Called once the run's processes are dead (``Sandbox.close``), but safe even if one lives.
        """
        hostile_tree.remove(self.root)

    @classmethod
    def sweep(cls, parent: Path) -> None:
        """Remove the run directories under ``parent`` whose grader process has died."""
        for root in parent.glob(cls.PREFIX + "*"):
            try:
                host_name, pid = (root / "owner").read_text().split()
                if host_name != socket.gethostname():  # another machine or container shares this dir
                    continue
                os.kill(int(pid), 0)
            except ProcessLookupError:
                log.info("removing %s, left by a grader that died", root)
                group = RunCgroup.recorded(root / "cgroups")
                if group is not None:
                    group.remove()  # its processes first: nothing of the run outlives its directory
                stale = cls.__new__(cls)
                stale.root = root
                stale.remove()
            except (OSError, ValueError):  # no owner file yet, someone else's, or not ours to judge
                continue


class Sandbox:
    """Builds the kernel command line for one run and owns its cgroup."""

    def __init__(self, run: RunDirectory, limits: Limits) -> None:
        self.run = run
        self.limits = limits
        self.isolated = limits.sandbox
        if self.isolated:
            problem = bwrap_problem()
            if problem is not None:
                raise SandboxUnavailable(problem)
        report = host.probe()
        self.separate_uid = self.isolated and host.privileged()
        self.seccomp_file: Path | None = None
        if self.isolated and report.seccomp_problem is None:
            self.seccomp_file = run.root / "seccomp.bpf"
            self.seccomp_file.write_bytes(seccomp.compile_filter())
        if self.separate_uid:  # the kernel's uid must create its sockets and outputs
            for directory in (run.ipc, run.outputs):
                os.chown(directory, SANDBOX_UID, SANDBOX_UID)
        self.cgroup = RunCgroup.create(limits.memory_bytes, limits.max_processes)
        if self.cgroup is not None:  # for the sweep, should this grader die before it removes the group
            self.cgroup.record(run.root / "cgroups")
        self.mode = report.mode(self.isolated, self.cgroup is not None, self.separate_uid)

    @property
    def writable_host_dirs(self) -> list[Path]:
        """Host directories the kernel can write to: watched against ``Limits.disk_bytes``."""
        dirs = [self.run.outputs, self.run.ipc]
        return dirs if self.isolated else [*dirs, self.run.scratch]

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

    def rlimits(self) -> dict[str, int]:
        """The rlimits every process of the kernel gets (``launch`` sets them)."""
        limits = {
            "cpu": self.limits.cpu_seconds,
            "fsize": self.limits.file_bytes,
            "nofile": self.limits.open_files,
            "core": 0,
        }
        if self.cgroup is None:  # per process only, but better than nothing
            limits["data"] = self.limits.memory_bytes
        return limits

    def kernel_argv(self) -> list[str]:
        """``launch`` (cgroups, rlimits) -> ``bwrap`` (namespaces, seccomp) -> [drop to uid] -> ipykernel."""
        kernel = [sys.executable, "-m", "ipykernel_launcher", *kernel_arguments("{connection_file}")]
        return self.wrap(kernel, self.connection_file_options())

    def connection_file_options(self) -> list[str]:
        """A root grader's kernel runs as SANDBOX_UID and must read its connection file."""
        return ["--chown={connection_file}"] if self.separate_uid else []

    def wrap(
        self,
        command: list[str],
        launcher_options: list[str] | None = None,
        binds: list[tuple[str, str, str]] | None = None,
        for_criu: bool = False,
        rlimits: dict[str, int] | None = None,
    ) -> list[str]:
        """The command line that runs ``command`` in this sandbox, with its limits.

        ``binds``: more (option, host path, sandbox path) mounts. ``for_criu``: ``command``
        is criu, which checkpoints or restores the kernel's process: it keeps root's
        capabilities in the sandbox's namespaces, and the uid, ``no_new_privs`` and seccomp
        filter of the process come from the checkpoint (``restore.TEMPLATE``) instead.
        ``rlimits``: instead of ``self.rlimits()`` (criu must write an image larger than a kernel's files).
        """
        launcher = [sys.executable, "-m", "autograder.execution.launch", f"--parent={os.getpid()}"]
        launcher += launcher_options or []
        limits = self.rlimits() if rlimits is None else rlimits
        launcher += [f"--rlimit={name}={value}" for name, value in limits.items()]
        if self.cgroup is not None:
            launcher += [f"--cgroup-procs={procs}" for procs in self.cgroup.procs_files]
        if not self.isolated:
            return [*launcher, "--", "env", "-i", *self._env_assignments(), *command]
        if self.seccomp_file is not None and not for_criu:
            launcher.append(f"--seccomp-file={self.seccomp_file}")
        prefix = [] if for_criu else host.command_prefix()
        return [*launcher, "--", *self._bwrap_argv(binds or [], for_criu), *prefix, *command]

    def _env_assignments(self) -> list[str]:
        return [f"{key}={value}" for key, value in self.environment().items()]

    def _bwrap_argv(self, extra_binds: list[tuple[str, str, str]], for_criu: bool) -> list[str]:
        run = self.run
        argv = ["bwrap", *host.namespace_options(for_criu), "--hostname", "sandbox", "--clearenv"]
        if self.seccomp_file is not None and not for_criu:
            argv += ["--seccomp", "@seccomp-fd"]  # launch.py puts the descriptor's number here
        argv += ["--proc", "/proc", "--dev", "/dev"]
        if self.limits.gpu:  # the driver's device nodes; its libraries come with /usr
            for device in sorted(glob.glob("/dev/nvidia*")):
                argv += ["--dev-bind", device, device]
        argv += ["--perms", "1777", "--size", str(self.limits.tmpfs_bytes), "--tmpfs", "/tmp"]
        for directory in SYSTEM_DIRS:
            if os.path.islink(directory):
                argv += ["--symlink", os.readlink(directory), directory]
            elif os.path.isdir(directory):
                argv += ["--ro-bind", directory, directory]
        binds = [("--ro-bind", f"/etc/{name}") for name in ETC_FILES if os.path.exists(f"/etc/{name}")]
        binds += [("--ro-bind", path) for path in interpreter_paths() if not _under(path, SYSTEM_DIRS)]
        binds += [("--bind", str(run.ipc)), ("--bind", str(run.outputs)), ("--ro-bind", str(run.inputs))]
        # bwrap makes missing parents 0700, which the kernel's own uid could not traverse.
        for parent in _parents([path for _, path in binds] + [str(run.scratch)]):
            argv += ["--perms", "0755", "--dir", parent]
        for option, path in binds:
            argv += [option, path, path]
        argv += ["--perms", "1777", "--size", str(self.limits.tmpfs_bytes), "--tmpfs", str(run.scratch)]
        for option, source, target in extra_binds:
            argv += [option, source, target]
        argv += ["--chdir", str(run.scratch)]
        for key, value in self.environment().items():
            argv += ["--setenv", key, value]
        return argv

    def close(self) -> None:
        """Kill whatever the submission left running and drop the cgroup."""
        if self.cgroup is not None:
            self.cgroup.remove()


def kernel_arguments(connection_file: str) -> list[str]:
    """ipykernel's arguments, the same for a started and a restored kernel."""
    # nbclient's default for the kernels it starts: no history database in the home dir.
    return ["-f", connection_file, "--HistoryManager.hist_file=:memory:"]


def _under(path: str, directories: tuple[str, ...]) -> bool:
    return any(path == directory or path.startswith(directory + "/") for directory in directories)


def _parents(mounts: list[str]) -> list[str]:
    """Ancestors of the mount points that bwrap must create (not "/", not in system binds), outermost first."""
    parents: set[str] = set()
    for mount in mounts:
        path = os.path.dirname(mount)
        while path not in ("/", "", "/tmp") and not _under(path, SYSTEM_DIRS):
            parents.add(path)
            path = os.path.dirname(path)
    return sorted(parents, key=lambda path: (path.count("/"), path))
