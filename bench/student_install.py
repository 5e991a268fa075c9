"""``make bench`` (install step): what installing the student wheel costs, in a fresh venv each way.

Ways (``--ways``): ``plain`` installs the wheel alone, so pip picks torch itself (with no
torch installed that is the default build, CUDA libraries included); ``cpu`` installs
torch's CPU build first (here from pip's find-links folder, as a student would from
PyTorch's CPU index), then the wheel. Prints, per way, the seconds of each pip step, the
venv's size on disk and its package count, and the torch it ends with. ``--wheel`` measures
another wheel (an older release, for a before/after); by default one is built from this
checkout.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.authoring import package
from tests.authoring.test_student_install import local_cpu_torch


def measure(way: str, wheel: Path, scratch: Path) -> dict[str, object]:
    venv = scratch / f"venv-{way}"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    steps: list[tuple[str, float]] = []
    installs = [[str(local_cpu_torch())]] if way == "cpu" else []
    for arguments in [*installs, [str(wheel)]]:
        started = time.monotonic()
        subprocess.run([python, "-m", "pip", "install", "-q", *arguments], check=True)
        steps.append((Path(arguments[0]).name.split("-")[0], time.monotonic() - started))
    size = int(subprocess.run(["du", "-sb", str(venv)], capture_output=True, text=True, check=True).stdout.split()[0])
    listed = subprocess.run([python, "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True).stdout
    torch = next(line for line in listed.splitlines() if line.startswith("torch=="))
    subprocess.run(["rm", "-rf", str(venv)], check=True)
    return {"way": way, "steps": steps, "bytes": size, "packages": len(listed.splitlines()), "torch": torch}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="the wheel to install (default: built from this checkout)")
    parser.add_argument("--ways", nargs="+", default=["plain", "cpu"], choices=["plain", "cpu"])
    args = parser.parse_args()
    if "cpu" in args.ways and local_cpu_torch() is None:
        sys.exit("no CPU torch wheel in $PIP_FIND_LINKS: measure --ways plain")
    with tempfile.TemporaryDirectory() as scratch:
        wheel = args.wheel or package.build_wheel(Path(scratch))
        print(f"student install of {wheel.name}")
        for way in args.ways:
            result = measure(way, wheel, Path(scratch))
            steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result["steps"])
            print(
                f"  {way:5}: {result['bytes'] / 1e9:.2f} GB in the venv, {result['packages']} packages, "
                f"{result['torch']}; {steps}"
            )


if __name__ == "__main__":
    main()
