"""Tolerances by dtype, scaled with the data's magnitude.

The table starts from ``torch.testing.assert_close``'s defaults. ``atol`` is scaled by
the largest magnitude of the expected values (never below 1), so that an image in
[0, 255] and a gradient of order 1e-3 are both judged relative to their own size
instead of against one absolute number.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

# (rtol, atol) as in torch.testing._comparison._DTYPE_PRECISIONS.
DTYPE_PRECISIONS: dict[torch.dtype, tuple[float, float]] = {
    torch.float16: (1e-3, 1e-5),
    torch.bfloat16: (1.6e-2, 1e-5),
    torch.float32: (1.3e-6, 1e-5),
    torch.float64: (1e-7, 1e-7),
    torch.complex64: (1.3e-6, 1e-5),
    torch.complex128: (1e-7, 1e-7),
}


# A CUDA result against the CPU reference: GPU kernels sum in other orders (cuBLAS, cuFFT,
# atomics in reductions), so low-precision floats get looser defaults than CPU-vs-CPU.
# float64 keeps its own: differences there stay near 1e-12 and a 1e-7 miss is a real bug.
CROSS_DEVICE_PRECISIONS: dict[torch.dtype, tuple[float, float]] = {
    torch.float16: (1e-2, 1e-3),
    torch.bfloat16: (3.2e-2, 1e-3),
    torch.float32: (1e-5, 1e-5),
    torch.complex64: (1e-5, 1e-5),
}


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float

    def describe(self) -> str:
        return f"rtol={self.rtol:.2g}, atol={self.atol:.2g}"


def tolerance_for(
    expected: torch.Tensor,
    rtol: float | None = None,
    atol: float | None = None,
    scale: bool = True,
    device: str = "cpu",
) -> Tolerance:
    """The tolerance for comparing against ``expected`` (computed on the CPU) a result from ``device``.

    Integer dtypes are exact by default; explicit ``rtol``/``atol`` hold on every device.
    """
    table = DTYPE_PRECISIONS if device.split(":")[0] == "cpu" else {**DTYPE_PRECISIONS, **CROSS_DEVICE_PRECISIONS}
    default_rtol, default_atol = table.get(expected.dtype, (0.0, 0.0))
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    if scale and expected.numel() and expected.dtype.is_floating_point:
        finite = expected[torch.isfinite(expected)]
        magnitude = float(finite.abs().max()) if finite.numel() else 1.0
        atol *= max(1.0, magnitude)
    return Tolerance(rtol, atol)
