"""The sandbox's promises, each checked from inside a real student kernel."""

import contextlib
import dataclasses
import os
import socket
import subprocess
import sys
import threading

import nbformat
import pytest

from autograder.errors import SandboxUnavailable
from autograder.execution.harness import Harness
from autograder.execution.pool import KernelPool
from autograder.execution.runner import Execution, NotebookRunner
from autograder.execution.sandbox import Limits, RunDirectory
from autograder.protocol.probes import Probe
from tests.conftest import COURSE, FAST_LIMITS, needs_bwrap


def run_notebook(
    cells: list[str], calls: dict[str, str], limits: Limits = FAST_LIMITS, pool: KernelPool | None = None
) -> tuple[Execution, dict]:
    """Run cells then one probe per call (question id -> expression); return the raw outputs.

    The kernel comes from ``pool`` when given (its limits apply), else from a new one for ``limits``.
    """
    sources = ["import os", *cells]  # "os" stands in for the function every probe needs
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    with contextlib.ExitStack() as stack:
        pool = pool or stack.enter_context(KernelPool(limits))
        kernel = stack.enter_context(pool.kernel())
        probes = [Probe(f"{qid}/0", qid, call, {}) for qid, call in calls.items()]
        harness = Harness(kernel.run, {qid: ("os", "") for qid in calls}, probes)
        execution = pool.run(NotebookRunner(kernel).run(notebook, harness.cells))
        return execution, {qid: harness.read(qid, lambda phase: "")[f"{qid}/0"] for qid in calls}


@needs_bwrap
def test_isolation_of_files_identity_and_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AUTOGRADER_CANARY", "grader-only")
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    execution, outputs = run_notebook(
        ["import os"],
        {
            "reference": f"os.path.exists({str(COURSE / 'assignments' / 'tensors' / 'tensors.ipynb')!r})",
            "checks": f"os.path.exists({str(COURSE / 'assignments' / 'tensors' / 'checks.py')!r})",
            "other": f"os.path.exists({str(outside)!r})",
            "environment": "'AUTOGRADER_CANARY' in os.environ or 'JPY_PARENT_PID' in os.environ",
            "uid": "os.getuid()",
            "home": "os.environ['HOME'] == os.getcwd()",
        },
    )
    assert str(execution.sandbox_mode).startswith("bubblewrap (uid 65534, no network) + cgroup")
    values = {qid: output.value for qid, output in outputs.items()}
    assert values == {
        "reference": False,
        "checks": False,
        "other": False,
        "environment": False,
        "uid": 65534,
        "home": True,
    }


@needs_bwrap
def test_no_network_even_to_loopback() -> None:
    """The kernel's loopback is its own: the host's listeners receive nothing."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    datagrams = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    datagrams.bind(("127.0.0.1", port))
    datagrams.settimeout(0.5)
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(_accept(listener)))
    thread.start()
    _, outputs = run_notebook(
        ["import socket"],
        {
            "tcp": f"socket.create_connection(('127.0.0.1', {port}), timeout=2)",
            "udp": f"socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', {port}))",
            "dns": "socket.getaddrinfo('pypi.org', 443)",
        },
    )
    thread.join()
    listener.close()
    assert outputs["tcp"].status == "error" and outputs["tcp"].error["type"] == "ConnectionRefusedError"
    assert outputs["dns"].status == "error"
    assert accepted == [None]
    with pytest.raises(TimeoutError):
        datagrams.recv(10)
    datagrams.close()


def _accept(listener: socket.socket):
    try:
        return listener.accept()
    except TimeoutError:
        return None


@needs_bwrap
def test_writes_outside_scratch_vanish_and_no_process_survives() -> None:
    marker = f"autograder-canary-{os.getpid()}"
    _, outputs = run_notebook(
        [
            "import os, subprocess",
            f"open('/tmp/{marker}', 'w').write('x')",
            f"child = subprocess.Popen(['sleep', '{os.getpid() % 1000 + 1000}'])",
        ],
        {"child": "child.poll() is None"},
    )
    assert outputs["child"].value is True  # it was alive during the run
    assert not os.path.exists(f"/tmp/{marker}")
    leftovers = subprocess.run(["pgrep", "-f", f"sleep {os.getpid() % 1000 + 1000}"], capture_output=True)
    assert leftovers.stdout == b""


@needs_bwrap
def test_memory_limit_stops_the_kernel_and_is_reported() -> None:
    limits = Limits(memory_bytes=768 * 1024**2, cell_timeout=30, harness_timeout=30)
    execution, outputs = run_notebook(["hog = bytearray(3 * 1024**3)"], {"q1": "1"}, limits)
    assert execution.memory_limit_hit
    assert outputs["q1"].status == "no output"


def test_planted_symlink_in_outputs_is_not_followed(tmp_path) -> None:
    run = RunDirectory()
    try:
        harness = Harness(run, {"q1": ("f", "")}, [Probe("q1/0", "q1", "f()", {})])
        results = run.outputs / harness.results
        results.mkdir()
        (results / "q1.public.json").symlink_to("/etc/passwd")
        (results / "q1.public.safetensors").write_bytes(b"")
        output = harness.read("q1", lambda phase: "")["q1/0"]
        assert output.status == "no output" and "could not be read" in output.problem
    finally:
        run.remove()


@pytest.mark.parametrize("planted", ["fifo", "huge"])
def test_non_regular_or_huge_outputs_are_refused(planted: str, monkeypatch) -> None:
    from autograder.execution import harness as harness_module

    run = RunDirectory()
    try:
        harness = Harness(run, {"q1": ("f", "")}, [Probe("q1/0", "q1", "f()", {})])
        results = run.outputs / harness.results
        results.mkdir()
        (results / "q1.public.safetensors").write_bytes(b"")
        if planted == "fifo":
            os.mkfifo(results / "q1.public.json")
        else:
            monkeypatch.setattr(harness_module, "MAX_JSON_BYTES", 10)
            (results / "q1.public.json").write_text("[" + "0," * 100 + "0]")
        output = harness.read("q1", lambda phase: "")["q1/0"]
        assert output.status == "no output" and "could not be read" in output.problem
    finally:
        run.remove()


def test_without_bwrap_a_sandboxed_run_refuses_to_start(monkeypatch) -> None:
    from autograder.execution import sandbox

    monkeypatch.setattr(sandbox, "bwrap_problem", lambda: "bwrap is not installed (test)")
    with pytest.raises(SandboxUnavailable) as raised:
        run_notebook([], {"q1": "1"})
    assert raised.value.reason == "bwrap is not installed (test)"
    assert "apt-get install bubblewrap" in str(raised.value) and "--no-sandbox" in str(raised.value)


def test_no_sandbox_is_an_explicit_choice_and_still_scrubbed(monkeypatch) -> None:
    from autograder.execution import sandbox

    monkeypatch.setattr(sandbox, "bwrap_problem", lambda: "bwrap is not installed (test)")
    monkeypatch.setenv("AUTOGRADER_CANARY", "grader-only")
    limits = dataclasses.replace(FAST_LIMITS, sandbox=False)
    execution, outputs = run_notebook(
        [], {"environment": "'AUTOGRADER_CANARY' in os.environ", "cwd": "os.getcwd()"}, limits
    )
    assert not execution.sandbox_mode.isolated and str(execution.sandbox_mode).startswith("none (--no-sandbox)")
    assert outputs["environment"].value is False
    assert outputs["cwd"].value.endswith("/scratch")


@needs_bwrap
@pytest.mark.skipif(os.geteuid() != 0, reason="the user-namespace variant is what non-root graders get anyway")
def test_user_namespace_variant_used_by_non_root_graders(monkeypatch) -> None:
    """As root we can still build the sandbox the way an ordinary user's grader does."""
    from autograder.execution import host

    monkeypatch.setattr(host, "privileged", lambda: False)
    execution, outputs = run_notebook(
        ["import socket"],
        {
            "uid": "os.getuid()",
            "network": "[name for _, name in socket.if_nameindex()]",
            "userns": "os.path.exists('/proc/self/ns/user') and open('/proc/self/uid_map').read().split()[:2]",
        },
    )
    assert str(execution.sandbox_mode).startswith("bubblewrap (uid 65534 in userns")
    assert outputs["uid"].value == 65534
    assert outputs["network"].value == ["lo"]
    assert outputs["userns"].value == ["65534", "0"]  # our uid 0 appears as 65534, nothing else is mapped


def test_a_run_directory_left_by_a_killed_grader_is_swept(tmp_path) -> None:
    """A batch worker killed mid-run cannot clean up; the next run removes what it left."""
    code = (
        "import os, sys; from autograder.execution.sandbox import RunDirectory; "
        f"run = RunDirectory({str(tmp_path)!r}); (run.inputs / 'inputs.safetensors').write_bytes(b'hidden'); "
        "print(run.root, flush=True); os._exit(0)"
    )
    left = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert os.path.isdir(left)
    live = RunDirectory(str(tmp_path))
    try:
        assert not os.path.exists(left)
        assert live.root.is_dir()  # its own, owner alive, is kept
        RunDirectory(str(tmp_path)).remove()
        assert live.root.is_dir()
    finally:
        live.remove()
