"""Drive one student notebook through a sandboxed Jupyter kernel, then the harness cells.

``NotebookRunner`` takes a kernel that ``pool.py`` started in its own sandbox (an
``AsyncKernelManager`` over IPC sockets, because a TCP transport cannot cross the
sandbox's empty network namespace), executes the student's code cells one by one with
nbclient, records what each did, lets the caller write the hidden inputs, executes the
harness cells, and always stops the kernel and kills what is left: a kernel serves one
submission.

A cell that raises or exceeds its time limit is recorded and the next cell still runs;
a kernel that ignores the interrupt after a time limit is stopped. An async kernel
manager is used because a synchronous one can wait forever on a kernel that was
OOM-killed; nbclient does not shut down a manager it was given, so we do.

The kernel is hostile, so what comes back from it is bounded on our side: outputs are
kept up to ``Limits.cell_output_bytes`` per cell and ``notebook_output_bytes`` per
notebook and counted beyond (the grader never reads them: results come from files);
no ZMQ message larger than ``pool.MAX_MESSAGE_BYTES`` is accepted and at most
``pool.RECEIVE_QUEUE`` messages wait per socket; and a watchdog stops the kernel when it puts
more than ``Limits.disk_bytes`` into the host directories it can write.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import zmq
import zmq.asyncio
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from zmq.utils.monitor import parse_monitor_message

from autograder.errors import KernelStartError
from autograder.execution import hostile_tree
from autograder.execution.host import SandboxMode
from autograder.execution.kernel import MALFORMED, MAX_MESSAGE_BYTES, SandboxedKernel, shell_reply

log = logging.getLogger(__name__)

# nbclient logs every cell timeout as an ERROR; we record timeouts as results instead.
_nbclient_log = logging.getLogger(f"{__name__}.nbclient")
_nbclient_log.setLevel(logging.CRITICAL)
TIMEOUT_ENAME = "AutograderCellTimeout"
INTERRUPT_GRACE = 10.0  # seconds a kernel has to answer again after a timed-out cell was interrupted
DISK_POLL_SECONDS = 0.5
MAX_HOST_ENTRIES = 10_000  # files and directories the kernel may create in the run's host dirs


class CellStatus(enum.StrEnum):
    """How a code cell ended."""

    OK = "ok"
    TRUNCATED = "output truncated"  # it ran; its output went over the caps
    ERROR = "error"
    TIMEOUT = "timeout"
    KERNEL_DIED = "kernel died"
    NOT_RUN = "not run"


@dataclass
class CellOutcome:
    """What happened to one code cell."""

    label: str  # "cell 3" for student cells (1-based among all cells), "q2" for harness cells
    status: CellStatus
    error: str = ""
    seconds: float = 0.0
    output_dropped: int = 0  # bytes of output beyond the caps, dropped
    exception: str = ""  # the exception's type name (as the kernel said it), when status is "error"


@dataclass
class Execution:
    """Everything the grader learns from running a notebook, apart from probe outputs."""

    sandbox_mode: SandboxMode
    cells: list[CellOutcome] = field(default_factory=list)
    harness: list[CellOutcome] = field(default_factory=list)
    kernel_died: bool = False
    memory_limit_hit: bool = False
    disk_limit_hit: bool = False
    notebook_timed_out: bool = False
    seconds: float = 0.0
    peak_memory_bytes: int | None = None
    output_dropped: int = 0

    @property
    def failed_cells(self) -> list[CellOutcome]:
        """Student cells that did not simply run (truncated output included)."""
        return [cell for cell in self.cells if cell.status != CellStatus.OK]


@dataclass(frozen=True)
class HarnessCell:
    """A cell run after the student's; ``prepare`` runs on the host just before it (say, writing inputs)."""

    label: str
    source: str
    prepare: Callable[[], None] | None = None


HarnessFactory = Callable[[], list[HarnessCell]]
"""Called once the student's cells are done: the harness cells to run."""


class _OutputCap:
    """Counts a run's outputs; admits them while the per-cell and per-notebook caps allow."""

    def __init__(self, per_cell: int, per_notebook: int) -> None:
        self.per_cell = per_cell
        self.per_notebook = per_notebook
        self.notebook_kept = 0
        self.start_cell()

    def start_cell(self) -> None:
        self.cell_kept = 0
        self.cell_dropped = 0
        self.marker: nbformat.NotebookNode | None = None
        self.refused_messages = 0  # ZMQ disconnects of the output channel: a message over MAX_MESSAGE_BYTES

    def admit(self, size: int) -> bool:
        if self.cell_kept + size <= self.per_cell and self.notebook_kept + size <= self.per_notebook:
            self.cell_kept += size
            self.notebook_kept += size
            return True
        self.cell_dropped += size
        return False

    def details(self) -> str:
        """What was dropped from the current cell's output, or ""."""
        parts = []
        if self.cell_dropped:  # "at least": a lagging grader's socket also drops messages unseen
            parts.append(f"at least {self.cell_dropped:,} bytes dropped")
        if self.refused_messages:
            parts.append(f"a message over {MAX_MESSAGE_BYTES // 1024**2} MiB refused")
        return ", ".join(parts)


class _CappedNotebookClient(NotebookClient):
    """nbclient with every output message counted against ``_OutputCap``.

    It also ignores what a hostile kernel could use to grow the grader's memory or
    crash nbclient: widget state from comm messages and display updates aimed at
    earlier cells (whose outputs we have already dropped).
    """

    def __init__(self, notebook: nbformat.NotebookNode, cap: _OutputCap, **kwargs: Any) -> None:
        super().__init__(notebook, store_widget_state=False, **kwargs)
        self.cap = cap
        self.comm_open_handlers = {}

    def output(
        self, outs: list[nbformat.NotebookNode], msg: dict[str, Any], display_id: str | None, cell_index: int
    ) -> nbformat.NotebookNode | None:
        if self.cap.admit(_output_size(msg.get("content", {}))):
            return super().output(outs, msg, display_id, cell_index)
        if self.cap.marker is None:
            self.cap.marker = nbformat.v4.new_output("stream", name="stderr", text="[output truncated]\n")
            outs.append(self.cap.marker)
        return None

    def process_message(
        self, msg: dict[str, Any], cell: nbformat.NotebookNode, cell_index: int
    ) -> nbformat.NotebookNode | None:
        """nbclient's, for a message of any shape: the kernel holds the session key and can sign anything.

        A message nbclient cannot read (a status without a state, content that is not a
        dict...) is dropped, as if never sent.
        """
        try:
            return super().process_message(msg, cell, cell_index)
        except MALFORMED as error:
            log.debug("dropped a malformed kernel message: %s", type(error).__name__)
            return None

    def _update_display_id(self, display_id: str, msg: dict[str, Any]) -> None:
        return None

    def handle_comm_msg(self, outs: list[nbformat.NotebookNode], msg: dict[str, Any], cell_index: int) -> None:
        return None


def _reply_content(reply: Any) -> dict[str, Any]:
    """An execute reply's content, or {} for one the kernel malformed."""
    content = reply.get("content") if isinstance(reply, dict) else None
    return content if isinstance(content, dict) else {}


def _output_size(content: dict[str, Any]) -> int:
    """Roughly how many bytes an output message carries (characters of its payloads)."""
    if not isinstance(content, dict):
        return 0
    size = len(content.get("text", "")) if isinstance(content.get("text"), str) else 0
    for key in ("data", "metadata"):
        payload = content.get(key)
        if isinstance(payload, dict):
            size += sum(len(value) if isinstance(value, str) else len(json.dumps(value)) for value in payload.values())
    traceback = content.get("traceback")
    if isinstance(traceback, list):
        size += sum(len(line) for line in traceback if isinstance(line, str))
    return size


class NotebookRunner:
    """Runs one notebook in a started kernel (``KernelPool.kernel``) under its limits, then stops the kernel."""

    def __init__(self, kernel: SandboxedKernel) -> None:
        self.limits = kernel.limits
        self.kernel = kernel
        self._stop_reason = ""

    async def run(self, notebook: nbformat.NotebookNode, harness: HarnessFactory) -> Execution:
        kernel, sandbox, km = self.kernel, self.kernel.sandbox, self.kernel.manager
        execution = Execution(sandbox_mode=sandbox.mode)
        started = time.monotonic()
        replies: dict[int, dict[str, Any]] = {}
        cap = _OutputCap(self.limits.cell_output_bytes, self.limits.notebook_output_bytes)
        client = _CappedNotebookClient(
            notebook,
            cap,
            km=km,
            timeout=int(self.limits.cell_timeout),
            allow_errors=True,
            interrupt_on_timeout=True,
            error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": "time limit"},
            startup_timeout=120,
            # The kernel is disposable (one submission, then its cgroup is killed): a graceful
            # shutdown would only wait 1-2 s for a process nobody needs any more.
            shutdown_kernel="immediate",
            record_timing=False,
            log=_nbclient_log,
            on_cell_error=lambda cell, cell_index, execute_reply: replies.update(
                {cell_index: _reply_content(execute_reply)}
            ),
        )
        watchdog: asyncio.Task[None] | None = None
        try:
            async with client.async_setup_kernel(cleanup_kc=True):
                monitor = client.kc.iopub_channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
                watched = [*sandbox.writable_host_dirs, kernel.log_path]
                watchdog = asyncio.create_task(self._watch_disk(watched, execution))
                session = _Session(self, client, cap, monitor, replies, execution)
                await session.student_cells(notebook, started)
                if not execution.kernel_died:
                    await session.harness_cells(notebook, harness())
        except DeadKernelError:
            execution.kernel_died = True
        except RuntimeError as error:
            if execution.cells:
                raise
            raise KernelStartError(f"the kernel stopped answering: {error}; kernel log: {kernel.log_tail()}") from error
        finally:
            if watchdog is not None:
                watchdog.cancel()
            end = await kernel.stop()
            execution.memory_limit_hit = end.memory_limit_hit
            execution.peak_memory_bytes = end.peak_memory_bytes
            execution.output_dropped = sum(cell.output_dropped for cell in execution.cells + execution.harness)
            execution.seconds = time.monotonic() - started
        return execution

    async def _watch_disk(self, paths: list[Path], execution: Execution) -> None:
        """Stop the kernel once it has put too much into the host directories it can write."""
        while True:
            await asyncio.sleep(DISK_POLL_SECONDS)
            used, entries = await asyncio.to_thread(hostile_tree.usage, paths, MAX_HOST_ENTRIES)
            if used > self.limits.disk_bytes or entries > MAX_HOST_ENTRIES:
                execution.disk_limit_hit = True
                await self.stop_kernel(
                    f"disk limit exceeded: the kernel wrote more than {self.limits.disk_bytes // 1024**2} MiB "
                    f"or {MAX_HOST_ENTRIES:,} files outside its scratch space; the kernel was stopped",
                )
                return

    async def stop_kernel(self, reason: str) -> None:
        """Kill the kernel and everything it started, remembering why for the cell that was running."""
        self._stop_reason = self._stop_reason or reason
        cgroup = self.kernel.sandbox.cgroup
        if cgroup is not None:
            await asyncio.to_thread(cgroup.kill_all)
        try:
            # its process group: bwrap, whose PID namespace dies with it
            await self.kernel.manager.signal_kernel(signal.SIGKILL)
        except Exception as error:
            log.debug("kill kernel: %s", error)


class _Session:
    """One kernel's cells: the student's, then the harness's."""

    def __init__(
        self,
        runner: NotebookRunner,
        client: _CappedNotebookClient,
        cap: _OutputCap,
        monitor: zmq.asyncio.Socket,
        replies: dict[int, dict[str, Any]],
        execution: Execution,
    ) -> None:
        self.runner = runner
        self.limits = runner.limits
        self.client = client
        self.cap = cap
        self.monitor = monitor
        self.replies = replies
        self.execution = execution

    async def student_cells(self, notebook: nbformat.NotebookNode, started: float) -> None:
        execution = self.execution
        deadline = started + self.limits.notebook_timeout
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            label = f"cell {index + 1}"
            remaining = deadline - time.monotonic()
            if execution.kernel_died or remaining <= 1:
                execution.notebook_timed_out = not execution.kernel_died
                execution.cells.append(CellOutcome(label, CellStatus.NOT_RUN))
                continue
            self.client.timeout = int(min(self.limits.cell_timeout, remaining))
            execution.cells.append(await self._execute(cell, index, label))
            execution.kernel_died = execution.kernel_died or execution.cells[-1].status == CellStatus.KERNEL_DIED

    async def harness_cells(self, notebook: nbformat.NotebookNode, cells: list[HarnessCell]) -> None:
        """Appended to the (grader's copy of the) notebook: nbclient indexes cells by position."""
        execution = self.execution
        self.client.timeout = int(self.limits.harness_timeout)
        for harness_cell in cells:
            label = harness_cell.label
            if execution.kernel_died:
                execution.harness.append(CellOutcome(label, CellStatus.NOT_RUN))
                continue
            if harness_cell.prepare is not None:
                await asyncio.to_thread(harness_cell.prepare)
            cell = nbformat.v4.new_code_cell(harness_cell.source)
            notebook.cells.append(cell)
            outcome = await self._execute(cell, len(notebook.cells) - 1, label)
            execution.harness.append(outcome)
            execution.kernel_died = execution.kernel_died or outcome.status == CellStatus.KERNEL_DIED

    async def _execute(self, cell: nbformat.NotebookNode, index: int, label: str) -> CellOutcome:
        started = time.monotonic()
        self.cap.start_cell()
        try:
            await self.client.async_execute_cell(cell, index, store_history=False)
        except DeadKernelError:
            reason = self.runner._stop_reason or ""
            return CellOutcome(label, CellStatus.KERNEL_DIED, reason, time.monotonic() - started, self.cap.cell_dropped)
        except MALFORMED as error:  # a forged reply: this kernel cannot be talked to any more
            await self.runner.stop_kernel("malformed message")
            reason = f"the kernel sent a malformed message ({type(error).__name__}), so it was stopped"
            return CellOutcome(label, CellStatus.KERNEL_DIED, reason, time.monotonic() - started, self.cap.cell_dropped)
        finally:
            self.cap.refused_messages += await self._disconnects()
            if self.cap.marker is not None:
                self.cap.marker.text = f"[output truncated: {self.cap.details()}]\n"
            cell.outputs = []  # the grader reads results from files, never from outputs
        seconds = time.monotonic() - started
        outcome = self._outcome(label, self.replies.pop(index, None), seconds)
        if outcome.status == CellStatus.TIMEOUT and not await self._responsive():
            await self.runner.stop_kernel("ignored the interrupt")
            outcome.error += "; it did not stop when interrupted, so the kernel was stopped"
            self.execution.kernel_died = True
        return outcome

    def _outcome(self, label: str, reply: dict[str, Any] | None, seconds: float) -> CellOutcome:
        details = self.cap.details()
        note = f"output truncated: {details}" if details else ""
        dropped = self.cap.cell_dropped
        if reply is None:
            return CellOutcome(label, CellStatus.TRUNCATED if details else CellStatus.OK, details, seconds, dropped)
        if reply.get("ename") == TIMEOUT_ENAME:
            error = f"ran longer than {self.client.timeout} s" + (f"; {note}" if note else "")
            return CellOutcome(label, CellStatus.TIMEOUT, error, seconds, dropped)
        ename, evalue = str(reply.get("ename", "Error")), str(reply.get("evalue", ""))
        error = f"{ename}: {evalue}".strip()[:500]
        return CellOutcome(
            label, CellStatus.ERROR, error + (f"; {note}" if note else ""), seconds, dropped, ename[:100]
        )

    async def _responsive(self) -> bool:
        """After an interrupted cell: does the kernel answer an empty request within the grace time?"""
        kc = self.client.kc
        return await shell_reply(kc, kc.execute("", silent=True, store_history=False), INTERRUPT_GRACE) is not None

    async def _disconnects(self) -> int:
        """How often the output channel dropped the kernel for an oversized message; reconnects it.

        libzmq does not reconnect after refusing a message, and without the channel every
        later cell would wait for its end of output in vain.
        """
        count = 0
        while True:
            try:
                event = parse_monitor_message(await self.monitor.recv_multipart(zmq.NOBLOCK))
            except zmq.ZMQError:  # zmq.Again: nothing more
                break
            count += event["event"] == zmq.EVENT_DISCONNECTED
        if count:
            socket, url = self.client.kc.iopub_channel.socket, self.client.kc._make_url("iopub")
            with contextlib.suppress(zmq.ZMQError):
                socket.disconnect(url)
            socket.connect(url)
        return count
