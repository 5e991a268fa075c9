"""Kernels restored from a checkpoint: isolated like a started kernel, the same image every time.

The tests that restore a kernel need a ``criu`` whose ``criu check`` passes here (Debian 12's
3.17 does not on Linux 6.18; ``AUTOGRADER_CRIU`` may name another build). Without one they
skip, and the rest of the suite runs with started kernels.
"""

import asyncio
import dataclasses
import json
import os
import time
from pathlib import Path

import pytest

from autograder.errors import KernelStartError
from autograder.execution import kernel as kernel_module
from autograder.execution import restore
from autograder.execution.kernel import SandboxedKernel, shell_reply
from autograder.execution.sandbox import Limits, RunDirectory, Sandbox
from tests.conftest import FAST_LIMITS, needs_bwrap

needs_criu = pytest.mark.skipif(
    restore.criu_problem() is not None, reason=f"kernels cannot be restored here: {restore.criu_problem()}"
)


@pytest.fixture(autouse=True)
def _restoring_not_given_up(monkeypatch) -> None:
    """A kernel start that failed in another test must not stop these from restoring."""
    monkeypatch.setattr(restore, "_failure", [])


# Runs in the kernel; prints what it sees as JSON (as `autograder doctor` checks a started one).
FACTS = """\
import json, os, random, resource, socket
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
print(json.dumps({
    "uid": os.getuid(), "cwd": os.getcwd(), "home": os.environ.get("HOME"),
    "left_behind": os.path.exists("/tmp/left-behind") or "LEFT_BEHIND" in os.environ,
    "seccomp": status["Seccomp"].strip(), "no_new_privs": status["NoNewPrivs"].strip(),
    "capabilities": status["CapEff"].strip(), "interfaces": [name for _, name in socket.if_nameindex()],
    "rlimits": {name: resource.getrlimit(getattr(resource, "RLIMIT_" + name.upper()))[0]
                for name in ("cpu", "fsize", "nofile", "core")},
    "random": random.random(), "torch": __import__("torch").rand(1).item(),
}))
open("/tmp/left-behind", "w").close()
os.environ["LEFT_BEHIND"] = "1"
"""


async def _facts(kernel: SandboxedKernel) -> dict:
    client = kernel.manager.client()
    client.start_channels()
    printed: list[str] = []
    try:
        await client.wait_for_ready(timeout=60)
        msg_id = client.execute(FACTS)
        assert (await shell_reply(client, msg_id, 60))["content"]["status"] == "ok"
        while not printed:
            message = await client.get_iopub_msg(timeout=30)
            if message["msg_type"] == "stream":
                printed.append(message["content"]["text"])
    finally:
        client.stop_channels()
    return json.loads(printed[0])


async def _restored_facts(limits: Limits) -> tuple[dict, list[str], Sandbox]:
    kernel = await SandboxedKernel.start(limits)
    async with kernel:
        argv = kernel.manager.kernel_spec.argv
        facts = await _facts(kernel)
        facts["host_uids"] = _cgroup_uids(kernel.sandbox)
        facts["scratch"] = str(kernel.run.scratch)
        return facts, argv, kernel.sandbox


def _cgroup_uids(sandbox: Sandbox) -> set[int]:
    """The host uids of the processes in the run's cgroup (the kernel must be among them)."""
    uids = set()
    for procs in sandbox.cgroup.procs_files if sandbox.cgroup else []:
        for pid in Path(procs).read_text().split():
            status = Path(f"/proc/{pid}/status")
            if status.exists():
                uids.add(
                    int(next(line for line in status.read_text().splitlines() if line.startswith("Uid:")).split()[1])
                )
    return uids


@needs_bwrap
@needs_criu
@pytest.mark.sandbox
def test_a_restored_kernel_is_isolated_like_a_started_one() -> None:
    facts, argv, sandbox = asyncio.run(_restored_facts(FAST_LIMITS))
    assert restore.CRIU_FILE in argv and "restore" in argv  # restored, not started
    assert facts["uid"] == 65534 and facts["capabilities"] == "0000000000000000"
    assert facts["seccomp"] == "2" and facts["no_new_privs"] == "1"
    assert facts["interfaces"] == ["lo"]
    assert facts["rlimits"] == {name: sandbox.rlimits()[name] for name in ("cpu", "fsize", "nofile", "core")}
    assert facts["cwd"] == facts["home"] == facts["scratch"]  # this run's, not the template's
    if sandbox.cgroup is not None:
        assert 65534 in facts["host_uids"]  # the restored kernel is in this run's cgroup


@needs_bwrap
@needs_criu
@pytest.mark.sandbox
def test_each_restored_kernel_starts_from_the_image_with_nothing_of_the_last_and_new_seeds() -> None:
    first, _, _ = asyncio.run(_restored_facts(FAST_LIMITS))
    second, _, _ = asyncio.run(_restored_facts(FAST_LIMITS))
    assert not first["left_behind"] and not second["left_behind"]  # the first left a file and a variable
    assert first["random"] != second["random"] and first["torch"] != second["torch"]


def test_one_image_serves_every_set_of_limits_but_not_another_environment() -> None:
    """The rlimits are taken on at wake-up; the thread count is read when torch is imported."""
    keys = [_key(dataclasses.replace(FAST_LIMITS, **change)) for change in ({}, {"open_files": 64}, {"threads": 2})]
    assert keys[0] == keys[1] and keys[0] != keys[2]


def _key(limits: Limits) -> str:
    run = RunDirectory()
    sandbox = Sandbox(run, dataclasses.replace(limits, sandbox=False))
    try:
        return restore.image_key(sandbox)
    finally:
        sandbox.close()
        run.remove()


def test_where_kernels_cannot_be_restored_they_are_started(monkeypatch) -> None:
    monkeypatch.setenv(restore.CRIU_ENV, "off")
    restore.criu_problem.cache_clear()
    try:
        assert restore.criu_problem() == "AUTOGRADER_CRIU=off"
        assert not restore.restorable(Limits())
        monkeypatch.setenv(restore.CRIU_ENV, "/nonexistent/criu")
        restore.criu_problem.cache_clear()
        assert restore.criu_problem() == "criu is not installed"
    finally:
        monkeypatch.undo()
        restore.criu_problem.cache_clear()
    assert not restore.restorable(dataclasses.replace(Limits(), gpu=True))  # CUDA state is never checkpointed


def test_only_the_most_recently_used_images_are_kept(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    now = time.time()
    ages = {"in-use-but-old-rank": 60, "newest": 0, "second": 10, "third": 20, "stale": 2 * 86400, "staler": 3 * 86400}
    for name, age in ages.items():
        used = restore.cache_root() / name / "key.json"
        used.parent.mkdir(parents=True)
        used.write_text("{}")
        os.utime(used, (now - age, now - age))
    restore._prune()
    left = {path.name for path in restore.cache_root().iterdir()}
    assert left == {"newest", "second", "third", "in-use-but-old-rank"}  # used within the hour: kept anyway


class _FailingImage:
    """An image whose restore exits at once, as a broken criu would."""

    def restore_command(self, sandbox: Sandbox) -> list[str]:
        return sandbox.wrap(["/bin/sh", "-c", "echo 'Error: restoring FAILED (test)' >&2; exit 1"])


@needs_bwrap
@pytest.mark.sandbox
@pytest.mark.parametrize("failure", ["checkpoint", "restore"])
def test_a_failed_checkpoint_or_restore_starts_the_kernel_instead_and_every_later_one(monkeypatch, failure) -> None:
    monkeypatch.setattr(restore, "criu_problem", lambda: None)
    if failure == "checkpoint":

        def fail(sandbox: Sandbox) -> None:
            raise restore.CheckpointError("checkpointing the warm kernel failed (test)")

        monkeypatch.setattr(restore.WarmImage, "for_sandbox", fail)
    else:
        monkeypatch.setattr(restore.WarmImage, "for_sandbox", lambda sandbox: _FailingImage())

    async def start() -> tuple[bool, dict]:
        async with await SandboxedKernel.start(FAST_LIMITS) as kernel:
            return kernel.restored, await _facts(kernel)

    restored, facts = asyncio.run(start())
    assert not restored and facts["uid"] == 65534 and facts["seccomp"] == "2"  # a started kernel, as isolated
    assert "(test)" in restore._failure[0] and not restore.restorable(FAST_LIMITS)


@needs_bwrap
@pytest.mark.sandbox
def test_a_start_that_fails_whether_restored_or_not_is_an_error_and_restoring_goes_on(monkeypatch) -> None:
    monkeypatch.setattr(restore, "criu_problem", lambda: None)
    monkeypatch.setattr(restore.WarmImage, "for_sandbox", lambda sandbox: _FailingImage())
    monkeypatch.setattr(kernel_module, "WARM_UP", "raise ValueError('broken warm-up')")
    with pytest.raises(KernelStartError, match="ValueError: broken warm-up"):
        asyncio.run(SandboxedKernel.start(FAST_LIMITS))
    assert restore._failure == [] and restore.restorable(FAST_LIMITS)  # restoring was not the trouble
