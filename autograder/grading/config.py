"""How a batch is graded, as one value: course, assignment, secret, limits and runners.

It travels from the command line (or ``autograder validate``) through the session and
the batch to every runner, in this process or pickled to a Dask worker, instead of a
chain of positional parameters that each layer passes on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from autograder.execution.sandbox import Limits

WARM_KERNELS = 1  # kernels each runner keeps started ahead (docs/benchmark.md: warm kernels)


def default_workers(submissions: int, warm_kernels: int = WARM_KERNELS, cores: int | None = None) -> int:
    """Local workers when the TA does not say how many (docs/benchmark.md, "Default workers").

    A worker that keeps a kernel started ahead already keeps two cores busy: one kernel
    imports torch while the other runs a submission. A second worker on a 2-core host then
    adds only a Dask cluster's start-up and a second torch import per kernel (it was 43%
    slower on 9 notebooks and 12% on 45, issue 20). So one worker per two cores with warm
    kernels, one per core without, and never more workers than submissions.
    """
    cores = cores or os.cpu_count() or 1
    return max(1, min(submissions, cores // (2 if warm_kernels else 1)))


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
