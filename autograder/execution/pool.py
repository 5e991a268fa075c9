"""Sandboxed kernels started before their submission is known, each serving exactly one.

Booting a kernel and importing torch in it is most of a submission's wall time (about 1.9
of 2.1 s warm, docs/benchmark.md); the student's code and all the grading are the rest.
A ``KernelPool`` keeps ``warm`` kernels started ahead, so that time overlaps the previous
submission instead of preceding the next one. Each kernel is started by trusted code in
its own fresh run directory, sandbox and cgroup, and its warm-up (numpy and torch
imported, CUDA initialised on a GPU runner) runs before any student code exists.
``take`` hands a kernel to exactly one submission and starts its replacement; the runner
kills it afterwards. Two submissions never share a process, a sandbox or a run directory.

Every kernel is warmed up the same way, pooled or started on demand (``warm=0``), so a
notebook sees the same kernel either way. The warm-up binds no name in the student's
namespace: a notebook that forgets ``import torch`` still fails as it would at home. One
difference remains: an environment variable that torch reads at import, set by a student
cell before its own ``import torch``, comes too late (the sandbox sets the ones grading
needs, such as ``OMP_NUM_THREADS``).

The pool owns an event loop in a thread. The kernels' managers and sockets live on it,
and a replacement starts there while the caller's thread judges the last submission.

The kernel creates its IPC socket files in a directory it can write, so once student
code runs it could swap a socket for a symlink to any Unix socket on the host, and a
grader reconnecting by path would connect there. So once the kernel has bound its
sockets, and before any student code exists, each socket is opened once (``O_PATH``,
no link followed) and every later connection goes through that descriptor
(``/proc/self/fd/N``), which names the kernel's own socket whatever happens to its path.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import json
import logging
import os
import queue
import stat
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

from autograder.errors import KernelStartError
from autograder.execution.sandbox import Limits, RunDirectory, Sandbox

log = logging.getLogger(__name__)

T = TypeVar("T")
KERNEL_NAME = "autograder-sandboxed-python"
# Larger ZMQ frames from the kernel are refused (their sender is disconnected). A cell keeps at
# most 1 MiB of output anyway, and a frame is parsed as JSON before it is dropped, so a small
# cap also bounds what a frame of nested JSON costs the grader to parse (~25x its size).
MAX_MESSAGE_BYTES = 4 * 1024**2
RECEIVE_QUEUE = 8  # messages queued per socket before the kernel's publisher drops them
STARTUP_TIMEOUT = 120.0  # seconds for a kernel to boot and finish its warm-up
# Statements, not `import torch`: they must not bind a name the student's code could rely on.
WARM_UP = '__import__("numpy")\n__import__("torch")\n'
WARM_UP_GPU = WARM_UP + 'if __import__("torch").cuda.is_available():\n    __import__("torch").cuda.init()\n'
CHANNELS = ("shell", "iopub", "stdin", "hb", "control")


@dataclass
class StartedKernel:
    """A running, warmed-up sandboxed kernel and everything that belongs to its one submission."""

    run: RunDirectory
    sandbox: Sandbox
    manager: _SandboxedKernelManager
    context: zmq.asyncio.Context
    log_file: IO[bytes]

    @property
    def log_path(self) -> Path:
        """The kernel's stdout and stderr, in its run dir (the disk watchdog counts it)."""
        return _log_path(self.run)

    def log_tail(self) -> str:
        """The end of the kernel's stdout and stderr, for error messages."""
        return _log_tail(self.run)

    async def stop(self) -> None:
        """Kill the kernel (no graceful shutdown: it is disposable) and close our end."""
        try:
            if self.manager.has_kernel:
                await asyncio.wait_for(self.manager.shutdown_kernel(now=True), timeout=10)
        except Exception as error:
            log.debug("kernel shutdown: %s", error)
        self.context.destroy(linger=0)
        self.manager.unpin_sockets()
        self.log_file.close()

    async def discard(self) -> None:
        """Stop a kernel that served no submission and remove all it had."""
        await self.stop()
        self.sandbox.close()
        self.run.remove()


async def start_kernel(limits: Limits) -> StartedKernel:
    """A new run directory and sandbox with a kernel booted and warmed up in it.

    Raises ``SandboxUnavailable`` when the sandbox cannot run here, ``KernelStartError``
    when the kernel does not come up; nothing of the attempt is left behind either way.
    """
    run = RunDirectory()
    try:
        sandbox = Sandbox(run, limits)
    except BaseException:
        run.remove()
        raise
    context = guarded_context()
    log_file = open(_log_path(run), "wb")  # noqa: SIM115 - StartedKernel.stop closes it
    kernel = StartedKernel(run, sandbox, kernel_manager(run, sandbox, context), context, log_file)
    try:
        await kernel.manager.start_kernel(
            # nbclient's default for the kernels it starts: no history database in the home dir
            extra_arguments=["--HistoryManager.hist_file=:memory:"],
            cwd=str(run.scratch),
            stdout=kernel.log_file,
            stderr=kernel.log_file,
        )
        await _warm_up(kernel, WARM_UP_GPU if limits.gpu else WARM_UP)
        kernel.manager.pin_sockets()
    except Exception as error:
        tail = _log_tail(run)
        await kernel.discard()
        raise KernelStartError(f"the sandboxed kernel did not start: {error}; kernel log: {tail}") from error
    return kernel


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


def kernel_manager(run: RunDirectory, sandbox: Sandbox, context: zmq.asyncio.Context) -> _SandboxedKernelManager:
    """A manager whose kernel is the sandbox's command line, talking over IPC sockets in the run dir."""
    spec_dir = run.kernels / KERNEL_NAME
    spec_dir.mkdir()
    spec = {
        "argv": sandbox.kernel_argv(),
        "display_name": "Python 3 (autograder sandbox)",
        "language": "python",
        # SIGINT would reach the sandbox launcher, not the kernel: ask over the wire.
        "interrupt_mode": "message",
        "env": {},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return _SandboxedKernelManager(
        kernel_name=KERNEL_NAME,
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(run.kernels)]),
        transport="ipc",
        ip=str(run.ipc / "kernel"),
        connection_file=str(run.ipc / "connection.json"),
        context=context,
        client_factory=_GuardedKernelClient,
    )


async def _warm_up(kernel: StartedKernel, code: str) -> None:
    """Run ``code`` silently (no history, no execution count, no output) and wait for its reply."""
    client = kernel.manager.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=STARTUP_TIMEOUT)
        msg_id = client.execute(code, silent=True, store_history=False)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                reply = await client.get_shell_msg(timeout=remaining)
            except queue.Empty:
                break
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            content = reply["content"]
            if content.get("status") != "ok":
                raise RuntimeError(f"warm-up failed: {content.get('ename')}: {content.get('evalue')}")
            return
        raise RuntimeError(f"warm-up did not finish within {STARTUP_TIMEOUT:.0f} s")
    finally:
        client.stop_channels()
        client.context.destroy(linger=0)


class KernelPool:
    """Hands out warmed-up sandboxed kernels for ``limits``, keeping ``warm`` started ahead.

    ``expected``: how many kernels will be taken, when known (a batch graded in this
    process); no kernel is started ahead that nobody would take. Use the pool as a
    context manager, or call ``close``: kernels started ahead and never taken are killed
    and their run directories removed.
    """

    def __init__(self, limits: Limits, warm: int = 0, expected: int | None = None) -> None:
        if warm < 0:
            raise ValueError(f"warm kernels must be 0 or more, not {warm}")
        self.limits = limits
        self.warm = warm
        self._expected: int | None = None
        self._ready: collections.deque[concurrent.futures.Future[StartedKernel]] = collections.deque()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kernel-pool", daemon=True)
        self._thread.start()
        self._closed = False
        self.expect(expected)

    def expect(self, count: int | None) -> None:
        """How many more kernels will be taken (None: unknown); none is started ahead beyond that."""
        self._expected = count
        self._refill()

    @property
    def started_ahead(self) -> int:
        """Kernels started (or starting) that no submission has taken yet."""
        return len(self._ready)

    def take(self) -> StartedKernel:
        """A kernel for one submission (waiting for it if none is ready); starts its replacement."""
        if self._closed:
            raise RuntimeError("the kernel pool is closed")
        future = self._ready.popleft() if self._ready else self._start()
        if self._expected is not None:
            self._expected = max(0, self._expected - 1)
        self._refill()
        kernel = future.result()
        if not self.run(kernel.manager.is_alive()):  # killed from outside while it waited
            log.warning("a kernel started ahead died before its submission (%s); starting another", kernel.log_tail())
            self.run(kernel.discard())
            kernel = self._start().result()
        return kernel

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine that uses a taken kernel on the pool's loop, where the kernel lives."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        while self._ready:
            future = self._ready.popleft()
            try:
                kernel = future.result()
            except Exception:  # it never started; nothing of it is left
                continue
            self.run(kernel.discard())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _start(self) -> concurrent.futures.Future[StartedKernel]:
        return asyncio.run_coroutine_threadsafe(start_kernel(self.limits), self._loop)

    def _refill(self) -> None:
        wanted = self.warm if self._expected is None else min(self.warm, self._expected)
        while len(self._ready) < wanted:
            self._ready.append(self._start())
