"""Reading a master notebook in otter-assign's format into the student's notebook, the solution, questions and tests."""

import nbformat
import pytest

from autograder.course import master as masters
from autograder.errors import AssignmentError
from tests.course import otter_format


@pytest.fixture
def parsed(tmp_path) -> masters.Master:
    path = tmp_path / "warmup.ipynb"
    nbformat.write(otter_format.master(), path)
    return masters.parse(path)


def sources(notebook: nbformat.NotebookNode) -> str:
    return "\n".join(cell.source for cell in notebook.cells)


def test_questions_points_and_tests(parsed: masters.Master) -> None:
    questions = {question.name: question for question in parsed.questions}
    assert [(q.name, q.points, q.manual, q.function) for q in parsed.questions] == [
        ("q1", 3.0, False, "cube"),
        ("q2", 1.0, False, "triangular"),
        ("q3", 2.0, False, "scores"),
        ("q4", 2.0, True, ""),
        ("q5", 1.0, True, ""),  # otter's default: 1 point
    ]
    assert [(t.hidden, t.points) for t in questions["q2"].tests] == [(False, 0.25), (True, 0.75)]
    assert questions["q2"].tests[1].source.startswith("t = triangular()")  # the config block is not test code
    assert [t.output for t in questions["q1"].tests] == ["True", "True", "True"]
    assert questions["q4"].prompt.startswith("**q4.** Why is") and "odd power" in questions["q4"].solution
    assert parsed.config["export_cell"] is False and parsed.settings == {"title": "Warm-up"}


def test_the_student_notebook_holds_no_solution_test_or_marker(parsed: masters.Master) -> None:
    student = parsed.student_notebook()
    text = sources(student)
    for hidden in ("x ** 3", "total += n", '"ada": 9', "odd power", "cube(2) == 8", "HIDDEN", "# BEGIN", "# END"):
        assert hidden not in text, hidden
    assert "def cube(x):\n    ..." in text and "def triangular():\n    ..." in text
    assert "scores = ...\nbest = ..." in text  # the prompt replaces the solution block
    assert masters.ANSWER_PLACEHOLDER in text  # where the written answer of q4 goes
    assert "t = triangular()\n..." in text  # a manual code question's solution line
    assert "helper line" not in text and all(cell.source for cell in student.cells)  # the IGNORE cell is gone
    assert {cell.cell_type for cell in student.cells} == {"markdown", "code"}
    marked = [cell.metadata["autograder"] for cell in student.cells if "autograder" in cell.metadata]
    assert marked == [{"solution": name} for name in ("cube", "triangular", "scores")] + [
        {"answer": "q4"},  # where a TA's review finds the written answers
        {"answer": "q5"},
    ]


def test_the_solution_notebook_holds_the_solutions_without_prompts_or_tests(parsed: masters.Master) -> None:
    text = sources(parsed.solution_notebook())
    assert "return x ** 3" in text and "# SOLUTION" not in text and "odd power" in text
    assert "scores = ...\n" not in text and "BEGIN PROMPT" not in text and "cube(2) == 8" not in text


def test_the_reference_is_the_imports_and_the_solutions(parsed: masters.Master) -> None:
    namespace: dict = {}
    exec(parsed.reference, namespace)
    assert namespace["cube"](2) == 8 and namespace["best"] == "ada" and "np" in namespace
    assert "%matplotlib" not in parsed.reference and "next(t) for _" not in parsed.reference  # manual code left out


@pytest.mark.parametrize(
    ("given", "total", "points"),
    [
        ([None, None], 2, [1.0, 1.0]),
        ([0.5, None, None], 2, [0.5, 0.75, 0.75]),
        ([None, None, None, None], None, [0.25, 0.25, 0.25, 0.25]),  # otter: a question is 1 point by default
        ([0.75, None], None, [0.75, 0.0]),  # otter: without a total, unassigned tests are worth 0
    ],
)
def test_test_points_resolve_as_otter_resolves_them(given, total, points) -> None:
    assert masters._test_points(given, total) == points


def write(tmp_path, cells) -> masters.Master:
    path = tmp_path / "m.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return masters.parse(path)


def test_a_fenced_otter_block_in_markdown_is_a_marker(tmp_path) -> None:
    raw, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    parsed = write(
        tmp_path,
        [
            raw("```otter\n# BEGIN QUESTION\nname: q1\npoints: 2\n```"),
            raw("```otter\n# BEGIN SOLUTION\n```"),
            code("answer = 42  # SOLUTION"),
            raw("```otter\n# END SOLUTION\n```"),
            raw("```otter\n# END QUESTION\n```"),
        ],
    )
    assert [(q.name, q.points, q.function) for q in parsed.questions] == [("q1", 2.0, "answer")]
    assert sources(parsed.student_notebook()) == "answer = ..."


@pytest.mark.parametrize(
    ("cells", "words"),
    [
        (["# BEGIN QUESTION\nname: q1", "# BEGIN QUESTION\nname: q2"], "cell 2: # BEGIN QUESTION inside another"),
        (["# END SOLUTION"], "cell 1: # END SOLUTION without # BEGIN SOLUTION"),
        (["# BEGIN QUESTION\nname: q1", "# END QUESTION"], "cell 2: question 'q1' has no # BEGIN SOLUTION block"),
        (["# BEGIN QUESTION\nname: q1"], "cell 1: question 'q1' has no # END QUESTION"),
        (["# BEGIN TESTS"], "cell 1: # BEGIN TESTS outside a question"),
        (["# ASSIGNMENT CONFIG\n- a list"], "the ASSIGNMENT CONFIG block must be YAML keys and values"),
        ([], "no questions"),
    ],
)
def test_a_malformed_master_names_the_cell(tmp_path, cells: list[str], words: str) -> None:
    with pytest.raises(AssignmentError, match=r"m\.ipynb") as raised:
        write(tmp_path, [nbformat.v4.new_raw_cell(text) for text in cells])
    assert words in str(raised.value)


def test_a_points_list_and_all_or_nothing_are_read_as_otter_writes_them(tmp_path) -> None:
    raw, code = nbformat.v4.new_raw_cell, nbformat.v4.new_code_cell
    cells = [raw("# BEGIN QUESTION\nname: q1\npoints: [1, 2]\nall_or_nothing: true\nprivate_points: 3")]
    cells += [raw("# BEGIN SOLUTION"), code("answer = 42"), raw("# END SOLUTION"), raw("# BEGIN TESTS")]
    cells += [code("assert answer == 42"), code("assert answer > 0"), raw("# END TESTS"), raw("# END QUESTION")]
    (question,) = write(tmp_path, cells).questions
    assert (question.points, [t.points for t in question.tests], question.all_or_nothing) == (3.0, [1.0, 2.0], True)


def test_solution_lines_hidden_answers_and_hidden_tests_leak_nothing(tmp_path) -> None:
    raw, code, markdown = nbformat.v4.new_raw_cell, nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell
    answer = markdown("![sketch](attachment:sketch.png) the model answer")
    answer.attachments = {"sketch.png": {"image/png": "c2VjcmV0"}}
    cells = [raw("# BEGIN QUESTION\nname: q1"), raw("# BEGIN SOLUTION")]
    cells += [code("y = x ** 2  # SOLUTION: square it\na[i] = b[j] == c  # SOLUTION"), raw("# END SOLUTION")]
    cells += [raw("# BEGIN TESTS"), code("\n# HIDDEN\nassert y == 4"), raw("# END TESTS"), raw("# END QUESTION")]
    cells += [raw("# BEGIN QUESTION\nname: w1\nmanual: true"), raw("# BEGIN SOLUTION"), answer]
    cells += [raw("# END SOLUTION"), raw("# END QUESTION")]
    parsed = write(tmp_path, cells)
    student = parsed.student_notebook()
    assert sources(student) == f"y = ...\na[i] = ...\n{masters.ANSWER_PLACEHOLDER}"
    assert all("attachments" not in cell for cell in student.cells)
    assert parsed.questions[0].tests[0].hidden


@pytest.mark.parametrize(
    ("cells", "words"),
    [
        (["# BEGIN TESTS", "markdown", "# END TESTS"], "a tests block holds code cells only"),
        (
            ["# BEGIN TESTS", '""" # BEGIN TEST CONFIG\n- 1\n""" # END TEST CONFIG\nassert answer', "# END TESTS"],
            "the test config must be YAML keys and values",
        ),
    ],
)
def test_a_malformed_tests_block_names_the_cell(tmp_path, cells: list[str], words: str) -> None:
    raw, code = nbformat.v4.new_raw_cell, nbformat.v4.new_code_cell
    made = [raw("# BEGIN QUESTION\nname: q1"), raw("# BEGIN SOLUTION"), code("answer = 1"), raw("# END SOLUTION")]
    for text in cells:
        made.append(
            raw(text)
            if text.startswith("# ")
            else nbformat.v4.new_markdown_cell(text)
            if text == "markdown"
            else code(text)
        )
    with pytest.raises(AssignmentError, match=words):
        write(tmp_path, [*made, raw("# END QUESTION")])
