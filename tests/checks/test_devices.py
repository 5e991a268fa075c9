"""CPU and GPU runners: hard-coded devices are named, GPU results get device-pair tolerances,
and GPU checks without a GPU runner are reported as not run, never as passed."""

import dataclasses

import pytest
import torch

from autograder.checks.compare import compare
from autograder.checks.judge import HARD_CODED_CPU, HARD_CODED_GPU, judge
from autograder.checks.results import CheckResult, QuestionResult, SubmissionResult
from autograder.course import assignment as assignments
from autograder.grading import devices, pipeline
from autograder.protocol import wire
from autograder.protocol.probes import ProbeOutput
from tests.conftest import COURSE

TENSORS = assignments.load(COURSE, "tensors")
FLATTEN = TENSORS.question("q4")  # CPU and CUDA
NO_DRIVER = "Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed a driver"


def received(tensor: torch.Tensor, device: str = "cpu") -> wire.Received:
    return wire.Received(tensor, "tensor", device, "torch.Tensor")


def test_cuda_call_on_the_cpu_runner_is_named() -> None:
    error = ProbeOutput("error", error={"type": "RuntimeError", "message": NO_DRIVER, "traceback": ""})
    verdict = judge(FLATTEN.check, "flatten_features", {}, torch.zeros(2, 3), error, device="cpu")
    assert not verdict.passed and verdict.diagnosis == HARD_CODED_GPU


def test_cpu_result_for_cuda_inputs_is_named() -> None:
    expected = torch.arange(6.0).reshape(2, 3)
    verdict = judge(FLATTEN.check, "flatten_features", {}, expected, ProbeOutput("ok", received(expected)), "cuda")
    assert verdict.kind == "device" and verdict.diagnosis == HARD_CODED_CPU
    on_gpu = judge(
        FLATTEN.check, "flatten_features", {}, expected, ProbeOutput("ok", received(expected, "cuda:0")), "cuda"
    )
    assert on_gpu.passed


def test_cuda_results_get_looser_float32_tolerances_than_cpu_ones() -> None:
    expected = torch.full((100,), 2.0)
    nudged = expected + 3e-5  # allowed: 2e-5 (atol, scaled) + rtol * 2, with rtol 1.3e-6 on CPU, 1e-5 on CUDA
    assert compare(received(nudged), expected, device="cpu").kind == "values"
    assert compare(received(nudged, "cuda:0"), expected, device="cuda") is None
    doubles = expected.double()
    assert compare(received(doubles + 3e-5, "cuda:0"), doubles, device="cuda").kind == "values"


def test_plan_for_a_gpu_runner_skips_cpu_only_questions_and_moves_inputs() -> None:
    probes = pipeline.plan(TENSORS, "ann", b"secret", device="cuda")
    assert {p.question.id for p in probes} == {q.id for q in TENSORS.questions if "cuda" in q.devices}
    assert "q1" not in {p.question.id for p in probes}  # image_to_batch is CPU only
    assert {p.probe.device for p in probes} == {"cuda"}
    cpu = [c for c in pipeline.plan(TENSORS, "ann", b"secret") if c.question.id == "q4"]
    gpu = [g for g in probes if g.question.id == "q4"]
    assert [c.probe.id for c in cpu] == [g.probe.id for g in gpu]
    assert all(torch.equal(c.expected, g.expected) for c, g in zip(cpu, gpu, strict=True))  # same hidden inputs


def cpu_result(passed: list[bool]) -> SubmissionResult:
    checks = [CheckResult(f"case {i}", i > 0, 1, ok, "" if ok else "wrong") for i, ok in enumerate(passed)]
    questions = [QuestionResult(q.id, q.function, q.points, q.points, []) for q in TENSORS.questions]
    questions[3] = QuestionResult("q4", "flatten_features", 2, 2 * sum(passed) / len(passed), checks)
    return SubmissionResult("ann", "tensors", 10, questions)


@pytest.mark.parametrize(("policy", "q4_score"), [("rescale", 1.0), ("cpu", 1.0)])
def test_without_a_gpu_runner_gpu_checks_are_not_run_and_scored_by_policy(policy: str, q4_score: float) -> None:
    assignment = dataclasses.replace(TENSORS, gpu_policy=policy)
    combined = devices.combine(assignment, cpu_result([True, False]), None)
    q4 = combined.questions[3]
    gpu = [check for check in q4.checks if check.device == "cuda"]
    assert len(gpu) == 2 and all(check.not_run == devices.NO_GPU_RUNNER for check in gpu)
    assert all(check.message.startswith("not run: no GPU runner") for check in gpu)
    assert q4.score == q4_score
    assert [check.passed for check in gpu] == ([True, False] if policy == "cpu" else [False, False])
    assert combined.questions[0].checks == []  # q1 is CPU only: nothing added


def test_gpu_results_join_their_questions() -> None:
    gpu = cpu_result([False, False])
    for check in gpu.questions[3].checks:
        check.device = "cuda"
    gpu.questions = [gpu.questions[3]]
    combined = devices.combine(TENSORS, cpu_result([True, True]), gpu)
    assert combined.questions[3].score == 1.0  # 2 of 4 checks passed
    assert [c.device for c in combined.questions[3].checks] == ["cpu", "cpu", "cuda", "cuda"]


@pytest.mark.parametrize("policy", ["rescale", "cpu"])
def test_a_cuda_only_question_is_listed_with_its_points_when_no_gpu_runner_exists(policy: str) -> None:
    """It used to vanish from the result: a correct notebook scored 8/10 with no word about q4."""
    q4 = TENSORS.question("q4")
    assignment = dataclasses.replace(
        TENSORS,
        gpu_policy=policy,
        questions=tuple(dataclasses.replace(q, devices=("cuda",)) if q is q4 else q for q in TENSORS.questions),
    )
    cpu = cpu_result([True, True])
    cpu.questions = [question for question in cpu.questions if question.id != "q4"]  # the CPU runner skips it
    combined = devices.combine(assignment, cpu, None)
    assert [question.id for question in combined.questions] == ["q1", "q2", "q3", "q4", "q5"]
    listed = combined.questions[3]
    assert listed.points == 2 and listed.score == 0
    assert len(listed.checks) == len(q4.check.cases)
    assert all(check.not_run == devices.NO_GPU_RUNNER and not check.counted for check in listed.checks)
