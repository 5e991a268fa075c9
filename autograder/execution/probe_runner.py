"""Code that runs inside the student's kernel after their cells: call their functions.

The grader sends this file's source (together with ``wire.py``) as a harness cell; it is
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
import sys
import time
import traceback
from typing import Any

import torch

# ``encode``, ``decode_tree`` and ``load_blob`` come from wire.py, exec'd into the same
# namespace before this file (see harness.py); imported normally when the grader runs
# this module on its own side.
with contextlib.suppress(ImportError):  # inside the kernel wire.py's names are already here
    from autograder.execution.wire import decode_tree, encode, load_blob

MAX_TRACEBACK = 4_000


def apply_numeric_settings() -> None:
    """The grader's numeric settings, applied on both sides and again after student code.

    TF32 off (so float32 matmuls are float32), deterministic algorithms requested,
    float32 as the default dtype and autograd on, whatever the student set.
    """
    if hasattr(torch.backends, "fp32_precision"):
        torch.backends.fp32_precision = "ieee"
    else:  # pragma: no cover - torch < 2.9
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    _request_determinism()
    torch.set_default_dtype(torch.float32)
    torch.set_grad_enabled(True)


def _request_determinism() -> None:
    """``torch.use_deterministic_algorithms(True, warn_only=True)``, without its import cost.

    The public call also sets inductor's flag, importing ``torch._inductor`` (1.5-2 s and
    ~180 MiB in every kernel, measured by ``make bench``). That flag only matters to code
    compiled by inductor, which exists only once inductor is loaded; so the public call is
    made exactly then, and otherwise only the eager-mode switch is set.
    """
    if "torch._inductor.config" in sys.modules:
        torch.use_deterministic_algorithms(True, warn_only=True)
    else:
        torch._C._set_deterministic_algorithms(True, warn_only=True)


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
        scope = dict(self.namespace)
        if question["driver"]:
            exec(compile(question["driver"], "<autograder driver>", "exec"), scope)
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
        if function not in self.namespace:
            outcome["status"] = "missing"
            return outcome
        inputs = decode_tree(probe["inputs"], tensors, device=probe["device"])
        start = time.perf_counter()
        try:
            value = eval(compile(probe["call"], "<autograder probe>", "eval"), scope, inputs)
        except BaseException as error:
            outcome.update(status="error", error=_describe(error))
        else:
            outcome.update(status="ok", value=value)
            if probe.get("keep_inputs"):
                outcome["inputs_after"] = inputs
        outcome["seconds"] = time.perf_counter() - start
        return outcome

    def _write_atomically(self, name: str, data: bytes) -> None:
        temporary = os.path.join(self.out_dir, f".{name}.partial")
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, os.path.join(self.out_dir, name))


def _describe(error: BaseException) -> dict[str, str]:
    try:
        message = str(error)[:MAX_TRACEBACK]
    except Exception:  # a hostile __str__
        message = "<message could not be read>"
    try:
        lines = traceback.format_exception(type(error), error, error.__traceback__)
        text = "".join(lines)[-MAX_TRACEBACK:]
    except Exception:
        text = ""
    return {"type": type(error).__name__, "message": message, "traceback": text}
