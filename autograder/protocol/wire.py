"""The value format that crosses the sandbox boundary: JSON plus one safetensors blob.

Inputs go in (trusted -> kernel) and outputs come out (kernel -> trusted) in this format,
so nothing is ever pickled. A value tree is encoded as JSON in which every tensor or
numpy array is replaced by a tagged reference into a flat dict of tensors, saved with
safetensors. Plain JSON scalars keep Python's int/float/bool/str/None distinction.

This module runs on both sides: the grader imports it, and the harness sends its source
text into the student's kernel (see ``harness.py``). It therefore imports nothing from
the autograder package and tolerates a missing numpy. On the trusted side every decoded
field is validated, because the kernel side is hostile and may write anything: the
received bytes are measured before they are parsed (``MAX_ELEMENTS``, ``MAX_TENSORS``),
so what the grader allocates is bounded whatever the kernel writes, and anything
malformed, from a 5000-digit integer to an unknown dtype, is a ``WireError`` or an inert
``Opaque``, never another exception.
"""

from __future__ import annotations

import json
import math
from typing import Any

import torch
from safetensors.torch import load as _load_tensors
from safetensors.torch import save as _save_tensors

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy ships with the project
    np = None

TAG = "__ag__"
MAX_DEPTH = 16
MAX_ITEMS = 10_000  # items of one container
MAX_TEXT = 2_000
# A budget for everything one received JSON text holds: its containers and scalars
# together. The count is taken before parsing, from the structural characters.
MAX_ELEMENTS = 200_000
MAX_TENSORS = 10_000  # tensors in one received safetensors blob
MAX_INT_BITS = 128  # larger ints arrive as Opaque: nothing the contract asks for is that large
# What a received array may hold; safetensors knows more (float8, ...) that no answer needs.
ARRAY_DTYPES = frozenset(
    {
        torch.bool,
        torch.uint8,
        torch.int8,
        torch.int16,
        torch.int32,
        torch.int64,
        torch.uint16,
        torch.uint32,
        torch.uint64,
        torch.float16,
        torch.bfloat16,
        torch.float32,
        torch.float64,
        torch.complex64,
        torch.complex128,
    }
)
SCALAR_DTYPES = frozenset(str(dtype).removeprefix("torch.") for dtype in ARRAY_DTYPES) - {"bfloat16"}


class WireError(ValueError):
    """The encoded value is malformed or breaks a size limit."""


def encode(value: Any) -> tuple[str, bytes]:
    """Encode a value tree as (json text, safetensors bytes)."""
    tensors: dict[str, torch.Tensor] = {}
    tree = _encode(value, tensors, depth=0)
    blob = _save_tensors(tensors) if tensors else b""
    return json.dumps(tree, allow_nan=True), blob


def decode(text: str, blob: bytes, *, received: bool = False, device: str = "cpu") -> Any:
    """Decode what ``encode`` produced, validating every field (see ``decode_tree``)."""
    return decode_tree(parse_json(text), load_blob(blob), received=received, device=device)


def parse_json(text: str, max_elements: int = MAX_ELEMENTS) -> Any:
    """``json.loads`` within a budget of elements, checked before anything is allocated.

    Every element after the first of a container follows a comma, and every container
    opens with a bracket, so those characters bound how many objects the parser creates
    (commas and brackets inside strings only make the bound looser).
    """
    elements = text.count(",") + text.count("[") + text.count("{")
    if elements > max_elements:
        raise WireError(f"too large: about {elements:,} JSON elements (at most {max_elements:,})")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:  # JSONDecodeError, and ints over Python's digit limit
        raise WireError(f"invalid JSON: {str(error)[:200]}") from None


def load_blob(blob: bytes) -> dict[str, torch.Tensor]:
    """The tensors of a safetensors blob (empty bytes: no tensors), at most ``MAX_TENSORS``.

    The header (8 bytes of length, then JSON naming every tensor) is read and counted
    before safetensors allocates anything.
    """
    if not blob:
        return {}
    length = int.from_bytes(blob[:8], "little") if len(blob) >= 8 else -1
    if not 0 < length <= len(blob) - 8:
        raise WireError("invalid safetensors data: bad header length")
    try:
        header = parse_json(blob[8 : 8 + length].decode("utf-8"), max_elements=8 * MAX_TENSORS)
    except UnicodeDecodeError:
        raise WireError("invalid safetensors data: the header is not UTF-8") from None
    if not isinstance(header, dict) or len(header) > MAX_TENSORS + 1:  # + its "__metadata__"
        raise WireError(f"invalid safetensors data: not a header of at most {MAX_TENSORS} tensors")
    try:
        tensors = _load_tensors(blob)
    except Exception:  # safetensors raises its own error types; their words may quote the (student's) header
        raise WireError("invalid safetensors data") from None
    unusable = sorted({str(t.dtype) for t in tensors.values() if t.dtype not in ARRAY_DTYPES})
    if unusable:
        raise WireError(f"arrays of dtype {', '.join(unusable)} are not accepted")
    return tensors


def decode_tree(tree: Any, tensors: dict[str, torch.Tensor], *, received: bool = False, device: str = "cpu") -> Any:
    """Decode a parsed JSON tree whose tensors are in ``tensors``.

    Gives Python scalars, lists, tuples, dicts and ``Opaque`` placeholders for objects
    that could not be encoded. Tensors and arrays become fresh plain tensors on
    ``device`` and numpy arrays (never subclasses, never shared between two decodes);
    with ``received=True`` (the grader reading a student's outputs) they become
    ``Received`` records that keep the type and device the student's value had.
    """
    return _Decoder(tensors, received, device).decode(tree, depth=0)


class Built:
    """An input built from source on each side: a function, a linear operator, a small module.

    ``source`` is a Python expression over ``values`` (wire values: tensors, numbers, ...),
    with ``torch``, ``np`` and ``math`` defined, e.g. ``Built("lambda v: (A * v ** 3).sum()",
    A=a_tensor)``. The grader writes it into a case's inputs; it is built wherever inputs
    are decoded (the kernel, with its tensors on the probe's device) and, by
    ``build_inputs``, in the trusted process for the reference and the mistakes, so both
    sides call the same object. A value received from the kernel is never built: only the
    grader's own inputs carry this tag.
    """

    def __init__(self, source: str, **values: Any) -> None:
        self.source = source
        self.values = values

    def build(self) -> Any:
        scope = {"torch": torch, "np": np, "math": math, **self.values}
        return eval(compile(self.source, "<autograder input>", "eval"), scope)  # the grader's own source

    def __repr__(self) -> str:
        return f"Built({self.source!r})"


def build_inputs(tree: Any) -> Any:
    """A copy of an input tree with every ``Built`` replaced by the object it builds."""
    if isinstance(tree, Built):
        return Built(tree.source, **build_inputs(tree.values)).build()
    if isinstance(tree, dict):
        return {key: build_inputs(value) for key, value in tree.items()}
    if type(tree) in (list, tuple):
        return type(tree)(build_inputs(item) for item in tree)
    return tree


class Opaque:
    """An object of a type the wire cannot carry; only its type name and a repr survive."""

    def __init__(self, type_name: str, text: str) -> None:
        self.type_name = type_name
        self.text = text

    def __repr__(self) -> str:
        return f"<{self.type_name}: {self.text}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Opaque) and (self.type_name, self.text) == (other.type_name, other.text)

    __hash__ = None  # type: ignore[assignment]


def _type_name(value: Any) -> str:
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}"


def _safe_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception as error:  # a hostile __repr__ must not break encoding
        text = f"<repr failed: {type(error).__name__}>"
    return text[:MAX_TEXT]


def _encode(value: Any, tensors: dict[str, torch.Tensor], depth: int) -> Any:
    if depth > MAX_DEPTH:
        return {TAG: "opaque", "type": _type_name(value), "repr": "nested too deeply"}
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {TAG: "float", "value": repr(value)}
    if isinstance(value, torch.Tensor):
        key = f"t{len(tensors)}"
        plain = value.detach().as_subclass(torch.Tensor)
        tensors[key] = plain.to("cpu").contiguous().clone()
        return {
            TAG: "tensor",
            "key": key,
            "device": str(value.device),
            "requires_grad": bool(value.requires_grad),
            "type": _type_name(value),
        }
    if np is not None and isinstance(value, np.ndarray) and value.dtype != object:
        key = f"t{len(tensors)}"
        tensors[key] = torch.from_numpy(np.ascontiguousarray(value).copy())
        return {TAG: "ndarray", "key": key, "type": _type_name(value)}
    if np is not None and isinstance(value, np.generic) and value.dtype != object:
        return {TAG: "npscalar", "dtype": str(value.dtype), "value": _encode(value.item(), tensors, depth + 1)}
    if isinstance(value, list | tuple):  # tuple subclasses (torch.Size, namedtuples) too
        items = [_encode(item, tensors, depth + 1) for item in list(value)[:MAX_ITEMS]]
        return items if isinstance(value, list) else {TAG: "tuple", "items": items}
    if isinstance(value, Built):
        return {TAG: "built", "source": value.source, "values": _encode(value.values, tensors, depth + 1)}
    if type(value) is dict:
        pairs = list(value.items())[:MAX_ITEMS]
        return {
            TAG: "dict",
            "items": [[_encode(k, tensors, depth + 1), _encode(v, tensors, depth + 1)] for k, v in pairs],
        }
    return {TAG: "opaque", "type": _type_name(value), "repr": _safe_repr(value)}


class Received:
    """A tensor or array the student returned: its CPU data and what it was on their side."""

    def __init__(self, data: torch.Tensor, kind: str, device: str, type_name: str) -> None:
        self.data = data
        self.kind = kind  # "tensor" or "ndarray"
        self.device = device
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"Received({self.kind}, {tuple(self.data.shape)}, {self.data.dtype}, {self.device})"


class _Decoder:
    def __init__(self, tensors: dict[str, torch.Tensor], received: bool, device: str) -> None:
        self.tensors = tensors
        self.received = received
        self.device = device

    def decode(self, tree: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        if type(tree) is int and tree.bit_length() > MAX_INT_BITS:
            return Opaque("int", f"an integer of {tree.bit_length()} bits")
        if tree is None or type(tree) in (bool, int, float, str):
            return tree
        if type(tree) is list:
            _check_count(tree)
            return [self.decode(item, depth + 1) for item in tree]
        if type(tree) is not dict or not isinstance(tree.get(TAG), str):
            raise WireError(f"unexpected JSON value of type {type(tree).__name__}")
        kind = tree[TAG]
        if kind in ("tensor", "ndarray"):
            return self._array(tree, kind)
        if kind == "float":
            if tree.get("value") not in ("nan", "inf", "-inf"):
                raise WireError("bad non-finite float")
            return float(tree["value"])
        if kind == "npscalar":
            return self._numpy_scalar(_text(tree, "dtype"), self.decode(tree.get("value"), depth + 1))
        if kind == "tuple":
            return tuple(self.decode(item, depth + 1) for item in _list(tree, "items"))
        if kind == "dict":
            pairs = [_pair(item) for item in _list(tree, "items")]
            decoded = [(self.decode(k, depth + 1), self.decode(v, depth + 1)) for k, v in pairs]
            if not all(type(k) in (str, int, float, bool, type(None)) for k, _ in decoded):
                raise WireError("dict keys must be plain scalars")
            return dict(decoded)
        if kind == "opaque":
            return Opaque(_text(tree, "type"), _text(tree, "repr"))
        if kind == "built" and not self.received:  # the grader's inputs only: what a kernel sends is never built
            values = self.decode(tree.get("values"), depth + 1)
            if not isinstance(values, dict):
                raise WireError("a built input's values must be a dict")
            return Built(tree["source"], **values).build()
        raise WireError("unknown tag")  # its text is the kernel's: never echoed

    @staticmethod
    def _numpy_scalar(dtype: str, value: Any) -> Any:
        """A numpy scalar of a plain numeric dtype; anything else (``np.void``, records) stays inert."""
        if np is None:
            raise WireError("numpy is needed to decode a numpy scalar")
        if dtype not in SCALAR_DTYPES or type(value) not in (bool, int, float):
            return Opaque(f"numpy.{dtype[:40]}", "a numpy scalar the grader does not read")
        try:
            return np.dtype(dtype).type(value)
        except (OverflowError, ValueError, TypeError):
            return Opaque(f"numpy.{dtype}", "a numpy scalar out of its dtype's range")

    def _array(self, tree: dict[str, Any], kind: str) -> Any:
        key = tree.get("key")
        if not isinstance(key, str) or key not in self.tensors:
            raise WireError("reference to a missing tensor")
        data = self.tensors[key]
        if self.received:
            device = _text(tree, "device") if kind == "tensor" else "cpu"
            return Received(data, kind, device, _text(tree, "type"))
        return data.clone().to(self.device) if kind == "tensor" else data.numpy().copy()


def _check_count(items: list[Any]) -> None:
    if len(items) > MAX_ITEMS:
        raise WireError(f"more than {MAX_ITEMS} items in one container")


def _list(tree: dict[str, Any], field: str) -> list[Any]:
    items = tree.get(field)
    if type(items) is not list:
        raise WireError(f"field {field!r} must be a list")
    _check_count(items)
    return items


def _pair(item: Any) -> tuple[Any, Any]:
    if type(item) is not list or len(item) != 2:
        raise WireError("dict items must be [key, value] pairs")
    return item[0], item[1]


def _text(tree: dict[str, Any], field: str) -> str:
    text = tree.get(field)
    if type(text) is not str:
        raise WireError(f"field {field!r} must be a string")
    return text[:MAX_TEXT]
