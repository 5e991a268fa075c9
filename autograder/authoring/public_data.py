"""The public examples of an assignment as data, for the student's offline self-check.

Built on the trusted side from the very probes the grader plans with ``public_only``
(so the inputs and the reference's answers are the grader's own), plus, for every
known mistake, the wrong answer it gives on each public example: the student side
names a mistake by comparing answers, without the mistake's code. Property checks marked
``@public`` ship as source (``authoring.shipping``); the others only the grader runs. Values go through
the wire format (tensors into one safetensors blob, everything else JSON); see
``autograder.selfcheck`` for the reading side. Nothing here draws a hidden input or
reads the course secret.
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

from autograder.authoring import shipping
from autograder.checks.cell_tests import Expectation
from autograder.checks.spec import is_public
from autograder.course.assignment import Assignment, AssignmentError
from autograder.grading import pipeline
from autograder.protocol import wire
from autograder.selfcheck import FORMAT, rule_to_data

log = logging.getLogger(__name__)


def build(assignment: Assignment) -> tuple[str, bytes]:
    """(json text, safetensors bytes) of the assignment's public examples."""
    planned = pipeline.plan(assignment, student="", secret=b"", public_only=True)
    values: dict[str, Any] = {}
    questions = []
    for question in assignment.questions:
        check = question.check
        values[f"{question.id}/rule"] = rule_to_data(check.rule)
        cases = []
        for probe in (p for p in planned if p.question is question and not p.probe.stand_ins):  # never ship stand-ins
            key = probe.probe.id
            values[f"{key}/inputs"] = probe.probe.inputs
            expectation = isinstance(probe.expected, Expectation)
            values[f"{key}/expected"] = probe.expected.to_data() if expectation else probe.expected
            mistakes = []
            for index, mistake in enumerate(check.mistakes):
                try:
                    inputs = wire.build_inputs(copy.deepcopy(probe.probe.inputs))
                    values[f"{key}/mistake/{index}"] = mistake.output(**inputs)
                except Exception as error:  # cannot happen on these inputs; the judge skips it too
                    log.debug("%s: mistake %r not computable: %s", key, mistake.explanation, error)
                    continue
                mistakes.append({"explanation": mistake.explanation, "output": f"{key}/mistake/{index}"})
            cases.append(
                {
                    "name": check.cases[probe.case_index].name,
                    "call": probe.probe.call,
                    "expectation": expectation,
                    "inputs": f"{key}/inputs",
                    "expected": f"{key}/expected",
                    "mistakes": mistakes,
                }
            )
        questions.append(
            {
                "id": question.id,
                "function": question.function,
                "points": question.points,
                "call": check.call,
                "driver": check.driver,
                "output_names": list(check.output_names),
                "rule": f"{question.id}/rule",
                "hidden_cases": sum(case.hidden for case in check.cases),
                "properties": sum(not is_public(prop) for prop in check.properties),
                "public_properties": [
                    {"name": prop.__name__, "source": shipping.bundle(prop)}
                    for prop in check.properties
                    if is_public(prop)
                ],
                "keep_inputs": check.keep_inputs,
                "picture": (
                    {"name": check.picture.__name__, "source": shipping.bundle(check.picture)}
                    if is_public(check.picture)
                    else None
                ),
                "depends_on": [dependency.question for dependency in check.depends_on],
                "cases": cases,
            }
        )
    text, blob = wire.encode(values)
    trees = _items(json.loads(text))
    _refuse_opaque(trees)
    for question in questions:
        question["rule"] = trees[question["rule"]]
        for case in question["cases"]:
            case["inputs"], case["expected"] = trees[case["inputs"]], trees[case["expected"]]
            for mistake in case["mistakes"]:
                mistake["output"] = trees[mistake["output"]]
    document = {
        "format": FORMAT,
        "assignment": assignment.id,
        "title": assignment.title,
        "version": assignment.version,
        "about": "Public examples for check() in the notebook, written by `autograder release`. Do not edit.",
        "questions": questions,
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n", blob


def _items(tree: dict[str, Any]) -> dict[str, Any]:
    """The key -> subtree pairs of an encoded dict."""
    return {key: value for key, value in tree["items"]}


def _refuse_opaque(trees: dict[str, Any]) -> None:
    """Every public value must survive the wire; an object it cannot carry is an authoring error."""

    def walk(tree: Any, where: str) -> None:
        if isinstance(tree, dict):
            if tree.get(wire.TAG) == "opaque":
                raise AssignmentError(f"{where}: a value of type {tree.get('type')} cannot be shipped as data")
            for value in tree.values():
                walk(value, where)
        elif isinstance(tree, list):
            for value in tree:
                walk(value, where)

    for key, tree in trees.items():
        walk(tree, key)
