"""The wheel carries what a planner needs without the repository: embedded data and web assets."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO


@pytest.mark.slow
def test_wheel_ships_geodata_and_vendored_assets(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
        cwd=tmp_path,  # keep setuptools' build/ folder out of the checkout
    )
    [wheel] = tmp_path.glob("autocity_gis-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in ("autocity.toml", "admin_units.geojson", "components.geojson", "README.md"):
        assert f"autocity_gis/geodata/{data}" in names
    assert "autocity_gis/_vendor/leaflet/leaflet.js" in names
    assert "autocity_gis/_vendor/leaflet/LICENSE" in names
    assert "autocity_gis/py.typed" in names
