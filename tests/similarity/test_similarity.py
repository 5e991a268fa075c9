"""The similarity report flags the copies in a batch, with the right evidence, and nobody else."""

import copy
import csv
import io

import nbformat
import pytest

from autograder.authoring import release
from autograder.checks.results import CheckResult, QuestionResult, SubmissionResult
from autograder.course import assignment as assignments
from autograder.course import notebook as notebooks
from autograder.feedback import exports
from autograder.similarity import report as similarity
from autograder.similarity.model import Entry
from tests.conftest import COURSE
from tests.similarity.styles import ANN, BEN, CAT, DAN, EVE

TENSORS = assignments.load(COURSE, "tensors")


def solved(student: str, sources: dict[str, str]) -> nbformat.NotebookNode:
    """The release notebook with the student's functions, and a few cells of their own run at home."""
    notebook = release.student_notebook(TENSORS)
    notebooks.fill_solutions(notebook, TENSORS, sources)
    scratch = nbformat.v4.new_code_cell("x = torch.rand(3, 4)\nprint(x)")  # a fresh random cell id, as Jupyter gives
    rows = [f"[0.{student}{row}, 0.7781, 0.2213, 0.9012]" for row in range(3)]
    printed = "tensor([" + ",\n        ".join(rows) + "])\n"
    scratch.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
    failed = nbformat.v4.new_code_cell("image_to_batch(np.zeros((2, 2, 2)))")
    failed.outputs = [
        nbformat.v4.new_output(
            "error",
            ename="RuntimeError",
            evalue="permute(sparse_coo): number of dimensions in the tensor input does not match",
            traceback=[f'File "/home/{student}/course/tensors.ipynb", line 4, in image_to_batch'],
        )
    ]
    notebook.cells += [scratch, failed]
    return notebook


def batch() -> list[Entry]:
    ben = solved("ben", BEN)
    template = release.student_notebook(TENSORS)
    submitted = {
        "ann": solved("ann", ANN),
        "ben": ben,
        "cat": solved("cat", CAT),
        "dan": solved("dan", DAN),
        "eve": solved("eve", EVE),  # ann's code, disguised, in a notebook of her own
        "fay": copy.deepcopy(ben),  # ben's file, handed in under fay's name
        "tom": copy.deepcopy(template),  # three untouched templates
        "tim": copy.deepcopy(template),
        "tia": copy.deepcopy(template),
    }
    return [Entry(student, notebook) for student, notebook in submitted.items()]


@pytest.fixture(scope="module")
def report():
    return similarity.analyse(TENSORS, batch())


def test_only_the_two_copies_are_flagged(report) -> None:
    assert [(pair.a, pair.b) for pair in report.flagged] in (
        [("ben", "fay"), ("ann", "eve")],
        [("ann", "eve"), ("ben", "fay")],
    )
    assert report.clusters == (("ann", "eve"), ("ben", "fay"))


def test_the_disguised_copy_is_caught_by_its_code(report) -> None:
    (pair,) = [pair for pair in report.flagged if pair.a == "ann"]
    flagged = {(item.kind, item.where) for item in pair.evidence if item.flagged}
    assert ("code", "q3") in flagged  # the longest function: renamed, reformatted and reordered, still alike
    assert {kind for kind, _ in flagged} == {"code"}  # their notebooks share nothing else: own cells, own machine
    q3 = next(item for item in pair.evidence if item.where == "q3")
    assert (
        q3.score >= 0.7
        and any(part.shared for part in q3.sides[0])
        and "per_axis(kernel_size, axis)" in "".join(part.text for part in q3.sides[0])
    )


def test_the_copied_file_is_caught_by_what_copying_leaves_behind(report) -> None:
    (pair,) = [pair for pair in report.flagged if pair.a == "ben"]
    kinds = {item.kind for item in pair.evidence if item.flagged}
    assert {"cell ids", "outputs", "user names", "code"} <= kinds
    names = next(item for item in pair.evidence if item.kind == "user names")
    assert "'ben'" in names.words


def test_no_distinct_pair_and_no_template_pair_is_flagged(report) -> None:
    flagged = {frozenset((pair.a, pair.b)) for pair in report.flagged}
    distinct = {"ann", "ben", "cat", "dan"}
    templates = {"tom", "tim", "tia"}
    assert not any(pair <= distinct for pair in flagged)
    assert not any(pair & templates for pair in flagged)
    assert not any(pair & templates for pair in (frozenset((p.a, p.b)) for p in report.pairs))  # not even reported


def result(student: str, answers: dict[str, str], diagnoses: dict[str, str]) -> SubmissionResult:
    questions = []
    for question in TENSORS.questions:
        check = CheckResult(
            "example",
            False,
            1.0,
            question.id not in answers and question.id not in diagnoses,
            "wrong values",
            diagnoses.get(question.id, ""),
            answer=answers.get(question.id, ""),
        )
        questions.append(QuestionResult(question.id, question.function, question.points, 0.0, [check]))
    return SubmissionResult(student, "tensors", TENSORS.max_score, questions)


def test_the_same_unexplained_wrong_answer_is_flagged_and_a_common_named_mistake_is_not() -> None:
    forgot = "you forgot to divide by 255"
    results = [
        result("kim", {"q2": "a1b2c3d4e5f60718"}, {"q1": forgot}),
        result("lee", {"q2": "a1b2c3d4e5f60718"}, {"q1": forgot, "q4": "you flattened the batch axis too"}),
        result("max", {"q2": "ffffffffffffffff"}, {"q1": forgot, "q4": "you flattened the batch axis too"}),
        result("ned", {}, {"q1": forgot}),
        result("oli", {}, {}),
    ]
    found = similarity.analyse(TENSORS, [Entry(r.student, None, r) for r in results])
    pairs = {(pair.a, pair.b): pair for pair in found.pairs}
    assert [(pair.a, pair.b) for pair in found.flagged] == [("kim", "lee")]
    same = [item for item in pairs["kim", "lee"].evidence if item.kind == "same wrong answer"]
    assert [item.where for item in same] == ["q2"] and same[0].flagged
    rare = pairs["lee", "max"].evidence  # two students share a named mistake: reported, never flagged alone
    assert [(item.kind, item.where, item.flagged) for item in rare] == [("rare mistake", "q4", False)]
    assert not any("255" in item.words for pair in found.pairs for item in pair.evidence)  # four of five: common


def test_exports_list_every_piece_of_evidence_and_escape_the_code(report) -> None:
    hostile = copy.deepcopy(batch())
    for entry in hostile:
        if entry.student in ("ann", "eve"):
            cell = entry.notebook.cells[notebooks.solution_cell_index(entry.notebook, "conv2d_output_shape")]
            cell.source += '\n    "</pre><script>alert(1)</script>"'
    view = exports.CourseView([], similarity.analyse(TENSORS, hostile))
    page = exports.summary_html(TENSORS, view)
    assert "<script>" not in page and "&lt;script&gt;" in page and "<mark>" in page
    rows = list(csv.DictReader(io.StringIO(exports.similarity_csv(TENSORS, view))))
    assert {(row["student_a"], row["student_b"]) for row in rows if row["flagged"]} == {("ann", "eve"), ("ben", "fay")}
    assert all(0 <= float(row["score"]) <= 1 for row in rows)


def test_a_hostile_notebook_costs_nothing_but_its_own_evidence() -> None:
    """A cell that breaks the parser (MemoryError in ast) and an unreadable file leave the report whole."""
    entries = batch()
    bomb = solved("zed", ANN)
    bomb.cells.append(nbformat.v4.new_code_cell("-" * 100_000 + "1"))
    found = similarity.analyse(TENSORS, [*entries, Entry("zed", bomb), Entry("yan", None)])
    assert {(pair.a, pair.b) for pair in found.flagged} >= {("ann", "eve"), ("ben", "fay"), ("ann", "zed")}
