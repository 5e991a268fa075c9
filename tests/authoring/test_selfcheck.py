"""The student's check(): the grader's verdicts on the public examples, from the release alone."""

import base64
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from autograder import selfcheck
from autograder.authoring import variants
from autograder.course import assignment as assignments
from tests.conftest import COURSE

ASSIGNMENTS = assignments.available(COURSE)


def imports_cell(assignment: assignments.Assignment) -> str:
    notebook = assignment.student_notebook()
    return next(cell.source for cell in notebook.cells if cell.cell_type == "code")


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_reference_passes_and_mutants_get_the_graders_diagnosis(released: dict, assignment_id: str) -> None:
    assignment = assignments.load(COURSE, assignment_id)
    folder = released[assignment_id].student
    assert all(
        report.passed for report in selfcheck.self_check(assignment_id, vars(assignment.reference), folder).run()
    )
    detected = []
    for variant in variants.load_variants(assignment):
        if variant.base != "reference" or not variant.loses:
            continue
        namespace = dict(vars(assignment.reference))
        exec(imports_cell(assignment), namespace)
        for source in variant.solutions.values():
            exec(source, namespace)
        for question_id in variant.loses:
            (report,) = selfcheck.self_check(assignment_id, namespace, folder).run(question_id)
            if not report.passed:  # the public examples show the mistake: named as the grader names it
                wanted = variant.diagnosis_of(question_id)
                assert wanted in selfcheck.render(report), (variant.name, selfcheck.render(report))
                detected.append(variant.name)
    assert detected  # the public examples catch typical mistakes, not only the hidden ones


def test_unknown_question_and_missing_function(released: dict, capsys: pytest.CaptureFixture) -> None:
    check = selfcheck.self_check("tensors", {}, released["tensors"].student)
    check("q9")
    check("q1")
    out = capsys.readouterr().out
    assert "no question 'q9' in tensors (questions: q1, q2, q3, q4, q5)" in out
    assert "q1 `image_to_batch`: 0 of 2 public examples pass: `image_to_batch` is not defined in your notebook" in out


def test_missing_public_data_is_explained(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    check = selfcheck.self_check("tensors", {}, tmp_path)
    check("q1")
    assert "self-check unavailable: tensors.public.json and tensors.public.safetensors are not in" in (
        capsys.readouterr().out
    )


STUDENT_SESSION = textwrap.dedent(
    """
    import importlib.util, json, sys
    import autograder
    assert autograder.__file__.startswith(sys.argv[1]), autograder.__file__
    for name in ("assignments", "tests"):
        assert importlib.util.find_spec(name) is None, name

    def run_notebook(path, namespace):
        for cell in json.load(open(path))["cells"]:
            if cell["cell_type"] == "code":
                exec("".join(cell["source"]), namespace)

    namespace = {"__name__": "__main__"}
    run_notebook("my solution.ipynb", namespace)   # its check() cells print as they run
    print("=== forgot 255")
    exec(sys.stdin.read(), namespace)               # the student rewrites q1 with a typical mistake
    namespace["check"]("q1")
    hidden_side = ("autograder.grading", "autograder.authoring", "autograder_course")
    loaded = [m for m in sys.modules if m.startswith(hidden_side)]
    print("=== loaded", loaded)
    """
)


def test_check_works_from_the_released_student_folder_alone(released: dict, tmp_path: Path) -> None:
    """Unzip the LMS zip, install its wheel (offline, nothing else), run a solved notebook's cells."""
    rel = released["tensors"]
    with zipfile.ZipFile(rel.student_zip) as archive:
        archive.extractall(tmp_path)
    folder = tmp_path / "tensors"
    site = tmp_path / "site"
    wheel = next(folder.glob("autograder-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    (folder / "my solution.ipynb").write_bytes((rel.solution / "tensors.ipynb").read_bytes())
    mistake = next(v for v in variants.load_variants(assignments.load(COURSE, "tensors")) if v.name == "q1_forgot_255")
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "AUTOGRADER_COURSE")}
    completed = subprocess.run(
        [sys.executable, "-c", STUDENT_SESSION, str(site)],
        cwd=folder,
        env={**environment, "PYTHONPATH": str(site)},
        input=mistake.solutions["image_to_batch"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    solved, wrong = completed.stdout.split("=== forgot 255")
    assert "q1 `image_to_batch`: 2 of 2 public examples pass" in solved
    assert "All public examples pass. Not a grade yet" in solved
    assert "FAIL" not in solved
    assert "0 of 2 public examples pass: you forgot to divide by 255" in wrong
    assert "FAIL example: grayscale 2x3 ramp:" in wrong and "your values are 255 times the expected ones" in wrong
    assert json.loads(wrong.split("=== loaded ")[1].replace("'", '"')) == []


@pytest.mark.parametrize(("missing", "install"), [("autograder", "autograder-"), ("safetensors", "safetensors")])
def test_the_setup_cell_says_what_to_install_into_which_python(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, missing: str, install: str
) -> None:
    import builtins

    from autograder.authoring.release import SETUP_SOURCE

    real_import = builtins.__import__

    def without(name, *args, **kwargs):
        if name.startswith("autograder"):
            error = ModuleNotFoundError(f"No module named {missing!r}")
            error.name = missing
            raise error
        return real_import(name, *args, **kwargs)

    namespace: dict = {}
    source = SETUP_SOURCE.format(assignment="tensors", wheel="autograder-1.0-py3-none-any.whl")
    monkeypatch.setattr(builtins, "__import__", without)
    exec(source, namespace)
    monkeypatch.setattr(builtins, "__import__", real_import)
    namespace["check"]("q1")
    out = capsys.readouterr().out
    assert f"cannot import {missing}" in out and f"`%pip install {install}" in out and sys.executable in out


@pytest.mark.parametrize(
    ("assignment_id", "question_id", "source", "words"),
    [
        ("inverse", "q5", "def tv_denoise(f, lam, iters):\n    return f.clone()", "does not minimise the objective"),
        ("inverse", "q5", "def tv_denoise(f, lam, iters):\n    return torch.zeros_like(f)", "does not minimise"),
        (
            "autograd",
            "q3",
            "def numerical_gradient(f, x, eps=1e-6):\n"
            "    g = torch.zeros_like(x)\n"
            "    for i in range(x.numel()):\n"
            "        x.view(-1)[i] += eps\n"
            "        up = f(x)\n"
            "        x.view(-1)[i] -= 2 * eps\n"
            "        g.view(-1)[i] = (up - f(x)) / (2 * eps)\n"
            "    return g",
            "changed the caller's x",
        ),
    ],
)
def test_a_public_property_fails_here_as_in_the_grader_never_passed(
    released: dict, assignment_id: str, question_id: str, source: str, words: str
) -> None:
    """The issue's false "Passed": an outcome threshold and "x unchanged" now run in the self-check too."""
    assignment = assignments.load(COURSE, assignment_id)
    namespace = dict(vars(assignment.reference))
    exec(imports_cell(assignment), namespace)
    exec(source, namespace)
    (report,) = selfcheck.self_check(assignment_id, namespace, released[assignment_id].student).run(question_id)
    assert not report.passed and words in selfcheck.render(report)
    assert not any(check.not_run for check in report.result.checks)  # a verdict, not "only the grader can judge"


def test_in_jupyter_the_verdict_is_the_feedback_pages_html_with_the_diagnosis_once(
    released: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment = assignments.load(COURSE, "autograd")
    namespace = dict(vars(assignment.reference))
    exec(imports_cell(assignment), namespace)
    namespace["linear_mse_grads"] = _raising  # its message quotes the "student"
    shown = []
    import IPython.display

    monkeypatch.setattr(selfcheck, "_in_jupyter", lambda: True)
    monkeypatch.setattr(IPython.display, "display", shown.append)
    selfcheck.self_check("autograd", namespace, released["autograd"].student)("q2")
    (verdicts,) = shown
    page = verdicts._repr_html_()
    assert '<span class="fail" style="color:#a31515">FAIL</span>' in page and "autograder-check" in page
    assert "<style>" in page  # and the inline colour for a notebook Jupyter does not trust (its <style> dropped)
    assert "&lt;script&gt;" in page and "<script>" not in page  # the student's words are escaped
    assert repr(verdicts) == verdicts.text and "q2 `linear_mse_grads`" in verdicts.text


def _raising(*args: object) -> None:
    """A student's function whose error message is hostile HTML."""
    raise ValueError("<script>alert(1)</script>")


def test_the_diagnosis_and_named_parts_appear_once_in_the_html(released: dict) -> None:
    assignment = assignments.load(COURSE, "autograd")
    namespace = dict(vars(assignment.reference))
    exec(imports_cell(assignment), namespace)
    (variant,) = [v for v in variants.load_variants(assignment) if v.name == "q2_sum_not_mean"]
    exec(next(iter(variant.solutions.values())), namespace)
    reports = selfcheck.self_check("autograd", namespace, released["autograd"].student).run("q2")
    page = selfcheck.verdicts(reports).html
    assert page.count(variant.diagnosis) == 1 and "at dW" in page


@pytest.mark.parametrize(("question_id", "panels"), [("q3", 5), ("q4", 6)])
def test_the_picture_of_the_feedback_page_is_drawn_in_the_notebook_too(
    released: dict, question_id: str, panels: int
) -> None:
    """inverse's reconstructions: clean, data, reference, yours, |yours - reference| (and q4's objective curves)."""
    assignment = assignments.load(COURSE, "inverse")
    namespace = dict(vars(assignment.reference))
    exec(imports_cell(assignment), namespace)
    exec(
        next(v for v in variants.load_variants(assignment) if v.name == "q3_unregularised").solutions[
            "tikhonov_deblur"
        ],
        namespace,
    )
    (report,) = selfcheck.self_check("inverse", namespace, released["inverse"].student).run(question_id)
    first, *others = report.result.checks
    image = base64.b64decode(first.figure)
    assert image.startswith(b"\x89PNG") and not any(check.figure for check in others)
    width = int.from_bytes(image[16:20], "big")  # the PNG header: one 2.6-inch panel at 80 dpi each
    assert round(width / (2.6 * 80)) == panels
    assert f'src="data:image/png;base64,{first.figure}"' in selfcheck.verdicts([report]).html
    assert report.passed == (question_id == "q4")  # a wrong answer is pictured too (q3)
