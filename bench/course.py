"""``make bench`` (course step): a course's worth of submissions, graded as a TA grades them.

``--count`` submissions (default 300) spread evenly over the five assignments, each
assignment's share cycling through its bundled examples of what a class hands in: the
correct one, the template and every typical mistake (``Variant.loses``). The adversarial
examples (cheats, crashing or hanging cells, resource bombs: a variant with a
``notebook_problem`` or named ``cheat_*``) are the security suite's, not a class's, and
several wait out a limit, so they are left out.
Graded with one ``autograder grade`` per assignment, one after another, with ``--force``
into a fresh output each time, three ways: the default configuration, ``--workers 1``,
and ``--workers 1`` pinned to one core (``taskset -c 0``); where kernels are restored from
a checkpoint (``execution/restore.py``), the default once more with ``AUTOGRADER_CRIU=off``,
each kernel started and importing torch. Prints wall time, submissions
per minute, CPU, peak memory per process role, the 1 -> 2 cores scaling (pinned against
the default) and the time of a 1500-submission course (300 students x 5 assignments)
extrapolated from the default's rate. Writes ``bench/results/course.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from autograder.authoring import variants
from autograder.course import assignment as assignments
from autograder.execution import restore
from bench.measure import Measurement, measure

ROOT = Path(__file__).resolve().parents[1]
COURSE_SUBMISSIONS = 1500


def batch(count: int, target: Path) -> dict[str, Path]:
    """``count`` submissions over every assignment: assignment id -> its folder of notebooks."""
    ids = assignments.available(ROOT)
    folders = {}
    for position, assignment in enumerate(ids):
        share = count // len(ids) + (position < count % len(ids))
        examples = class_examples(assignments.load(ROOT, assignment))
        folder = folders[assignment] = target / assignment
        folder.mkdir(parents=True)
        for index in range(share):
            source = examples[index % len(examples)]
            shutil.copy(source, folder / f"student-{assignment}-{index:04d}-{source.stem}.ipynb")
    return folders


def class_examples(assignment: assignments.Assignment) -> list[Path]:
    """The bundled notebooks a class hands in: correct, template, and each typical mistake."""
    kinds = [
        variant.name
        for variant in variants.load_variants(assignment)
        if not variant.notebook_problem and not variant.name.startswith("cheat")
    ]
    names = sorted({"correct", "template", *kinds})
    paths = [assignment.examples / f"{name}.ipynb" for name in names]
    return [path for path in paths if path.is_file()]


def grade_all(label: str, folders: dict[str, Path], work: Path, prefix: list[str], flags: list[str]) -> Measurement:
    autograder = str(Path(sys.executable).parent / "autograder")
    output = work / label.replace(" ", "-")
    commands = [
        [*prefix, autograder, "grade", assignment, str(folder), "--output", str(output), "--force", *flags]
        for assignment, folder in folders.items()
    ]
    count = sum(len(list(folder.glob("*.ipynb"))) for folder in folders.values())
    return measure(label, commands, count, work / "logs")


def report(runs: dict[str, Measurement]) -> dict[str, object]:
    default, pinned = runs["default"], runs["1 worker, 1 core"]
    lines = {}
    for label, run in runs.items():
        per_minute = 60 * run.items / run.wall
        lines[label] = {
            **run.as_json(),
            "submissions_per_minute": round(per_minute, 1),
            "course_minutes": round(COURSE_SUBMISSIONS / per_minute, 1),
        }
        peaks = ", ".join(f"{role} {peak.peak_rss / 2**20:.0f} MiB" for role, peak in sorted(run.roles.items()))
        status = "" if run.ok else f"  FAILED: exit codes {run.returncodes}"
        print(
            f"{label:18} {run.wall:7.1f} s  {run.per_item:5.2f} s/submission  {per_minute:5.1f}/min  "
            f"CPU {run.cpu / run.items:5.2f} s/submission  {COURSE_SUBMISSIONS} in "
            f"{COURSE_SUBMISSIONS / per_minute:5.1f} min  peak: {peaks}{status}"
        )
    scaling = pinned.wall / default.wall
    print(f"1 -> 2 cores (1 worker on 1 core against the default): {scaling:.2f}x")
    return {"runs": lines, "scaling_1_to_2_cores": round(scaling, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.course", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="submissions over all assignments (default 300)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        folders = batch(args.count, work / "submissions")
        print(f"{args.count} submissions: " + ", ".join(f"{a} {len(list(f.iterdir()))}" for a, f in folders.items()))
        cores = shutil.which("taskset")
        runs = {
            "default": grade_all("default", folders, work, [], []),
            "1 worker": grade_all("1 worker", folders, work, [], ["--workers", "1"]),
            "1 worker, 1 core": grade_all(
                "1 worker, 1 core", folders, work, [cores, "-c", "0"] if cores else [], ["--workers", "1"]
            ),
        }
        if restore.criu_problem() is None:  # the same default, each kernel started and importing torch
            off = ["env", f"{restore.CRIU_ENV}=off"]
            runs["default, kernels started"] = grade_all("default, kernels started", folders, work, off, [])
        else:
            print(f"kernels are started, not restored: {restore.criu_problem()}")
        results = report(runs)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "course.json").write_text(json.dumps(results, indent=2) + "\n")
    if not all(run.ok for run in runs.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
