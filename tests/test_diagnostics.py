"""Subtracted zones, gaps (enclosed or open to the edge), holes and overlaps, end to end.

Truth: pyproj.Geod areas (``common.geod_km2``) of plain shapely/geopandas overlays of the
fixture boxes, the geodesic length of the slit, json.loads, CommonMark tokens, strict XML
parsers and the page's JSON island -- never the toolkit's own figures.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from common import EAST, FORBIDDEN, GEOD, WEST, cell, component_frame, geod_km2, terminal_safe
from markdown_it import MarkdownIt
from payloads import shown, text, xml_shown

from autocity_gis import api, webmap
from autocity_gis._errors import RecipeError
from autocity_gis._export import export_all
from autocity_gis.composition import compose_geometries
from autocity_gis.qgis import layer_frames
from autocity_gis.recipe import DEFAULT_GAP_WIDTH_M, load_recipe
from autocity_gis.report import summary_lines, to_json, to_markdown
from autocity_gis.validation import ValidationReport

LAT = 43.85
M_LON = 1 / (111_320 * np.cos(np.radians(LAT)))  # degrees of longitude per metre, roughly
SLIT_M = 8.0
#: An 8 m slit between w and e, running in from the south edge (43.80) to 43.88: ~8.9 km.
SLIT = shapely.box(125.20, 43.80, 125.20 + SLIT_M * M_LON, 43.88)
EAST_SLIT = shapely.difference(EAST, shapely.box(125.20, 43.79, 125.20 + SLIT_M * M_LON, 43.88))
#: A lake wholly inside w, and a shore zone half outside e (north edge at 43.90).
LAKE = cell(125.14, 43.84, 125.16, 43.86)
SHORE = cell(125.24, 43.89, 125.26, 43.91)


def _scenario(write_recipe: Callable[..., Path], gap_width: float | None = None) -> Path:
    path = write_recipe(
        [
            {"id": "w", "geometry": WEST},
            {"id": "e", "geometry": EAST_SLIT},
            {"id": "lake", "name_en": "Lake", "geometry": LAKE},
            {"id": "shore", "name_en": "Shore", "geometry": SHORE},
        ],
        roles={"lake": "subtract", "shore": "subtract"},
        # The lake is 3.57 km² measured: judged too (a subtracted zone with a stated area).
        stated={"w": 88.0, "e": 88.0, "lake": 3.6},
        target_km2=170.0,
        tolerance_pct=5.0,
    )
    if gap_width is not None:
        body = path.read_text(encoding="utf-8")
        path.write_text(
            body.replace("snap_tolerance_m", f"gap_width_m = {gap_width}\nsnap_tolerance_m", 1),
            encoding="utf-8",
        )
    return path


@pytest.fixture
def scenario(write_recipe: Callable[..., Path]) -> tuple[Any, ValidationReport]:
    _, composition, report = api.check(_scenario(write_recipe))
    return composition, report


def test_subtracted_zone_is_subtracted_and_the_area_matches_an_independent_overlay(
    scenario: tuple[Any, ValidationReport],
) -> None:
    _, report = scenario
    parts = gpd.GeoDataFrame(geometry=[WEST, EAST_SLIT], crs=4326)
    cut = gpd.GeoDataFrame(geometry=[LAKE, SHORE], crs=4326)
    expected = gpd.overlay(parts.dissolve(), cut.dissolve(), how="difference")
    assert report.composed_km2 == pytest.approx(geod_km2(expected.geometry.iloc[0]), rel=1e-7)
    lake, shore = report.subtracted
    assert (lake.id, shore.id) == ("lake", "shore")
    assert lake.removed_km2 == pytest.approx(geod_km2(LAKE), rel=1e-7)
    assert lake.inside_pct == pytest.approx(100.0, abs=1e-6)
    inside = geod_km2(shapely.intersection(SHORE, EAST))
    assert shore.removed_km2 == pytest.approx(inside, rel=1e-6)
    assert shore.inside_pct == pytest.approx(inside / geod_km2(SHORE) * 100, rel=1e-6)
    assert shore.inside_pct == pytest.approx(50.0, abs=0.5)
    assert shore.area_km2 == pytest.approx(geod_km2(SHORE), rel=1e-9)
    # never a gap or a hole
    assert report.holes == ()
    assert all(not set(g.between) & {"lake", "shore"} for g in report.gaps)


def test_slit_open_to_the_edge_is_a_gap_with_its_area(
    scenario: tuple[Any, ValidationReport],
) -> None:
    composition, report = scenario
    [gap] = report.gaps
    assert report.gap_count == 1 and report.gap_width_m == DEFAULT_GAP_WIDTH_M
    assert gap.between == ("w", "e") and not gap.enclosed
    assert gap.area_km2 == pytest.approx(geod_km2(SLIT), rel=1e-4)
    _, _, length_m = GEOD.inv(125.20, 43.80, 125.20, 43.88)
    assert gap.area_km2 == pytest.approx(SLIT_M * length_m / 1e6, rel=0.01)  # ≈ 8 m × 8.9 km
    assert gap.width_m == pytest.approx(SLIT_M, abs=0.3)
    assert shapely.Point(gap.lon, gap.lat).within(SLIT.buffer(1e-6))
    assert report.gaps_km2 == pytest.approx(gap.area_km2)
    assert shapely.get_num_interior_rings(composition.boundary.geometry.iloc[0]) == 1  # lake
    # a warning for the person, not a failure: the check still passes on its area
    [warning] = [w for w in report.warnings if w.startswith("gap1: ")]
    assert "between 'w' and 'e'" in warning and "open to the outer edge" in warning
    assert report.passed


def test_measured_reconciliation_adds_up(scenario: tuple[Any, ValidationReport]) -> None:
    _, report = scenario
    b = report.area_balance
    assert b is not None
    union = shapely.union_all([WEST, EAST_SLIT])
    assert b.sum_of_parts_km2 == pytest.approx(geod_km2(WEST) + geod_km2(EAST_SLIT), rel=1e-9)
    assert b.overlaps_km2 == 0.0
    assert b.parts_union_km2 == pytest.approx(geod_km2(union), rel=1e-7)
    removed = shapely.intersection(union, shapely.union_all([LAKE, SHORE]))
    assert b.subtracted_km2 == pytest.approx(geod_km2(removed), rel=1e-6)
    assert b.composed_km2 == report.composed_km2
    assert abs(b.residual_km2) < 1e-6 and abs(b.union_residual_km2) < 1e-6
    # the report's text shows figures that add up, and the subtract is not a part
    md = to_markdown(report)
    found = re.search(r"Parts − subtracted = composed: ([\d.]+) − ([\d.]+) = ([\d.]+) km²", md)
    assert found is not None
    union_t, cut_t, composed_t = (float(v) for v in found.groups())
    assert union_t - cut_t == pytest.approx(composed_t, abs=0.0015)
    assert composed_t == pytest.approx(report.composed_km2, abs=0.0005)
    stated = re.search(r"Published areas of the parts: (.*) = ([\d.]+) km²", md)
    assert stated is not None and stated.group(1) == "88 + 88" and stated.group(2) == "176.00"
    assert "Published areas of the subtracted zones: lake 3.6 km²" in md


def test_terminal_names_the_subtracted_zone_the_gap_and_overlap_pairs(
    scenario: tuple[Any, ValidationReport],
) -> None:
    _, report = scenario
    lines = summary_lines(report)
    assert any(line.startswith("  subtracted lake: ") for line in lines)
    [gaps] = [line for line in lines if line.startswith("  gaps: ")]
    assert "w / e" in gaps and "open to the edge" in gaps and "8 m wide" in gaps
    shifted = shapely.affinity.translate(EAST, xoff=-0.02)
    result = compose_geometries(np.array([WEST, shifted]), ids=["w", "e"])
    [detail] = result.overlap_details
    assert detail.between == ("w", "e")
    assert detail.width_m == pytest.approx(0.02 / M_LON, rel=0.01)  # 0.02° of longitude
    assert shapely.Point(detail.lon, detail.lat).within(result.overlaps[0][2])


def test_json_carries_the_diagnostics(scenario: tuple[Any, ValidationReport]) -> None:
    _, report = scenario
    data = json.loads(to_json(report))
    assert [z["id"] for z in data["subtracted"]] == ["lake", "shore"]
    [gap] = data["gaps"]
    assert gap["between"] == ["w", "e"] and gap["enclosed"] is False
    assert data["holes"] == [] and data["gap_width_m"] == DEFAULT_GAP_WIDTH_M
    assert set(data["area_balance"]) >= {"parts_union_km2", "subtracted_km2", "composed_km2"}


def test_gap_width_comes_from_the_recipe(write_recipe: Callable[..., Path]) -> None:
    _, _, narrow = api.check(_scenario(write_recipe, gap_width=5))
    assert narrow.gaps == () and narrow.gap_width_m == 5.0
    out_of_range = r"'gap_width_m' = -1(\.0)? is out of range \(0 to 5000\)"
    with pytest.raises(RecipeError, match=out_of_range):
        load_recipe(_scenario(write_recipe, gap_width=-1))


def test_hole_in_one_part_is_a_hole_and_a_notch_is_nothing() -> None:
    enclave = shapely.box(125.15, 43.85, 125.15 + 20 * M_LON, 43.86)  # 20 m: narrow, but its own
    notch = shapely.box(125.25, 43.80, 125.25 + 10 * M_LON, 43.83)  # a notch in e's own edge
    w = shapely.difference(WEST, enclave)
    e = shapely.difference(EAST, shapely.box(125.25, 43.79, 125.25 + 10 * M_LON, 43.83))
    result = compose_geometries(np.array([w, e]), ids=["w", "e"])
    assert result.gaps == ()
    [hole] = result.holes
    assert hole.between == ("w",) and hole.enclosed
    assert geod_km2(hole.geometry) == pytest.approx(geod_km2(enclave), rel=1e-6)
    assert not shapely.intersects(hole.geometry, notch.buffer(-1e-7))


def test_parts_apart_by_less_than_the_gap_width_have_a_gap_between_them() -> None:
    east = shapely.affinity.translate(EAST, xoff=30 * M_LON)
    result = compose_geometries(np.array([WEST, east]), ids=["w", "e"])
    [gap] = result.gap_details
    assert gap.between == ("w", "e") and not gap.enclosed
    assert gap.width_m == pytest.approx(30.0, rel=0.02)
    far = compose_geometries(np.array([WEST, east]), ids=["w", "e"], gap_width_m=20.0)
    assert far.gaps == ()


def test_embedded_data_have_no_gap_or_hole() -> None:
    _, composition, report = api.check()
    assert report.gaps == () and report.holes == () and report.subtracted == ()
    assert composition.gaps.empty and composition.holes.empty


def test_hand_off_layers_carry_the_diagnostics(
    scenario: tuple[Any, ValidationReport], tmp_path: Path
) -> None:
    composition, report = scenario
    export_all(composition, report, tmp_path, formats=("gpkg", "qgs", "geojson", "kml", "shp"))
    layers = [name for name, _ in pyogrio.list_layers(tmp_path / "autocity.gpkg")]
    assert {"subtracted", "gaps"} <= set(layers) and "holes" not in layers
    gaps = json.loads((tmp_path / "gaps.geojson").read_text(encoding="utf-8"))
    [props] = [f["properties"] for f in gaps["features"]]
    assert props["between"] == "w, e" and props["enclosed"] is False
    assert props["width_m"] == pytest.approx(SLIT_M, abs=0.3)
    cut = json.loads((tmp_path / "subtracted.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["id"] for f in cut["features"]] == ["lake", "shore"]
    with sqlite3.connect(tmp_path / "autocity.gpkg") as con:
        styled = {r[0] for r in con.execute("SELECT f_table_name FROM layer_styles")}
    assert {"subtracted", "gaps"} <= styled
    project = ET.parse(tmp_path / "autocity.qgs").getroot()
    tree = project.find("layer-tree-group")
    assert tree is not None
    [group] = [g for g in tree.iter("layer-tree-group") if g.get("name") == "Diagnostics"]
    assert [n.get("name") for n in group.iter("layer-tree-layer")] == ["gaps", "subtracted"]
    kml = ET.parse(tmp_path / "autocity.kml").getroot()
    names = [e.text for e in kml.iter("{http://www.opengis.net/kml/2.2}name")]
    assert "gap 1 w / e" in names


def test_map_draws_subtracted_zones_and_gaps(
    scenario: tuple[Any, ValidationReport], tmp_path: Path
) -> None:
    composition, report = scenario
    out = webmap.write_map(composition, report, tmp_path / "map.html")
    assert {"subtracted", "gaps"} <= set(out.overlays)
    assert "lake" not in out.overlays  # not drawn as one more part
    data = _island(out.path)
    [gap] = _layer(data, "gaps")["features"]
    assert gap["properties"]["tip"][0] == [
        ["Gaps between components", ""], [": ", ""], ["w", ""], [" / ", ""], ["e", ""]
    ]
    assert "open to the outer edge" in gap["properties"]["tip"][1][0][0]
    zones = _layer(data, "subtracted")
    assert [f["properties"]["tip"][0][0] for f in zones["features"]] == [
        ["Lake", "b"], ["Shore", "b"]
    ]
    legend = [e["label"] for e in data["panels"]["legend"]["entries"]]
    assert [["Subtracted zones (cut out)", ""]] in legend
    removed = geod_km2(
        shapely.intersection(shapely.union_all([WEST, EAST_SLIT]), shapely.union_all([LAKE, SHORE]))
    )
    # The figures note follows the warnings, which come first among the notes.
    notes = [n[0][0] for n in data["panels"]["summary"]["notes"]]
    note = next(n for n in notes if n.startswith("Sum of parts"))
    assert f"Subtracted: {removed:,.2f} km² (2)" in note and "Gaps: 0.07 km² (1)" in note


def _island(page: Path) -> dict[str, Any]:
    html = page.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="acg-data">(.*?)</script>', html, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def _layer(data: dict[str, Any], layer_id: str) -> dict[str, Any]:
    [found] = [entry for entry in data["layers"] if entry["id"] == layer_id]
    return found


# ----------------------------------------------------------------------------- payloads


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, ValidationReport, Path]:
    """Parts w and e with the slit, a subtracted zone whose names and source are payloads."""
    folder = tmp_path_factory.mktemp("hostile_diagnostics")
    rows = [
        {"id": "w", "geometry": WEST},
        {"id": "e", "geometry": EAST_SLIT},
        {
            "id": "cut",
            "name_zh": text("layer name_zh cut"),
            "source": text("source cut"),
            "geometry": LAKE,
        },
    ]
    component_frame(rows).to_file(folder / "parts.geojson", driver="GeoJSON")
    blocks = ['[city]\nname_en = "Test"\ntarget_km2 = 170.0\ntolerance_pct = 5.0\n']
    for cid in ("w", "e", "cut"):
        names = f'name_en = "{cid.upper()}"\n'
        if cid == "cut":  # json.dumps escapes every control character: a TOML basic string
            names = (
                f"name_en = {json.dumps(text('name_en cut'))}\n"
                f"name_zh = {json.dumps(text('name_zh cut'))}\n"
                'role = "subtract"\n'
            )
        blocks.append(
            f'[[components]]\nid = "{cid}"\n{names}'
            f'layer = "parts.geojson"\nfilter = {{ id = "{cid}" }}\n'
        )
    recipe = folder / "recipe.toml"
    recipe.write_text("\n".join(blocks), encoding="utf-8")
    _, composition, report = api.check(recipe)
    return composition, report, folder


def test_payload_names_of_a_subtracted_zone_in_markdown_and_terminal(
    hostile: tuple[Any, ValidationReport, Path],
) -> None:
    _, report, _ = hostile
    [zone] = report.subtracted
    assert zone.name_en == text("name_en cut") and zone.name_zh == text("name_zh cut")
    source = to_markdown(report)
    tokens = MarkdownIt("commonmark").enable("table").parse(source)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert not kinds & FORBIDDEN
    inlines = ["".join(c.content for c in t.children or []) for t in tokens if t.type == "inline"]
    assert f"{shown(text('name_en cut'))} / {shown(text('name_zh cut'))}" in inlines
    widths: list[set[int]] = []
    for token in tokens:
        if token.type == "table_open":
            widths.append(set())
            cells = 0
        elif token.type == "tr_open":
            cells = 0
        elif token.type in ("th_open", "td_open"):
            cells += 1
        elif token.type == "tr_close":
            widths[-1].add(cells)
    assert all(len(w) == 1 for w in widths)  # no name split a table row
    headings = [t for t in tokens if t.type == "heading_open"]
    assert len(headings) == sum(line.startswith("#") for line in source.splitlines())
    lines = summary_lines(report)
    assert all(terminal_safe(line) for line in lines)
    assert any(line.startswith("  subtracted cut: ") for line in lines)
    assert any(line.startswith("  gaps: 1, ") and "w / e" in line for line in lines)
    data = json.loads(to_json(report))
    assert data["subtracted"][0]["name_en"] == text("name_en cut")


def test_payload_names_of_a_subtracted_zone_on_the_map(
    hostile: tuple[Any, ValidationReport, Path], tmp_path: Path
) -> None:
    composition, report, _ = hostile
    for lang, first, second in (
        ("en", text("name_en cut"), text("name_zh cut")),
        ("zh", text("name_zh cut"), text("name_en cut")),
    ):
        out = webmap.write_map(composition, report, tmp_path / f"{lang}.html", lang=lang)
        html = out.path.read_text(encoding="utf-8")
        assert html.count("<script") == html.count("</script>")
        [zone] = _layer(_island(out.path), "subtracted")["features"]
        tip = zone["properties"]["tip"]
        assert tip[0][0] == [first, "b"] and tip[1] == [[second, ""]]
        assert zone["properties"]["popup"]["lines"][0][0] == [first, "b"]
        values = [v for _, v in zone["properties"]["popup"]["rows"]]
        assert text("source cut") in values


def test_payload_names_of_a_subtracted_zone_in_qgis_and_kml(
    hostile: tuple[Any, ValidationReport, Path], tmp_path: Path
) -> None:
    composition, report, _ = hostile
    export_all(composition, report, tmp_path, formats=("gpkg", "qgs", "kml"))
    project = ET.parse(tmp_path / "autocity.qgs").getroot()  # strict parser
    labels = [c.get("label") for c in project.iter("category")]
    flat = [label.replace("\n", " ") for label in labels if label]
    assert any(label.endswith("(subtracted)") for label in flat)
    assert any(xml_shown(text("name_en cut"))[:40] in label for label in flat)
    with sqlite3.connect(tmp_path / "autocity.gpkg") as con:
        for (qml,) in con.execute("SELECT styleQML FROM layer_styles"):
            ET.fromstring(qml.split("\n", 1)[1])
    frame = layer_frames(composition, report)["subtracted"]
    assert list(frame["name_en"]) == [text("name_en cut")]
    read = pyogrio.read_dataframe(tmp_path / "autocity.gpkg", layer="subtracted")
    assert list(read["name_zh"]) == [text("name_zh cut")]
    kml = ET.parse(tmp_path / "autocity.kml").getroot()
    names = [e.text for e in kml.iter("{http://www.opengis.net/kml/2.2}name")]
    expected = xml_shown(f"{text('name_zh cut')} {text('name_en cut')}")
    assert expected.replace("\r\n", "\n").replace("\r", "\n") in names


def test_payload_ids_around_gaps_and_overlaps_are_data_everywhere(
    hostile: tuple[Any, ValidationReport, Path], tmp_path: Path
) -> None:
    # Ids from a recipe are letters, digits, _ and -; a Composition built in code can hold any
    # text, and every rendering must still carry it as data.
    composition, report, _ = hostile
    a, b = text("id a"), text("id b")
    gaps = composition.gaps.assign(between=f"{a}, {b}")
    composition = dataclasses.replace(composition, gaps=gaps)
    report = dataclasses.replace(
        report, gaps=tuple(dataclasses.replace(g, between=(a, b)) for g in report.gaps)
    )
    out = webmap.write_map(composition, report, tmp_path / "map.html")
    [gap] = _layer(_island(out.path), "gaps")["features"]
    assert gap["properties"]["tip"][0][1:] == [[": ", ""], [a, ""], [" / ", ""], [b, ""]]
    lines = summary_lines(report)
    assert all(terminal_safe(line) for line in lines)
    assert any(f"{shown(a)} / {shown(b)}" in line for line in lines)
    tokens = MarkdownIt("commonmark").enable("table").parse(to_markdown(report))
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert not kinds & FORBIDDEN
    cells = ["".join(c.content for c in t.children or []) for t in tokens if t.type == "inline"]
    assert f"{shown(a)} / {shown(b)}" in cells
    export_all(composition, report, tmp_path / "out", formats=("kml", "geojson"))
    kml = ET.parse(tmp_path / "out" / "autocity.kml").getroot()  # strict parser
    names = [e.text or "" for e in kml.iter("{http://www.opengis.net/kml/2.2}name")]
    assert any(n.startswith("gap 1 id a") for n in names)
    written = json.loads((tmp_path / "out" / "gaps.geojson").read_text(encoding="utf-8"))
    assert written["features"][0]["properties"]["between"] == f"{a}, {b}"


def test_diagnostic_layers_open_styled_in_real_qgis(
    scenario: tuple[Any, ValidationReport], tmp_path: Path
) -> None:
    from common import QGIS_PROBE as PROBE
    from common import SYSTEM_PYTHON, has_pyqgis, hex_alpha, need

    from autocity_gis import style

    need(has_pyqgis(), f"PyQGIS not importable by {SYSTEM_PYTHON} (apt install python3-qgis)")
    composition, report = scenario
    export_all(composition, report, tmp_path, formats=("gpkg", "qgs"))
    options = tmp_path / "probe.json"
    options.write_text(
        json.dumps({"gpkg": str(tmp_path / "autocity.gpkg"), "png": str(tmp_path / "l.png")})
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}
    for var in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(var, None)
    run = subprocess.run(
        [SYSTEM_PYTHON, str(PROBE), str(tmp_path / "autocity.qgs"), str(options)],
        capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    layers = seen["layers"]
    assert (layers["subtracted"]["valid"], layers["subtracted"]["features"]) == (True, 2)
    assert (layers["gaps"]["valid"], layers["gaps"]["features"]) == (True, 1)
    [diagnostics] = [g for g in seen["tree"] if g["group"] == "Diagnostics"]
    assert diagnostics["children"] == ["gaps", "subtracted"]
    for source in ("layers", "gpkg_default_styles"):
        for name, want in (("subtracted", style.SUBTRACTED_STYLE), ("gaps", style.GAP_STYLE)):
            renderer = seen[source][name]["renderer"]
            assert renderer["symbol"][0]["fill"] == hex_alpha(want.fill, want.fill_opacity)
            assert renderer["symbol"][1]["fill"] == hex_alpha(want.stroke, 1.0)



def test_filled_outlines_drop_an_island_nested_in_a_hole() -> None:
    # The union's parts: a ring with a wide hole, an island in the hole, a part touching the
    # ring at a corner. Filling their holes by shells alone must equal the overlay union.
    from autocity_gis._diagnostics import _filled

    hole = shapely.box(125.13, 43.83, 125.17, 43.87)
    ring = shapely.difference(WEST, hole)
    island = shapely.box(125.14, 43.84, 125.16, 43.86)
    corner = shapely.box(125.20, 43.90, 125.25, 43.95)
    parts = [ring, island, corner]
    filled = _filled(parts)
    truth = shapely.union_all([shapely.Polygon(p.exterior) for p in parts])
    assert filled.is_valid and shapely.equals(filled, truth)
    assert len(shapely.get_parts(filled)) == 2
