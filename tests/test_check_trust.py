"""The area check on a planner's own layers, end to end through the console script.

One recipe holds what a planner's delivery really holds: two zones with an 8 m slit between them
running in from the edge, a water-protection zone to cut out, a component four times its stated
size, a zone drawn in CGCS2000 Gauss–Krüger metres, and the county units as context. Truth comes
from plain shapely/geopandas overlays measured with pyproj.Geod (``common.geod_km2``), never
from the toolkit's own figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from common import EAST, WEST, cell, component_frame, geod_km2
from pyproj import Transformer

pytestmark = pytest.mark.slow

M_LON = 1 / (111_320 * np.cos(np.radians(43.85)))  # degrees of longitude per metre, roughly
SLIT = shapely.box(125.20, 43.80, 125.20 + 8 * M_LON, 43.88)  # 8 m x 8.9 km, open to the south
EAST_SLIT = shapely.difference(EAST, shapely.box(125.20, 43.79, 125.20 + 8 * M_LON, 43.88))
LAKE = cell(125.14, 43.84, 125.16, 43.86)  # water protection, inside WEST
BIG = cell(125.30, 43.80, 125.34, 43.84)  # ~14.3 km², stated as a quarter of that
GK_ZONE = cell(125.10, 43.74, 125.16, 43.80)  # drawn in EPSG:4551 metres


def planner_folder(folder: Path, gk_declared: str) -> Path:
    """Write the layers and the recipe; the GK zone's file declares ``gk_declared``."""
    parts = component_frame(
        [
            {"id": "w", "geometry": WEST},
            {"id": "e", "geometry": EAST_SLIT},
            {"id": "lake", "geometry": LAKE},
            {"id": "big", "geometry": BIG},
        ]
    )
    parts.to_file(folder / "parts.geojson", driver="GeoJSON")
    to_gk = Transformer.from_crs(4326, 4551, always_xy=True)
    gk = shapely.transform(GK_ZONE, lambda xy: np.column_stack(to_gk.transform(*xy.T)))
    # The metres are EPSG:4551's; the file says what the planner's export said.
    gpd.GeoDataFrame({"code": ["GK"]}, geometry=[gk], crs=gk_declared).to_file(
        folder / "gk_zone.gpkg", driver="GPKG"
    )
    context = component_frame(
        [{"id": "county", "geometry": shapely.box(125.0, 43.6, 125.5, 44.0)}]
    )
    context.to_file(folder / "units.geojson", driver="GeoJSON")
    blocks = [
        (
            f'[[components]]\nid = "{cid}"\nname_en = "{cid}"\nlayer = "parts.geojson"\n'
            f'filter = {{ id = "{cid}" }}\n{extra}'
        )
        for cid, extra in (
            ("w", "stated_area_km2 = 89.3\n"),
            ("e", "stated_area_km2 = 89.2\n"),
            ("lake", 'role = "subtract"\n'),
            ("big", f"stated_area_km2 = {geod_km2(BIG) / 4:.2f}\n"),
        )
    ]
    blocks.append(
        '[[components]]\nid = "gk"\nname_en = "GK zone"\nlayer = "gk_zone.gpkg"\n'
        f"stated_area_km2 = {geod_km2(GK_ZONE):.2f}\n"
    )
    recipe = folder / "recipe.toml"
    recipe.write_text(
        '[city]\nname_en = "Planner test"\ntarget_km2 = 200.0\ntolerance_pct = 20.0\n\n'
        '[context]\nlayer = "units.geojson"\n\n' + "\n".join(blocks),
        encoding="utf-8",
    )
    return recipe


def autocity_gis(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("autocity-gis")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=600)


def test_layer_in_the_neighbouring_gauss_kruger_zone_is_refused_naming_the_right_one(
    tmp_path: Path,
) -> None:
    recipe = planner_folder(tmp_path, gk_declared="EPSG:4550")
    proc = autocity_gis("validate", "-q", "--recipe", str(recipe))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert "gk_zone.gpkg" in line and "EPSG:4551" in line


def test_the_whole_check_on_a_planners_layers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    recipe = planner_folder(data, gk_declared="EPSG:4551")
    out = tmp_path / "out"
    proc = autocity_gis("build", "--offline", "--recipe", str(recipe), "--out", str(out))

    # The oversized component fails the check although the total is within its 20 %.
    assert proc.returncode == 1, proc.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    verdicts = {c["id"]: c["passed"] for c in report["components"]}
    assert verdicts["big"] is False and verdicts["w"] is True and verdicts["gk"] is True
    assert verdicts["lake"] is None  # nothing stated, nothing judged

    # Composed = parts minus the subtracted zone, as an independent overlay measures it.
    parts = shapely.union_all([WEST, EAST_SLIT, BIG, GK_ZONE])
    expected = geod_km2(shapely.difference(parts, LAKE))
    assert report["composed_km2"] == pytest.approx(expected, rel=1e-6)
    assert [z["id"] for z in report["subtracted"]] == ["lake"]
    assert report["subtracted"][0]["removed_km2"] == pytest.approx(geod_km2(LAKE), rel=1e-6)

    # The slit is a gap with its area, open to the edge; the lake is not a gap.
    [gap] = report["gaps"]
    assert gap["area_km2"] == pytest.approx(geod_km2(SLIT), rel=1e-3)
    assert not gap["enclosed"] and sorted(gap["between"]) == ["e", "w"]

    # Every warning reaches the terminal (after the verdict) and the map.
    assert report["warnings"]
    terminal = proc.stdout + proc.stderr
    for warning in report["warnings"]:
        assert warning.splitlines()[0][:60] in terminal
    page = (out / "autocity_map.html").read_text(encoding="utf-8")
    start = page.index('<script type="application/json" id="acg-data">')
    island = json.loads(page[page.index(">", start) + 1 : page.index("</script>", start)])
    shown = json.dumps(island["panels"]["summary"], ensure_ascii=False)
    for warning in report["warnings"]:
        assert json.dumps(warning, ensure_ascii=False)[1:61] in shown


def test_fixtures_are_what_they_claim() -> None:
    assert geod_km2(SLIT) == pytest.approx(8 * 8.9 / 1000, rel=0.05)
    assert LAKE.within(WEST)
    # The other zones border w and e without overlapping them.
    for zone in (BIG, GK_ZONE):
        assert shapely.intersection(zone, WEST.union(EAST)).area == 0
