"""Sandboxed autograder for numerical PyTorch notebooks."""

__version__ = "0.2.0"
