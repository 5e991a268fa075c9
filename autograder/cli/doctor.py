"""``autograder doctor``: what this host offers the sandbox, layer by layer.

Every layer is checked for real (bubblewrap runs, a cgroup is made, the seccomp filter
is compiled), then one process is started in the sandbox exactly as a student kernel
would be, and reports from the inside what it can do. Exit status 0 when student code
can be graded in the sandbox here, 1 when not (``autograder grade`` would refuse).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import replace

from rich.console import Console
from rich.table import Table

from autograder.errors import SandboxUnavailable
from autograder.execution import host, restore
from autograder.execution.sandbox import Limits, RunDirectory, Sandbox

console = Console()

# Runs inside the sandbox as the kernel would; reports what it sees as JSON.
INSIDE = """\
import json, os, resource, socket, sys
facts = {"uid": os.getuid(), "interfaces": [name for _, name in socket.if_nameindex()]}
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
facts["seccomp"] = status.get("Seccomp", "").strip() == "2"
facts["no_new_privs"] = status.get("NoNewPrivs", "").strip() == "1"
facts["capabilities"] = status.get("CapEff", "").strip()
facts["rlimits"] = {name: resource.getrlimit(getattr(resource, "RLIMIT_" + name.upper()))[0]
                    for name in ("cpu", "fsize", "nofile", "core")}
facts["repository_visible"] = os.path.exists(sys.argv[1])
try:
    import torch
    facts["torch"] = torch.__version__
except Exception as error:
    facts["torch"] = "import failed: " + repr(error)
print(json.dumps(facts))
"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("doctor", help="report how student code is isolated and limited on this host")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    report = host.probe()
    table = Table(title="autograder sandbox on this host", show_lines=False)
    table.add_column("layer")
    table.add_column("state")
    bwrap = report.bwrap_problem
    table.add_row("bubblewrap", _ok(f"usable ({report.bwrap_version})") if bwrap is None else _bad(bwrap))
    separate = (
        "root: bwrap builds it without a user namespace, then drops to the uid"
        if report.separate_uid
        else ("not root: a user namespace maps the uid to yours; run as root for a separate host uid")
    )
    table.add_row("kernel uid", f"{report.kernel_uid}\n[dim]{separate}[/]")
    groups = report.cgroups
    controllers = ", ".join(groups.controllers) or "none"
    cgroup_state = f"{groups.layout}, delegable controllers: {controllers}"
    table.add_row("cgroups", _ok(cgroup_state) if groups.problem is None else _bad(f"{cgroup_state}; {groups.problem}"))
    table.add_row(
        "seccomp",
        _ok("yes (libseccomp filter)") if report.seccomp_problem is None else _bad(f"no: {report.seccomp_problem}"),
    )
    limits = Limits()
    table.add_row("interpreter", f"{report.interpreter}\nmounted read-only: {', '.join(host.interpreter_paths())}")
    if report.separate_uid:
        unreadable = host.unreadable_by_sandbox(host.interpreter_paths())
        table.add_row(
            f"readable by uid {host.SANDBOX_UID}",
            _ok("yes") if not unreadable else _bad("no: " + ", ".join(unreadable[:5])),
        )
    rlimits = ", ".join(f"{name}={value}" for name, value in _rlimits(limits).items())
    table.add_row("rlimits", rlimits)
    table.add_row("tmpfs", f"/tmp and the scratch dir, {limits.tmpfs_bytes // 1024**2} MiB each")
    inside, problem = _inside_check(limits)
    table.add_row("live check", _ok(_describe(inside)) if problem is None else _bad(problem))
    table.add_row("kernel start", _kernel_start())
    torch_version, cuda = _torch()
    table.add_row("torch (grader)", f"{torch_version}, CUDA available: {cuda}")
    usable = bwrap is None and problem is None
    table.add_row("summary", str(report.mode(bwrap is None, groups.problem is None)))
    console.print(table)
    if not usable:
        console.print("[bold red]student code cannot be graded in the sandbox here[/] (grade would refuse).")
    return 0 if usable else 1


def _rlimits(limits: Limits) -> dict[str, int]:
    run = RunDirectory()
    try:
        return Sandbox(run, replace(limits, sandbox=False)).rlimits()
    finally:
        run.remove()


def _inside_check(limits: Limits) -> tuple[dict, str | None]:
    """Start one process in the sandbox the way a kernel starts; what does it see?"""
    run = RunDirectory()
    sandbox = None
    try:
        sandbox = Sandbox(run, limits)
        repository = os.path.dirname(os.path.dirname(os.path.abspath(host.__file__)))
        argv = sandbox.wrap([sys.executable, "-c", INSIDE, repository])
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=run.scratch)
        if result.returncode != 0:
            return {}, f"the sandboxed process failed: {result.stderr.strip()[-500:]}"
        facts = json.loads(result.stdout.strip().splitlines()[-1])
        if str(facts.get("torch", "")).startswith("import failed"):
            return facts, f"torch cannot be imported inside: {facts['torch']}"
        if facts.get("repository_visible"):
            return facts, "the repository is visible inside the sandbox"
        return facts, None
    except SandboxUnavailable as error:
        return {}, error.reason
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError) as error:
        return {}, f"the sandboxed process could not be checked: {error}"
    finally:
        if sandbox is not None:
            sandbox.close()
        run.remove()


def _describe(facts: dict) -> str:
    rlimits = ", ".join(f"{name}={value}" for name, value in facts["rlimits"].items())
    return (
        f"uid {facts['uid']}, interfaces {facts['interfaces']}, seccomp {facts['seccomp']}, "
        f"no_new_privs {facts['no_new_privs']}, capabilities {facts['capabilities']}, rlimits {rlimits}, "
        f"torch {facts['torch']} imports"
    )


def _kernel_start() -> str:
    """Restored from a checkpoint, or started with its imports; either way graded the same."""
    problem = restore.criu_problem()
    if problem is None:
        criu = restore.criu_binary() or "criu"
        return _ok(f"restored from a checkpoint of a warm interpreter ({restore.criu_version(criu)}, {criu})")
    return f"started per submission, importing torch in each (the warm pool): {problem}"


def _torch() -> tuple[str, str]:
    try:
        import torch

        return torch.__version__, str(torch.cuda.is_available())
    except Exception as error:  # a broken install is itself worth reporting
        return f"not importable ({error})", "unknown"


def _ok(text: str) -> str:
    return f"[green]{text}[/]"


def _bad(text: str) -> str:
    return f"[bold red]{text}[/]"
