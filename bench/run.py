"""``make bench``: grading time per submission against plain execution and otter-grader.

On this machine, in one run, over the bundled examples of one assignment:

1. ``jupyter nbconvert --execute`` of each notebook, one after another, then ``--workers``
   at a time: plain execution, the floor any grader stands on;
2. ``autograder grade --workers 1``, the same pinned to one core (``taskset -c 0``) and
   ``--workers N`` (N = cores), each into a fresh output directory with ``--force``, so
   every submission really runs; then the first command again without ``--force``, where
   the gradebook's cache answers (its own line);
3. ``otter run`` of each notebook on an equivalent otter-grader assignment (see
   ``bench/otter.py``), when otter can be installed here; otherwise it says why;
4. where the time of one submission goes (``bench/breakdown.py``).

Each line has the wall time per notebook, CPU time per notebook, peak memory per process
role and the load average before and after (other work on the machine slows every line
and flattens scaling). Targets (issue 8): grading overhead over plain execution at most
10% per submission; throughput from 1 to 2 cores at least 1.8x (pinned to one core against
the default on all cores: with warm kernels one worker already uses a second core). The numbers go to
``bench/results/latest.json``. Exit status 1 when a grading run failed (the numbers are
then not comparable), 0 otherwise, whether the targets are met or not.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import otter
from bench.measure import Measurement, measure

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "latest.json"
# Bundled examples left out, and why: their time measures a limit or the file system, not grading.
EXCLUDED = {
    "infinite_loop_cell": "a cell that never ends: it measures the cell time limit (and plain nbconvert "
    "would wait forever)",
    "cheat_reads_reference": "globs the whole file system for reference/*.py: stopped by the 60 s cell limit "
    "inside the sandbox, more than 5 minutes on the host under plain nbconvert and otter",
}
OVERHEAD_TARGET = 0.10
SCALING_TARGET = 1.8
BREAKDOWN_NOTEBOOK = "correct"
COLUMNS = (
    "wall s",
    "s / notebook",
    "CPU s / nb",
    "kernel CPU s / nb",
    "pipeline s / sub (median)",
    "peak MiB main",
    "peak MiB worker",
    "peak MiB kernel",
    "peak MiB all",
    "load 1m",
)

console = Console(width=None if sys.stdout.isatty() else 150)  # piped: wide enough for the tables


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    notebooks = select(args.assignment, args.exclude)
    if not notebooks:
        console.print(f"[red]no example notebooks of {args.assignment} to run[/]")
        return 2
    work = Path(tempfile.mkdtemp(prefix="autograder-bench-"))
    try:
        report, runs, failures = run_all(args, notebooks, work)
    finally:
        if args.keep:
            console.print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    _print(report, runs)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    console.print(f"numbers: {RESULTS.relative_to(ROOT)}")
    for run in failures:
        console.print(f"[bold red]{run.label} failed[/] (exit {run.returncodes}):", highlight=False)
        console.print(run.output_tail, highlight=False, markup=False)
    return 1 if failures else 0


def run_all(
    args: argparse.Namespace, notebooks: list[Path], work: Path
) -> tuple[dict[str, Any], dict[str, Measurement], list[Measurement]]:
    """Every measurement, in an order that puts the runs compared with each other next to each other."""
    logs, n, workers = work / "logs", len(notebooks), args.workers
    examples = _examples(args.assignment)
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "assignment": args.assignment,
        "notebooks": [notebook.stem for notebook in notebooks],
        "excluded": {name: why for name, why in EXCLUDED.items() if (examples / f"{name}.ipynb").exists()}
        | {name: "--exclude" for name in args.exclude},
        "workers": workers,
        "warm_kernels": args.warm_kernels,  # None: the grader's default
    }
    warm = "" if args.warm_kernels is None else f", --warm-kernels {args.warm_kernels}"
    console.print(
        f"bench: {n} notebooks of [bold]{args.assignment}[/]{warm} on {report['machine']['cores']} cores, "
        f"load {report['machine']['load_1m']:.2f}; work dir {work}"
    )
    for name, why in report["excluded"].items():
        console.print(f"  left out {name}: {why}", highlight=False)
    source = _grader_source(ROOT / "autograder")
    env, frozen = freeze_grader(work)
    report["grader_source"] = _grader_source(frozen / "autograder")[:12]
    rounds, graded = _rounds(args, notebooks, work, env, frozen)
    runs = {key: _median(measurements) for key, measurements in rounds.items()}
    report["rounds_wall_s"] = {
        key: [round(run.wall, 2) for run in measurements] for key, measurements in rounds.items()
    }
    report["warnings"] = _warnings(graded["grade_cached"][0], source)
    report["cache_reused"] = sum(result.cached for result in graded["grade_cached"][0].values())
    graded_runs = [run for key, measurements in rounds.items() if key.startswith("grade") for run in measurements]
    report["otter"] = {"unavailable": "skipped (--no-otter)"} if args.no_otter else {}
    if not args.no_otter and (otter_run := _otter(args.assignment, notebooks, work, report["otter"], env)):
        runs["otter"] = otter_run
    report["breakdown"] = _breakdown(args.assignment, args.copies, work, env, frozen)
    report["runs"] = {key: run.as_json() for key, run in runs.items()}
    report["scores"] = {
        "autograder": {student: result.score for student, result in graded["grade"][0].items()},
        "autograder_parallel": {student: result.score for student, result in graded["grade_parallel"][0].items()},
        "otter": report["otter"].get("scores", {}),
    }
    # SubmissionResult.seconds per student, one list entry per round
    report["pipeline_seconds"] = {
        key: {student: [rows[student].seconds for rows in graded[key]] for student in graded[key][0]}
        for key in ("grade", "grade_parallel")
    }
    report["sandbox"] = _sandbox_line(logs)
    report["targets"] = _targets(rounds, runs, workers)
    return report, runs, [run for run in graded_runs if not run.ok]


def freeze_grader(work: Path) -> tuple[dict[str, str], Path]:
    """A copy of ``autograder/`` taken now, and the environment that makes the grading commands use it.

    Others may edit the checkout while the bench runs: the runs must measure one version of
    the grader, and the gradebook (whose cache key hashes the grader's source) must see the
    same source in the cached re-run as in the run before it. The course (assignments,
    reference, secret) is still read from this checkout, through ``AUTOGRADER_COURSE``.
    """
    frozen = work / "grader"
    shutil.copytree(ROOT / "autograder", frozen / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    paths = [str(frozen), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "AUTOGRADER_COURSE": str(ROOT)}, frozen


def _rounds(
    args: argparse.Namespace, notebooks: list[Path], work: Path, env: dict[str, str], frozen: Path
) -> tuple[dict[str, list[Measurement]], dict[str, list[dict[str, Graded]]]]:
    """The compared runs, ``--repeat`` times, each round in the same order; the cached re-run once.

    The grading commands run from the frozen copy of the grader (``freeze_grader``).
    """
    logs, n, workers, titles = work / "logs", len(notebooks), args.workers, _names(args.workers)
    graders = {"env": env, "cwd": frozen}
    rounds: dict[str, list[Measurement]] = defaultdict(list)
    graded: dict[str, list[dict[str, Graded]]] = defaultdict(list)
    for index in range(args.repeat):
        tag, out = (f" (round {index + 1} of {args.repeat})" if args.repeat > 1 else ""), work / f"round{index}"
        plain = [_nbconvert(notebook, out / "nbconvert-seq") for notebook in notebooks]
        rounds["nbconvert"].append(_step(f"nbconvert-r{index}", titles["nbconvert"] + tag, plain, n, logs))
        grade = _grade(args, notebooks, 1, out / "grades-seq", force=True)
        rounds["grade"].append(_step(f"grade-r{index}", titles["grade"] + tag, [grade], n, logs, **graders))
        graded["grade"].append(_graded(out / "grades-seq" / args.assignment))  # before the re-run rewrites it
        if index == 0:
            again = _grade(args, notebooks, 1, out / "grades-seq", force=False)
            rounds["grade_cached"].append(_step("grade_cached", titles["grade_cached"], [again], n, logs, **graders))
            graded["grade_cached"].append(_graded(out / "grades-seq" / args.assignment))
        pinned = ["taskset", "-c", "0", *_grade(args, notebooks, 1, out / "grades-1core", force=True)]
        title = titles["grade_one_core"] + tag
        rounds["grade_one_core"].append(_step(f"grade_one_core-r{index}", title, [pinned], n, logs, **graders))
        plain = [_nbconvert(notebook, out / "nbconvert-par") for notebook in notebooks]
        title = titles["nbconvert_parallel"] + tag
        rounds["nbconvert_parallel"].append(_step(f"nbconvert_parallel-r{index}", title, plain, n, logs, workers))
        grade = _grade(args, notebooks, workers, out / "grades-par", force=True)
        title = titles["grade_parallel"] + tag
        rounds["grade_parallel"].append(_step(f"grade_parallel-r{index}", title, [grade], n, logs, **graders))
        graded["grade_parallel"].append(_graded(out / "grades-par" / args.assignment))
    return rounds, graded


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="tensors", help="whose bundled examples to run (default: tensors)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel workers (default: cores)")
    parser.add_argument("--exclude", action="append", default=[], metavar="NAME", help="leave out this example too")
    parser.add_argument("--copies", type=int, default=3, help="submissions graded for the time breakdown")
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds of the compared runs; each line keeps its median (default: 1)"
    )
    parser.add_argument(
        "--warm-kernels",
        type=int,
        metavar="N",
        help="passed to every grading command: kernels started ahead per worker (default: the grader's default)",
    )
    parser.add_argument("--no-otter", action="store_true", help="skip otter-grader")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (outputs and logs)")
    return parser


def _examples(assignment: str) -> Path:
    return ROOT / "assignments" / assignment / "examples"


def select(assignment: str, exclude: list[str]) -> list[Path]:
    left_out = set(EXCLUDED) | set(exclude)
    return [path for path in sorted(_examples(assignment).glob("*.ipynb")) if path.stem not in left_out]


def _step(
    key: str,
    title: str,
    commands: list[list[str]],
    items: int,
    logs: Path,
    parallel: int = 1,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Measurement:
    console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {title} ...", highlight=False)
    result = measure(key, commands, items, logs, parallel, env, cwd)
    console.print(
        f"  {result.wall:.1f} s, {result.per_item:.2f} s per notebook, load {result.load_before:.2f} -> "
        f"{result.load_after:.2f}{'' if result.ok else f'  [red]exit codes {result.returncodes}[/]'}",
        highlight=False,
    )
    return result


def _grade(args: argparse.Namespace, notebooks: list[Path], workers: int, output: Path, force: bool) -> list[str]:
    command = [str(Path(sys.executable).parent / "autograder"), "grade", args.assignment, *map(str, notebooks)]
    command += ["--workers", str(workers), "--output", str(output)]
    if args.warm_kernels is not None:
        command += ["--warm-kernels", str(args.warm_kernels)]
    return [*command, "--force"] if force else command


def _nbconvert(notebook: Path, output: Path) -> list[str]:
    return [
        sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
        "--output-dir", str(output), str(notebook),
    ]  # fmt: skip


def _otter(
    assignment: str, notebooks: list[Path], work: Path, info: dict[str, Any], env: dict[str, str]
) -> Measurement | None:
    """Measures ``otter run`` of every notebook; on any setup failure records why and returns None."""
    log = work / "logs" / "otter-setup.log"
    try:
        began = time.monotonic()
        existed = otter.venv_ready()
        console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] otter-grader venv ...", highlight=False)
        venv = otter.ensure_venv(log)
        info.update(venv=str(venv), setup_s=round(time.monotonic() - began, 1), **otter.versions(venv))
        info["torch_from"] = "the project's dependency cache, through a .pth file (not installed again)"
        console.print(
            f"  {venv} ({'reused' if existed else 'created'}, {info['setup_s']} s): otter {info['otter']}, "
            f"torch {info['torch']} {info['torch_from']}",
            highlight=False,
        )
        archive = otter.build_assignment(venv, assignment, work / "otter", log, env)
    except otter.OtterUnavailable as error:
        info["unavailable"] = str(error)
        console.print(f"  [yellow]otter-grader left out:[/] {error}", highlight=False)
        return None
    outputs = [work / "otter" / "results" / notebook.stem for notebook in notebooks]
    for output in outputs:
        output.mkdir(parents=True)
    commands = [otter.run_command(venv, archive, nb, out) for nb, out in zip(notebooks, outputs, strict=True)]
    result = _step(
        "otter", f"otter run, {len(notebooks)} notebooks one after another", commands, len(notebooks), work / "logs"
    )
    info["scores"] = {nb.stem: otter.score(out) for nb, out in zip(notebooks, outputs, strict=True)}
    if not result.ok:
        info["failures"] = result.output_tail
    return result


def _breakdown(assignment: str, copies: int, work: Path, env: dict[str, str], frozen: Path) -> dict[str, Any]:
    notebook = _examples(assignment) / f"{BREAKDOWN_NOTEBOOK}.ipynb"
    output = work / "breakdown.json"
    console.print(
        f"[dim]{time.strftime('%H:%M:%S')}[/] time breakdown: {copies} copies of {notebook.name}, one process ...",
        highlight=False,
    )
    command = [sys.executable, "-m", "bench.breakdown", assignment, str(notebook), "--copies", str(copies)]
    command += ["--json", str(output), "--spawned-at", repr(time.time())]
    with open(work / "logs" / "breakdown.log", "wb") as sink:
        done = subprocess.run(command, stdout=sink, stderr=subprocess.STDOUT, cwd=frozen, env=env)
    if done.returncode != 0 or not output.exists():
        tail = (work / "logs" / "breakdown.log").read_text(errors="replace")[-2000:]
        console.print(f"  [red]breakdown failed (exit {done.returncode})[/]\n{tail}", highlight=False)
        return {"failed": tail}
    return json.loads(output.read_text())


@dataclass(frozen=True)
class Graded:
    """What results.json says of one student's grading."""

    score: float
    seconds: float  # SubmissionResult.seconds: the pipeline alone
    cached: bool


def _graded(output: Path) -> dict[str, Graded]:
    graded = {}
    for path in sorted(output.glob("*/results.json")):
        results = json.loads(path.read_text())
        extra = results.get("extra_data", {})
        graded[path.parent.name] = Graded(results["score"], extra.get("seconds", 0.0), bool(extra.get("cached")))
    return graded


def _median(measurements: list[Measurement]) -> Measurement:
    """The round with the median wall time (the lower middle one of an even count)."""
    ordered = sorted(measurements, key=lambda run: run.wall)
    return ordered[(len(ordered) - 1) // 2]


def _grader_source(package: Path) -> str:
    """A hash of the grader's source: the gradebook regrades everything when it changes."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _warnings(cached: dict[str, Graded], source: str) -> list[str]:
    warnings = []
    if _grader_source(ROOT / "autograder") != source:
        warnings.append(
            "autograder/ changed in this checkout while the bench ran; every run used the copy taken at the start"
        )
    regraded = [student for student, result in cached.items() if not result.cached]
    if regraded:
        warnings.append(
            f"the cached re-run graded {len(regraded)} of {len(cached)} submissions again instead of reusing them "
            "(did the course's checks, reference or secret change?): its line measures grading, not the cache"
        )
    return warnings


def _sandbox_line(logs: Path) -> str:
    for log in sorted(logs.glob("grade-*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("sandbox: "):
                return line.removeprefix("sandbox: ")
    return ""


def _machine() -> dict[str, Any]:
    with open("/proc/meminfo") as handle:
        total = int(handle.readline().split()[1]) * 1024
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(total / 2**30, 1),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "torch": metadata.version("torch"),
        "load_1m": os.getloadavg()[0],
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _ratios(
    grade: Measurement,
    one_core: Measurement,
    plain: Measurement,
    parallel: Measurement,
    plain_parallel: Measurement,
    workers: int,
) -> dict[str, float]:
    """The ratios of one round: runs measured next to each other, under the same load."""
    cores = min(workers, os.cpu_count() or 1)
    return {
        "overhead": grade.per_item / plain.per_item - 1,
        # issue 8's "from 1 to 2 cores": the same grader pinned to one core, then free on all of them
        "scaling": one_core.wall / parallel.wall,
        "worker_scaling": grade.wall / parallel.wall,
        "machine_scaling_plain_execution": plain.wall / plain_parallel.wall,
        "cpu_overhead": grade.cpu / plain.cpu - 1 if plain.cpu else float("nan"),
        # what running N workers costs in CPU on top of 1 worker
        "parallel_cpu_over_sequential": parallel.cpu / grade.cpu - 1 if grade.cpu else float("nan"),
        # if every second of grading were CPU, N cores would finish the N-worker CPU in CPU / N
        "scaling_bound_from_cpu": cores * grade.cpu / parallel.cpu if parallel.cpu else float("nan"),
    }


def _targets(rounds: dict[str, list[Measurement]], runs: dict[str, Measurement], workers: int) -> dict[str, Any]:
    """Each ratio is computed within each round, then the median over the rounds is kept."""
    keys = ("grade", "grade_one_core", "nbconvert", "grade_parallel", "nbconvert_parallel")
    per_round = [_ratios(*(rounds[key][index] for key in keys), workers) for index in range(len(rounds["grade"]))]
    targets: dict[str, Any] = {
        name: round(statistics.median(ratios[name] for ratios in per_round), 3) for name in per_round[0]
    }
    targets["rounds"] = [{name: round(value, 3) for name, value in ratios.items()} for ratios in per_round]
    overhead, scaling = targets.pop("overhead"), targets.pop("scaling")
    targets["overhead"] = {"value": overhead, "target": f"<= {OVERHEAD_TARGET:.0%}", "met": overhead <= OVERHEAD_TARGET}
    targets["scaling"] = {"value": scaling, "target": f">= {SCALING_TARGET}x", "met": scaling >= SCALING_TARGET}
    if "otter" in runs:  # measured once: against the median lines
        targets["otter_over_plain"] = round(runs["otter"].per_item / runs["nbconvert"].per_item - 1, 3)
        targets["grade_over_otter"] = round(runs["grade"].per_item / runs["otter"].per_item - 1, 3)
    return targets


# Output ------------------------------------------------------------------------------------------


def _mib(value: float) -> str:
    return f"{value / 2**20:,.0f}" if value else "-"


def _names(workers: int) -> dict[str, str]:
    return {
        "nbconvert": "nbconvert --execute, sequential",
        "nbconvert_parallel": f"nbconvert --execute, {workers} at a time",
        "grade": "autograder grade --workers 1",
        "grade_one_core": "autograder grade --workers 1, pinned to 1 core (taskset -c 0)",
        "grade_parallel": f"autograder grade --workers {workers}",
        "grade_cached": "autograder grade, cached re-run",
        "otter": "otter run, sequential",
    }


def _print(report: dict[str, Any], runs: dict[str, Measurement]) -> None:
    machine = report["machine"]
    title = (
        f"{report['assignment']}: {len(report['notebooks'])} notebooks, {machine['cores']} cores "
        f"({machine['cpu']}), {machine['memory_gib']} GiB, torch {machine['torch']}"
    )
    table = Table(title=title)
    table.add_column("run")
    for column in COLUMNS:
        table.add_column(column, justify="right")
    medians = {
        key: [seconds for values in per_student.values() for seconds in values]
        for key, per_student in report["pipeline_seconds"].items()
    }
    lines = ("nbconvert", "grade", "grade_one_core", "nbconvert_parallel", "grade_parallel", "otter", "grade_cached")
    for key in lines:
        if key not in runs:
            continue
        run = runs[key]
        roles = run.roles
        seconds = medians.get(key)
        table.add_row(
            _names(report["workers"])[key] + ("" if run.ok else " [red](failed)[/]"),
            f"{run.wall:.1f}",
            f"{run.per_item:.2f}",
            f"{run.cpu / run.items:.2f}",
            f"{roles['kernel'].cpu / run.items:.2f}" if "kernel" in roles else "-",
            f"{statistics.median(seconds):.2f}" if seconds else "-",
            _mib(roles["main"].peak_rss if "main" in roles else 0),
            _mib(roles["worker"].peak_rss if "worker" in roles else 0),
            _mib(roles["kernel"].peak_rss if "kernel" in roles else 0),
            _mib(run.peak_tree_rss),
            f"{run.load_before:.1f} -> {run.load_after:.1f}",
        )
    if "otter" not in runs:
        table.add_row(f"otter run: [yellow]not measured[/] ({report['otter'].get('unavailable', '')})")
    console.print(table)
    console.print(
        "peak MiB: largest high-water mark of one process: main = the command itself (the grader, nbconvert's or "
        "otter's client), worker = one Dask worker process, kernel = one notebook kernel; all = the whole tree at "
        "its largest. CPU = user + system time of every process of the run (kernel: of the kernels alone). "
        "pipeline s = SubmissionResult.seconds from results.json (one submission, from reading it to its "
        "judged result; no CLI start-up, no queueing).",
        style="dim",
    )
    if report.get("sandbox"):
        console.print(f"sandbox: {report['sandbox']}", style="dim", highlight=False)
    _print_targets(report["targets"], runs, report["cache_reused"])
    _print_breakdown(report["breakdown"])
    if len(report["rounds_wall_s"]["grade"]) > 1:
        rounds = "; ".join(f"{key} {walls}" for key, walls in report["rounds_wall_s"].items())
        console.print(f"wall s of each round (the tables show the median round): {rounds}", highlight=False)
    for warning in report["warnings"]:
        console.print(f"[bold yellow]warning:[/] {warning}", highlight=False)


def _verdict(met: bool) -> str:
    return "[bold green]met[/]" if met else "[bold red]NOT met[/]"


RATIOS = (  # (what, key in targets, format): the rows of the ratios table, targets first
    ("grading overhead per submission over plain execution (1 worker vs nbconvert)", "overhead", "{:+.0%}"),
    ("throughput scaling, 1 -> all cores (1 worker pinned to 1 core / all workers on all)", "scaling", "{:.2f}x"),
    (
        "throughput scaling, 1 -> all workers, both on all cores (warm kernels: 1 worker uses 2 cores)",
        "worker_scaling",
        "{:.2f}x",
    ),
    (
        "same scaling of plain execution (nbconvert): what the machine allowed",
        "machine_scaling_plain_execution",
        "{:.2f}x",
    ),
    ("grading CPU time over plain execution's", "cpu_overhead", "{:+.0%}"),
    ("CPU time of all workers over 1 worker's (worker start-up, Dask)", "parallel_cpu_over_sequential", "{:+.0%}"),
    (
        "scaling CPU-bound grading could reach: workers x 1-worker CPU / all-workers CPU",
        "scaling_bound_from_cpu",
        "{:.2f}x",
    ),
    ("otter run over plain execution", "otter_over_plain", "{:+.0%}"),
    ("autograder (1 worker) over otter run", "grade_over_otter", "{:+.0%}"),
)


def _print_targets(targets: dict[str, Any], runs: dict[str, Measurement], reused: int) -> None:
    rounds = targets["rounds"]
    title = "ratios and targets" + (
        f" (each the median of {len(rounds)} rounds' own ratios)" if len(rounds) > 1 else ""
    )
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    if len(rounds) > 1:
        table.add_column("rounds", justify="right")
    table.add_column("target", justify="right")
    table.add_column("verdict")
    for what, key, form in RATIOS:
        if key not in targets:
            continue
        entry = targets[key]
        value = entry["value"] if isinstance(entry, dict) else entry
        cells = [what, form.format(value)]
        if len(rounds) > 1:
            cells.append(", ".join(form.format(ratios[key]) for ratios in rounds) if key in rounds[0] else "")
        if isinstance(entry, dict):
            cells += [entry["target"], _verdict(entry["met"])]
        else:
            cells += ["", "context"]
        table.add_row(*cells)
    cached = runs["grade_cached"]
    label = f"cached re-run, per submission ({reused} of {cached.items} reused from the gradebook)"
    verdict = "context" if reused == cached.items else "[yellow]see warning[/]"
    table.add_row(label, f"{cached.per_item:.2f} s", *([""] if len(rounds) > 1 else []), "", verdict)
    console.print(table)


def _print_breakdown(breakdown: dict[str, Any]) -> None:
    if "phases" not in breakdown:
        console.print("[red]no time breakdown[/] (see above)")
        return
    walls = breakdown["submission_wall_s"]
    copies = breakdown["copies"]
    table = Table(
        title=f"one submission ({Path(breakdown['notebook']).name}, {copies} copies graded in one process, "
        f"load {breakdown['load_1m']:.1f})"
    )
    table.add_column("phase")
    table.add_column("1st in process s", justify="right")
    table.add_column(f"later s (mean of {copies - 1})" if copies > 1 else "later s", justify="right")
    table.add_column("share of later", justify="right")
    later_wall = statistics.fmean(walls[1:]) if len(walls) > 1 else walls[0]
    accounted_first = accounted_later = 0.0
    rows = []
    for phase in breakdown["phases"]:
        seconds = phase["seconds"]
        first = seconds[0]
        later = statistics.fmean(seconds[1:]) if len(seconds) > 1 else seconds[0]
        accounted_first += first
        accounted_later += later
        rows.append((phase["phase"], first, later))
    rows.append(
        ("unattributed (CLI loop, session bookkeeping)", walls[0] - accounted_first, later_wall - accounted_later)
    )
    for name, first, later in sorted(rows, key=lambda row: -max(row[1], row[2])):
        if max(first, later) < 0.01:
            continue
        table.add_row(name, f"{first:.3f}", f"{later:.3f}", f"{later / later_wall:.0%}")
    table.add_row("[bold]submission wall[/]", f"[bold]{walls[0]:.3f}[/]", f"[bold]{later_wall:.3f}[/]", "100%")
    console.print(table)
    if breakdown.get("unhooked"):
        console.print(f"[yellow]not timed (not found in the grader):[/] {', '.join(breakdown['unhooked'])}")
    once = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in breakdown["once_s"].items())
    console.print(f"once per process: {once}", highlight=False)
    calibration = breakdown.get("calibration_s", {})
    if calibration:
        text = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in calibration.items())
        console.print(f"the same in a fresh unsandboxed interpreter: {text}", highlight=False)


if __name__ == "__main__":
    sys.exit(main())
