"""The review course graded once; each test gets its own copy of the outputs and the gradebook to change.

Grading runs the sandbox, so every test module here that uses these fixtures is marked ``needs_bwrap``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.course import assignment as assignments
from autograder.course.assignment import Assignment
from autograder.grading import intake
from autograder.grading.config import BatchConfig
from autograder.grading.gradebook import Gradebook, sqlite_url
from autograder.grading.marking import Marking
from autograder.grading.session import Session
from tests.conftest import FAST_LIMITS, SECRET
from tests.review import course as review_course


@dataclass
class Graded:
    course: Path
    output: Path  # OUTPUT/ASSIGNMENT
    assignment: Assignment

    def session(self) -> Session:
        config = BatchConfig(self.course, review_course.ID, SECRET, FAST_LIMITS, workers=1)
        return Session(config, self.assignment, Gradebook(sqlite_url(self.output / "gradebook.sqlite")), self.output)

    def submissions(self) -> list[intake.Submission]:
        return intake.collect([self.course / "submissions"])


@pytest.fixture(scope="session")
def graded_once(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    course = review_course.write_course(tmp_path_factory.mktemp("review-course"))
    graded = Graded(
        course, tmp_path_factory.mktemp("review-out") / review_course.ID, assignments.load(course, review_course.ID)
    )
    session = graded.session()
    session.grade(graded.submissions())
    session.export()
    session.gradebook.close()
    return graded


@pytest.fixture
def graded(graded_once: Graded, tmp_path: Path) -> Graded:
    """A copy of the graded course's outputs (gradebook included) for this test alone."""
    output = tmp_path / "out" / review_course.ID
    shutil.copytree(graded_once.output, output)
    return Graded(graded_once.course, output, graded_once.assignment)


@pytest.fixture
def marking(graded: Graded) -> Iterator[Marking]:
    gradebook = Gradebook(sqlite_url(graded.output / "gradebook.sqlite"))
    yield Marking(graded.assignment, gradebook, graded.output)
    gradebook.close()
