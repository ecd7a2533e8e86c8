"""The QGIS hand-off checked in real QGIS (Debian's ``qgis``/``python3-qgis``) and by ``ogrinfo``.

The outputs are written into tmp_path, then ``tests/qgis_probe.py`` runs under the system
``/usr/bin/python3`` with PyQGIS offscreen and reports what QGIS saw; this side asserts. Without
QGIS the tests skip with a one-line reason, unless ``CI`` is set: there they must run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import shapely
from common import (
    ARTIFACTS,
    COMPONENTS,
    SYSTEM_PYTHON,
    geod_km2,
    has_pyqgis,
    hex_alpha,
    make_fixture,
    need,
)
from common import QGIS_PROBE as PROBE

from autocity_gis import _export as export
from autocity_gis import style

pytestmark = pytest.mark.qgis

# The interpreter with PyQGIS; override for a QGIS installed elsewhere (e.g. conda).
@pytest.fixture(scope="module")
def exported_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("qgis")
    comp, report = make_fixture()
    export.export_all(comp, report, out, formats=("gpkg", "qgs"), crs="EPSG:4551")
    return out


def probe(out: Path, png: Path, stem: str = "autocity") -> dict:
    """Open ``out/<stem>.qgs`` in real QGIS (offscreen) and return what it saw."""
    need(has_pyqgis(), f"PyQGIS not importable by {SYSTEM_PYTHON} (apt install python3-qgis)")
    options = out / "probe.json"
    options.write_text(json.dumps({"gpkg": str(out / f"{stem}.gpkg"), "png": str(png)}))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(out)}
    # The system interpreter must not pick up the virtualenv's packages.
    for var in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(var, None)
    run = subprocess.run([SYSTEM_PYTHON, str(PROBE), str(out / f"{stem}.qgs"), str(options)],
                         capture_output=True, text=True, env=env, timeout=120, cwd=out)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def qgis_view(exported_dir: Path) -> tuple[dict, Path]:
    ARTIFACTS.mkdir(exist_ok=True)
    return probe(exported_dir, ARTIFACTS / "qgis_layout_en.png"), exported_dir


def test_project_opens_with_valid_layers_and_counts(qgis_view: tuple[dict, Path]) -> None:
    seen, _ = qgis_view
    assert seen["read"] is True
    counts = {"components": 3, "boundary": 1, "admin_units": 1, "overlaps": 1}
    assert {n: (lyr["valid"], lyr["features"]) for n, lyr in seen["layers"].items()} == {
        n: (True, c) for n, c in counts.items()}
    # --crs EPSG:4551: every layer QGIS opens is in it
    assert {lyr["crs"] for lyr in seen["layers"].values()} == {"EPSG:4551"}
    # relative paths, so the folder can be moved or zipped
    assert seen["absolute_paths"] is False
    assert seen["layers"]["components"]["source"].endswith("autocity.gpkg|layername=components")


def test_project_crs_extent_and_groups(qgis_view: tuple[dict, Path]) -> None:
    seen, _ = qgis_view
    assert seen["crs"] == "EPSG:4551"
    assert seen["view_extent_crs"] == "EPSG:4551"
    from pyproj import Transformer

    fwd = Transformer.from_crs(4326, 4551, always_xy=True)
    xmin, ymin, xmax, ymax = seen["view_extent"]
    for lon in (125.10, 125.30):
        for lat in (43.80, 43.95):
            x, y = fwd.transform(lon, lat)
            assert xmin < x < xmax and ymin < y < ymax
    assert (xmax - xmin) < 50_000  # on the Auto City, not the whole zone
    groups = [(g["group"], g["checked"], g["children"]) for g in seen["tree"]]
    # the city's group is named after the recipe's city, not a fixed "Auto City"
    assert groups == [("Diagnostics", True, ["overlaps"]),
                      ("Changchun International Automobile City", True,
                       ["boundary", "components"]),
                      ("Administrative units", True, ["admin_units"])]


def _check_component_renderer(renderer: dict) -> None:
    assert renderer["type"] == "categorizedSymbol"
    assert renderer["attr"] == "id"
    assert [c["value"] for c in renderer["categories"]] == [c[0] for c in COMPONENTS]
    for index, (cat, comp) in enumerate(zip(renderer["categories"], COMPONENTS, strict=True)):
        want = style.component_style(comp[0], comp[3], index)
        fill, line = cat["symbol"]
        assert fill["fill"] == hex_alpha(want.fill, want.fill_opacity)
        assert line["fill"] == hex_alpha(want.stroke, 1.0)
        assert line["custom_dash"] is (comp[3] == "estimated")
        if want.dashed:
            assert line["customdash"] == style.ESTIMATED_DASH_MM
    estimated = [c for c, comp in zip(renderer["categories"], COMPONENTS, strict=True)
                 if comp[3] == "estimated"]
    official = [c for c, comp in zip(renderer["categories"], COMPONENTS, strict=True)
                if comp[3] == "official"]
    # estimated visibly distinct: dashed and lighter
    assert all(e["symbol"][0]["fill"][1] < o["symbol"][0]["fill"][1]
               for e in estimated for o in official)


@pytest.mark.parametrize("source", ["layers", "gpkg_default_styles"])
def test_styles_match_the_web_map(qgis_view: tuple[dict, Path], source: str) -> None:
    seen, _ = qgis_view
    layers = seen[source]
    _check_component_renderer(layers["components"]["renderer"])
    labels = layers["components"]["labels"]
    assert labels["enabled"] is True and "name_en" in labels["expression"]
    singles = {"boundary": style.BOUNDARY_STYLE, "admin_units": style.CONTEXT_STYLE,
               "overlaps": style.OVERLAP_STYLE}
    for name, want in singles.items():
        renderer = layers[name]["renderer"]
        assert renderer["type"] == "singleSymbol"
        assert renderer["symbol"][1]["fill"] == hex_alpha(want.stroke, 1.0)
        assert renderer["symbol"][0]["fill"] == hex_alpha(want.fill, want.fill_opacity)


def test_composed_boundary_is_dashed_when_estimated(qgis_view: tuple[dict, Path]) -> None:
    # "dashed = estimated": the union of estimated parts is itself estimated
    seen, _ = qgis_view
    _, report = make_fixture()
    assert report.estimated  # the fixture holds an estimated component
    for source in ("layers", "gpkg_default_styles"):
        line = seen[source]["boundary"]["renderer"]["symbol"][1]
        assert line["custom_dash"] is True and line["customdash"] == style.ESTIMATED_DASH_MM


def test_qgis_ellipsoidal_area_matches_report(qgis_view: tuple[dict, Path]) -> None:
    seen, _ = qgis_view
    _, report = make_fixture()
    assert seen["ellipsoidal"] is True
    # independent truth: pyproj.Geod on the union of the fixture's polygons (the API's
    # coverage cleaning moves shared edges by well under a millimetre: ~0.1 m² in 232 km²)
    union = shapely.union_all(make_fixture()[0].components.geometry.to_numpy())
    assert report.composed_km2 == pytest.approx(geod_km2(union), rel=1e-9)
    assert seen["boundary_area_km2"] == pytest.approx(report.composed_km2, rel=1e-4)


def test_print_layout_is_ready(qgis_view: tuple[dict, Path]) -> None:
    seen, _ = qgis_view
    layout = seen["layout"]
    assert layout is not None
    assert layout["items"] == {"map": 1, "label": 2, "legend": 1, "scalebar": 1, "picture": 1}
    assert any("Changchun International Automobile City" in t for t in layout["labels"])
    assert layout["name"] == "长春国际汽车城 Changchun International Automobile City"
    assert layout["legend_title"] == "Legend"
    # the layout's legend wraps the long city name; the layer panel keeps it whole; a group
    # of one layer is not repeated above it (the layer stands alone under its own title)
    assert layout["legend_groups"] == ["Changchun International\nAutomobile City"]
    assert layout["legend_layers"] == ["overlaps", "boundary", "components", "admin_units"]
    assert layout["pictures"][0].endswith("NorthArrow_02.svg")
    assert Path(layout["pictures"][0]).exists()
    assert layout["scalebar_linked"] is True
    assert layout["export_status"] == 0
    png = ARTIFACTS / "qgis_layout_en.png"
    assert png.stat().st_size > 20_000  # a blank A4 page at 80 dpi compresses far smaller


def test_ogrinfo_reports_no_errors(exported_dir: Path) -> None:
    ogrinfo = shutil.which("ogrinfo")
    need(ogrinfo is not None, "ogrinfo not found (apt install gdal-bin)")
    out = exported_dir
    run = subprocess.run([str(ogrinfo), "-al", "-so", str(out / "autocity.gpkg")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    text = run.stdout + run.stderr
    assert "ERROR" not in text, text
    assert "Layer name: components" in text and "Layer name: layer_styles" in text


def test_sld_style_is_readable_by_qgis(qgis_view: tuple[dict, Path]) -> None:
    seen, _ = qgis_view
    sld = seen["sld"]
    assert sld["ok"] is True, sld["message"]
    # QGIS turns one rule per component into a rule-based renderer
    assert sld["renderer"]["type"] == "RuleRenderer"


# ----------------------------------------------------------------------------- hostile text


@pytest.fixture(scope="module")
def hostile_view(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The project built from a recipe whose every text field is a payload, seen by QGIS."""
    need(has_pyqgis(), f"PyQGIS not importable by {SYSTEM_PYTHON} (apt install python3-qgis)")
    from payloads import write_payload_recipe

    from autocity_gis import api

    folder = tmp_path_factory.mktemp("qgis_hostile")
    _, comp, report = api.check(write_payload_recipe(folder))
    out = folder / "out"
    export.export_all(comp, report, out, formats=("gpkg", "qgs"))
    return probe(out, out / "layout.png")


def test_hostile_project_opens_with_layers_and_styles(hostile_view: dict) -> None:
    from payloads import text, xml_shown

    seen = hostile_view
    assert seen["read"] is True
    assert {n: (lyr["valid"], lyr["features"]) for n, lyr in seen["layers"].items()} == {
        "components": (True, 2), "boundary": (True, 1), "admin_units": (True, 1)}
    for source in ("layers", "gpkg_default_styles"):
        renderer = seen[source]["components"]["renderer"]
        assert renderer["type"] == "categorizedSymbol"
        assert [c["value"] for c in renderer["categories"]] == ["w", "e"]
        # the legend wraps long names: every character is there, in order
        assert ["".join(c["label"].split()) for c in renderer["categories"]] == [
            "".join(xml_shown(text(f"name_en {c}")).split()) for c in "we"]
    assert seen["sld"]["ok"] is True, seen["sld"]["message"]
    # the attribute text QGIS reads from the GeoPackage is the data, byte for byte
    assert seen["layers"]["components"]["text"]["name_en"] == [
        text(f"name_en {c}") for c in "we"]
    assert seen["layers"]["components"]["text"]["source"] == [text("source")] * 2


def test_hostile_layout_shows_names_literally(hostile_view: dict) -> None:
    from payloads import text, xml_shown

    layout = hostile_view["layout"]
    assert layout["items"] == {"map": 1, "label": 2, "legend": 1, "scalebar": 1, "picture": 1}
    # QGIS evaluates [% %] in label text; the title is shown as written, nothing evaluated
    title = xml_shown(f"{text('city name_zh')} {text('city name_en')}")
    assert title in layout["shown_labels"]
    legend = layout["legend_shown"]["components"]
    assert ["".join(label.split()) for label in legend] == [
        "".join(xml_shown(text(f"name_en {c}")).split()) for c in "we"]
    assert "[% 7*7 %]" in legend[0] and "49" not in legend[0]
    assert layout["export_status"] == 0
    # the city's group and the layout carry the recipe's names, literally
    city = xml_shown(text("city name_en"))
    assert [g["group"] for g in hostile_view["tree"]] == [city, "Administrative units"]
    # the legend wraps the group title: every character is there, in order
    assert ["".join(g.split()) for g in layout["legend_groups"]] == ["".join(city.split())]
    assert layout["name"] == title


@pytest.fixture(scope="module")
def hostile_zh_view(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The payload recipe exported with ``lang="zh"``: Chinese names in the legend, seen by QGIS."""
    need(has_pyqgis(), f"PyQGIS not importable by {SYSTEM_PYTHON} (apt install python3-qgis)")
    from payloads import write_payload_recipe

    from autocity_gis import api

    folder = tmp_path_factory.mktemp("qgis_hostile_zh")
    _, comp, report = api.check(write_payload_recipe(folder))
    out = folder / "out"
    export.export_all(comp, report, out, formats=("gpkg", "qgs"), crs="EPSG:4551", lang="zh")
    return probe(out, out / "layout.png")


def test_hostile_zh_layout_shows_names_literally(hostile_zh_view: dict) -> None:
    from payloads import text, xml_shown

    layout = hostile_zh_view["layout"]
    assert layout["export_status"] == 0
    assert xml_shown(text("city name_zh")) in layout["shown_labels"]
    assert layout["name"] == xml_shown(text("city name_zh"))
    assert ["".join(g.split()) for g in layout["legend_groups"]] == [
        "".join(xml_shown(text("city name_zh")).split())]
    legend = layout["legend_shown"]["components"]
    assert ["".join(label.split()) for label in legend] == [
        "".join(xml_shown(text(f"name_zh {c}")).split()) for c in "we"]
    # shown, not evaluated (the legend wraps Chinese lines at 16 characters)
    assert "[%7*7%]" in "".join(legend[0].split()) and "49" not in legend[0]


def test_check_results_are_booleans_in_qgis(qgis_view: tuple[dict, Path]) -> None:
    seen, _ = qgis_view
    boundary = seen["layers"]["boundary"]
    assert boundary["types"]["passed"].lower() in ("bool", "boolean"), boundary["types"]
    assert all(isinstance(v, bool) for v in boundary["passed"]), boundary["passed"]
    components = seen["layers"]["components"]
    assert components["types"]["passed"].lower() in ("bool", "boolean"), components["types"]
    # per component: true/false where a figure is stated, NULL where nothing is
    assert set(map(str, components["passed"])) <= {"True", "False", "NULL", "None"}
    # the plane area in the Gauss–Krüger zone is a number even where none was computed
    assert boundary["types"]["gk_km2"].lower() in ("real", "double"), boundary["types"]



# ----------------------------------------------------------------------------- Chinese layout


@pytest.fixture(scope="module")
def zh_view(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The fixture exported with ``lang="zh"`` in EPSG:4551, seen by QGIS; its layout rendered
    to ``tests/_artifacts/qgis_layout.png`` for a person to look at."""
    out = tmp_path_factory.mktemp("qgis_zh")
    comp, report = make_fixture()
    export.export_all(comp, report, out, formats=("gpkg", "qgs"), crs="EPSG:4551", lang="zh")
    ARTIFACTS.mkdir(exist_ok=True)
    return probe(out, ARTIFACTS / "qgis_layout.png")


def test_zh_layout_title_legend_and_subtitle_are_chinese(zh_view: dict) -> None:
    layout = zh_view["layout"]
    assert layout["name"] == "长春国际汽车城"
    assert layout["legend_title"] == "图例"
    assert "长春国际汽车城" in layout["shown_labels"]
    subtitle = next(t for t in layout["shown_labels"] if t.startswith("合成面积"))
    _, report = make_fixture()
    # areas as Chinese planning texts write them: no space before the unit, 公顷 beside km²
    assert f"合成面积{report.composed_km2:,.2f}平方公里" in subtitle
    assert f"{report.composed_km2 * 100:,.2f}公顷" in subtitle
    assert "公布面积471.00平方公里" in subtitle
    assert layout["legend_groups"] == ["长春国际汽车城"]
    groups = [g["group"] for g in zh_view["tree"]]
    assert groups == ["检查结果", "长春国际汽车城", "行政区划"]
    # the components in the layout's legend by their Chinese names
    assert [e.replace("\n", "") for e in layout["legend_entries"]["components"]] == [
        "长春汽车经济技术开发区", "大岭镇（估算）", "绿园西新工业集中区"]
    assert zh_view["crs"] == "EPSG:4551"
    assert layout["export_status"] == 0
    assert (ARTIFACTS / "qgis_layout.png").stat().st_size > 20_000


# ----------------------------------------------------------------------------- a named build


@pytest.fixture(scope="module")
def named_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """``build --crs EPSG:4551`` of a recipe whose city id is ``test_city``, seen by QGIS."""
    from common import EAST, WEST, component_frame

    folder = tmp_path_factory.mktemp("qgis_named")
    component_frame([{"id": "w", "geometry": WEST}, {"id": "e", "geometry": EAST}]).to_file(
        folder / "parts.geojson", driver="GeoJSON")
    blocks = ['[city]\nid = "test_city"\nname_en = "Test Harbour District"\n'
              'name_zh = "测试港区"\ntarget_km2 = 150.0\ntolerance_pct = 5.0\n']
    blocks += [f'[[components]]\nid = "{c}"\nname_en = "Zone {c}"\nlayer = "parts.geojson"\n'
               f'filter = {{ id = "{c}" }}\n' for c in "we"]
    recipe = folder / "recipe.toml"
    recipe.write_text("\n".join(blocks), encoding="utf-8")
    out = folder / "out"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    exe = Path(sys.executable).with_name("autocity-gis")
    run = subprocess.run([str(exe), "build", "--recipe", str(recipe), "--out", str(out),
                          "--offline", "--crs", "EPSG:4551", "--format", "gpkg", "--format",
                          "qgs", "--format", "shp", "--format", "kml", "--format", "dxf"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode in (0, 1), run.stderr
    return probe(out, out / "layout.png", stem="test_city"), out


def test_named_build_opens_in_qgis_in_the_chosen_crs(named_build: tuple[dict, Path]) -> None:
    seen, out = named_build
    assert seen["read"] is True
    assert seen["crs"] == "EPSG:4551" and seen["view_extent_crs"] == "EPSG:4551"
    assert {n: (lyr["valid"], lyr["crs"]) for n, lyr in seen["layers"].items()} == {
        n: (True, "EPSG:4551") for n in ("components", "boundary")}
    assert seen["layers"]["boundary"]["source"].endswith("test_city.gpkg|layername=boundary")
    # QGIS's ellipsoidal area of the projected boundary is the report's geodesic one
    composed = json.loads((out / "report.json").read_text(encoding="utf-8"))["composed_km2"]
    assert seen["boundary_area_km2"] == pytest.approx(composed, rel=1e-4)


def test_named_build_takes_names_from_the_recipe(named_build: tuple[dict, Path]) -> None:
    seen, out = named_build
    names = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    assert {"test_city_map.html", "test_city.gpkg", "test_city.qgs", "test_city.kml",
            "test_city_shp", "test_city.dxf", "report.md", "report.json"} <= names
    assert not [n for n in names if n.startswith("autocity")]
    layout = seen["layout"]
    assert layout["name"] == "测试港区 Test Harbour District"
    assert "测试港区 Test Harbour District" in layout["shown_labels"]
    assert [g["group"] for g in seen["tree"]] == ["Test Harbour District"]
    assert layout["legend_groups"] == ["Test Harbour District"]  # short: not wrapped
    # no trace of the embedded city in any file written (binary ones included)
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"Auto City" not in data and "汽车城".encode() not in data, path
