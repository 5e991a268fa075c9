"""Make a course-sized batch from the bundled examples: N notebooks with Canvas-style names.

    python tools/make_batch.py tensors 200 /tmp/batch200

Student k gets example k mod (number of examples), so every kind of submission (correct,
each typical mistake, template, broken) appears many times under distinct student ids.
The deliberately slow example (an infinite loop cut by the cell timeout) is left out so
that timings measure grading, not waiting.
"""

import shutil
import sys
from pathlib import Path

SLOW = {"infinite_loop_cell.ipynb"}


def main(assignment: str, count: int, target: Path) -> None:
    examples = sorted(
        path
        for path in (Path(__file__).resolve().parents[1] / "assignments" / assignment / "examples").glob("*.ipynb")
        if path.name not in SLOW
    )
    target.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        source = examples[index % len(examples)]
        shutil.copy(
            source,
            target / f"student_{source.stem.replace('_', '-')}_{10000 + index}_{50000 + index}_{assignment}.ipynb",
        )
    print(f"{count} submissions of {assignment} in {target} ({len(examples)} kinds)")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
