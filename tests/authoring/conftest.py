"""One release of every assignment, shared by the authoring tests (a second one for reproducibility)."""

import os
from pathlib import Path
from unittest import mock

import pytest

from autograder.authoring import release
from autograder.course import assignment as assignments
from tests.conftest import COURSE

# Set while releasing, so that the leak scan can prove the secret went nowhere.
RELEASE_SECRET = "course-secret-that-must-never-ship-7f3a9c"


def release_all(output: Path) -> dict[str, release.Release]:
    with mock.patch.dict(os.environ, {"AUTOGRADER_SECRET": RELEASE_SECRET}):
        return {
            assignment_id: release.release(assignments.load(COURSE, assignment_id), COURSE, output)
            for assignment_id in assignments.available(COURSE)
        }


@pytest.fixture(scope="session")
def released(tmp_path_factory: pytest.TempPathFactory) -> dict[str, release.Release]:
    return release_all(tmp_path_factory.mktemp("dist"))
