"""How a batch is graded, as one value: course, assignment, secret, limits and runners.

It travels from the command line (or ``autograder validate``) through the session and
the batch to every runner, in this process or pickled to a Dask worker, instead of a
chain of positional parameters that each layer passes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.execution.sandbox import Limits

WARM_KERNELS = 1  # kernels each runner keeps started ahead (docs/benchmark.md: warm kernels)


@dataclass(frozen=True)
class BatchConfig:
    """Everything a runner needs besides the submission itself.

    ``workers``: local CPU workers (1: grade in this process); ``scheduler``: a running
    Dask cluster's address or scheduler file instead (docs/cluster.md); ``warm_kernels``:
    kernels each runner keeps started ahead (0: start each when needed).
    """

    course: Path
    assignment_id: str
    secret: bytes
    limits: Limits
    workers: int = 1
    scheduler: str | None = None
    warm_kernels: int = WARM_KERNELS

    def __post_init__(self) -> None:
        if self.warm_kernels < 0:
            raise ValueError(f"warm kernels must be 0 or more, not {self.warm_kernels}")
