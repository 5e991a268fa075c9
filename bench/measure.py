"""Run commands and measure them: wall time, CPU time, peak memory per kind of process, load.

Peak memory is each process's own high-water mark (``VmHWM`` in ``/proc/PID/status``),
polled over the command's whole process tree, so a short spike between two polls is
still counted; only a process that lives less than one poll interval can be missed.
Processes are sorted into roles by their command line: the command itself (``main``),
Jupyter kernels (``kernel``), Dask worker processes (``worker``), the sandbox launcher
chain (``launcher``), multiprocessing helpers (``helper``) and short-lived forks of the
command before they exec (``fork``: their high-water mark is the parent's shared pages).

CPU time (user + system) is polled the same way, per process, and summed per role; the
last poll before a process exits is what counts, so up to one poll interval of each
process's CPU is missed. (``RUSAGE_CHILDREN`` would miss the sandboxed kernels entirely:
they are reaped inside their PID namespace, not by the grader.) CPU time is less
sensitive than wall time to other load on the machine, so it is reported beside it.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

POLL_SECONDS = 0.1
OUTPUT_TAIL = 4000


@dataclass
class RolePeak:
    processes: int = 0  # distinct processes seen in this role
    peak_rss: int = 0  # largest high-water mark of one process, bytes
    cpu: float = 0.0  # user + system seconds of all of them


@dataclass
class Measurement:
    label: str
    wall: float  # seconds for all the commands, from the first start to the last exit
    cpu: float  # user + system seconds of every process of the commands' trees
    items: int  # how many notebooks the commands processed together
    load_before: float  # 1-minute load average
    load_after: float
    returncodes: list[int] = field(default_factory=list)
    walls: list[float] = field(default_factory=list)  # per command
    roles: dict[str, RolePeak] = field(default_factory=dict)
    peak_tree_rss: int = 0  # largest sum of the current RSS of every watched process at one poll
    output_tail: str = ""  # of the first command that failed, else of the last one

    @property
    def per_item(self) -> float:
        return self.wall / self.items if self.items else 0.0

    @property
    def ok(self) -> bool:
        return all(code == 0 for code in self.returncodes)

    def as_json(self) -> dict[str, object]:
        return {
            "label": self.label,
            "wall_s": round(self.wall, 3),
            "per_notebook_s": round(self.per_item, 3),
            "cpu_s": round(self.cpu, 3),
            "cpu_per_notebook_s": round(self.cpu / self.items, 3) if self.items else 0.0,
            "notebooks": self.items,
            "load_1m_before": round(self.load_before, 2),
            "load_1m_after": round(self.load_after, 2),
            "returncodes": self.returncodes,
            "command_walls_s": [round(wall, 3) for wall in self.walls],
            "peak_rss_mib": {role: round(peak.peak_rss / 2**20, 1) for role, peak in self.roles.items()},
            "processes": {role: peak.processes for role, peak in self.roles.items()},
            "cpu_s_by_role": {role: round(peak.cpu, 2) for role, peak in self.roles.items()},
            "peak_tree_rss_mib": round(self.peak_tree_rss / 2**20, 1),
        }


def classify(cmdline: Sequence[str], is_root: bool, root_cmdline: Sequence[str] = ()) -> str:
    text = " ".join(cmdline)
    program = os.path.basename(cmdline[0]) if cmdline else ""
    # The launcher chain carries the kernel's command line in its own: test for it first.
    if program == "bwrap" or "autograder.execution.launch" in cmdline[:3] or "import ctypes" in text:
        return "launcher"
    if "ipykernel_launcher" in cmdline[:3] or "ipykernel" in program:
        return "kernel"
    if is_root:
        return "main"
    if list(cmdline) == list(root_cmdline):  # a fork of the command about to exec something else
        return "fork"
    if "resource_tracker" in text or "forkserver" in text or "semaphore_tracker" in text:
        return "helper"
    if "spawn_main" in text or "distributed" in text or program.startswith("python"):
        return "worker"
    return "other"


def _status(pid: int) -> tuple[int, int]:
    """(VmHWM, VmRSS) of a process in bytes; (0, 0) once it is gone or unreadable."""
    hwm = rss = 0
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1]) * 1024
                elif line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return hwm, rss


class TreeMonitor(threading.Thread):
    """Polls the process trees under a changing set of root pids until stopped."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.roots: set[int] = set()
        self.peaks: dict[tuple[int, float], tuple[str, int, float]] = {}  # (pid, start) -> (role, peak, cpu)
        self.peak_tree_rss = 0
        self._lock = threading.Lock()
        self._stop_event = threading.Event()

    def add(self, pid: int) -> None:
        with self._lock:
            self.roots.add(pid)
        self._poll()

    def discard(self, pid: int) -> None:
        with self._lock:
            self.roots.discard(pid)

    def run(self) -> None:
        while not self._stop_event.wait(POLL_SECONDS):
            self._poll()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def roles(self) -> dict[str, RolePeak]:
        result: dict[str, RolePeak] = {}
        for role, peak, cpu in self.peaks.values():
            entry = result.setdefault(role, RolePeak())
            entry.processes += 1
            entry.peak_rss = max(entry.peak_rss, peak)
            entry.cpu += cpu
        return result

    def cpu(self) -> float:
        return sum(cpu for _, _, cpu in self.peaks.values())

    def _poll(self) -> None:
        with self._lock:
            roots = list(self.roots)
        total = 0
        for root in roots:
            try:
                process = psutil.Process(root)
                tree = [(process, True)] + [(child, False) for child in process.children(recursive=True)]
                root_cmdline = process.cmdline()
            except psutil.Error:
                continue
            for member, is_root in tree:
                try:
                    key = (member.pid, member.create_time())
                    role = classify(member.cmdline(), is_root, root_cmdline)
                    times = member.cpu_times()
                except psutil.Error:
                    continue
                hwm, rss = _status(member.pid)
                total += rss
                known_role, known_peak, known_cpu = self.peaks.get(key, (role, 0, 0.0))
                # a launcher execs into the kernel: the later, more specific role wins
                role = role if role != "other" else known_role
                self.peaks[key] = (role, max(known_peak, hwm), max(known_cpu, times.user + times.system))
        self.peak_tree_rss = max(self.peak_tree_rss, total)


def measure(
    label: str,
    commands: Sequence[Sequence[str]],
    items: int,
    log: Path,
    parallel: int = 1,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Measurement:
    """Run ``commands`` (at most ``parallel`` at once) and measure them as one batch."""
    monitor = TreeMonitor()
    monitor.start()
    pending = list(enumerate(commands))
    running: dict[int, tuple[subprocess.Popen[bytes], float, Path]] = {}
    codes: dict[int, int] = {}
    walls: dict[int, float] = {}
    tails: dict[int, str] = {}
    log.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    try:
        while pending or running:
            while pending and len(running) < parallel:
                index, command = pending.pop(0)
                output = log / f"{label.replace(' ', '-')}-{index}.log"
                with open(output, "wb") as sink:
                    process = subprocess.Popen(list(command), stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=cwd)
                running[index] = (process, time.monotonic(), output)
                monitor.add(process.pid)
            pid, status, _ = os.wait4(-1, 0)
            for index, (process, began, output) in list(running.items()):
                if process.pid == pid:
                    process.returncode = os.waitstatus_to_exitcode(status)
                    codes[index] = process.returncode
                    walls[index] = time.monotonic() - began
                    tails[index] = output.read_text(errors="replace")[-OUTPUT_TAIL:]
                    monitor.discard(pid)
                    del running[index]
    finally:
        for process, _, _ in running.values():
            process.kill()
        monitor.stop()
    wall = time.monotonic() - started
    returncodes = [codes[index] for index in sorted(codes)]
    failed = [index for index in sorted(codes) if codes[index] != 0]
    return Measurement(
        label,
        wall,
        monitor.cpu(),
        items,
        load_before,
        os.getloadavg()[0],
        returncodes,
        [walls[index] for index in sorted(walls)],
        monitor.roles(),
        monitor.peak_tree_rss,
        tails[failed[0] if failed else max(tails)] if tails else "",
    )
