"""The grader's half of the harness: what goes into the sandbox and what comes out.

``Harness.cells`` is called after the student's cells and returns the harness cells: one
that loads ``SOURCES`` (wire, numerics, calls, the probe runner) into a private namespace, then one cell per
question and phase (every public one, then every hidden one), so a question that hangs
or crashes the kernel costs only itself and what follows. Each phase's probe plan and
inputs are written into the run's input dir (read-only inside the sandbox, and empty
while student cells ran) just before its first cell. The harness
writes into a subdirectory of the output dir whose random name exists only from then
on, so files the student's cells planted cannot pass for results; nothing is deleted
while the student's processes live (they could swap a symlink into what we delete).

A question whose function calls another's (``Dependency``) gets a last phase, "stand-ins":
the same calls again with the grader's stand-ins for the functions it calls. Before its
inputs enter the sandbox, every earlier result is read and kept, so nothing the student's
code does with a stand-in can change a result already recorded.

``Harness.read`` loads a question's outputs as data only (JSON + safetensors) within a
budget, refusing symlinks, non-regular files and oversized files: the output dir is
writable by the student, who may have planted anything there.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autograder import text
from autograder.checks import calls, numerics
from autograder.execution import hostile_tree, probe_runner
from autograder.execution.runner import HarnessCell
from autograder.execution.sandbox import RunDirectory
from autograder.protocol import wire
from autograder.protocol.probes import Probe, ProbeOutput, ProbeStatus

# Per question: the JSON (structure, scalars; tensors are in the blob) and the tensors.
# Honest outputs are a few KiB to a few MiB; the caps bound what a hostile one costs.
MAX_JSON_BYTES = 8 * 1024**2
MAX_BLOB_BYTES = 64 * 1024**2
# Exec'd in this order into the harness's namespace in the kernel; none imports the package there.
SOURCES = (
    ("<autograder:wire>", Path(wire.__file__)),
    ("<autograder:numerics>", Path(numerics.__file__)),
    ("<autograder:calls>", Path(calls.__file__)),
    ("<autograder:probes>", Path(probe_runner.__file__)),
)


PHASES = ("public", "hidden", "stand-ins")


class Harness:
    """Prepares the harness of one run and reads its results back.

    Public probes run first, before any hidden input exists in the sandbox; the hidden
    plan and inputs are written only then. So what a public probe's exception or output
    could quote holds nothing hidden, and a hidden probe's words are never echoed.
    """

    def __init__(self, run: RunDirectory, questions: dict[str, tuple[str, str]], probes: list[Probe]) -> None:
        """``questions`` maps a question id to (function name, driver source)."""
        self.run = run
        self.questions = questions
        self.probes = probes
        self.results = "results-" + secrets.token_hex(16)  # in run.outputs; unknown to the student's cells
        self.kept: dict[tuple[str, str], tuple[str, bytes] | Exception] = {}  # results read before the stand-ins

    def cells(self) -> list[HarnessCell]:
        """The harness cells, each phase's plan written just before its first cell runs."""
        cells = [HarnessCell("setup", self._setup_source(), prepare=functools.partial(self._write, "public"))]
        for phase in PHASES:
            asked = [question for question in self.questions if self._probes(question, phase)]
            for index, question in enumerate(asked):
                step = functools.partial(self._write, phase) if phase != "public" and index == 0 else None
                source = f"__autograder__.run_question({question!r}, {phase!r})"
                cells.append(HarnessCell(cell_label(question, phase), source, prepare=step))
        return cells

    def _probes(self, question: str, phase: str) -> list[Probe]:
        return [probe for probe in self._phase(phase) if probe.question == question]

    def _phase(self, phase: str) -> list[Probe]:
        return [probe for probe in self.probes if probe.phase == phase]

    def _write(self, phase: str) -> None:
        """The plan and inputs of one phase, into the input dir (read-only inside the sandbox)."""
        if phase == "stand-ins":
            self._keep_earlier_results()
        probes = self._phase(phase)
        inputs_tree, blob = wire.encode({probe.id: (probe.inputs, probe.stand_ins) for probe in probes})
        encoded = {key: value["items"] for key, value in _pairs(json.loads(inputs_tree))}
        plan = {
            question: {
                "function": function,
                "driver": driver,
                "probes": [
                    {
                        "id": probe.id,
                        "call": probe.call,
                        "device": probe.device,
                        "keep_inputs": probe.keep_inputs,
                        "inputs": encoded[probe.id][0],
                        "stand_ins": encoded[probe.id][1],
                    }
                    for probe in self._probes(question, phase)
                ],
            }
            for question, (function, driver) in self.questions.items()
        }
        (self.run.inputs / f"inputs-{phase}.safetensors").write_bytes(blob)
        (self.run.inputs / f"probes-{phase}.json").write_text(json.dumps({"questions": plan}))

    def _setup_source(self) -> str:
        sources = [(name, path.read_text()) for name, path in SOURCES]
        return (
            "def __autograder_start():\n"
            "    namespace = {'__name__': 'autograder_harness'}\n"
            f"    for name, source in {sources!r}:\n"
            "        exec(compile(source, name, 'exec'), namespace)\n"
            f"    return namespace['ProbeRunner']({str(self.run.inputs)!r}, {str(self.run.outputs / self.results)!r},"
            " globals())\n"
            "__autograder__ = __autograder_start()\n"
            "del __autograder_start\n"
        )

    def read(self, question: str, why_missing: Callable[[str], str]) -> dict[str, ProbeOutput]:
        """The outputs of one question's probes, keyed by probe id.

        A probe with no readable output gets status "no output" with ``why_missing(phase)``
        (what the runner saw happen to that phase's harness cell of the question).
        """
        outputs: dict[str, ProbeOutput] = {}
        for phase in PHASES:
            wanted = [probe.id for probe in self._probes(question, phase)]
            if wanted:
                outputs.update(self._read_phase(question, phase, wanted, why_missing(phase)))
        return outputs

    def _keep_earlier_results(self) -> None:
        """Read every result of the earlier phases now, before any stand-in enters the sandbox."""
        for phase in PHASES[: PHASES.index("stand-ins")]:
            for question in self.questions:
                if self._probes(question, phase):
                    self.kept[question, phase] = self._files(question, phase)

    def _files(self, question: str, phase: str) -> tuple[str, bytes] | Exception:
        """A phase's result files of a question (JSON text, tensor blob), or why they cannot be read."""
        try:
            with _ResultsDirectory(self.run.outputs, self.results) as results:
                encoded = results.read(f"{question}.{phase}.json", MAX_JSON_BYTES).decode("utf-8")
                return encoded, results.read(f"{question}.{phase}.safetensors", MAX_BLOB_BYTES)
        except (OSError, UnicodeDecodeError) as error:
            return error

    def _read_phase(self, question: str, phase: str, wanted: list[str], why_missing: str) -> dict[str, ProbeOutput]:
        files = self.kept.get((question, phase)) or self._files(question, phase)
        try:
            if isinstance(files, Exception):
                raise files
            records = wire.decode(*files, received=True)
        except (OSError, UnicodeDecodeError, wire.WireError) as error:
            problem = why_missing or f"the harness output could not be read ({text.clean(error, 300)})"
            return {probe_id: ProbeOutput(ProbeStatus.NO_OUTPUT, problem=problem) for probe_id in wanted}
        found = (
            {record.get("id"): record for record in records if isinstance(record, dict)}
            if isinstance(records, list)
            else {}
        )
        return {probe_id: _probe_output(found.get(probe_id), why_missing) for probe_id in wanted}


def cell_label(question: str, phase: str) -> str:
    """The label of a question's harness cell in one phase: "q1", "q1 (hidden)"."""
    return question if phase == "public" else f"{question} ({phase})"


def _pairs(tree: dict[str, Any]) -> list[tuple[Any, Any]]:
    """The (key, value) items of an encoded dict."""
    return [(key, value) for key, value in tree["items"]]


def _probe_output(record: dict[str, Any] | None, why_missing: str) -> ProbeOutput:
    if record is None:
        return ProbeOutput(ProbeStatus.NO_OUTPUT, problem=why_missing or "the harness did not reach this call")
    status = record.get("status")
    seconds = record.get("seconds")
    seconds = float(seconds) if isinstance(seconds, int | float) else 0.0
    if status == "ok":
        inputs_after = record.get("inputs_after")
        return ProbeOutput(
            ProbeStatus.OK,
            value=record.get("value"),
            seconds=seconds,
            inputs_after=inputs_after if isinstance(inputs_after, dict) else None,
        )
    if status == "error" and isinstance(record.get("error"), dict):
        error = {key: text.clean(record["error"].get(key, ""), 4000) for key in ("type", "message", "traceback")}
        return ProbeOutput(ProbeStatus.ERROR, error=error, seconds=seconds)
    if status == "missing":
        return ProbeOutput(ProbeStatus.MISSING)
    return ProbeOutput(ProbeStatus.NO_OUTPUT, problem="the harness output was malformed")


class _ResultsDirectory:
    """The harness's results dir, opened without following a link, for reading files in it."""

    def __init__(self, outputs: Path, name: str) -> None:
        self.outputs, self.name = outputs, name

    def __enter__(self) -> _ResultsDirectory:
        outputs = hostile_tree.open_directory(self.outputs)
        try:
            self.descriptor = hostile_tree.open_directory(self.name, outputs)
        finally:
            os.close(outputs)
        return self

    def __exit__(self, *exc_info: object) -> None:
        os.close(self.descriptor)

    def read(self, name: str, limit: int) -> bytes:
        """A file the student could have tampered with: no symlinks, no FIFOs, nothing over ``limit``."""
        descriptor = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=self.descriptor)
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode):
                raise OSError(f"{name} is not a regular file")
            if info.st_size > limit:
                raise OSError(f"{name} is larger than {limit // 1024**2} MiB")
            data = _read_at_most(descriptor, info.st_size + 1)  # a buffer of the file's size, not the limit's
            if len(data) > info.st_size:  # grew after fstat
                raise OSError(f"{name} changed while it was read")
            return data
        finally:
            os.close(descriptor)


def _read_at_most(descriptor: int, size: int) -> bytes:
    """Up to ``size`` bytes, with one buffer of that size at most (a buffered reader keeps several)."""
    data = os.read(descriptor, size)
    while len(data) < size and (more := os.read(descriptor, size - len(data))):
        data += more
    return data
