"""The wheel carries what a planner needs without the repository: embedded data and web assets.

Truth is the file tree itself (every file of the package and of geodata/), the wheel's zip
listing and setuptools' own output -- not the package's idea of its assets.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from common import GEODATA, REPO

PACKAGE = REPO / "src" / "autocity_gis"


def shipped_files() -> dict[str, Path]:
    """Every file the wheel must hold, by its name in the wheel (compiled bytecode aside)."""
    roots = {"autocity_gis": PACKAGE, "autocity_gis/geodata": GEODATA}
    files: dict[str, Path] = {}
    for prefix, root in roots.items():
        for path in root.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files[f"{prefix}/{path.relative_to(root).as_posix()}"] = path
    return files


def test_every_folder_with_files_is_a_listed_package() -> None:
    # setuptools warns "Package would be ignored" for a data folder that is an importable name
    # but not listed (and will stop shipping it); names like leaflet-minimap cannot be listed.
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    needed = set()
    for name in shipped_files():
        parts = name.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            if not all(part.isidentifier() for part in parts[:depth]):
                break
            needed.add(".".join(parts[:depth]))
    assert needed - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"


@pytest.mark.slow
def test_wheel_ships_every_file_without_a_packaging_warning(tmp_path: Path) -> None:
    # Built from a copy: setuptools stages files in the source's build/, and a stale one there
    # would ship files the checkout no longer has.
    source = tmp_path / "src"
    junk = shutil.ignore_patterns(".*", "build", "node_modules", "out", "*.egg-info", "_artifacts")
    shutil.copytree(REPO, source, ignore=junk)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    output = (proc.stdout + proc.stderr).splitlines()
    assert [line for line in output if "warning" in line.lower()] == []
    [wheel] = tmp_path.glob("autocity_gis-*.whl")
    names = {n for n in zipfile.ZipFile(wheel).namelist() if ".dist-info/" not in n}
    assert names == set(shipped_files())
    for data in ("autocity.toml", "admin_units.geojson", "components.geojson", "README.md"):
        assert f"autocity_gis/geodata/{data}" in names
    assert "autocity_gis/_vendor/leaflet/leaflet.js" in names
    assert "autocity_gis/_vendor/leaflet/LICENSE" in names
    assert "autocity_gis/py.typed" in names
