"""pytest's hooks and fixtures; the layers and helpers they use live in ``common.py``.

Test modules import from ``common`` (or ``payloads``), never from here: a conftest is pytest's
plugin, not a library. The names below are re-exported only so that older imports keep working.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyproj
import pytest
import shapely
from common import (
    ARTIFACTS,
    EAST,
    GEOD,
    GEODATA,
    GK_NEIGHBOUR,
    GK_ZONE,
    REPO,
    SOUTH,
    WEST,
    cell,
    component_frame,
    geod_km2,
    gk_reference_km2,
)
from hypothesis import settings

__all__ = [
    "ARTIFACTS",
    "EAST",
    "GEOD",
    "GEODATA",
    "GK_NEIGHBOUR",
    "GK_ZONE",
    "REPO",
    "SOUTH",
    "WEST",
    "cell",
    "component_frame",
    "geod_km2",
    "gk_reference_km2",
]


def pytest_report_header() -> list[str]:
    import pyogrio

    return [
        f"GDAL {pyogrio.__gdal_version_string__}, GEOS {shapely.geos_version_string}, "
        f"PROJ {pyproj.proj_version_str}"
    ]


@pytest.fixture(scope="session")
def geodata() -> Path:
    return GEODATA


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def write_recipe(tmp_path: Path) -> Callable[..., Path]:
    """Write a layer and a recipe composing it into ``tmp_path``; return the recipe path."""

    def write(
        rows: list[dict[str, Any]],
        *,
        target_km2: float = 100.0,
        tolerance_pct: float = 1.0,
        extra_components: str = "",
        snap_tolerance_m: float = 1.0,
        stated: dict[str, float] | None = None,
        roles: dict[str, str] | None = None,
    ) -> Path:
        component_frame(rows).to_file(tmp_path / "parts.geojson", driver="GeoJSON")
        stated = stated or {}
        roles = roles or {}
        blocks = []
        for r in rows:
            lines = [
                "[[components]]",
                f"id = {json.dumps(r['id'])}",
                f"name_en = {json.dumps(r.get('name_en', r['id'].title()))}",
                'layer = "parts.geojson"',
                f"filter = {{ id = {json.dumps(r['id'])} }}",
            ]
            if r["id"] in stated:
                lines.append(f"stated_area_km2 = {stated[r['id']]}")
            if r["id"] in roles:
                lines.append(f"role = {json.dumps(roles[r['id']])}")
            blocks.append("\n".join(lines))
        text = (
            "[city]\n"
            'name_en = "Test City"\n'
            'name_zh = "测试城"\n'
            f"target_km2 = {target_km2}\n"
            f"tolerance_pct = {tolerance_pct}\n"
            f"snap_tolerance_m = {snap_tolerance_m}\n\n"
            + "\n\n".join(blocks)
            + "\n"
            + extra_components
        )
        path = tmp_path / "recipe.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


# CI runs hypothesis derandomized: the same examples every run, so a red CI is reproducible
# and a green one is not luck. Local runs keep exploring new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
