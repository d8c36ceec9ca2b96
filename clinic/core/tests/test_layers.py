"""The import contract in pyproject.toml ([tool.importlinter]) is what `make lint` checks.

These tests run it on a synthetic `clinic` package with the same layers, so they show that a
wrong-direction import breaks the contract and that the contract is not simply always kept.
"""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from django.conf import settings

PYPROJECT = settings.BASE_DIR / "pyproject.toml"


def layer_packages() -> list[str]:
    contract = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"][0]
    names = []
    for layer in contract["layers"]:
        for name in layer.replace("|", ":").split(":"):
            name = name.strip()
            if not name.startswith("("):  # optional layers may be absent
                names.append(name)
    return names


def synthetic_clinic(root: Path, *, core_imports: str = "") -> Path:
    """A `clinic` package with one empty package per required layer, and the real contract."""
    package = root / "clinic"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in layer_packages():
        (package / name).mkdir()
        (package / name / "__init__.py").write_text("")
    (package / "core" / "rules.py").write_text(core_imports)
    # Tests sit above every layer: a core test may reach the start page.
    (package / "core" / "tests").mkdir()
    (package / "core" / "tests" / "__init__.py").write_text("")
    (package / "core" / "tests" / "test_start.py").write_text("import clinic.dashboard\n")
    shutil.copy(PYPROJECT, root / "pyproject.toml")
    return root


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    command = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(command), "--no-cache", "--no-logo", "pyproject.toml"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_contract_is_kept_when_every_import_points_down(tmp_path):
    root = synthetic_clinic(tmp_path)
    result = lint_imports(root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_a_wrong_direction_import_breaks_the_contract(tmp_path):
    root = synthetic_clinic(tmp_path, core_imports="from clinic.locations import models\n")
    (root / "clinic" / "locations" / "models.py").write_text("")
    result = lint_imports(root)
    assert result.returncode != 0
    assert "clinic.core is not allowed to import clinic.locations" in result.stdout
    assert "clinic.core.rules -> clinic.locations.models" in result.stdout
