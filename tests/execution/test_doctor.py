"""``autograder doctor`` reports every layer, and checks the sandbox from inside."""

import dataclasses

from autograder.cli import main
from autograder.execution import host, restore, sandbox
from tests.conftest import needs_bwrap


@needs_bwrap
def test_doctor_reports_a_working_sandbox(capsys) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    layers = ("bubblewrap", "kernel uid", "cgroups", "seccomp", "interpreter", "rlimits", "live check", "kernel start")
    for layer in (*layers, "torch"):
        assert layer in out
    assert "uid 65534, interfaces ['lo']" in " ".join(out.split())  # seen from inside the sandbox
    assert str(host.probe().mode(True, host.probe().cgroups.problem is None)).split(" + ")[0] in " ".join(out.split())


def test_doctor_fails_where_grading_would_refuse(capsys, monkeypatch) -> None:
    broken = dataclasses.replace(host.probe(), bwrap_problem="bwrap is not installed (test)")
    monkeypatch.setattr(host, "probe", lambda: broken)
    monkeypatch.setattr(sandbox, "bwrap_problem", lambda: "bwrap is not installed (test)")
    assert main(["doctor"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "bwrap is not installed (test)" in out and "grade would refuse" in out


def test_doctor_says_why_kernels_are_started_rather_than_restored(capsys, monkeypatch) -> None:
    monkeypatch.setattr(restore, "criu_problem", lambda: "`criu check` fails here (test)")
    main(["doctor"])
    out = " ".join(capsys.readouterr().out.split())
    assert "started per submission" in out and "`criu check` fails here (test)" in out
