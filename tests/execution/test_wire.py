"""The sandbox boundary format: faithful round trips, strict validation of hostile data."""

import json

import numpy as np
import pytest
import torch

from autograder.protocol import wire


def test_round_trip_keeps_types_and_values() -> None:
    value = (
        1,
        2.5,
        True,
        None,
        "text",
        float("inf"),
        [torch.arange(6).reshape(2, 3).t()],
        {"key": np.arange(4, dtype=np.uint8)},
        torch.Size([2, 3]),
    )
    decoded = wire.decode(*wire.encode(value))
    assert decoded[:6] == (1, 2.5, True, None, "text", float("inf"))
    assert type(decoded[0]) is int and type(decoded[1]) is float
    assert torch.equal(decoded[6][0], torch.arange(6).reshape(2, 3).t())
    assert decoded[7]["key"].dtype == np.uint8 and decoded[7]["key"].tolist() == [0, 1, 2, 3]
    assert decoded[8] == (2, 3) and type(decoded[8]) is tuple


def test_received_records_keep_what_the_student_had() -> None:
    class Sneaky(torch.Tensor):
        pass

    text, blob = wire.encode([torch.ones(2).as_subclass(Sneaky), np.zeros(3)])
    tensor, array = wire.decode(text, blob, received=True)
    assert tensor.kind == "tensor" and tensor.type_name.endswith("Sneaky") and tensor.device == "cpu"
    assert type(tensor.data) is torch.Tensor
    assert array.kind == "ndarray"


def test_unencodable_objects_become_opaque_without_calling_hostile_repr() -> None:
    class Hostile:
        def __repr__(self) -> str:
            raise RuntimeError("boom")

    decoded = wire.decode(*wire.encode(Hostile()))
    assert isinstance(decoded, wire.Opaque) and decoded.type_name.endswith("Hostile")
    assert "repr failed" in decoded.text


def test_decoded_inputs_are_fresh_copies() -> None:
    text, blob = wire.encode({"x": torch.zeros(3)})
    tensors = wire.load_blob(blob)
    first = wire.decode_tree(json.loads(text), tensors)
    first["x"] += 1
    assert wire.decode_tree(json.loads(text), tensors)["x"].sum() == 0


@pytest.mark.parametrize(
    "text",
    [
        '{"__ag__": "tensor", "key": "t9"}',
        '{"__ag__": "pickle", "data": "..."}',
        '{"__ag__": "dict", "items": [[[1], 2]]}',
        '{"__ag__": "float", "value": "1e309"}',
        '{"not": "tagged"}',
        "not json",
    ],
)
def test_malformed_data_is_refused(text: str) -> None:
    with pytest.raises(wire.WireError):
        wire.decode(text, b"")


def test_corrupt_safetensors_is_refused() -> None:
    with pytest.raises(wire.WireError):
        wire.decode("null", b"\x00garbage")


def test_a_built_input_is_built_from_its_source_on_the_side_that_decodes_it() -> None:
    spec = wire.Built("lambda v: (A * v).sum() + c", A=torch.tensor([1.0, 2.0]), c=0.5)
    decoded = wire.decode(*wire.encode({"f": spec, "x": 3}))  # as the kernel decodes its inputs
    assert decoded["f"](torch.tensor([1.0, 1.0])).item() == 3.5 and decoded["x"] == 3
    built = wire.build_inputs({"f": spec, "pair": (spec, 1)})  # as the grader builds them for the reference
    assert built["f"](torch.tensor([2.0, 0.0])).item() == 2.5 and built["pair"][1] == 1


def test_a_kernel_cannot_make_the_grader_build_anything() -> None:
    text, blob = wire.encode(wire.Built("__import__('os').system('echo pwned')"))
    with pytest.raises(wire.WireError, match="unknown tag"):
        wire.decode(text, blob, received=True)  # what the grader does with everything the kernel wrote
