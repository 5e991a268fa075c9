"""Kernels restored from a checkpoint of a warm interpreter, instead of importing torch in each.

Importing numpy, torch and ipykernel costs a fresh kernel about 3 s of CPU, most of what a
submission costs (docs/benchmark.md). Here a *template* interpreter does that once: it runs
in a sandbox built like a kernel's (the same read-only mounts, environment and seccomp
filter), imports them, reads no submission, opens no socket, and waits. CRIU checkpoints
it to an image, once per grader version and host (``WarmImage``). Each kernel is then a
``criu restore`` of that image, inside a new bubblewrap sandbox with fresh namespaces and
cgroup: the restored process finds its wake file, takes this run's rlimits, working
directory, environment and connection file from it, drops to the sandbox uid with
``no_new_privs``, draws new random seeds, and starts ipykernel. Every submission gets the
same image; none can see another's.

What a restored kernel differs in from a started one (docs/security.md, "Restored
kernels"): its memory layout and Python's hash seed are the same for every submission (no
ASLR between them), and ``criu`` runs as root inside the sandbox until the kernel exits,
as bwrap's own init does.

Restoring needs a root grader, a CPU kernel, and a ``criu`` whose ``criu check`` passes
on this kernel (Debian 12's 3.17 does not on Linux 6.18: its vDSO probe fails). Where any
of these is missing, kernels start as before, and ``autograder doctor`` says why.
``AUTOGRADER_CRIU`` names the binary to use; ``AUTOGRADER_CRIU=off`` never restores.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from autograder.execution import host
from autograder.execution.sandbox import SANDBOX_UID, Limits, RunDirectory, Sandbox

log = logging.getLogger(__name__)

CRIU_ENV = "AUTOGRADER_CRIU"
IMAGE_DIR = "/autograder-image"  # where the image is mounted, in both sandboxes
WAKE_FILE = "/autograder-wake.json"  # only in a restoring sandbox: the template waits for it
SECCOMP_FILE = "/autograder-seccomp.bpf"  # only in the checkpointing sandbox
CRIU_FILE = "/autograder-criu"  # the host's criu binary, wherever it lives there
READY_FILE = "/tmp/autograder-template-ready"
TEMPLATE_OUTPUT = "/tmp/autograder-template.out"  # restored as the kernel's log (criu's stderr)
BUILD_TIMEOUT = 180.0
KEPT_IMAGES = 3  # the most recently used images kept (about 300 MB each)
IN_USE_SECONDS = 3600.0  # an image used this recently is never removed: a kernel may be restoring it

# The template, run with `python -c` (the package is not in the sandbox). The seccomp filter
# goes on before anything is imported, so that every import runs under it, as in a kernel;
# criu keeps it through the checkpoint. The rlimits and the sandbox uid are this run's, from
# the wake file, taken on before ipykernel starts: so one image serves every set of limits,
# and criu (which runs without them) can read the template's rlimits, which it could not for
# another uid's process without CAP_SYS_RESOURCE.
TEMPLATE = f"""\
import ctypes, json, os, resource, sys, time
os.setsid()
libc = ctypes.CDLL(None, use_errno=True)
if os.path.exists({SECCOMP_FILE!r}):
    program = open({SECCOMP_FILE!r}, "rb").read()
    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
    buffer = ctypes.create_string_buffer(program, len(program))
    if libc.prctl(22, 2, ctypes.byref(Program(len(program) // 8, ctypes.addressof(buffer))), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP failed")
    del program, buffer, Program
import random
import numpy, torch, ipykernel.kernelapp
os.chdir("/")
open({READY_FILE!r}, "w").close()
while not os.path.exists({WAKE_FILE!r}):
    time.sleep(0.002)
with open({WAKE_FILE!r}) as wake:
    spec = json.load(wake)
for name, value in spec["rlimits"].items():
    resource.setrlimit(getattr(resource, "RLIMIT_" + name.upper()), (value, value))
if spec["uid"] is not None:  # as host.DROP_PRIVILEGES does, and dumpable again as after its exec
    os.setgroups([])
    os.setresgid(spec["uid"], spec["uid"], spec["uid"])
    os.setresuid(spec["uid"], spec["uid"], spec["uid"])
    if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(4, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS or PR_SET_DUMPABLE failed")
os.chdir(spec["cwd"])
os.environ.clear()
os.environ.update(spec["env"])
random.seed()
numpy.random.seed()
torch.seed()
sys.argv = spec["argv"]
del spec, wake, libc
ipykernel.kernelapp.launch_new_instance()
"""

# Inside the checkpointing sandbox: start the template, wait until it has imported
# everything, then checkpoint it (which kills it). The `true`s use up low PIDs: the restore
# must find the template's PID free, and criu itself takes the first ones of the new PID
# namespace.
CHECKPOINT = f"""\
for i in $(seq 32); do /bin/true; done
"$@" </dev/null >{TEMPLATE_OUTPUT} 2>&1 &
template=$!
while [ ! -e {READY_FILE} ]; do
    if ! kill -0 $template 2>/dev/null; then
        echo "the template exited before it was ready:"; cat {TEMPLATE_OUTPUT}; exit 3
    fi
    sleep 0.02
done
exec {CRIU_FILE} dump --tree $template --images-dir {IMAGE_DIR} --work-dir /tmp --log-file {IMAGE_DIR}/dump.log -v2
"""


def criu_binary() -> str | None:
    """The criu to use: ``AUTOGRADER_CRIU`` (``off``: none) or ``criu`` on the PATH."""
    chosen = os.environ.get(CRIU_ENV, "")
    if chosen.lower() == "off":
        return None
    return shutil.which(chosen or "criu") or shutil.which(chosen or "criu", path="/usr/sbin:/sbin")


@functools.cache
def criu_problem() -> str | None:
    """Why kernels cannot be restored on this host (whatever the limits), or None."""
    if os.environ.get(CRIU_ENV, "").lower() == "off":
        return f"{CRIU_ENV}=off"
    criu = criu_binary()
    if criu is None:
        return "criu is not installed"
    if not host.privileged():
        return "restoring a kernel needs a grader running as root"
    try:
        check = subprocess.run([criu, "check"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{criu} could not be run: {error}"
    if check.returncode != 0:
        errors = [line.split(": ", 1)[-1] for line in check.stderr.splitlines() if "Error" in line]
        errors = [error for error in dict.fromkeys(errors) if not error.startswith("exited, status")]
        return f"`{criu} check` fails here ({criu_version(criu)}): {'; '.join(errors[:2]) or check.stderr[-200:]}"
    return None


def criu_version(criu: str) -> str:
    try:
        return subprocess.run([criu, "--version"], capture_output=True, text=True, timeout=10).stdout.split("\n")[0]
    except (OSError, subprocess.TimeoutExpired):
        return "unknown version"


class CheckpointError(RuntimeError):
    """The template could not be checkpointed here."""


_failure: list[str] = []  # why restoring stopped in this process, after a checkpoint or restore failed


def restorable(limits: Limits) -> bool:
    """Whether a kernel with these limits is restored rather than started (a CPU kernel, sandboxed)."""
    return limits.sandbox and not limits.gpu and not _failure and criu_problem() is None


def give_up(reason: str) -> None:
    """Start every later kernel of this process instead: restoring failed here once."""
    if not _failure:
        log.warning("kernels are started from now on, not restored: %s", reason)
        _failure.append(reason)


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "autograder" / "kernel-images"


class WarmImage:
    """A checkpoint of the template for one host, grader version and thread count."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_sandbox(cls, sandbox: Sandbox) -> WarmImage:
        """The image for kernels in sandboxes like ``sandbox``: made now if this host has none yet."""
        key = image_key(sandbox)
        path = cache_root() / key
        if not (path / "key.json").exists():
            with _locked(cache_root() / f"{key}.lock"):
                if not (path / "key.json").exists():
                    _checkpoint(sandbox.limits, path, key)
                    _prune()
        os.utime(path / "key.json")  # in use: see _prune
        return cls(path)

    def restore_command(self, sandbox: Sandbox) -> list[str]:
        """The kernel's command line: ``criu restore`` of this image inside ``sandbox``."""
        restore = [CRIU_FILE, "restore", "--images-dir", IMAGE_DIR, "--work-dir", "/tmp"]
        restore += ["-v1", "--log-file", "/dev/stderr", "--manage-cgroups=ignore"]
        # The template's stdout and stderr file becomes criu's stderr: the kernel's log.
        restore += ["--inherit-fd", f"fd[2]:{TEMPLATE_OUTPUT.lstrip('/')}"]
        binds = [*_criu_binds(), ("--ro-bind", str(self.path), IMAGE_DIR)]
        binds.append(("--ro-bind", str(wake_file(sandbox.run)), WAKE_FILE))
        return sandbox.wrap(restore, sandbox.connection_file_options(), binds=binds, for_criu=True, rlimits={})


def wake_file(run: RunDirectory) -> Path:
    return run.root / "wake.json"


def write_wake_file(sandbox: Sandbox, argv: list[str]) -> None:
    """What the restored template needs to become this run's kernel (read-only inside)."""
    spec = {
        "cwd": str(sandbox.run.scratch),
        "env": sandbox.environment(),
        "argv": ["ipykernel_launcher", *argv],
        "rlimits": sandbox.rlimits(),
        "uid": SANDBOX_UID if sandbox.separate_uid else None,
    }
    wake_file(sandbox.run).write_text(json.dumps(spec))


def image_key(sandbox: Sandbox) -> str:
    """Everything that, changed, makes an image stale: host, interpreter, packages, environment, filter.

    Not the rlimits nor the uid: the template takes this run's on when it wakes.
    """
    scratch = str(sandbox.run.scratch)
    environment = {name: value.replace(scratch, "<scratch>") for name, value in sandbox.environment().items()}
    inputs = {
        **_host_inputs(),
        "environment": environment,
        "seccomp": hashlib.sha256(sandbox.seccomp_file.read_bytes()).hexdigest() if sandbox.seccomp_file else None,
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:20]


@functools.cache
def _host_inputs() -> dict[str, object]:
    """The image key's parts that are the same for every kernel of this process (found once)."""
    torch_init = importlib.util.find_spec("torch")
    return {
        "kernel": platform.release(),
        "criu": criu_version(criu_binary() or "criu"),
        "interpreter": os.path.realpath(sys.executable),
        "interpreter_mtime": os.stat(os.path.realpath(sys.executable)).st_mtime_ns,
        "torch_mtime": os.stat(torch_init.origin).st_mtime_ns if torch_init and torch_init.origin else None,
        "packages": {name: importlib.metadata.version(name) for name in ("numpy", "torch", "ipykernel", "pyzmq")},
        "paths": host.interpreter_paths(),
        "template": hashlib.sha256((TEMPLATE + CHECKPOINT).encode()).hexdigest(),
    }


def _checkpoint(limits: Limits, path: Path, key: str) -> None:
    """Run the template in its own sandbox and checkpoint it into ``path`` (atomically)."""
    started = time.monotonic()
    partial = path.with_name(f"{path.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    run = RunDirectory()
    sandbox = Sandbox(run, limits)
    try:
        binds = [*_criu_binds(), ("--bind", str(partial), IMAGE_DIR)]
        if sandbox.seccomp_file is not None:
            binds.append(("--ro-bind", str(sandbox.seccomp_file), SECCOMP_FILE))
        template = [sys.executable, "-c", TEMPLATE]
        shell = ["/bin/sh", "-c", CHECKPOINT, "checkpoint", *template]
        argv = sandbox.wrap(shell, binds=binds, for_criu=True, rlimits={})
        try:
            result = subprocess.run(argv, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise CheckpointError(f"checkpointing the warm kernel failed: {error}") from error
        if result.returncode != 0:
            dump_log = partial / "dump.log"
            detail = dump_log.read_text()[-1500:] if dump_log.exists() else result.stdout[-1500:]
            failure = f"checkpointing the warm kernel failed ({result.returncode}): {result.stderr[-500:]}"
            raise CheckpointError(f"{failure} {detail}")
        (partial / "key.json").write_text(json.dumps({"key": key, "seconds": round(time.monotonic() - started, 2)}))
        shutil.rmtree(path, ignore_errors=True)
        partial.rename(path)
        log.info("checkpointed a warm kernel in %.1f s: %s", time.monotonic() - started, path)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
        sandbox.close()
        run.remove()


def _prune() -> None:
    """Remove all but the ``KEPT_IMAGES`` most recently used images (those of older versions)."""
    images = sorted(cache_root().glob("*/key.json"), key=lambda used: used.stat().st_mtime, reverse=True)
    for used in images[KEPT_IMAGES:]:
        if time.time() - used.stat().st_mtime > IN_USE_SECONDS:
            shutil.rmtree(used.parent, ignore_errors=True)
            log.info("removed an unused warm kernel image: %s", used.parent)


def _criu_binds() -> list[tuple[str, str, str]]:
    return [("--ro-bind", os.path.realpath(criu_binary() or "criu"), CRIU_FILE)]


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """One checkpoint at a time per image, across the processes of a batch."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
