"""``make bench`` (last step): how long the similarity report takes for a class of 300.

A synthetic class of ``tensors``: each student picks, per function, one of four
distinct correct styles (``tests/similarity/styles.py``), renames its variables at
random and adds a line of their own to each, and runs a few cells of their own at home.
Ten more hand in another student's file under their own name, and ten a disguised copy
of someone else's functions (renamed again, in a notebook of their own). Prints the seconds and what was flagged; the
target (issue 18) is a few seconds on top of grading.
"""

from __future__ import annotations

import argparse
import builtins
import copy
import io
import keyword
import random
import time
import tokenize

import nbformat

from autograder.authoring import release
from autograder.course import assignment as assignments
from autograder.course import notebook as notebooks
from autograder.similarity import report as similarity
from autograder.similarity.code import definitions
from autograder.similarity.model import Entry
from tests.similarity.styles import ANN, BEN, CAT, DAN

STYLES = (ANN, BEN, CAT, DAN)
KEEP = {
    "math",
    "img",
    "batch",
    "input_shape",
    "out_channels",
    "kernel_size",
    "stride",
    "padding",
    "dilation",
    "np",
    "torch",
}


def renamed(source: str, rng: random.Random) -> str:
    """``source`` with each local name replaced by a random one (the function's name, parameters, modules kept)."""
    names: dict[str, str] = {}
    out: list[tuple[int, str]] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        text = token.string
        attribute = bool(out) and out[-1][1] == "."
        top_level_name = bool(out) and out[-1][1] == "def" and [text for _, text in out].count("def") == 1
        if token.type == tokenize.NAME and not (attribute or top_level_name or _kept(text)):
            text = names.setdefault(text, f"{rng.choice('abcdefghjkmnpqrstuvwxyz')}{rng.randrange(10**6)}")
        out.append((token.type, text))
    return tokenize.untokenize(out)


def _kept(name: str) -> bool:
    """Keywords, builtins, modules, the contract's parameter names: what a renaming student keeps."""
    return keyword.iskeyword(name) or hasattr(builtins, name) or name in KEEP


def student(assignment: assignments.Assignment, index: int, rng: random.Random) -> nbformat.NotebookNode:
    notebook = release.student_notebook(assignment)
    sources = {}
    for function in ("image_to_batch", "batch_to_images", "conv2d_output_shape"):
        header, body = rng.choice(STYLES)[function].strip().split("\n", 1)
        low, high = rng.randrange(10**6), rng.randrange(10**6, 10**7)
        own = f"    assert {low} < {high} and {high} % {rng.randrange(3, 97)} >= 0, 'my own check'"
        sources[function] = renamed(f"{header}\n{own}\n{body}", rng)
    notebooks.fill_solutions(notebook, assignment, sources)
    scratch = nbformat.v4.new_code_cell(f"print(torch.rand({rng.randrange(2, 5)}, 4))")
    values = ", ".join(f"{rng.random():.4f}" for _ in range(12))
    scratch.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"tensor([{values}])\n")]
    notebook.cells.append(scratch)
    return notebook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--copies", type=int, default=10, help="file copies, and as many disguised copies")
    args = parser.parse_args()
    rng = random.Random(18)
    assignment = assignments.load(assignments.course_root(), "tensors")
    entries = [Entry(f"s{index:03d}", student(assignment, index, rng)) for index in range(args.students)]
    planted = set()
    for index in range(args.copies):
        source = entries[index]
        entries.append(Entry(f"file-copy-{index}", copy.deepcopy(source.notebook)))
        disguised = release.student_notebook(assignment)
        code = definitions(entries[args.copies + index].notebook)
        notebooks.fill_solutions(disguised, assignment, {name: renamed(text, rng) for name, text in code.items()})
        entries.append(Entry(f"disguised-copy-{index}", disguised))
        planted |= {
            (f"file-copy-{index}", source.student),
            (f"disguised-copy-{index}", entries[args.copies + index].student),
        }
    started = time.perf_counter()
    report = similarity.analyse(assignment, entries)
    seconds = time.perf_counter() - started
    flagged = {(pair.a, pair.b) for pair in report.flagged}
    print(
        f"similarity: {len(entries)} submissions in {seconds:.2f} s; {len(flagged)} pairs flagged, "
        f"{len(planted & flagged)} of {len(planted)} planted copies among them; {len(report.pairs)} pairs with evidence"
    )


if __name__ == "__main__":
    main()
