"""Print the project's requirements, one per line: pyproject.toml's (core, grade, dev), then each assignment's.

An assignment's extra packages (otter-grader's ``requirements``) are the lines of the
file its master notebook's ASSIGNMENT CONFIG names (``requirements: requirements.txt``,
relative to the notebook), else of ``assignments/<id>/requirements.txt``. The bootstrap
hashes this list to key the shared dependency cache, so adding a package installs it.
Runs with the system Python before any dependency exists: the standard library only.
"""

import json
import re
import tomllib
from pathlib import Path

CONFIG = re.compile(r"^requirements:\s*(\S+)\s*$", re.MULTILINE)


def assignment_requirements(folder: Path) -> list[str]:
    named = "requirements.txt"
    for notebook in sorted(folder.glob("*.ipynb")):
        for cell in json.loads(notebook.read_text(encoding="utf-8")).get("cells", []):
            source = "".join(cell.get("source", ""))
            if cell.get("cell_type") == "raw" and source.lstrip().upper().startswith("# ASSIGNMENT CONFIG"):
                match = CONFIG.search(source)
                named = match.group(1).strip("'\"") if match else named
    path = folder / named
    if not path.is_file():
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
extra = [line for folder in sorted(Path("assignments").glob("*/")) for line in assignment_requirements(folder)]
extras = project["optional-dependencies"]
print("\n".join([*project["dependencies"], *extras["grade"], *extras["dev"], *extra]))
