"""One sandboxed kernel, owned from start to teardown by one object: ``SandboxedKernel``.

``SandboxedKernel.start`` makes a fresh run directory, sandbox and cgroup, boots a
Jupyter kernel in them and warms it up (numpy and torch imported, CUDA initialised on a
GPU runner) before any student code exists. ``stop`` kills the kernel and everything it
started and reads what its cgroup saw; ``close`` (or leaving ``async with``) also removes
the run directory. A kernel serves one submission: two submissions never share a
process, a sandbox or a run directory.

The warm-up binds no name in the student's namespace: a notebook that forgets
``import torch`` still fails as it would at home. One difference remains: an environment
variable that torch reads at import, set by a student cell before its own
``import torch``, comes too late (the sandbox sets the ones grading needs, such as
``OMP_NUM_THREADS``).

The kernel creates its IPC socket files in a directory it can write, so once student
code runs it could swap a socket for a symlink to any Unix socket on the host, and a
grader reconnecting by path would connect there. So once the kernel has bound its
sockets, and before any student code exists, each socket is opened once (``O_PATH``,
no link followed) and every later connection goes through that descriptor
(``/proc/self/fd/N``), which names the kernel's own socket whatever happens to its path.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import queue
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

from autograder.errors import KernelStartError
from autograder.execution import restore
from autograder.execution.sandbox import Limits, RunDirectory, Sandbox, kernel_arguments

log = logging.getLogger(__name__)

KERNEL_NAME = "autograder-sandboxed-python"
# Larger ZMQ frames from the kernel are refused (their sender is disconnected). A cell keeps at
# most 1 MiB of output anyway, and a frame is parsed as JSON before it is dropped, so a small
# cap also bounds what a frame of nested JSON costs the grader to parse (~25x its size).
MAX_MESSAGE_BYTES = 4 * 1024**2
RECEIVE_QUEUE = 8  # messages queued per socket before the kernel's publisher drops them
STARTUP_TIMEOUT = 120.0  # seconds for a kernel to boot and finish its warm-up
# Statements, not `import torch`: they must not bind a name the student's code could rely on.
# A notebook released by otter-grader runs `import otter; grader = otter.Notebook()` and
# `grader.check("q1")`: a stand-in module makes those cells harmless (the grader judges).
OTTER_STAND_IN = """
def __autograder_otter__():
    import sys, types
    class Notebook:
        \"\"\"Stands in for otter.Notebook while the course's autograder grades this notebook.\"\"\"
        def __init__(self, *args, **kwargs):
            pass
        def __getattr__(self, name):
            return lambda *args, **kwargs: None
    if "otter" not in sys.modules:
        sys.modules["otter"] = types.ModuleType("otter", "a stand-in: the autograder checks this notebook")
        sys.modules["otter"].Notebook = Notebook
__autograder_otter__()
del __autograder_otter__
"""
WARM_UP = '__import__("numpy")\n__import__("torch")\n' + OTTER_STAND_IN
WARM_UP_GPU = WARM_UP + 'if __import__("torch").cuda.is_available():\n    __import__("torch").cuda.init()\n'
CHANNELS = ("shell", "iopub", "stdin", "hb", "control")


@dataclass(frozen=True)
class KernelEnd:
    """What the kernel's cgroup saw, read once the kernel and everything it started are dead."""

    memory_limit_hit: bool = False
    peak_memory_bytes: int | None = None


class SandboxedKernel:
    """A running, warmed-up sandboxed kernel and everything that belongs to its one submission.

    Use ``await SandboxedKernel.start(limits)``, then ``async with kernel:`` (or ``close``)
    so that its run directory, sandbox, cgroup, sockets and log go with it.
    """

    def __init__(self, run: RunDirectory, sandbox: Sandbox, limits: Limits, may_restore: bool = True) -> None:
        self.run = run
        self.sandbox = sandbox
        self.limits = limits
        self.context = guarded_context()
        self.manager, self.restored = kernel_manager(run, sandbox, self.context, may_restore)
        self.log_file: IO[bytes] = open(_log_path(run), "wb")  # noqa: SIM115 - stop closes it
        self._end: KernelEnd | None = None

    @classmethod
    async def start(cls, limits: Limits, may_restore: bool = True) -> SandboxedKernel:
        """A new run directory and sandbox with a kernel booted and warmed up in it.

        Raises ``SandboxUnavailable`` when the sandbox cannot run here, ``KernelStartError``
        when the kernel does not come up; nothing of the attempt is left behind either way.
        A restored kernel that does not come up is started instead; if that one comes up,
        restoring was the trouble, and every later kernel of this process is started too.
        """
        run = RunDirectory()
        try:
            kernel = cls(run, Sandbox(run, limits), limits, may_restore)
        except BaseException:
            run.remove()
            raise
        try:
            await kernel.manager.start_kernel(
                cwd=str(run.scratch),
                stdout=kernel.log_file,
                stderr=kernel.log_file,
            )
            await _warm_up(kernel, WARM_UP_GPU if limits.gpu else WARM_UP)
            kernel.manager.pin_sockets()
        except Exception as error:
            tail = kernel.log_tail()
            await kernel.close()
            if kernel.restored:  # no student code ran yet: start one instead
                started = await cls.start(limits, may_restore=False)
                restore.give_up(f"a restored kernel did not come up: {error}; kernel log: {tail}")
                return started
            raise KernelStartError(f"the sandboxed kernel did not start: {error}; kernel log: {tail}") from error
        return kernel

    @property
    def log_path(self) -> Path:
        """The kernel's stdout and stderr, in its run dir (the disk watchdog counts it)."""
        return _log_path(self.run)

    def log_tail(self) -> str:
        """The end of the kernel's stdout and stderr, for error messages."""
        return _log_tail(self.run)

    async def is_alive(self) -> bool:
        return self._end is None and await self.manager.is_alive()

    async def stop(self) -> KernelEnd:
        """Kill the kernel and all it started (no graceful shutdown: it is disposable); close our end.

        Idempotent. Afterwards nothing of the student's runs, so the run directory can be read safely.
        """
        if self._end is not None:
            return self._end
        try:
            if self.manager.has_kernel:
                await asyncio.wait_for(self.manager.shutdown_kernel(now=True), timeout=10)
        except Exception as error:
            log.debug("kernel shutdown: %s", error)
        self.context.destroy(linger=0)
        self.manager.unpin_sockets()
        self.log_file.close()
        cgroup = self.sandbox.cgroup
        if cgroup is not None:  # read before the group goes: it is the only witness of an OOM kill
            self._end = KernelEnd(cgroup.memory_limit_hit(), cgroup.peak_memory_bytes())
        else:
            self._end = KernelEnd()
        self.sandbox.close()  # kills whatever escaped the kernel's process group
        return self._end

    async def close(self) -> None:
        """``stop``, then remove the run directory and all it held."""
        await self.stop()
        self.run.remove()

    async def __aenter__(self) -> SandboxedKernel:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def _log_path(run: RunDirectory) -> Path:
    return run.root / "kernel.log"


def _log_tail(run: RunDirectory) -> str:
    with contextlib.suppress(OSError):
        return _log_path(run).read_bytes()[-2000:].decode("utf-8", "replace").strip()
    return ""


class _SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that, once ``pin_sockets`` ran, reaches the kernel only through pinned descriptors."""

    pinned: dict[str, int] | None = None  # channel -> O_PATH descriptor of the kernel's socket

    def pin_sockets(self) -> None:
        """Open each socket the kernel bound, refusing anything but a socket; reconnect what is connected.

        Called before any student code runs, when the files are still the kernel's own.
        """
        pinned: dict[str, int] = {}
        try:
            for channel in CHANNELS:
                path = f"{self.ip}-{getattr(self, f'{channel}_port')}"
                pinned[channel] = os.open(path, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
                if not stat.S_ISSOCK(os.fstat(pinned[channel]).st_mode):
                    raise KernelStartError(f"the kernel's {channel} socket {path} is not a socket")
        except BaseException:
            for descriptor in pinned.values():
                os.close(descriptor)
            raise
        self.pinned = pinned
        self._close_control_socket()  # connected by path at start; from now on through the descriptor
        self._connect_control_socket()

    def unpin_sockets(self) -> None:
        for descriptor in (self.pinned or {}).values():
            os.close(descriptor)
        self.pinned = None

    def _make_url(self, channel: str) -> str:
        return _pinned_url(self.pinned, channel) or super()._make_url(channel)


class _GuardedKernelClient(AsyncKernelClient):
    """A kernel client whose sockets refuse giant messages, queue only a few, and use the pinned sockets."""

    def _context_default(self) -> zmq.asyncio.Context:
        self._created_context = True
        return guarded_context()

    def _make_url(self, channel: str) -> str:
        return _pinned_url(getattr(self.parent, "pinned", None), channel) or super()._make_url(channel)


def _pinned_url(pinned: dict[str, int] | None, channel: str) -> str:
    """The ZMQ address of a pinned socket: the kernel's own socket, whatever is at its path now."""
    return f"ipc:///proc/self/fd/{pinned[channel]}" if pinned and channel in pinned else ""


def guarded_context() -> zmq.asyncio.Context:
    """A ZMQ context for sockets that face a kernel: bounded message size and queue."""
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
    context.setsockopt(zmq.RCVHWM, RECEIVE_QUEUE)
    return context


def kernel_manager(
    run: RunDirectory, sandbox: Sandbox, context: zmq.asyncio.Context, may_restore: bool = True
) -> tuple[_SandboxedKernelManager, bool]:
    """A manager whose kernel is the sandbox's command line, talking over IPC sockets in the run dir.

    The command starts ipykernel, or restores a checkpointed warm one where this host can
    (``restore.restorable``): the same kernel either way, but 3 s of imports cheaper. The
    flag says which.
    """
    connection_file = run.ipc / "connection.json"
    restoring = _restore_command(sandbox, connection_file) if may_restore else None
    argv = restoring or sandbox.kernel_argv()
    spec_dir = run.kernels / KERNEL_NAME
    spec_dir.mkdir()
    spec = {
        "argv": argv,
        "display_name": "Python 3 (autograder sandbox)",
        "language": "python",
        # SIGINT would reach the sandbox launcher, not the kernel: ask over the wire.
        "interrupt_mode": "message",
        "env": {},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    manager = _SandboxedKernelManager(
        kernel_name=KERNEL_NAME,
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(run.kernels)]),
        transport="ipc",
        ip=str(run.ipc / "kernel"),
        connection_file=str(connection_file),
        context=context,
        client_factory=_GuardedKernelClient,
    )
    return manager, restoring is not None


def _restore_command(sandbox: Sandbox, connection_file: Path) -> list[str] | None:
    """The command that restores this sandbox's kernel from the warm image, or None where it cannot."""
    if not restore.restorable(sandbox.limits):
        return None
    try:
        image = restore.WarmImage.for_sandbox(sandbox)
    except restore.CheckpointError as error:
        restore.give_up(str(error))
        return None
    restore.write_wake_file(sandbox, kernel_arguments(str(connection_file)))
    return image.restore_command(sandbox)


async def _warm_up(kernel: SandboxedKernel, code: str) -> None:
    """Run ``code`` silently (no history, no execution count, no output) and wait for its reply."""
    client = kernel.manager.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=STARTUP_TIMEOUT)
        reply = await shell_reply(client, client.execute(code, silent=True, store_history=False), STARTUP_TIMEOUT)
        if reply is None:
            raise RuntimeError(f"warm-up did not finish within {STARTUP_TIMEOUT:.0f} s")
        content = reply.get("content")
        if not isinstance(content, dict) or content.get("status") != "ok":
            content = content if isinstance(content, dict) else {}
            raise RuntimeError(f"warm-up failed: {content.get('ename')}: {content.get('evalue')}")
    finally:
        client.stop_channels()
        client.context.destroy(linger=0)


# What reading a hostile kernel's messages can raise (jupyter_client and nbclient index them freely).
MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError)


async def shell_reply(client: AsyncKernelClient, msg_id: str, timeout: float) -> dict[str, Any] | None:
    """The shell reply to request ``msg_id`` within ``timeout`` seconds, or None.

    Replies to other requests and messages that cannot be read are skipped: the kernel
    holds the session key and can send anything.
    """
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            message = await client.get_shell_msg(timeout=remaining)
        except queue.Empty:
            return None
        except MALFORMED:
            continue
        parent = message.get("parent_header") if isinstance(message, dict) else None
        if isinstance(parent, dict) and parent.get("msg_id") == msg_id:
            return message
    return None
