"""A manual question's rubric, read from the master notebook, and the score its items give."""

from __future__ import annotations

import nbformat
import pytest

from autograder.course import master as masters
from autograder.course.answers import answer_mark
from autograder.course.rubric import Rubric
from autograder.errors import AssignmentError, UsageError
from tests.course.test_master import write

RUBRIC = (
    "rubric:\n  - {points: 1.5, text: right idea}\n  - {points: 1, text: an example}\n"
    "  - {points: -1, text: a wrong claim}"
)


def manual(config: str) -> list[nbformat.NotebookNode]:
    raw, markdown = nbformat.v4.new_raw_cell, nbformat.v4.new_markdown_cell
    return [
        raw(f"# BEGIN QUESTION\nname: w1\npoints: 2\nmanual: true\n{config}"),
        markdown("Why?"),
        raw("# BEGIN SOLUTION"),
        markdown("Because."),
        raw("# END SOLUTION"),
        raw("# END QUESTION"),
    ]


def test_the_rubric_and_comments_are_read_and_the_answer_cell_is_marked(tmp_path) -> None:
    parsed = write(tmp_path, manual(RUBRIC + '\ncomments:\n  - "See lecture 3."'))
    (question,) = parsed.questions
    assert [(item.points, item.text) for item in question.rubric.items] == [
        (1.5, "right idea"),
        (1.0, "an example"),
        (-1.0, "a wrong claim"),
    ]
    assert question.rubric.comments == ("See lecture 3.",)
    marked = [cell for cell in parsed.student_notebook().cells if answer_mark(cell) == "w1"]
    assert [cell.source for cell in marked] == [masters.ANSWER_PLACEHOLDER]


@pytest.mark.parametrize(
    ("numbers", "score"),
    [([1], 1.5), ([1, 2], 2.0), ([2, 3], 0.0), ([3], 0.0), ([], 0.0), ([1, 3], 0.5)],
)
def test_a_score_from_items_is_their_sum_kept_within_the_questions_points(numbers: list[int], score: float) -> None:
    rubric = Rubric.from_config(
        [{"points": 1.5, "text": "a"}, {"points": 1, "text": "b"}, {"points": -1, "text": "c"}], None
    )
    assert rubric.score(numbers, 2.0)[0] == score


def test_an_unknown_item_is_refused() -> None:
    with pytest.raises(UsageError, match="rubric item 2 does not exist"):
        Rubric.from_config([{"points": 1, "text": "a"}], None).score([2], 1.0)


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ("rubric:\n  - {points: one, text: a}", "needs a number of points and a text"),
        ("rubric:\n  - {points: 1}", "exactly the keys points and text"),
        ("rubric:\n  - {points: 1, text: a}\n  - {points: 2, text: a}", "two rubric items have the same text"),
        ("comments: just one", "comments must be a list of texts"),
        ("rubric:\n" + "".join(f"  - {{points: 1, text: t{n}}}\n" for n in range(10)), "at most 9 items"),
    ],
)
def test_a_malformed_rubric_names_the_question(tmp_path, config: str, words: str) -> None:
    with pytest.raises(AssignmentError, match=f"question 'w1': .*{words}"):
        write(tmp_path, manual(config))


def test_only_a_manual_question_has_a_rubric(tmp_path) -> None:
    raw, code = nbformat.v4.new_raw_cell, nbformat.v4.new_code_cell
    cells = [
        raw(f"# BEGIN QUESTION\nname: q1\n{RUBRIC}"),
        raw("# BEGIN SOLUTION"),
        code("x = 1"),
        raw("# END SOLUTION"),
    ]
    with pytest.raises(AssignmentError, match="only a manual question has a rubric"):
        write(tmp_path, [*cells, raw("# END QUESTION")])
