"""Overlays end to end through the console script (issue 14's "Done when").

A recipe built in code with a land-use overlay and a basic-farmland control. Every parcel and
farmland polygon is SYNTHETIC (``autocity_gis.overlays._synthetic``); no real survey is used.
The balance table is compared class by class with an independent geopandas overlay measured by
``pyproj.Geod``; the farmland inside a component must be its conflict and fail the check.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from common import (
    overlay_reference_km2,
    run_cli,
    strict_json,
    strings_in,
    terminal_safe,
    write_overlay_recipe,
    xml_documents,
)
from markdown_it import MarkdownIt
from payloads import OVERLAY_CODE, OVERLAY_ID

pytestmark = pytest.mark.slow


def _observed(table: dict) -> dict[str, float]:
    """The report's table keyed by code as the reference keys it ('' for no code)."""
    out = {c["code"]: c["area_km2"] for c in table["classes"]}
    out.update({c["code"]: c["area_km2"] for c in table["unknown_codes"]})
    if table["no_code_km2"]:
        out[""] = table["no_code_km2"]
    return out


def _composed(out: Path) -> shapely.Geometry:
    return gpd.read_file(out / "boundary.geojson").geometry.iloc[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("site")
    recipe, parcels = write_overlay_recipe(folder)
    out = folder / "out"
    proc = run_cli("build", "--recipe", str(recipe), "--out", str(out), "--offline")
    return proc, out, parcels


def test_balance_table_equals_an_independent_overlay(built) -> None:
    proc, out, parcels = built
    assert proc.returncode == 1, proc.stderr  # the farmland control fails, see below
    report = strict_json((out / "report.json").read_text(encoding="utf-8"))
    assert isinstance(report, dict)
    landuse = next(o for o in report["overlays"] if o["kind"] == "landuse")
    expected = overlay_reference_km2(parcels, _composed(out))
    observed = _observed(landuse)
    assert set(observed) == set(expected)
    for code, km2 in expected.items():
        assert observed[code] == pytest.approx(km2, rel=1e-4), code  # 0.01 %
    # classes + remainder = the composed area of the check
    classified = sum(c["area_km2"] for c in landuse["classes"])
    assert classified + landuse["unclassified_km2"] == pytest.approx(
        report["composed_km2"], rel=1e-9
    )
    assert {t["id"] for t in landuse["per_component"]} == {"town", "park"}
    for table in landuse["per_component"]:
        total = sum(c["area_km2"] for c in table["classes"]) + table["unclassified_km2"]
        assert total == pytest.approx(table["area_km2"], rel=1e-9)


def test_farmland_inside_a_component_is_its_conflict_and_fails(built) -> None:
    proc, out, _ = built
    report = strict_json((out / "report.json").read_text(encoding="utf-8"))
    assert isinstance(report, dict)
    control = next(o for o in report["overlays"] if o["kind"] == "control")
    per = {c["id"]: c for c in control["per_component"]}
    assert per["town"]["conflict_km2"] == pytest.approx(2.0, rel=1e-6)
    assert per["town"]["passed"] is False
    assert per["park"]["conflict_km2"] == 0.0 and per["park"]["passed"] is True
    assert control["passed"] is False
    # The area check itself passed: the control line alone fails the verdict, everywhere.
    assert report["area_passed"] is True
    assert report["verdict"] == "fail"
    assert report["failed_controls"] == ["jbnt"]
    assert "control jbnt (exclude): FAIL" in proc.stdout
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| town | 200.00 | 2.0000 | **FAIL** |" in md


def test_report_md_balance_table_layout(built) -> None:
    _, out, _ = built
    md = (out / "report.md").read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    heads = [
        [c.content for c in tokens[i + 1].children or ()]
        for i, t in enumerate(tokens)
        if t.type == "th_open"
    ]
    assert ["code"] in heads and ["share %"] in heads
    assert "| **01** | **Cropland** |" in md  # a first-level subtotal row
    assert "| 9999 | (code not in the table) |" in md
    assert "unclassified remainder" in md


def test_dask_engine_on_a_partitioned_folder_gives_the_same_table(tmp_path: Path) -> None:
    pytest.importorskip("dask_geopandas")
    pytest.importorskip("distributed")
    recipe, _ = write_overlay_recipe(tmp_path, parquet_folder=True)
    tables = {}
    for engine in ("local", "dask"):
        out = tmp_path / f"out_{engine}"
        proc = run_cli("validate", "--recipe", str(recipe), "--out", str(out), "--engine", engine)
        assert proc.returncode == 1, proc.stderr
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        tables[engine] = next(o for o in report["overlays"] if o["kind"] == "landuse")
    local, dask = tables["local"], tables["dask"]
    assert dask["engine"] == "dask" and local["engine"] == "local"
    for scope_l, scope_d in zip(
        [local, *local["per_component"]], [dask, *dask["per_component"]], strict=True
    ):
        a, b = _observed(scope_l), _observed(scope_d)
        assert set(a) == set(b)
        for code in a:
            assert b[code] == pytest.approx(a[code], rel=1e-9), code
        assert scope_d["unclassified_km2"] == pytest.approx(
            scope_l["unclassified_km2"], rel=1e-9, abs=1e-12
        )


def test_recipe_engine_key_and_json_output(tmp_path: Path) -> None:
    recipe, _ = write_overlay_recipe(tmp_path, farmland_km2=0.5)
    proc = run_cli("validate", "--recipe", str(recipe), "--json")
    assert proc.returncode == 1, proc.stderr
    report = strict_json(proc.stdout)
    assert isinstance(report, dict)
    assert [o["id"] for o in report["overlays"]] == ["survey", "jbnt"]
    control = report["overlays"][1]
    assert control["per_component"][0]["conflict_km2"] == pytest.approx(0.5, rel=1e-6)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ('[[overlays]]\nid = "survey"\nkind = "control"\nlayer = "jbnt.geojson"\n'
         'rule = "within"\n', "duplicate overlay id"),
        ('[[overlays]]\nid = "town"\nkind = "control"\nlayer = "jbnt.geojson"\n'
         'rule = "within"\n', "the id is a component's"),
        ('[[overlays]]\nid = "x"\nkind = "control"\nlayer = "../jbnt.geojson"\n'
         'rule = "within"\n', "leaves the recipe's folder"),
        ('[[overlays]]\nid = "x"\nkind = "landuse"\nlayer = "jbnt.geojson"\n', "class_column"),
    ],
    ids=["duplicate", "component-id", "outside", "no-class-column"],
)
def test_bad_overlay_block_is_one_line_exit_2(tmp_path: Path, change: str, expected: str) -> None:
    recipe, _ = write_overlay_recipe(tmp_path)
    recipe.write_text(recipe.read_text(encoding="utf-8") + "\n" + change, encoding="utf-8")
    proc = run_cli("validate", "--recipe", str(recipe))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr


def test_engine_and_scheduler_keys(tmp_path: Path) -> None:
    recipe, _ = write_overlay_recipe(tmp_path)
    text = recipe.read_text(encoding="utf-8")
    recipe.write_text('scheduler = "tcp://127.0.0.1:8786"\n' + text, encoding="utf-8")
    proc = run_cli("validate", "--recipe", str(recipe))
    assert proc.returncode == 2 and "engine = \"dask\"" in proc.stderr
    recipe.write_text('engine = "spark"\n' + text, encoding="utf-8")
    proc = run_cli("validate", "--recipe", str(recipe))
    assert proc.returncode == 2 and "'engine' must be one of local, dask" in proc.stderr
    proc = run_cli("validate", "--recipe", str(recipe), "--scheduler", "http://x")
    assert proc.returncode == 2 and "tcp://HOST:PORT" in proc.stderr


def test_a_folder_with_a_link_is_refused(tmp_path: Path) -> None:
    recipe, _ = write_overlay_recipe(tmp_path, parquet_folder=True)
    outside = tmp_path.parent / f"{tmp_path.name}_elsewhere.parquet"
    outside.write_bytes(b"")
    os.symlink(outside, tmp_path / "survey" / "county_9.parquet")
    proc = run_cli("validate", "--recipe", str(recipe))
    assert proc.returncode == 2, proc.stderr
    assert "only plain files are read" in proc.stderr


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_hostile_overlay_id_and_codes_reach_every_output_safely(tmp_path: Path, lang: str) -> None:
    recipe, _ = write_overlay_recipe(tmp_path, landuse_id=OVERLAY_ID, odd_code=OVERLAY_CODE)
    out = tmp_path / "out"
    proc = run_cli("build", "--recipe", str(recipe), "--out", str(out), "--offline",
                   "--lang", lang)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    for line in (proc.stdout + proc.stderr).splitlines():
        assert terminal_safe(line), repr(line)
    report = strict_json((out / "report.json").read_text(encoding="utf-8"))
    assert isinstance(report, dict)
    found = strings_in(report)
    assert OVERLAY_ID in found and OVERLAY_CODE.strip() in found  # exactly, as data
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "\x1b" not in md
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or ()}
    assert not kinds & {"link_open", "image", "html_inline", "html_block"}, kinds
    # Every row keeps its table's cells: a '|' in user text cannot add a column.
    widths: list[int] = []
    for t in tokens:
        if t.type == "tr_open":
            widths.append(0)
        elif t.type in ("th_open", "td_open"):
            widths[-1] += 1
        elif t.type == "table_close":
            assert len(set(widths)) == 1, widths
            widths = []
    assert f"| {OVERLAY_ID}" not in md  # the id is escaped, not written raw
    # The web map carries the id only as data in its JSON island, read by fixed script.
    page = (out / "synthetic_map.html").read_text(encoding="utf-8")
    assert "<img src=x" not in page
    start = page.index('<script type="application/json" id="acg-data">')
    island = strict_json(page[page.index(">", start) + 1 : page.index("</script>", start)])
    assert OVERLAY_ID in strings_in(island)
    # The QGIS project, its styles and the KML stay well-formed and carry no live markup.
    import xml.etree.ElementTree as ET

    for name, doc in xml_documents(out).items():
        ET.fromstring(doc.encode("utf-8"))
        assert "<img" not in doc, name
    layer = gpd.read_file(out / "synthetic.gpkg", layer="landuse")
    assert set(layer["overlay"]) == {OVERLAY_ID}


def test_web_map_draws_land_use_and_conflicts_with_a_palette_note(built) -> None:
    _, out, _ = built
    page = (out / "synthetic_map.html").read_text(encoding="utf-8")
    start = page.index('<script type="application/json" id="acg-data">')
    data = strict_json(page[page.index(">", start) + 1 : page.index("</script>", start)])
    assert isinstance(data, dict)
    ids = [layer["id"] for layer in data["layers"]]
    assert "landuse-survey-01" in ids and "conflicts" in ids
    assert ids[-1] == "boundary"  # drawn on top, as before
    conflict = next(layer for layer in data["layers"] if layer["id"] == "conflicts")
    assert len(conflict["features"]) == 1  # town only
    legend = strings_in(data["panels"]["legend"])
    assert any("project's own palette" in s for s in legend)
    # The summary names the control that failed the check (the area itself passed).
    summary = strings_in(data["panels"]["summary"])
    assert any(s.startswith("Control lines with conflicts") for s in summary) and "jbnt" in summary


def test_geopackage_and_qgis_project_carry_land_use_and_conflicts(built) -> None:
    import sqlite3
    import xml.etree.ElementTree as ET

    import pyogrio

    _, out, _ = built
    gpkg = out / "synthetic.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert {"landuse", "conflicts"} <= layers
    conflicts = gpd.read_file(gpkg, layer="conflicts")
    assert list(conflicts["component"]) == ["town"]
    landuse = gpd.read_file(gpkg, layer="landuse")
    assert "01" in set(landuse["code"])
    with sqlite3.connect(gpkg) as con:
        styles = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles"))
    qml = ET.fromstring(styles["landuse"])
    renderer = qml.find(".//renderer-v2")
    assert renderer is not None
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "code"
    project = ET.parse(out / "synthetic.qgs").getroot()
    groups = {
        g.get("name"): [layer.get("name") for layer in g.findall("layer-tree-layer")]
        for g in project.find("layer-tree-group").findall("layer-tree-group")
    }
    assert "conflicts" in groups["Diagnostics"]
    assert groups["Land use"] == ["landuse"]


def test_export_hands_off_land_use_and_conflicts_as_build_does(tmp_path: Path) -> None:
    import pyogrio

    recipe, _ = write_overlay_recipe(tmp_path)
    out = tmp_path / "qgis"
    proc = run_cli("-q", "export", "--recipe", str(recipe), "--out", str(out), "--format", "gpkg")
    assert proc.returncode == 0, proc.stderr
    layers = {name for name, _ in pyogrio.list_layers(out / "synthetic.gpkg")}
    assert {"landuse", "conflicts"} <= layers
