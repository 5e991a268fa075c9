"""What this host offers the sandbox, found once per process, and what one kernel got of it.

``probe()`` checks each layer (bubblewrap, cgroups, seccomp, a separate uid, the
interpreter's permissions); ``HostReport.mode`` says which of them isolate a kernel,
as a ``SandboxMode`` record whose ``str`` is the line every result carries;
``autograder doctor`` prints the whole report.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograder.execution import seccomp
from autograder.execution.cgroups import ROOT, RunCgroup

log = logging.getLogger(__name__)

SANDBOX_UID = 65534  # "nobody"


@dataclass(frozen=True)
class CgroupInfo:
    layout: str  # "v1", "v2", or "none"
    controllers: tuple[str, ...]  # those this process could delegate to a child group
    problem: str | None  # why a per-run group cannot be made, or None


@dataclass(frozen=True)
class HostReport:
    bwrap_problem: str | None
    bwrap_version: str
    separate_uid: bool  # root: the kernel runs as host uid 65534; else as our own uid in a user namespace
    cgroups: CgroupInfo
    seccomp_problem: str | None
    interpreter: str
    unreadable: tuple[str, ...] = field(default=())  # interpreter paths the sandbox uid cannot read

    @property
    def kernel_uid(self) -> str:
        if self.separate_uid:
            return f"{SANDBOX_UID} (its own host uid, not the grader's)"
        return f"{SANDBOX_UID} inside a user namespace, which is host uid {os.getuid()} (the grader's own)"

    def mode(self, sandboxed: bool, cgroup: bool, separate_uid: bool | None = None) -> SandboxMode:
        """What isolates and limits a kernel started with these choices on this host."""
        return SandboxMode(
            isolated=sandboxed,
            separate_uid=self.separate_uid if separate_uid is None else separate_uid,
            cgroup=self.cgroups.layout if cgroup else None,
            seccomp=sandboxed and self.seccomp_problem is None,
        )


@dataclass(frozen=True)
class SandboxMode:
    """The layers around one student kernel: the record code reads, and the line people read (``str``)."""

    isolated: bool  # inside bubblewrap (False only with --no-sandbox)
    separate_uid: bool  # as host uid SANDBOX_UID rather than the grader's uid in a user namespace
    cgroup: str | None  # the cgroup layout ("v1", "v2") of its memory and pids limits, or None
    seccomp: bool

    def __str__(self) -> str:
        limits = [f"cgroup {self.cgroup} (memory, pids)" if self.cgroup else "NO cgroup (memory by rlimit only)"]
        limits.append("rlimits")
        if not self.isolated:
            return f"none (--no-sandbox): uid {os.getuid()}, network and files open; " + " + ".join(limits)
        uid = str(SANDBOX_UID) if self.separate_uid else f"{SANDBOX_UID} in userns"
        layers = [f"bubblewrap (uid {uid}, no network)", *limits, "seccomp" if self.seccomp else "no seccomp"]
        return " + ".join(layers)


@functools.cache
def probe() -> HostReport:
    """Check every layer once; logged the first time."""
    report = HostReport(
        bwrap_problem=bwrap_problem(),
        bwrap_version=_bwrap_version(),
        separate_uid=os.geteuid() == 0,
        cgroups=_cgroup_info(),
        seccomp_problem=seccomp.seccomp_problem(),
        interpreter=os.path.realpath(sys.executable),
        unreadable=tuple(unreadable_by_sandbox(interpreter_paths(), deep=False)) if privileged() else (),
    )
    log.info("sandbox host: %s", report.mode(report.bwrap_problem is None, report.cgroups.problem is None))
    return report


def privileged() -> bool:
    """Root builds the sandbox without a user namespace and gives the kernel its own uid."""
    return os.geteuid() == 0


def namespace_options(for_criu: bool = False) -> list[str]:
    """bwrap's namespace and identity options for this host.

    ``for_criu`` (root only): criu checkpoints or restores the kernel inside, with root's
    capabilities in the new namespaces; the kernel's own process has none (restore.py).
    """
    options = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    options += ["--die-with-parent", "--new-session"]
    if privileged():
        if for_criu:
            return [*options, "--cap-add", "ALL"]
        # Real root, no user namespace: keep only what the drop to SANDBOX_UID needs.
        return [*options, "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    ids = ["--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
    return ["--unshare-user", *options, *ids, "--disable-userns"]


# Run inside the sandbox (as real root, after bwrap built it): become SANDBOX_UID for good,
# forbid regaining privileges, then exec the kernel. Keep it free of "{name}" patterns:
# jupyter_client fills those in kernel command lines.
DROP_PRIVILEGES = """\
import ctypes, os, sys
uid = int(sys.argv[1])
os.setgroups([])
os.setresgid(uid, uid, uid)
os.setresuid(uid, uid, uid)
if ctypes.CDLL(None, use_errno=True).prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
    raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
os.execvp(sys.argv[2], sys.argv[2:])
"""


def command_prefix() -> list[str]:
    """What runs before the kernel's own command inside bwrap."""
    if privileged():
        return [sys.executable, "-I", "-S", "-c", DROP_PRIVILEGES, str(SANDBOX_UID)]
    return []


@functools.cache
def bwrap_problem() -> str | None:
    """Why bubblewrap cannot be used here, or None when it works."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bwrap is not installed"
    true = shutil.which("true") or "/bin/true"
    probe_argv = [bwrap, *namespace_options(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev"]
    probe_argv += [*command_prefix(), true]
    try:
        result = subprocess.run(probe_argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bwrap could not be run: {error}"
    if result.returncode != 0:
        return f"bwrap cannot create its namespaces here: {result.stderr.strip()[:300]}"
    return None


def _bwrap_version() -> str:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return ""
    try:
        return subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def interpreter_paths() -> list[str]:
    """Directories the kernel's Python needs: its installation and every site-packages.

    Site dirs are collected from ``sys.path`` (a ``.pth`` file may add a shared
    dependency cache), so the project checkout itself is never among them.
    """
    import sysconfig

    wanted = {sys.prefix, sys.base_prefix, sysconfig.get_path("stdlib"), sysconfig.get_path("purelib")}
    wanted.update(entry for entry in sys.path if Path(entry).name in ("site-packages", "dist-packages"))
    resolved = {os.path.realpath(path) for path in wanted} | wanted
    existing = sorted(path for path in resolved if path and Path(path).is_dir())
    # Bind only the outermost directories; nested ones come along.
    return [path for path in existing if not any(path.startswith(other + os.sep) for other in existing)]


def unreadable_by_sandbox(paths: list[str], deep: bool = True, limit: int = 20) -> list[str]:
    """Mounted paths (and, when ``deep``, everything under them) that "other" cannot read.

    Only the mounted directories themselves and their contents matter: their parents
    (say a 0700 home) are recreated by bwrap and never traversed.
    """
    found: list[str] = []
    for top in paths:
        walk = os.walk(top) if deep else [(os.path.dirname(top), [os.path.basename(top)], [])]
        for directory, subdirs, files in walk:
            for name in [*subdirs, *files]:
                path = os.path.join(directory, name)
                if not _readable_by_others(path):
                    found.append(path)
                    if len(found) >= limit:
                        return found
    return found


def _readable_by_others(path: str) -> bool:
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return True
    if stat.S_ISLNK(mode):
        return True
    needed = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
    return mode & needed == needed


def _cgroup_info() -> CgroupInfo:
    if not ROOT.is_dir():
        return CgroupInfo("none", (), "no /sys/fs/cgroup")
    v1 = (ROOT / "memory").is_dir() and (ROOT / "pids").is_dir()
    group = RunCgroup.create(64 * 1024**2, 16)
    problem = None if group is not None else "no writable cgroup with memory and pids controllers"
    if group is not None:
        group.remove()
    if v1:
        return CgroupInfo("v1", ("memory", "pids"), problem)
    try:
        own = next(
            line.split(":", 2)[2]
            for line in Path("/proc/self/cgroup").read_text().splitlines()
            if line.startswith("0::")
        )
        controllers = tuple((ROOT / own.lstrip("/") / "cgroup.subtree_control").read_text().split())
    except (OSError, StopIteration):
        controllers = ()
    return CgroupInfo("v2", controllers, problem)
