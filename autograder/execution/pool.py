"""Sandboxed kernels started before their submission is known, each serving exactly one.

Booting a kernel and importing torch in it is most of a submission's wall time (about 1.9
of 2.1 s warm, docs/benchmark.md); the student's code and all the grading are the rest.
A ``KernelPool`` keeps ``warm`` kernels started ahead, so that time overlaps the previous
submission instead of preceding the next one. ``kernel()`` hands one to exactly one
submission, starts its replacement, and tears it down when the submission is done.
Every kernel is warmed up the same way, pooled or started on demand (``warm=0``), so a
notebook sees the same kernel either way.

The pool is a thin synchronous facade over ``SandboxedKernel``: it owns an event loop in
a thread, where the kernels' managers and sockets live and where a replacement starts
while the caller's thread judges the last submission.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

from autograder.execution.kernel import SandboxedKernel
from autograder.execution.sandbox import Limits

log = logging.getLogger(__name__)

T = TypeVar("T")


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
        self._ready: collections.deque[concurrent.futures.Future[SandboxedKernel]] = collections.deque()
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

    def take(self) -> SandboxedKernel:
        """A kernel for one submission (waiting for it if none is ready); starts its replacement."""
        if self._closed:
            raise RuntimeError("the kernel pool is closed")
        future = self._ready.popleft() if self._ready else self._start()
        if self._expected is not None:
            self._expected = max(0, self._expected - 1)
        self._refill()
        kernel = future.result()
        if not self.run(kernel.is_alive()):  # killed from outside while it waited
            log.warning("a kernel started ahead died before its submission (%s); starting another", kernel.log_tail())
            self.run(kernel.close())
            kernel = self._start().result()
        return kernel

    @contextlib.contextmanager
    def kernel(self) -> Iterator[SandboxedKernel]:
        """A kernel for one submission, torn down (process, sandbox, run dir) when the block ends."""
        kernel = self.take()
        try:
            yield kernel
        finally:
            self.run(kernel.close())

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
            self.run(kernel.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _start(self) -> concurrent.futures.Future[SandboxedKernel]:
        return asyncio.run_coroutine_threadsafe(SandboxedKernel.start(self.limits), self._loop)

    def _refill(self) -> None:
        wanted = self.warm if self._expected is None else min(self.warm, self._expected)
        while len(self._ready) < wanted:
            self._ready.append(self._start())
