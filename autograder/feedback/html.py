"""The renderer's words as HTML: the templates' environment, and one question as a fragment.

``feedback.html`` (``exports``) and the student's ``check()`` in Jupyter (``selfcheck``)
show a question through the same template, ``question.html.j2``, whose words all come
from ``render``. This module imports no plotting and no grading code, so the self-check
can use it in a light install. Every value is escaped (autoescape): a result's strings
may quote the student.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import jinja2

from autograder.checks.results import QuestionResult
from autograder.feedback import render

# What a notebook output needs to look like the feedback page (the page has its own stylesheet).
# Jupyter drops a <style> element from the outputs of a notebook it does not trust (one reopened
# from disk), but keeps inline colours and weights: ``inline_styles`` writes those in as well.
INLINE = {
    "pass": "color:#176b2c",
    "fail": "color:#a31515",
    "skip": "color:#666",
    "muted": "color:#666",
    "diagnosis": "font-weight:600",
    "note": "background:#fff7e0;padding:.3rem .6rem",
}
NOTEBOOK_STYLE = (
    "<style>.autograder-check{font:14px/1.45 system-ui,sans-serif;overflow-wrap:anywhere;white-space:normal}"
    ".autograder-check h2{font-size:1.05rem;margin:.6rem 0 .2rem}.autograder-check ul.checks{list-style:none;"
    "padding-left:0;margin:.2rem 0}.autograder-check .pass{color:#176b2c}.autograder-check .fail{color:#a31515}"
    ".autograder-check .skip,.autograder-check .muted{color:#666}.autograder-check .diagnosis{font-weight:600}"
    ".autograder-check img{max-width:100%}.autograder-check .note{background:#fff7e0;padding:.3rem .6rem}</style>"
)


def environment(**filters: Callable[..., Any]) -> jinja2.Environment:
    """The templates with the renderer's filters, and ``filters`` besides (an export's own)."""
    made = jinja2.Environment(
        loader=jinja2.PackageLoader("autograder.feedback", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    made.filters.update(
        number=render.number,
        manual_line=render.manual_line,
        override_line=render.override_line,
        check_lines=render.check_lines,
        verdict=render.verdict,
        headline=render.headline,
        **filters,
    )
    return made


def question_fragment(question: QuestionResult, heading: str) -> str:
    """One question as an HTML fragment: heading, verdict, a line per check (the named mistake once)."""
    return _fragments().get_template("question.html.j2").render(question=question, heading=heading)


def inline_styles(fragment: str) -> str:
    """``fragment`` with each class of ``INLINE`` also given as an inline style (for untrusted notebooks)."""
    styled = re.sub(
        r'class="([a-z]+)"',
        lambda found: found.group(0) + (f' style="{INLINE[found.group(1)]}"' if found.group(1) in INLINE else ""),
        fragment,
    )
    return styled.replace("<h2 ", '<h2 style="font-size:1.1em;margin:.6em 0 .2em" ')


@functools.cache
def _fragments() -> jinja2.Environment:
    return environment()
