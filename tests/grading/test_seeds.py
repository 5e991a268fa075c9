"""Hidden inputs: repeatable per student, different between students; public ones shared."""

import torch

from autograder.course import assignment as assignments
from autograder.grading.pipeline import plan
from tests.conftest import COURSE, SECRET


def _inputs(student: str, secret: bytes = SECRET) -> dict:
    return {
        p.probe.id: (p.probe.inputs, "/public" if not p.question.check.cases[p.case_index].hidden else "")
        for p in plan(assignments.load(COURSE, "tensors"), student, secret)
    }


def _same(a: dict, b: dict) -> bool:
    return all(
        torch.equal(torch.as_tensor(a[k]), torch.as_tensor(b[k])) if not isinstance(a[k], tuple | int) else a[k] == b[k]
        for k in a
    )


def test_hidden_inputs_repeat_for_a_student_and_differ_between_students() -> None:
    alice, alice_again, bob = _inputs("alice"), _inputs("alice"), _inputs("bob")
    hidden = [key for key, (_, public) in alice.items() if not public]
    public = [key for key, (_, is_public) in alice.items() if is_public]
    assert all(_same(alice[key][0], alice_again[key][0]) for key in alice)
    assert sum(not _same(alice[key][0], bob[key][0]) for key in hidden) >= len(hidden) - 1
    assert all(_same(alice[key][0], bob[key][0]) for key in public)


def test_a_different_secret_draws_different_hidden_inputs() -> None:
    ours, theirs = _inputs("alice"), _inputs("alice", b"another course")
    assert any(not _same(ours[key][0], theirs[key][0]) for key, (_, public) in ours.items() if not public)
