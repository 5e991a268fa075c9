"""A property check's (or picture's) source, with the helpers and constants it uses, as text the self-check can run.

A property or picture marked ``@public`` (``checks.spec.public``) is run by the student's offline
self-check too, so that a "Passed" there means what it means to the grader. Its code is
not the student's to see by default: marking it public is the instructor's decision,
and this module ships exactly what it needs and nothing else. It follows the names the
function's code uses (transitively): functions of the same ``checks.py`` go in as their
source, modules as import lines, plain constants (numbers, strings, dtypes, tuples of
them) as assignments. Anything else (an object of another module, a class, the
reference) is refused with the name, so nothing is shipped by accident.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from collections.abc import Callable
from typing import Any

import torch

from autograder.checks import spec
from autograder.errors import AssignmentError

_PLAIN = (int, float, str, bool, type(None), torch.dtype)
SHIPPABLE_MODULES = {"math", "numpy", "torch"}  # what every student's environment has


def shipped(check: spec.QuestionCheck) -> list[Callable[..., Any]]:
    """What of a question's checks the self-check runs too: its ``@public`` properties, then its picture if public."""
    return [candidate for candidate in (*check.properties, check.picture) if spec.is_public(candidate)]


def bundle(function: Callable[..., Any]) -> str:
    """Python source that defines ``function`` (under its own name) and everything it uses."""
    module_globals = function.__globals__
    imports: dict[str, str] = {}
    constants: dict[str, str] = {}
    sources: dict[str, str] = {}
    pending = [function]
    while pending:
        current = pending.pop()
        if current.__name__ in sources:
            continue
        sources[current.__name__] = _source(current)
        for name in sorted(_names(current.__code__) | _default_names(current)):
            if name not in module_globals or name in sources:
                continue  # a builtin, an attribute name, or done
            value = module_globals[name]
            if isinstance(value, types.ModuleType) and value.__name__.split(".")[0] in SHIPPABLE_MODULES:
                imports[name] = f"import {value.__name__}" + ("" if value.__name__ == name else f" as {name}")
            elif isinstance(value, types.FunctionType) and value.__module__ == function.__module__:
                pending.append(value)
            elif _plain(value):
                constants[name] = f"{name} = {value!r}"
            elif value is getattr(spec, name, None) and name in spec.__all__:  # Picture: the wheel has it
                imports[name] = f"from autograder.checks.spec import {name}"
            else:
                raise AssignmentError(
                    f"the public check {function.__name__} uses {name} ({type(value).__name__}), which cannot "
                    "be shipped to the self-check: use only torch, numpy, math, plain constants, functions "
                    "of checks.py and the names of autograder.checks.spec"
                )
    imports |= {"math": "import math", "torch": "import torch"}  # what a repr of a constant may name
    parts = ["from __future__ import annotations", *sorted(set(imports.values())), *constants.values()]
    return "\n".join(parts) + "\n\n\n" + "\n\n".join(reversed(list(sources.values())))


def _names(code: types.CodeType) -> set[str]:
    """The global names a code object (and the functions nested in it) may read."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _names(constant)
    return names


def _default_names(function: Callable[..., Any]) -> set[str]:
    """The global names its parameters' defaults read (``ellipses=PHANTOM_ELLIPSES``): evaluated where it is defined."""
    (definition,) = ast.parse(textwrap.dedent(inspect.getsource(function))).body
    assert isinstance(definition, ast.FunctionDef)
    defaults = [*definition.args.defaults, *(d for d in definition.args.kw_defaults if d is not None)]
    return {node.id for default in defaults for node in ast.walk(default) if isinstance(node, ast.Name)}


def _plain(value: Any) -> bool:
    """A value whose ``repr`` is the source that makes it again (with torch imported)."""
    if isinstance(value, tuple):
        return all(_plain(item) for item in value)
    return isinstance(value, _PLAIN)


def _source(function: Callable[..., Any]) -> str:
    """The function's definition as written, without its decorators (``@public`` means nothing to the self-check)."""
    source = textwrap.dedent(inspect.getsource(function))
    (definition,) = ast.parse(source).body
    assert isinstance(definition, ast.FunctionDef)
    return "\n".join(source.splitlines()[definition.lineno - 1 :]) + "\n"
