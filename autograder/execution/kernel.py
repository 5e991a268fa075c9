"""Drive one student notebook through a sandboxed Jupyter kernel, then the harness cells.

``NotebookRunner`` is the single owner of the kernel's lifecycle: it starts the kernel
inside the sandbox (nbclient + an ``AsyncKernelManager`` over IPC sockets, because a TCP
transport cannot cross the sandbox's empty network namespace), executes the student's
code cells one by one, records what each did, lets the caller write the hidden inputs,
executes the harness cells, and always shuts the kernel down and kills what is left.

A cell that raises or exceeds its time limit is recorded and the next cell still runs.
An async kernel manager is used because a synchronous one can wait forever on a kernel
that was OOM-killed; nbclient does not shut down a manager it was given, so we do.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from autograder.execution.sandbox import Limits, RunDirectory, Sandbox

log = logging.getLogger(__name__)

KERNEL_NAME = "autograder-sandboxed-python"
# nbclient logs every cell timeout as an ERROR; we record timeouts as results instead.
_nbclient_log = logging.getLogger(f"{__name__}.nbclient")
_nbclient_log.setLevel(logging.CRITICAL)
TIMEOUT_ENAME = "AutograderCellTimeout"


@dataclass
class CellOutcome:
    """What happened to one code cell."""

    label: str  # "cell 3" for student cells (1-based among all cells), "q2" for harness cells
    status: str  # "ok", "error", "timeout", "kernel died", "not run"
    error: str = ""
    seconds: float = 0.0


@dataclass
class Execution:
    """Everything the grader learns from running a notebook, apart from probe outputs."""

    sandbox_mode: str
    cells: list[CellOutcome] = field(default_factory=list)
    harness: list[CellOutcome] = field(default_factory=list)
    kernel_died: bool = False
    memory_limit_hit: bool = False
    notebook_timed_out: bool = False
    seconds: float = 0.0
    peak_memory_bytes: int | None = None

    @property
    def failed_cells(self) -> list[CellOutcome]:
        return [cell for cell in self.cells if cell.status != "ok"]


HarnessFactory = Callable[[], list[tuple[str, str]]]
"""Called once the student's cells are done: writes the inputs, returns (label, source) cells."""


class NotebookRunner:
    """Runs one notebook in a fresh sandboxed kernel. One instance, one submission."""

    def __init__(self, limits: Limits, run: RunDirectory) -> None:
        self.limits = limits
        self.run_dir = run

    async def run(self, notebook: nbformat.NotebookNode, harness: HarnessFactory) -> Execution:
        sandbox = Sandbox(self.run_dir, self.limits)
        execution = Execution(sandbox_mode=sandbox.mode)
        started = time.monotonic()
        replies: dict[int, dict[str, Any]] = {}
        km = self._kernel_manager(sandbox)
        client = NotebookClient(
            notebook,
            km=km,
            timeout=int(self.limits.cell_timeout),
            allow_errors=True,
            interrupt_on_timeout=True,
            error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": "time limit"},
            startup_timeout=120,
            record_timing=False,
            log=_nbclient_log,
            on_cell_error=lambda cell, cell_index, execute_reply: replies.update(
                {cell_index: execute_reply["content"]}
            ),
        )
        kernel_log = open(self.run_dir.root / "kernel.log", "wb")  # noqa: SIM115 - closed below
        try:
            async with client.async_setup_kernel(
                cwd=str(self.run_dir.scratch), cleanup_kc=True, stdout=kernel_log, stderr=kernel_log
            ):
                await self._student_cells(client, notebook, replies, execution, started)
                if not execution.kernel_died:
                    await self._harness_cells(client, notebook, harness(), replies, execution)
        except DeadKernelError:
            execution.kernel_died = True
        except RuntimeError as error:
            if execution.cells:
                raise
            raise KernelStartError(
                f"the sandboxed kernel did not start: {error}; kernel log: {self._log_tail()}"
            ) from error
        finally:
            await self._shutdown(km)
            kernel_log.close()
            if sandbox.cgroup is not None:
                execution.memory_limit_hit = sandbox.cgroup.memory_limit_hit()
                execution.peak_memory_bytes = sandbox.cgroup.peak_memory_bytes()
            sandbox.close()
            execution.seconds = time.monotonic() - started
        return execution

    def _kernel_manager(self, sandbox: Sandbox) -> AsyncKernelManager:
        spec_dir = self.run_dir.kernels / KERNEL_NAME
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
        return AsyncKernelManager(
            kernel_name=KERNEL_NAME,
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(self.run_dir.kernels)]),
            transport="ipc",
            ip=str(self.run_dir.ipc / "kernel"),
            connection_file=str(self.run_dir.ipc / "connection.json"),
        )

    async def _student_cells(
        self,
        client: NotebookClient,
        notebook: nbformat.NotebookNode,
        replies: dict[int, dict[str, Any]],
        execution: Execution,
        started: float,
    ) -> None:
        deadline = started + self.limits.notebook_timeout
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            label = f"cell {index + 1}"
            remaining = deadline - time.monotonic()
            if execution.kernel_died or remaining <= 1:
                execution.notebook_timed_out = not execution.kernel_died
                execution.cells.append(CellOutcome(label, "not run"))
                continue
            client.timeout = int(min(self.limits.cell_timeout, remaining))
            execution.cells.append(await self._execute(client, cell, index, label, replies))
            execution.kernel_died = execution.cells[-1].status == "kernel died"

    async def _harness_cells(
        self,
        client: NotebookClient,
        notebook: nbformat.NotebookNode,
        cells: list[tuple[str, str]],
        replies: dict[int, dict[str, Any]],
        execution: Execution,
    ) -> None:
        """Appended to the (grader's copy of the) notebook: nbclient indexes cells by position."""
        client.timeout = int(self.limits.harness_timeout)
        for label, source in cells:
            if execution.kernel_died:
                execution.harness.append(CellOutcome(label, "not run"))
                continue
            cell = nbformat.v4.new_code_cell(source)
            notebook.cells.append(cell)
            outcome = await self._execute(client, cell, len(notebook.cells) - 1, label, replies)
            execution.harness.append(outcome)
            execution.kernel_died = outcome.status == "kernel died"

    @staticmethod
    async def _execute(
        client: NotebookClient,
        cell: nbformat.NotebookNode,
        index: int,
        label: str,
        replies: dict[int, dict[str, Any]],
    ) -> CellOutcome:
        started = time.monotonic()
        try:
            await client.async_execute_cell(cell, index, store_history=False)
        except DeadKernelError:
            return CellOutcome(label, "kernel died", seconds=time.monotonic() - started)
        finally:
            cell.outputs = []  # the grader reads results from files, never from outputs
        seconds = time.monotonic() - started
        reply = replies.pop(index, None)
        if reply is None:
            return CellOutcome(label, "ok", seconds=seconds)
        if reply.get("ename") == TIMEOUT_ENAME:
            return CellOutcome(label, "timeout", f"ran longer than {client.timeout} s", seconds)
        error = f"{reply.get('ename', 'Error')}: {reply.get('evalue', '')}".strip()
        return CellOutcome(label, "error", error[:500], seconds)

    def _log_tail(self) -> str:
        text = (self.run_dir.root / "kernel.log").read_bytes()[-2000:]
        return text.decode("utf-8", "replace").strip()

    @staticmethod
    async def _shutdown(km: AsyncKernelManager) -> None:
        """Backstop for nbclient's own cleanup; the sandbox's cgroup kill comes after."""
        try:
            if km.has_kernel:
                await asyncio.wait_for(km.shutdown_kernel(now=True), timeout=10)
        except Exception as error:
            log.debug("kernel shutdown: %s", error)


class KernelStartError(RuntimeError):
    """The sandboxed kernel could not be started: a grader fault, not the student's."""
