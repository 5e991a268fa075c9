"""Per-run control groups: a memory ceiling and a process count for one student kernel.

A cgroup is the right tool here: ``RLIMIT_AS`` below ~6 GiB already breaks
``import torch`` (it maps large virtual ranges it never touches), and ``RLIMIT_NPROC``
counts every process of the uid on the machine. A cgroup charges only what the kernel
and its children really use, tells us afterwards whether it hit the memory ceiling, and
lets us kill every process the submission started.

Both the v1 (separate ``memory`` and ``pids`` hierarchies) and the unified v2 layout are
supported. Where neither is writable, ``RunCgroup.create`` returns None, the sandbox
falls back to ``RLIMIT_DATA`` and its mode says "NO cgroup".
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path("/sys/fs/cgroup")
NAME_PREFIX = "autograder-"


def _own_cgroup_paths() -> dict[str, str]:
    """Map of controller (or "" for v2) to this process's cgroup path."""
    paths: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path
    return paths


@dataclass
class RunCgroup:
    """The cgroup directories of one run; ``directories`` has one entry (v2) or two (v1)."""

    directories: list[Path]
    memory_dir: Path
    unified: bool

    @classmethod
    def create(cls, memory_bytes: int, max_processes: int) -> RunCgroup | None:
        """Make a fresh cgroup with the limits, or None where cgroups are not writable."""
        name = f"{NAME_PREFIX}{uuid.uuid4().hex[:12]}"
        try:
            own = _own_cgroup_paths()
            if (ROOT / "memory").is_dir() and (ROOT / "pids").is_dir():
                memory = ROOT / "memory" / own["memory"].lstrip("/") / name
                pids = ROOT / "pids" / own["pids"].lstrip("/") / name
                group = cls([memory, pids], memory, unified=False)
                group._make()
                group._write(memory, "memory.limit_in_bytes", memory_bytes)
                group._write(memory, "memory.swappiness", 0, optional=True)
                group._write(pids, "pids.max", max_processes)
            else:
                unified = ROOT / own[""].lstrip("/") / name
                group = cls([unified], unified, unified=True)
                group._make()
                group._write(unified, "memory.max", memory_bytes)
                group._write(unified, "memory.swap.max", 0, optional=True)
                group._write(unified, "pids.max", max_processes)
            return group
        except (OSError, KeyError, ValueError) as error:
            log.debug("cgroups unavailable: %s", error)
            if "group" in locals():
                group.remove()
            return None

    def record(self, path: Path) -> None:
        """Write where this group lives, for ``recorded`` to find it after its grader died."""
        lines = [f"{'v2' if self.unified else 'v1'} {self.memory_dir}", *map(str, self.directories)]
        path.write_text("\n".join(lines) + "\n")

    @classmethod
    def recorded(cls, path: Path) -> RunCgroup | None:
        """The group ``record`` wrote to ``path`` (None if there is no such file or it names no run cgroup)."""
        try:
            header, *directories = path.read_text().splitlines()
        except (OSError, ValueError):
            return None
        layout, _, memory = header.partition(" ")
        paths = [Path(directory) for directory in directories]
        if not paths or not all(ROOT in p.parents and p.name.startswith(NAME_PREFIX) for p in paths):
            return None
        return cls(paths, Path(memory), unified=layout == "v2")

    @property
    def procs_files(self) -> list[Path]:
        """The files a launcher writes its pid into to join this cgroup."""
        return [directory / "cgroup.procs" for directory in self.directories]

    def memory_limit_hit(self) -> bool:
        """True when the kernel ran into the memory ceiling (and was OOM-killed)."""
        try:
            if self.unified:
                events = (self.memory_dir / "memory.events").read_text()
                return any(
                    line.split()[0] in ("oom_kill", "oom") and int(line.split()[1]) > 0 for line in events.splitlines()
                )
            control = (self.memory_dir / "memory.oom_control").read_text()
            kills = [line for line in control.splitlines() if line.startswith("oom_kill ")]
            if kills:
                return int(kills[0].split()[1]) > 0
            return int((self.memory_dir / "memory.failcnt").read_text()) > 0
        except OSError:
            return False

    def peak_memory_bytes(self) -> int | None:
        name = "memory.peak" if self.unified else "memory.max_usage_in_bytes"
        try:
            return int((self.memory_dir / name).read_text())
        except (OSError, ValueError):
            return None

    def pids(self) -> set[int]:
        found: set[int] = set()
        for procs in self.procs_files:
            with contextlib.suppress(OSError):
                found.update(int(pid) for pid in procs.read_text().split())
        return found

    def kill_all(self) -> None:
        """SIGKILL every process in the group, repeating until none is left."""
        if self.unified and (self.directories[0] / "cgroup.kill").exists():
            self._write(self.directories[0], "cgroup.kill", 1, optional=True)
        for _ in range(50):
            alive = self.pids()
            if not alive:
                return
            for pid in alive:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)
        log.warning("processes survived SIGKILL in %s: %s", self.directories, sorted(self.pids()))

    def remove(self) -> None:
        self.kill_all()
        for directory in self.directories:
            for _ in range(50):
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # busy while the last killed process is reaped
                    time.sleep(0.02)

    def _make(self) -> None:
        for directory in self.directories:
            directory.mkdir()

    @staticmethod
    def _write(directory: Path, name: str, value: int, optional: bool = False) -> None:
        try:
            (directory / name).write_text(str(value))
        except OSError:
            if not optional:
                raise
