"""``make bench``: how long grading takes compared with plain execution and with otter-grader.

Run ``python -m bench.run --help``; method and latest numbers are in ``docs/benchmark.md``.
Nothing here is imported by the package or the tests.
"""
