"""Sandboxed autograder for numerical PyTorch notebooks."""
