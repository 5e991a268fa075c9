"""Nothing survives a run: no process the submission started, no kernel, no run directory.

The notebook leaves behind a child, a process in its own session, a double-forked
daemon and a process that ignores SIGTERM and SIGHUP, each tagged on its command line.
A gate proves they were all alive while the harness ran; the host then looks for them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from autograder.execution.cgroups import RunCgroup
from autograder.execution.sandbox import RunDirectory
from tests.conftest import needs_bwrap
from tests.security.conftest import gate, grade_notebook, hostile, scores

pytestmark = needs_bwrap

MARKER = f"left-behind-by-mallory-{os.getpid()}"


def processes_with(text: str) -> list[str]:
    """Command lines of live host processes that mention ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in command:
                found.append(f"{entry.name}: {command}")
    return found


@pytest.fixture(scope="module")
def aftermath(tmp_path_factory):
    directory = tmp_path_factory.mktemp("cleanup")
    runs = directory / "runs"
    runs.mkdir()
    groups: list[RunCgroup] = []
    roots: list[Path] = []
    create, initialise = RunCgroup.create, RunDirectory.__init__

    def recording_init(self, *args, **kwargs):
        initialise(self, *args, **kwargs)
        roots.append(self.root)

    def recording_create(cls, *args, **kwargs):
        group = create(*args, **kwargs)
        if group is not None:
            groups.append(group)
        return group

    notebook = hostile(
        f"""
        import os, signal, subprocess, sys
        _deaf = "import signal, time; [signal.signal(s, signal.SIG_IGN) for s in (1, 15)]; time.sleep(600)"
        _sleeper = [sys.executable, "-c", _deaf]  # ignores SIGHUP and SIGTERM
        _pids = [
            subprocess.Popen(_sleeper + ["{MARKER}-child"]).pid,
            subprocess.Popen(_sleeper + ["{MARKER}-session"], start_new_session=True).pid,
        ]
        _read, _write = os.pipe()
        if os.fork() == 0:  # the classic daemon: fork, setsid, fork again, parent exits
            os.setsid()
            _daemon = os.fork()
            if _daemon == 0:
                os.execv(sys.executable, _sleeper + ["{MARKER}-daemon"])
            os.write(_write, str(_daemon).encode())
            os._exit(0)
        os.wait()
        _pids.append(int(os.read(_read, 20)))
        def _all_alive():
            for pid in _pids:
                try:
                    os.kill(pid, 0)
                except OSError:
                    return False
            return True
        """,
        gate("q1", "_all_alive()"),
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(runs))
        patch.setattr(RunCgroup, "create", classmethod(recording_create))
        patch.setattr(RunDirectory, "__init__", recording_init)
        result = grade_notebook(directory, notebook)
    assert [root.parent for root in roots] == [runs]
    return result, runs, groups


def test_processes_were_alive_during_the_run(aftermath) -> None:
    result, _, _ = aftermath
    assert scores(result)["q1"] == 2, "the left-behind processes were not running at harness time"


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("child", id="child process -> PID namespace, cgroup kill"),
        pytest.param("session", id="process in its own session (setsid) -> PID namespace, cgroup kill"),
        pytest.param("daemon", id="double-forked daemon -> PID namespace, cgroup kill"),
    ],
)
def test_no_process_survives(aftermath, kind: str) -> None:
    assert processes_with(f"{MARKER}-{kind}") == []


def test_no_kernel_survives(aftermath) -> None:
    """The kernel, its launcher and bwrap all name the run directory on their command lines."""
    _, runs, _ = aftermath
    assert processes_with(str(runs)) == []


def test_no_run_directory_is_left(aftermath) -> None:
    """The run directory held the hidden inputs and the connection key: it is removed as a whole."""
    _, runs, _ = aftermath
    assert list(runs.glob("autograder-run-*")) == []


def test_no_cgroup_is_left(aftermath) -> None:
    _, _, groups = aftermath
    assert groups, "no cgroup was made (host without cgroups?)"
    assert not any(directory.exists() for group in groups for directory in group.directories)
