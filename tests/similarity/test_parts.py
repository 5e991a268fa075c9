"""The pieces under the report: thresholds an assignment can set, and answers compared bit for bit."""

import numpy as np
import pytest
import torch

from autograder.course.similarity import SimilaritySettings
from autograder.errors import AssignmentError
from autograder.protocol.digest import digest
from autograder.protocol.wire import Received
from autograder.similarity.code import normalised


def received(value: torch.Tensor) -> Received:
    return Received(value, "tensor", "cpu", "torch.Tensor")


def test_answers_have_the_same_digest_exactly_when_equal_bit_for_bit() -> None:
    values = torch.tensor([0.25, 0.5])
    assert digest([received(values), {"b": 2}]) == digest([received(values.clone()), {"b": 2}])
    assert digest(received(values)) != digest(received(values.double()))  # the dtype is part of the answer
    assert digest(received(torch.tensor([0.0]))) != digest(received(torch.tensor([-0.0])))
    assert digest(received(values)) != digest(received(values.reshape(2, 1)))
    assert digest((1, 2)) != digest([1, 2])


def test_a_course_sets_thresholds_and_a_wrong_key_or_value_is_named() -> None:
    assert SimilaritySettings.from_table({"code": 0.9, "common_min": 5}).code == 0.9
    with pytest.raises(AssignmentError, match=r"unknown key.*codes"):
        SimilaritySettings.from_table({"codes": 0.9})
    with pytest.raises(AssignmentError, match="'code' must be in"):
        SimilaritySettings.from_table({"code": 1.5})
    with pytest.raises(AssignmentError, match="'common_min' must be an integer"):
        SimilaritySettings.from_table({"common_min": 2.5})


def test_normalised_code_ignores_names_layout_and_comments_and_maps_back_to_the_source() -> None:
    one, offsets = normalised("def f(x):\n    # square it\n    return x * x  # done\n")
    other, _ = normalised("def g(value):\n    return value*value\n")
    assert one == other == "defV(V):returnV*V"
    assert np.array_equal(offsets[:, 0], np.arange(len(one)))
    source = "def f(x):\n    # square it\n    return x * x  # done\n"
    assert source[one.index("r") + offsets[one.index("r"), 1]] == "r"  # "return" found where it was written
