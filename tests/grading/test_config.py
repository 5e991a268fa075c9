"""The batch's defaults: how many local workers when the TA does not say."""

from autograder.grading.config import default_workers


def test_one_worker_per_two_cores_with_warm_kernels_never_more_than_submissions() -> None:
    assert default_workers(9, warm_kernels=1, cores=2) == 1  # this machine: a second worker was slower (issue 20)
    assert default_workers(300, warm_kernels=1, cores=16) == 8
    assert default_workers(3, warm_kernels=1, cores=16) == 3
    assert default_workers(45, warm_kernels=0, cores=2) == 2  # without warm kernels a worker busies one core
    assert default_workers(1, warm_kernels=1, cores=1) == 1
