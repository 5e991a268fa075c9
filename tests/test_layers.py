"""The package's layers (``[tool.importlinter]`` in pyproject.toml) hold: no import points upwards."""

from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_no_subpackage_imports_one_above_it(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(ROOT)
    status = lint_imports(config_filename="pyproject.toml", no_cache=True)
    assert status == 0, capsys.readouterr().out[-4000:]


def test_the_contract_names_every_subpackage() -> None:
    """A new subpackage must be placed in a layer, or the contract would not see its imports."""
    import tomllib

    layers = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]["layers"]
    named = {name.strip() for layer in layers for name in layer.split("|")}
    package = ROOT / "autograder"
    present = {f"autograder.{path.name}" for path in package.iterdir() if (path / "__init__.py").is_file()}
    present |= {f"autograder.{path.stem}" for path in package.glob("*.py") if not path.stem.startswith("__")}
    assert present == named
