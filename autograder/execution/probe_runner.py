"""Code that runs inside the student's kernel after their cells: call their functions.

The grader sends this file's source (after ``wire.py``, ``numerics.py`` and ``calls.py``) as a harness cell; it is
exec'd into a private namespace, so a student's global named like one of ours changes
nothing. It only *calls* and *records*: it reads the probe plan and inputs that the
grader wrote into the read-only input dir, evaluates each probe's call expression in
the student's namespace, and writes the raw returned values (or the exception) to the
output dir. Judging happens in the grader's own process, never here.

Everything written here is untrusted by construction: the student's code ran first in
this process and could have replaced any function we use. That is fine, because all it
can change is what the grader reads, and the grader trusts none of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from typing import Any

# Inside the kernel these names are already defined: wire.py, numerics.py and calls.py are
# exec'd into the same namespace before this file (``harness.SOURCES``). Imported normally
# when this module is loaded on the grader's side (tests).
with contextlib.suppress(ImportError):
    from autograder.checks.calls import call_scope, describe_error, make_call
    from autograder.checks.numerics import apply_numeric_settings
    from autograder.protocol.wire import decode_tree, encode, load_blob


class ProbeRunner:
    """Runs the probes of one question at a time and writes their outputs."""

    def __init__(self, in_dir: str, out_dir: str, namespace: dict[str, Any]) -> None:
        self.in_dir = in_dir
        self.out_dir = out_dir
        with contextlib.suppress(FileExistsError):
            os.mkdir(out_dir)
        self.namespace = namespace
        self.phases: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}

    def _phase(self, phase: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The plan and tensors of a phase ("public", "hidden"), read once the grader has written them."""
        if phase not in self.phases:
            with open(os.path.join(self.in_dir, f"probes-{phase}.json"), encoding="utf-8") as handle:
                plan = json.load(handle)
            with open(os.path.join(self.in_dir, f"inputs-{phase}.safetensors"), "rb") as handle:
                self.phases[phase] = (plan, load_blob(handle.read()))
        return self.phases[phase]

    def run_question(self, question_id: str, phase: str) -> None:
        apply_numeric_settings()
        plan, tensors = self._phase(phase)
        question = plan["questions"][question_id]
        scope = call_scope(self.namespace, question["driver"])
        outcomes = [self._run_probe(question["function"], probe, scope, tensors) for probe in question["probes"]]
        text, blob = encode(outcomes)
        self._write_atomically(f"{question_id}.{phase}.json", text.encode("utf-8"))
        self._write_atomically(f"{question_id}.{phase}.safetensors", blob)
        passed = sum(outcome["status"] == "ok" for outcome in outcomes)
        print(f"autograder: {question_id}: called {question['function']} on {len(outcomes)} inputs, {passed} returned")

    def _run_probe(
        self, function: str, probe: dict[str, Any], scope: dict[str, Any], tensors: dict[str, Any]
    ) -> dict[str, Any]:
        outcome: dict[str, Any] = {"id": probe["id"]}
        if function and function not in self.namespace:
            outcome["status"] = "missing"
            return outcome
        inputs = decode_tree(probe["inputs"], tensors, device=probe["device"])
        stand_ins = decode_tree(probe["stand_ins"], tensors, device=probe["device"])
        start = time.perf_counter()
        try:
            with self._standing_in(stand_ins):
                value = make_call(probe["call"], scope, inputs)
        except BaseException as error:
            outcome.update(status="error", error=describe_error(error))
        else:
            outcome.update(status="ok", value=value)
            if probe.get("keep_inputs"):
                outcome["inputs_after"] = inputs
        outcome["seconds"] = time.perf_counter() - start
        return outcome

    @contextlib.contextmanager
    def _standing_in(self, stand_ins: dict[str, Any]) -> Iterator[None]:
        """The student's functions of these names replaced during one call (their globals are ``namespace``)."""
        absent = object()
        saved = {name: self.namespace.get(name, absent) for name in stand_ins}
        self.namespace.update(stand_ins)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is absent:
                    self.namespace.pop(name, None)
                else:
                    self.namespace[name] = value

    def _write_atomically(self, name: str, data: bytes) -> None:
        temporary = os.path.join(self.out_dir, f".{name}.partial")
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, os.path.join(self.out_dir, name))
