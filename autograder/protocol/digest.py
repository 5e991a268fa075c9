"""A short fingerprint of a value the student returned, as the grader decoded it.

Two answers have the same digest exactly when they are equal bit for bit: same
structure, same scalars, and for each tensor or array the same kind, dtype, shape and
bytes. The similarity report compares wrong answers by it, without storing them.
"""

from __future__ import annotations

import hashlib
from typing import Any

import torch

from autograder.protocol.wire import Opaque, Received


def digest(value: Any) -> str:
    hasher = hashlib.sha256()
    _feed(hasher, value)
    return hasher.hexdigest()[:16]


def _feed(hasher: Any, value: Any) -> None:
    if isinstance(value, Received):
        data = value.data.detach().contiguous().reshape(-1)
        hasher.update(f"<{value.kind} {data.dtype} {tuple(value.data.shape)}>".encode())
        hasher.update(data.view(torch.uint8).numpy().tobytes() if data.numel() else b"")
    elif isinstance(value, dict):
        hasher.update(f"<dict {len(value)}>".encode())
        for key in sorted(value, key=repr):
            _feed(hasher, key)
            _feed(hasher, value[key])
    elif isinstance(value, list | tuple):
        hasher.update(f"<{type(value).__name__} {len(value)}>".encode())
        for item in value:
            _feed(hasher, item)
    elif isinstance(value, Opaque):
        hasher.update(f"<opaque {value.type_name} {value.text}>".encode("utf-8", "surrogatepass"))
    else:
        hasher.update(f"<{type(value).__name__} {value!r}>".encode("utf-8", "surrogatepass"))
