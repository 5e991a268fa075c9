"""Loading assignment.toml: a mistake stops loading with a message naming the file, question and key.

A typo used to grade silently: ``devices = ["gpu"]`` dropped the question from every
result, so a correct notebook scored 8/10 with exit status 0.
"""

import pytest

from autograder.course import assignment as assignments
from tests.grading.test_session import copy_course

FIRST_QUESTION = 'points = 2\nfunction = "image_to_batch"\ndevices = ["cpu"]'


@pytest.mark.parametrize(
    ("replacement", "words"),
    [
        ('points = 2\nfunction = "image_to_batch"\ndevices = ["gpu"]', "question q1: 'devices' must list"),
        ('points = 2\nfunction = "image_to_batch"\ndevices = []', "question q1: 'devices' must list"),
        ('points = 2\nfunction = "image_to_batch"\ndevices = ["cpu", "cpu"]', "question q1: 'devices' must list"),
        ('points = "2"\nfunction = "image_to_batch"\ndevices = ["cpu"]', "question q1: 'points' must be a number"),
        ('points = 0\nfunction = "image_to_batch"\ndevices = ["cpu"]', "question q1: 'points' must be positive"),
        ('points = 2\ndevices = ["cpu"]', "question q1: missing key 'function'"),
        ('points = 2\nfunction = "image_to_batch"\ndevice = ["cpu"]', "question q1: unknown key(s) 'device'"),
        ('points = 2\nfunction = 7\ndevices = ["cpu"]', "question q1: 'function' must be a string"),
    ],
)
def test_a_malformed_question_stops_loading(tmp_path, replacement: str, words: str) -> None:
    course = copy_course(tmp_path)
    toml = course / "assignments" / "tensors" / "assignment.toml"
    text = toml.read_text()
    assert FIRST_QUESTION in text
    toml.write_text(text.replace(FIRST_QUESTION, replacement, 1))
    with pytest.raises(assignments.AssignmentError) as raised:
        assignments.load(course, "tensors")
    assert str(toml) in str(raised.value) and words in str(raised.value)


def test_a_question_id_used_twice_stops_loading(tmp_path) -> None:
    course = copy_course(tmp_path)
    toml = course / "assignments" / "tensors" / "assignment.toml"
    toml.write_text(toml.read_text().replace('id = "q2"', 'id = "q1"', 1))
    with pytest.raises(assignments.AssignmentError, match="question ids used twice: q1"):
        assignments.load(course, "tensors")


def test_every_bundled_assignment_loads() -> None:
    root = assignments.course_root()
    assert [assignments.load(root, name).id for name in assignments.available(root)] == assignments.available(root)
