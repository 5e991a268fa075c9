"""``autograder new ID``: a working assignment to start from, that ``autograder validate ID`` passes as it stands.

It writes the three files an assignment is made of, each a small example of its
vocabulary (docs/authoring.md explains every part):

    assignments/<id>/<id>.ipynb        the master notebook: two questions (solutions, prompts,
                                       a test cell), and a written question graded by a TA
    assignments/<id>/checks.py         per question: a public case, a hidden random case, a named mistake
    assignments/<id>/examples/         variants.py (correct, template, one mutant per question)
                                       and the example notebooks built from it
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from autograder.authoring import variants
from autograder.course import assignment as assignments
from autograder.errors import UsageError

ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")

CELLS = (
    ("raw", "# ASSIGNMENT CONFIG\nname: {id}\nautograder:\n  title: {title_yaml}\n  version: '1'"),
    (
        "markdown",
        "# Assignment `{id}`: {title}\n\nFill in the functions below (replace each `raise NotImplementedError`), "
        'then run `check("q1")` and `check("q2")` on the notebook\'s examples.',
    ),
    ("code", "import torch"),
    ("raw", "# BEGIN QUESTION\nname: q1\npoints: 2"),
    ("markdown", "## q1 (2 points): scale a tensor\n\nReturn `x` multiplied by the number `factor`."),
    ("raw", "# BEGIN SOLUTION"),
    (
        "code",
        'def scale(x, factor):\n    """x times factor, same shape and dtype as x."""\n'
        "    # BEGIN SOLUTION NO PROMPT\n    return x * factor\n    # END SOLUTION\n"
        '    """ # BEGIN PROMPT\n    # YOUR CODE HERE\n    raise NotImplementedError\n    """ # END PROMPT',
    ),
    ("raw", "# END SOLUTION"),
    ("raw", "# BEGIN TESTS"),
    ("code", "scale(torch.tensor([1.0, 2.0]), 3.0).tolist() == [3.0, 6.0]"),
    ("raw", "# END TESTS"),
    ("raw", "# END QUESTION"),
    ("code", "print(scale(torch.tensor([1.0, 2.0, 3.0]), 2.0))  # tensor([2., 4., 6.])"),
    ("raw", "# BEGIN QUESTION\nname: q2\npoints: 2"),
    (
        "markdown",
        "## q2 (2 points): the mean of each row\n\nFor `x` of shape `(N, D)`, return the `N` row means, shape `(N,)`.",
    ),
    ("raw", "# BEGIN SOLUTION"),
    (
        "code",
        'def row_means(x):\n    """The mean of each row of a (N, D) tensor: shape (N,)."""\n'
        "    # BEGIN SOLUTION NO PROMPT\n    return x.mean(dim=1)\n    # END SOLUTION\n"
        '    """ # BEGIN PROMPT\n    # YOUR CODE HERE\n    raise NotImplementedError\n    """ # END PROMPT',
    ),
    ("raw", "# END SOLUTION"),
    ("raw", "# END QUESTION"),
    ("code", "print(row_means(torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])))  # tensor([2., 5.])"),
    ("raw", "# BEGIN QUESTION\nname: w1\npoints: 2\nmanual: true"),
    ("markdown", "## w1 (2 points, graded by a TA)\n\nWhy does `row_means` average over `dim=1`, not `dim=0`?"),
    ("raw", "# BEGIN SOLUTION"),
    ("markdown", "Dimension 0 indexes the rows; averaging over dim 1 reduces each row's D entries to one number."),
    ("raw", "# END SOLUTION"),
    ("raw", "# END QUESTION"),
)

CHECKS = '''"""Checks for assignment ``{id}`` (hidden: never released).

Each question has a public case (an example the notebook shows; the student's check()
judges it), a hidden case drawn at random from the student's seed, and a named mistake:
the answer a typical slip gives, so the feedback can say which slip it was.
"""

import torch

from autograder.checks.spec import Case, Mistake, QuestionCheck, Rng


def _random_matrix(rng: Rng) -> dict:
    return {{"x": rng.normal(rng.integer(2, 6), rng.integer(3, 7))}}


q1 = QuestionCheck(
    call="scale(x, factor)",
    cases=(
        Case("the notebook's example", lambda rng: {{"x": torch.tensor([1.0, 2.0, 3.0]), "factor": 2.0}}),
        Case("random x, factor", lambda rng: {{**_random_matrix(rng), "factor": rng.integer(2, 9) / 4}}, hidden=True),
    ),
    mistakes=(Mistake("you added the factor: scaling multiplies", lambda x, factor: x + factor),),
)

q2 = QuestionCheck(
    call="row_means(x)",
    cases=(
        Case("the notebook's 2x3 example", lambda rng: {{"x": torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])}}),
        Case("random N x D", _random_matrix, hidden=True),
    ),
    mistakes=(Mistake("you averaged over dim 0 (the columns): each row is dim 1", lambda x: x.mean(dim=0)),),
)

CHECKS = {{"q1": q1, "q2": q2}}
'''

VARIANTS = '''"""Bundled example submissions of ``{id}`` and what grading each must give.

Rebuild the notebooks with ``autograder examples {id}`` after editing this file or the
master notebook; ``autograder validate {id}`` grades each and checks its promise.
"""

from autograder.authoring.variants import Variant

VARIANTS = [
    Variant("correct", "every function as the solution writes it"),
    Variant("template", "the untouched student notebook", base="template", loses=("q1", "q2"),
            diagnosis="NotImplementedError"),
    Variant(
        "q1_adds", "scale that adds the factor",
        solutions={{"scale": "def scale(x, factor):\\n    return x + factor"}},
        loses=("q1",), diagnosis="you added the factor",
    ),
    Variant(
        "q2_wrong_dim", "row_means over the columns",
        solutions={{"row_means": "def row_means(x):\\n    return x.mean(dim=0)"}},
        loses=("q2",), diagnosis="you averaged over dim 0",
    ),
]
'''


def create(root: Path, assignment_id: str, title: str = "") -> list[Path]:
    """Write the scaffold of ``assignment_id`` under ``root/assignments``; returns the files written."""
    if not ID_PATTERN.fullmatch(assignment_id):
        raise UsageError(f"{assignment_id!r} is not an assignment id: lower-case letters, digits and _, a letter first")
    folder = root / "assignments" / assignment_id
    if folder.exists():
        raise UsageError(f"{folder} already exists: choose another id, or edit that assignment")
    words = {"id": assignment_id, "title": title or assignment_id.replace("_", " ").capitalize()}
    words["title_yaml"] = json.dumps(words["title"])  # a JSON string is a YAML string, whatever ":" or "#" it holds
    (folder / "examples").mkdir(parents=True)
    written = [folder / f"{assignment_id}.ipynb", folder / "checks.py", folder / "examples" / "variants.py"]
    nbformat.write(_master(words), written[0])
    written[1].write_text(CHECKS.format(**words))
    written[2].write_text(VARIANTS.format(**words))
    return written + variants.write_examples(assignments.load(root, assignment_id))


def _master(words: dict[str, str]) -> nbformat.NotebookNode:
    factories = {"raw": new_raw_cell, "markdown": new_markdown_cell, "code": new_code_cell}
    cells = []
    for index, (kind, source) in enumerate(CELLS):
        cell = factories[kind](source.format(**words))
        cell.id = f"{words['id']}-{index:02d}"
        cells.append(cell)
    metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}
    return new_notebook(cells=cells, metadata=metadata)
