"""Every component judged, warnings that reach the person, the areas planners compare with.

Truth is independent of the code under test: pyproj's geodesic (``common.geod_km2``) and
its EPSG database, shapely's plane area of the coordinates as written in the file, ``json.loads``,
a strict XML parser, GDAL's field subtypes, markdown-it's tokens and the literal payloads.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import pyproj
import pytest
from click.testing import CliRunner
from common import (
    EAST,
    FORBIDDEN,
    WEST,
    component_frame,
    geod_km2,
    page_data,
    spans_text,
    terminal_safe,
)
from markdown_it import MarkdownIt
from payloads import ALL, shown

from autocity_gis import _export as export
from autocity_gis import api, webmap
from autocity_gis._errors import RecipeError
from autocity_gis.cli import cli
from autocity_gis.recipe import load_recipe
from autocity_gis.report import to_dict, to_markdown, warning_lines
from autocity_gis.validation import gauss_kruger_zone

UNION = geod_km2(WEST) + geod_km2(EAST)


def _q(value: str) -> str:
    return json.dumps(value).replace("\x7f", "\\u007f")


def write_city(
    folder: Path,
    components: dict[str, str],
    *,
    city: str = "",
    target_km2: float = UNION,
    layer: gpd.GeoDataFrame | None = None,
    rows: list[dict[str, Any]] | None = None,
) -> Path:
    """Write parts.geojson (west and east cells) and a recipe with per-component TOML."""
    frame = layer
    if frame is None:
        frame = component_frame(
            rows or [{"id": "w", "geometry": WEST}, {"id": "e", "geometry": EAST}]
        )
    frame.to_file(folder / "parts.geojson", driver="GeoJSON")
    blocks = [
        "[city]\n"
        'name_en = "Test City"\n'
        f"target_km2 = {target_km2!r}\n"
        "tolerance_pct = 1.0\n" + city
    ]
    for cid, extra in components.items():
        blocks.append(
            "[[components]]\n"
            f'id = "{cid}"\n'
            f'name_en = "{cid.upper()}"\n'
            'layer = "parts.geojson"\n'
            f'filter = {{ id = "{cid}" }}\n' + extra
        )
    path = folder / "recipe.toml"
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def _visible_markdown(source: str) -> str:
    tokens = MarkdownIt("commonmark").enable("table").parse(source)
    return " ".join(c.content for t in tokens for c in t.children or [])


def _by_id(report_data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in report_data["components"]}


# ----------------------------------------------------------------------------- verdicts


def test_component_four_times_its_stated_size_fails(tmp_path: Path) -> None:
    quarter = geod_km2(WEST) / 4
    path = write_city(tmp_path, {"w": f"stated_area_km2 = {quarter!r}\n", "e": ""})
    result = CliRunner().invoke(cli, ["validate", "--recipe", str(path), "--json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    parts = _by_id(data)
    # the total alone is right; the component is not
    assert data["area_passed"] is True
    assert data["passed"] is False and data["verdict"] == "fail"
    assert data["failed_components"] == ["w"]
    assert parts["w"]["passed"] is False
    assert parts["w"]["delta_pct"] == pytest.approx(300.0, abs=1e-3)
    assert parts["w"]["tolerance_pct"] == 1.0
    # nothing stated: not judged, null in the JSON
    assert parts["e"]["passed"] is None and parts["e"]["tolerance_pct"] is None
    text = CliRunner().invoke(cli, ["validate", "--recipe", str(path)])
    assert text.exit_code == 1
    (line,) = [ln for ln in text.output.splitlines() if ln.startswith("  w ")]
    assert "FAIL +300.0 %" in line
    assert "Components outside their tolerance: w" in text.output
    # the headline does not read as a failed total
    (headline,) = [ln for ln in text.output.splitlines() if ln.startswith("FAIL: composed")]
    assert "the total is within it" in headline


def test_components_must_pass_false_reports_without_failing(tmp_path: Path) -> None:
    quarter = geod_km2(WEST) / 4
    path = write_city(
        tmp_path,
        {"w": f"stated_area_km2 = {quarter!r}\n", "e": ""},
        city="components_must_pass = false\n",
    )
    result = CliRunner().invoke(cli, ["validate", "--recipe", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["passed"] is True and _by_id(data)["w"]["passed"] is False
    _, _, report = api.check(path)
    assert "components_must_pass = false" in _visible_markdown(to_markdown(report))


@pytest.mark.parametrize(("own", "passed"), [("tolerance_pct = 10.0\n", True), ("", False)])
def test_component_tolerance_defaults_to_the_citys(tmp_path: Path, own: str, passed: bool) -> None:
    stated = geod_km2(WEST) / 1.05  # measured 5 % over
    path = write_city(tmp_path, {"w": f"stated_area_km2 = {stated!r}\n" + own, "e": ""})
    _, _, report = api.check(path)
    (w,) = [c for c in report.components if c.id == "w"]
    assert w.delta_pct == pytest.approx(5.0, abs=1e-6)
    assert w.passed is passed and w.tolerance_pct == (10.0 if own else 1.0)
    assert report.passed is passed


# ----------------------------------------------------------------------------- stated figures


def test_several_stated_figures_one_judged(tmp_path: Path) -> None:
    area = geod_km2(WEST)
    path = write_city(
        tmp_path,
        {
            "w": "stated = [\n"
            f'  {{ area_km2 = {area * 2!r}, source = "old plan", year = 1996 }},\n'
            f'  {{ area_km2 = {area!r}, source = "profile", judged = true }},\n'
            "]\n",
            "e": "",
        },
    )
    _, _, report = api.check(path)
    data = to_dict(report)
    w = _by_id(data)["w"]
    assert w["stated_km2"] == pytest.approx(area) and w["stated_source"] == "profile"
    assert w["passed"] is True
    assert w["stated_figures"] == [
        {"area_km2": pytest.approx(area * 2), "source": "old plan", "year": 1996, "judged": False},
        {"area_km2": pytest.approx(area), "source": "profile", "year": None, "judged": True},
    ]
    md = to_markdown(report)
    assert "## Published figures" in md and "| 1996 | old plan |" in md


def test_stated_figures_without_a_judged_one_are_not_judged(tmp_path: Path) -> None:
    path = write_city(
        tmp_path, {"w": 'stated = [{ area_km2 = 1.0, source = "x" }]\n', "e": ""}
    )
    _, _, report = api.check(path)
    (w,) = [c for c in report.components if c.id == "w"]
    assert w.passed is None and w.stated_km2 is None and len(w.stated_figures) == 1
    assert report.passed


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "stated_area_km2 = 5.0\nstated = [{ area_km2 = 5.0, judged = true }]\n",
            "not both",
        ),
        (
            "stated = [{ area_km2 = 5.0, judged = true }, { area_km2 = 6.0, judged = true }]\n",
            "more than one stated figure",
        ),
        ('stated = [{ area_km2 = 5.0, judged = "yes" }]\n', "'judged' must be true or false"),
        ("stated = [{ area_km2 = 5.0, year = 20 }]\n", "is not a year"),
        ("stated = [{ source = 'x' }]\n", "missing key 'area_km2'"),
        ("stated = [{ area_km2 = 5.0, yaer = 2001 }]\n", "did you mean 'year'"),
        ("stated = []\n", "empty list"),
        ("tolerance_pct = -1.0\n", "'tolerance_pct' = -1.0 is out of range"),
        ('may_overlap = ["nowhere"]\n', "may_overlap names 'nowhere'"),
    ],
)
def test_bad_stated_keys_are_one_sentence_each(tmp_path: Path, extra: str, message: str) -> None:
    path = write_city(tmp_path, {"w": extra, "e": ""})
    with pytest.raises(RecipeError, match="component 'w'") as info:
        load_recipe(path)
    assert message in str(info.value)
    assert str(path.name) in str(info.value)


@pytest.mark.parametrize(
    ("city", "message"),
    [
        ('units = ["acre"]\n', "unit 'acre' is not one of km2, ha, mu"),
        ('components_must_pass = "no"\n', "'components_must_pass' must be true or false"),
    ],
)
def test_bad_city_keys(tmp_path: Path, city: str, message: str) -> None:
    path = write_city(tmp_path, {"w": "", "e": ""}, city=city)
    with pytest.raises(RecipeError, match=message):
        load_recipe(path)


def test_reconciliation_range_when_published_parts_may_overlap(tmp_path: Path) -> None:
    path = write_city(
        tmp_path,
        {
            "w": "stated_area_km2 = 100.0\nmay_overlap = [\"e\"]\ntolerance_pct = 100.0\n",
            "e": "stated_area_km2 = 50.0\ntolerance_pct = 100.0\n",
        },
        target_km2=200.0,
    )
    _, _, report = api.check(path)
    # a plain sum counts the shared part twice: at most the smaller figure is shared
    assert report.stated_sum_km2 == 150.0
    assert report.stated_sum_min_km2 == 100.0
    md = to_markdown(report)
    assert "between 100.00 and 150.00 km²" in md
    assert "leaving between 50.00 and 100.00 km²" in md


def test_embedded_reconciliation_is_honest(geodata: Path) -> None:
    _, _, report = api.check(None)
    data = to_dict(report)
    parts = _by_id(data)
    assert parts["auto_etdz"]["stated_km2"] == 118.59
    judged = [f for f in parts["daling"]["stated_figures"] if f["judged"]]
    assert [f["area_km2"] for f in judged] == [147.3]
    assert {f["area_km2"] for f in parts["daling"]["stated_figures"]} == {147.3, 138, 139.3, 157}
    # 118.59 + 10.8 + 147.3 + 171.9, less at most all of the Auto zone's figure
    assert report.stated_sum_km2 == pytest.approx(448.59)
    assert report.stated_sum_min_km2 == pytest.approx(448.59 - 118.59)
    md = to_markdown(report)
    assert "between 330.00 and 448.59 km²" in md
    assert "different years and may overlap" in md
    # not tuned to the target: the check still fails on the embedded data
    assert not report.passed and report.delta_pct == pytest.approx(-4.76, abs=0.01)


# ----------------------------------------------------------------------------- plane areas, units


def test_gauss_kruger_zone_is_the_cgcs2000_cm_family() -> None:
    for cm in range(75, 136, 3):
        for lon in (cm - 1.49, cm, cm + 1.49):
            zone = gauss_kruger_zone(lon)
            assert zone is not None
            crs = pyproj.CRS.from_user_input(zone[0])
            assert crs.name == f"CGCS2000 / 3-degree Gauss-Kruger CM {cm}E", (lon, crs.name)
            params = {p.name: p.value for p in crs.coordinate_operation.params}
            assert params["Longitude of natural origin"] == cm
            assert params["False easting"] == 500000  # no zone prefix
    assert gauss_kruger_zone(125.2) == ("EPSG:4551", 126.0)
    assert gauss_kruger_zone(10.0) is None


def test_plane_areas_in_the_layers_own_crs_and_the_gk_zone(tmp_path: Path) -> None:
    lonlat = component_frame([{"id": "w", "geometry": WEST}, {"id": "e", "geometry": EAST}])
    projected = lonlat.to_crs("EPSG:4551")  # a planner's layer drawn in CGCS2000 GK, CM 126E
    path = write_city(
        tmp_path,
        {"w": "", "e": ""},
        layer=projected,
        city='units = ["ha", "mu"]\n',
    )
    _, _, report = api.check(path)
    data = to_dict(report)
    written = gpd.read_file(tmp_path / "parts.geojson")
    for row in written.itertuples():
        comp = _by_id(data)[row.id]
        assert comp["source_crs"] == "EPSG:4551"
        # what CAD AREA / ArcGIS Shape_Area show: the plane area of the coordinates as written
        assert comp["plane_source_km2"] == pytest.approx(row.geometry.area / 1e6, rel=1e-9)
        assert comp["gk_crs"] == "EPSG:4551"
        assert comp["gk_km2"] == pytest.approx(row.geometry.area / 1e6, rel=1e-7)
        truth = geod_km2(lonlat.set_index("id").geometry[row.id])
        assert comp["measured_km2"] == pytest.approx(truth, rel=1e-6)
        # units: 1 km² = 100 ha = 1,500 mu; km² stays the reference
        assert comp["measured_in_units"] == {
            "km2": comp["measured_km2"],
            "ha": pytest.approx(comp["measured_km2"] * 100),
            "mu": pytest.approx(comp["measured_km2"] * 1500),
        }
    assert data["units"] == ["km2", "ha", "mu"]
    assert data["composed_in_units"]["mu"] == pytest.approx(report.composed_km2 * 1500)
    # ~62 km west of 126°E at 43.85°N: the GK scale factor (1 + (x/R)²/2)² adds ~0.01 %
    ratio = report.composed_gk_km2 / report.composed_km2
    assert 1.00005 < ratio < 1.0002
    assert "126°E" in report.plane_note
    md = to_markdown(report)
    assert "## Plane areas" in md and "ha (公顷)" in md and "mu (亩)" in md


def test_lonlat_layer_has_no_own_plane_area(tmp_path: Path) -> None:
    path = write_city(tmp_path, {"w": "", "e": ""})
    _, _, report = api.check(path)
    assert all(c.plane_source_km2 is None and c.gk_km2 for c in report.components)


# ----------------------------------------------------------------------------- warnings


def _warning_recipe(tmp_path: Path, accuracy: str) -> Path:
    rows = [
        {"id": "w", "geometry": WEST, "accuracy": accuracy},
        {"id": "e", "geometry": EAST},
    ]
    return write_city(tmp_path, {"w": "", "e": ""}, rows=rows)


def test_warnings_reach_the_terminal_after_the_verdict(tmp_path: Path) -> None:
    path = _warning_recipe(tmp_path, "guessed")
    runner = CliRunner()
    normal = runner.invoke(cli, ["validate", "--recipe", str(path)])
    assert normal.exit_code == 0
    lines = normal.stdout.splitlines()
    warned = [i for i, ln in enumerate(lines) if ln.startswith("warning: ")]
    assert warned and min(warned) > 0 and lines[0].startswith("PASS")
    assert any("'guessed'" in lines[i] for i in warned)
    verbose = runner.invoke(cli, ["validate", "-v", "--recipe", str(path)])
    assert [ln for ln in verbose.stdout.splitlines() if ln.startswith("warning: ")]
    quiet = runner.invoke(cli, ["validate", "-q", "--recipe", str(path)])
    assert quiet.exit_code == 0 and "warning:" not in quiet.output


def test_warnings_come_first_in_report_md_and_are_on_the_map(tmp_path: Path) -> None:
    path = _warning_recipe(tmp_path, "guessed")
    _, comp, report = api.check(path)
    assert report.warnings
    md = to_markdown(report)
    assert md.index("## Warnings") < md.index("| figure | value |") < md.index("## Components")
    data = page_data(webmap.make_map(comp, report).get_root().render())
    panel = spans_text(data)
    for warning in report.warnings:
        assert warning in panel


def test_payload_warnings_and_figures_stay_text(tmp_path: Path) -> None:
    path = _warning_recipe(tmp_path, ALL)
    recipe_text = path.read_text(encoding="utf-8").replace(
        'id = "e"\n',
        'id = "e"\n'
        f"stated = [{{ area_km2 = 1.0, source = {_q('figure ' + ALL)}, year = 2001 }},"
        f" {{ area_km2 = 2.0, source = {_q('judged ' + ALL)}, judged = true }}]\n",
    )
    path.write_text(recipe_text, encoding="utf-8")
    _, comp, report = api.check(path)
    # terminal: one literal line per warning
    for line in warning_lines(report):
        assert terminal_safe(line) and "\n" not in line
    assert any(shown(ALL) in line for line in warning_lines(report))
    # JSON: exact round trip
    data = json.loads(json.dumps(to_dict(report)))
    sources = [f["source"] for f in _by_id(data)["e"]["stated_figures"]]
    assert sources == ["figure " + ALL, "judged " + ALL]
    assert any(ALL in w for w in data["warnings"])
    # Markdown: no markup forms from the figures' sources or the warnings
    md = to_markdown(report)
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert not kinds & FORBIDDEN
    assert shown("judged " + ALL) in _visible_markdown(md)
    # map: the warning reaches the data island as text
    page = webmap.make_map(comp, report).get_root().render()
    assert any(ALL in w for w in [spans_text(page_data(page))])


# ----------------------------------------------------------------------------- formats


def _panels(comp: Any, report: Any) -> dict[str, Any]:
    panels: dict[str, Any] = page_data(webmap.make_map(comp, report).get_root().render())["panels"]
    return panels


@pytest.fixture
def oversized(tmp_path: Path) -> tuple[Path, Any, Any]:
    quarter = geod_km2(WEST) / 4
    path = write_city(
        tmp_path,
        {"w": f"stated_area_km2 = {quarter!r}\n", "e": f"stated_area_km2 = {geod_km2(EAST)!r}\n"},
    )
    _, comp, report = api.check(path)
    return tmp_path, comp, report


def test_passed_is_a_boolean_in_every_format(oversized: tuple[Path, Any, Any]) -> None:
    folder, comp, report = oversized
    out = folder / "out"
    export.export_all(comp, report, out, formats=("gpkg", "geojson", "kml"))
    # GeoJSON: JSON true / false
    features = json.loads((out / "components.geojson").read_text(encoding="utf-8"))["features"]
    assert {f["properties"]["id"]: f["properties"]["passed"] for f in features} == {
        "w": False,
        "e": True,
    }
    (boundary,) = json.loads((out / "boundary.geojson").read_text(encoding="utf-8"))["features"]
    assert boundary["properties"]["passed"] is False
    # GeoPackage: the BOOLEAN subtype
    for layer in ("components", "boundary"):
        info = pyogrio.read_info(out / "autocity.gpkg", layer=layer)
        index = list(info["fields"]).index("passed")
        assert info["ogr_subtypes"][index] == "OFSTBoolean", layer
    # KML: xsd:boolean text
    root = ET.parse(out / "autocity.kml").getroot()
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    values = [
        d.find("k:value", ns).text  # type: ignore[union-attr]
        for d in root.iterfind(".//k:Data[@name='passed']", ns)
    ]
    assert sorted(values) == ["false", "false", "true"]  # w, boundary; e
    # report.json
    assert json.loads(json.dumps(to_dict(report)))["passed"] is False


def test_dashed_caveat_only_when_something_is_estimated(
    oversized: tuple[Path, Any, Any], tmp_path: Path
) -> None:
    _, comp, report = oversized
    assert not report.estimated
    title = spans_text(_panels(comp, report)["title"])
    assert "Dashed" not in title and "geodesic" in title
    rows = [
        {"id": "w", "geometry": WEST, "accuracy": "estimated"},
        {"id": "e", "geometry": EAST},
    ]
    folder = tmp_path / "est"
    folder.mkdir()
    _, comp2, report2 = api.check(write_city(folder, {"w": "", "e": ""}, rows=rows))
    title2 = spans_text(_panels(comp2, report2)["title"])
    assert "Dashed outlines are estimated" in title2


def test_map_summary_shows_component_verdicts(oversized: tuple[Path, Any, Any]) -> None:
    _, comp, report = oversized
    data = page_data(webmap.make_map(comp, report).get_root().render())
    summary = data["panels"]["summary"]
    assert summary["head"][-1] == "Check"
    cells = {row["id"]: spans_text(row["cells"][-1]) for row in summary["rows"]}
    assert cells["w"].startswith("failed") and cells["e"].startswith("passed")
    assert "Components outside their tolerance" in spans_text(summary["totals"])

