"""Shared fixtures: the embedded geodata, and small layers and recipes built in code."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import settings

REPO = Path(__file__).resolve().parents[1]
GEODATA = REPO / "geodata"
ARTIFACTS = REPO / "tests" / "_artifacts"
GEOD = pyproj.Geod(ellps="WGS84")


def geod_km2(geom: shapely.Geometry) -> float:
    """Independent reference: pyproj.Geod on every ring, holes subtracted, in km²."""
    total = 0.0
    for poly in shapely.get_parts(geom):
        area, _ = GEOD.geometry_area_perimeter(shapely.orient_polygons(poly))
        total += area
    return total / 1e6


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


def cell(xmin: float, ymin: float, xmax: float, ymax: float) -> shapely.Polygon:
    """A lon/lat box with vertices every 0.002° (~200 m).

    Dense vertices make the geodesic edges follow the box's meridians and parallels closely,
    so the area of a union does not depend on which collinear vertices the union keeps.
    """
    step = 0.002
    nx, ny = round((xmax - xmin) / step), round((ymax - ymin) / step)
    xs, ys = np.linspace(xmin, xmax, nx + 1), np.linspace(ymin, ymax, ny + 1)
    ring = (
        [(x, ymin) for x in xs]
        + [(xmax, y) for y in ys[1:]]
        + [(x, ymax) for x in xs[::-1][1:]]
        + [(xmin, y) for y in ys[::-1][1:]]
    )
    # Rounded so that neighbours sharing an edge share its vertices exactly (a coverage).
    return shapely.Polygon(np.round(ring, 6))


# Small real-world-sized cells near Changchun (about 8 km x 11 km each).
WEST = cell(125.10, 43.80, 125.20, 43.90)
EAST = cell(125.20, 43.80, 125.30, 43.90)
SOUTH = cell(125.10, 43.70, 125.30, 43.80)


# The same kind of zones in CGCS2000 Gauss–Krüger metres (EPSG:4551, CM 126°E), as CAD and
# land-survey deliveries hold them: a 6 km x 4 km zone and its 3 km x 4 km western neighbour.
GK_ZONE = [(440000, 4860000), (446000, 4860000), (446000, 4864000), (440000, 4864000)]
GK_NEIGHBOUR = [(437000, 4860000), (440000, 4860000), (440000, 4864000), (437000, 4864000)]


def gk_reference_km2(ring: list[tuple[float, float]], epsg: int = 4551) -> float:
    """Independent area of a Gauss–Krüger outline: densified every 10 m, moved to lon/lat by
    pyproj, measured by Geod."""
    to_wgs = pyproj.Transformer.from_crs(epsg, 4326, always_xy=True)
    dense = shapely.segmentize(shapely.Polygon(ring), 10.0)
    return geod_km2(shapely.transform(dense, lambda xy: np.column_stack(to_wgs.transform(*xy.T))))


def component_frame(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """A components layer with the attribute columns the geodata layers carry."""
    defaults = {
        "name_zh": "",
        "kind": "test",
        "parent_adcode": "",
        "accuracy": "official",
        "method": "fixture",
        "source": "tests",
        "datum": "WGS84",
        "date": "2026-11-25",
    }
    return gpd.GeoDataFrame([{**defaults, **r} for r in rows], geometry="geometry", crs=4326)


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
