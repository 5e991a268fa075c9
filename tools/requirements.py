"""Print the project's runtime and dev requirements, one per line, from pyproject.toml.

The bootstrap hashes this list to key the shared dependency cache.
"""

import tomllib
from pathlib import Path

project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
print("\n".join([*project["dependencies"], *project["optional-dependencies"]["dev"]]))
