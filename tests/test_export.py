"""Hand-off formats: GeoPackage layers and styles, Shapefile, GeoJSON, KML, atomic writes.

The fixture is built in code and run through the API (``common.make_fixture``). Expected
values come from the fixture's own inputs, pyproj.Geod, sqlite3 and GDAL reading the files back,
never from the code under test.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import sqlite3
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from common import COMPONENTS, CONTEXT, TARGET_KM2, geod_km2, make_fixture
from common import polygon as _poly
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS, Transformer

from autocity_gis import _export as export
from autocity_gis import qgis
from autocity_gis._errors import InputError
from autocity_gis.composition import Composition
from autocity_gis.handoff import layer_frames


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    comp, report = make_fixture()
    out = tmp_path_factory.mktemp("export")
    return out, export.export_all(comp, report, out)


def test_export_all_writes_every_format(exported: tuple[Path, list[Path]]) -> None:
    out, written = exported
    names = {p.name for p in written}
    assert {"autocity.gpkg", "autocity.qgs", "autocity_shp", "autocity.kml",
            "components.geojson", "boundary.geojson"} <= names
    assert "gaps.geojson" not in names  # no gaps in the fixture
    assert all(p.exists() for p in written)
    # nothing half-written or temporary is left behind
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_geopackage_layers_counts_and_crs(exported: tuple[Path, list[Path]]) -> None:
    gpkg = exported[0] / "autocity.gpkg"
    layers = dict(pyogrio.list_layers(gpkg))
    base = ["components", "boundary", "admin_units", "overlaps"]
    assert set(layers) == {*base, "layer_styles"}
    counts = {"components": 3, "boundary": 1, "admin_units": 1, "overlaps": 1}
    for name, count in counts.items():
        info = pyogrio.read_info(gpkg, layer=name)
        assert info["features"] == count
        assert CRS.from_user_input(info["crs"]).to_epsg() == 4326
    with sqlite3.connect(gpkg) as con:
        srs = dict(con.execute(
            "SELECT c.table_name, s.organization || ':' || s.organization_coordsys_id "
            "FROM gpkg_geometry_columns c JOIN gpkg_spatial_ref_sys s USING (srs_id)"))
    assert srs["boundary"] == "EPSG:4326"


def test_gauss_kruger_zone_is_the_one_covering_changchun() -> None:
    crs = CRS.from_epsg(qgis.GK_EPSG)
    params = {p.name: p.value for p in crs.coordinate_operation.params}
    assert params["Longitude of natural origin"] == 126
    assert params["False easting"] == 42_500_000
    assert crs.datum.name == "China 2000"
    west, _, east, _ = crs.area_of_use.bounds
    assert west <= 125.1 and east >= 125.3


def test_geopackage_attributes(exported: tuple[Path, list[Path]]) -> None:
    _, report = make_fixture()
    gpkg = exported[0] / "autocity.gpkg"
    got = pyogrio.read_dataframe(gpkg, layer="components")
    assert list(got["name_zh"]) == [c[1] for c in COMPONENTS]
    assert list(got["name_en"]) == [c[2] for c in COMPONENTS]
    assert list(got["accuracy"]) == [c[3] for c in COMPONENTS]
    assert list(got["stated_area_km2"]) == [c[4] for c in COMPONENTS]
    for geom, c in zip(got.geometry, COMPONENTS, strict=True):
        assert geod_km2(geom) == pytest.approx(geod_km2(_poly(c[5])), rel=1e-9)
    b = pyogrio.read_dataframe(gpkg, layer="boundary")
    assert b["stated_area_km2"][0] == TARGET_KM2
    assert b["measured_km2"][0] == pytest.approx(report.composed_km2)


def test_geopackage_in_the_zone_prefixed_gauss_kruger_crs(tmp_path: Path) -> None:
    comp, report = make_fixture()
    export.export_all(comp, report, tmp_path, formats=("gpkg",), crs="EPSG:4530")
    gpkg = tmp_path / "autocity.gpkg"
    assert "components_cgcs2000_gk" not in dict(pyogrio.list_layers(gpkg))
    gk = pyogrio.read_dataframe(gpkg, layer="components")
    assert gk.crs.to_epsg() == 4530
    fwd = Transformer.from_crs(4326, 4530, always_xy=True)
    lon, lat = shapely.get_coordinates(_poly(COMPONENTS[0][5])).T
    x, y = fwd.transform(lon, lat)
    got_xy = shapely.get_coordinates(gk.geometry[0])
    np.testing.assert_allclose(np.array(sorted(zip(x, y, strict=True))),
                               np.array(sorted(map(tuple, got_xy))), rtol=0, atol=1e-3)
    assert 42_000_000 < x.min() < 43_000_000  # zone number in front of the easting


def test_layer_styles_table_as_qgis_reads_it(exported: tuple[Path, list[Path]]) -> None:
    gpkg = exported[0] / "autocity.gpkg"
    with sqlite3.connect(gpkg) as con:
        geomcols = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        rows = con.execute(
            "SELECT f_table_schema, f_table_name, f_geometry_column, styleQML, styleSLD, "
            "useAsDefault FROM layer_styles").fetchall()
        contents = con.execute(
            "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'").fetchall()
    assert contents == [("attributes",)]
    assert {r[1] for r in rows} == set(geomcols)
    for schema, table, geomcol, qml, sld, default in rows:
        assert schema == ""
        assert geomcol == geomcols[table]
        assert default == 1
        ET.fromstring(qml.split("\n", 1)[1])  # well-formed after the DOCTYPE line
        ET.fromstring(sld.encode())
    qml = next(r[3] for r in rows if r[1] == "components")
    root = ET.fromstring(qml.split("\n", 1)[1])
    renderer = root.find("renderer-v2")
    assert renderer is not None and renderer.get("type") == "categorizedSymbol"
    assert [c.get("value") for c in renderer.iter("category")] == [c[0] for c in COMPONENTS]
    assert root.get("labelsEnabled") == "1"
    # names with markup characters are escaped, not injected
    assert any("Auto ETDZ <core>" in (c.get("label") or "") for c in renderer.iter("category"))


def test_shapefile_names_survive_in_utf8(exported: tuple[Path, list[Path]]) -> None:
    folder = exported[0] / "autocity_shp"
    assert (folder / "components.cpg").read_text().strip().upper() in {"UTF-8", "UTF8"}
    got = pyogrio.read_dataframe(folder / "components.shp")
    assert list(got["name_zh"]) == [c[1] for c in COMPONENTS]
    assert list(got["name_en"]) == [c[2] for c in COMPONENTS]
    assert list(got["stated_km2"]) == [c[4] for c in COMPONENTS]
    assert all(len(col) <= 10 for col in got.columns)
    ctx = pyogrio.read_dataframe(folder / "admin_units.shp")
    assert ctx["name_zh"][0] == CONTEXT[1] and ctx["name_en"][0] == CONTEXT[2]


def test_shapefile_column_mapping() -> None:
    m = export.shapefile_columns(["stated_area_km2", "stated_area_source", "abcdefghijkl",
                                  "abcdefghijXY"])
    assert m["stated_area_km2"] == "stated_km2"
    assert len(set(m.values())) == 4 and all(len(v) <= 10 for v in m.values())


def test_geojson_is_rfc7946(exported: tuple[Path, list[Path]]) -> None:
    doc = json.loads((exported[0] / "components.geojson").read_text(encoding="utf-8"))
    assert "crs" not in doc  # RFC 7946 drops the crs member: always WGS 84 lon/lat
    assert [f["properties"]["name_zh"] for f in doc["features"]] == [c[1] for c in COMPONENTS]
    for feature, c in zip(doc["features"], COMPONENTS, strict=True):
        lon0, _, _, lat1 = c[5]
        for polygon in feature["geometry"]["coordinates"]:
            ring = polygon[0]
            lons = [p[0] for p in ring]
            lats = [p[1] for p in ring]
            assert min(lons) == pytest.approx(lon0) and max(lats) == pytest.approx(lat1)
            # exterior rings counter-clockwise (right-hand rule): positive shoelace area
            shoelace = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))
            assert shoelace > 0


def test_kml_has_named_placemarks(exported: tuple[Path, list[Path]]) -> None:
    text = (exported[0] / "autocity.kml").read_text(encoding="utf-8")
    root = ET.fromstring(text)
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    names = [n.text for n in root.iterfind(".//k:Placemark/k:name", ns)]
    for _, zh, en, *_ in COMPONENTS:
        assert f"{zh} {en}" in names
    containers = [f.findtext("k:name", namespaces=ns)
                  for f in root.iterfind("k:Document/k:Document", ns)]
    # one container per layer, whatever GDAL drivers are installed (the writer needs none)
    assert containers == ["components", "boundary", "admin_units", "overlaps"]
    # GDAL reads it back: attributes from ExtendedData, geometry with its area
    got = pyogrio.read_dataframe(exported[0] / "autocity.kml", layer="components")
    assert list(got["name_en"]) == [c[2] for c in COMPONENTS]
    for geom, c in zip(got.geometry, COMPONENTS, strict=True):
        assert geod_km2(geom) == pytest.approx(geod_km2(_poly(c[5])), rel=1e-9)


def test_unknown_format_is_an_input_error(tmp_path: Path) -> None:
    comp, report = make_fixture()
    with pytest.raises(InputError, match="'svg'"):
        export.export_all(comp, report, tmp_path, formats=("gpkg", "svg"))
    assert list(tmp_path.iterdir()) == []


def test_interrupted_export_leaves_old_files(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    comp, report = make_fixture()
    export.export_all(comp, report, tmp_path, formats=("gpkg", "shp"))
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    from autocity_gis.qgis import geopackage

    monkeypatch.setattr(geopackage, "write_layer_styles", boom)
    with pytest.raises(RuntimeError):
        export.export_all(comp, report, tmp_path, formats=("gpkg",))
    monkeypatch.setattr(export.pyogrio, "write_dataframe", boom)
    with pytest.raises(RuntimeError):
        export.export_all(comp, report, tmp_path, formats=("shp",))
    after = {p.name: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    assert after == before  # old files intact, no temporaries left


def test_gaps_layer_and_no_context(tmp_path: Path) -> None:
    comp, report = make_fixture()
    hole = _poly((125.16, 43.91, 125.17, 43.92))
    gaps = gpd.GeoDataFrame({"area_km2": [geod_km2(hole)]}, geometry=[hole], crs="EPSG:4326")
    comp = dataclasses.replace(comp, gaps=gaps, context=comp.context.iloc[:0])
    export.export_all(comp, report, tmp_path, formats=("gpkg", "qgs", "geojson"))
    layers = [name for name, _ in pyogrio.list_layers(tmp_path / "autocity.gpkg")]
    assert layers == ["components", "boundary", "overlaps", "gaps", "layer_styles"]
    assert pyogrio.read_info(tmp_path / "autocity.gpkg", layer="gaps")["features"] == 1
    assert (tmp_path / "gaps.geojson").exists()
    project = ET.parse(tmp_path / "autocity.qgs").getroot()
    names = [e.text for e in project.iterfind("projectlayers/maplayer/layername")]
    assert names == ["overlaps", "gaps", "boundary", "components"]
    assert "_cgcs2000_gk" not in (tmp_path / "autocity.qgs").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- hostile text
# Every text field of the recipe and its layers carries template, HTML, XML, Markdown and
# terminal payloads (``payloads.py``). XML outputs must parse with expat and show the text
# (characters XML 1.0 forbids as visible escapes); data formats must keep it as data.

KML = "{http://www.opengis.net/kml/2.2}"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Composition]:
    from payloads import write_payload_recipe

    from autocity_gis import api

    folder = tmp_path_factory.mktemp("hostile_export")
    _, comp, report = api.check(write_payload_recipe(folder))
    export.export_all(comp, report, folder / "out", gauss_kruger=True)
    return folder / "out", comp


def test_hostile_qgis_project_and_styles_parse(hostile: tuple[Path, Composition]) -> None:
    from payloads import text, xml_shown, xml_text_shown

    out, _ = hostile
    project = ET.parse(out / "autocity.qgs").getroot()  # expat: strict XML 1.0
    title = f"{text('city name_zh')} {text('city name_en')}"
    assert project.findtext("title") == xml_text_shown(title)
    assert project.get("projectname") == xml_shown(title)  # attributes keep CR as &#13;
    with sqlite3.connect(out / "autocity.gpkg") as con:
        rows = con.execute("SELECT f_table_name, styleQML, styleSLD FROM layer_styles").fetchall()
    assert len(rows) == 3  # one default style per layer
    for table, qml, sld in rows:
        root = ET.fromstring(qml.split("\n", 1)[1])
        sld_root = ET.fromstring(sld.encode())
        if table.startswith("components"):
            values = [c.get("value") for c in root.iter("category")]
            assert values == ["w", "e"]
            # legend labels are wrapped to LEGEND_WRAP_CHARS: compare all but whitespace
            labels = ["".join((c.get("label") or "").split()) for c in root.iter("category")]
            assert labels == ["".join(xml_shown(text(f"name_en {c}")).split()) for c in "we"]
            literals = [e.text for e in sld_root.iter("{http://www.opengis.net/ogc}Literal")]
            assert literals == ["w", "e"]


def _kml_placemarks(path: Path) -> dict[str, list[ET.Element]]:
    root = ET.parse(path).getroot()
    return {
        str(doc.findtext(f"{KML}name")): doc.findall(f"{KML}Placemark")
        for doc in root.iter(f"{KML}Document")
        if doc.findtext(f"{KML}name")
    }


class _TagsAndText(HTMLParser):
    """What an HTML renderer (Google Earth's balloon) makes of a description."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.tags.append("!--")


def test_hostile_kml_parses_and_shows_text_literally(hostile: tuple[Path, Composition]) -> None:
    from payloads import text, xml_text_shown

    out, _ = hostile
    layers = _kml_placemarks(out / "autocity.kml")
    assert list(layers) == ["components", "boundary", "admin_units"]
    names = [p.findtext(f"{KML}name") for p in layers["components"]]
    assert names == [
        xml_text_shown(f"{text(f'name_zh {c}')} {text(f'name_en {c}')}") for c in "we"
    ]
    context = layers["admin_units"][0]
    assert context.findtext(f"{KML}name") == xml_text_shown(
        f"{text('context name_zh')} {text('context name_en')}"
    )
    for placemark in layers["components"] + layers["admin_units"]:
        data = {
            d.get("name"): d.findtext(f"{KML}value")
            for d in placemark.iter(f"{KML}Data")
        }
        description = placemark.findtext(f"{KML}description") or ""
        assert "$[" not in description  # Google Earth's balloon substitution finds no field
        parser = _TagsAndText()
        parser.feed(description)
        parser.close()
        # only the line breaks the writer puts between attributes are markup
        assert set(parser.tags) <= {"br"}
        assert "".join(parser.text) == placemark.findtext(f"{KML}name") + "".join(
            f"{k}: {v}" for k, v in data.items()
        )
    first = {d.get("name"): d.findtext(f"{KML}value") for d in layers["components"][0].iter(
        f"{KML}Data")}
    for field in ("source", "method", "date", "kind"):
        assert first[field] == xml_text_shown(text(field))
    assert first["stated_area_source"] == xml_text_shown(text("stated_area_source w"))


def test_hostile_kml_reads_back_with_gdal(hostile: tuple[Path, Composition]) -> None:
    out, _ = hostile
    layers = [name for name, _ in pyogrio.list_layers(out / "autocity.kml")]
    assert "components" in layers
    assert pyogrio.read_info(out / "autocity.kml", layer="components")["features"] == 2


def test_hostile_data_formats_keep_text_as_data(hostile: tuple[Path, Composition]) -> None:
    from payloads import text

    out, _ = hostile
    want = [text(f"name_en {c}") for c in "we"]
    gpkg = pyogrio.read_dataframe(out / "autocity.gpkg", layer="components")
    assert list(gpkg["name_en"]) == want
    assert list(gpkg["source"]) == [text("source")] * 2
    context = pyogrio.read_dataframe(out / "autocity.gpkg", layer="admin_units")
    assert context["name_zh"][0] == text("context name_zh")
    doc = json.loads((out / "components.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["name_en"] for f in doc["features"]] == want
    shp = pyogrio.read_dataframe(out / "autocity_shp" / "components.shp")
    for got, full in zip(shp["name_en"], want, strict=True):
        # cut to the dBASE limit on a character boundary, never mid-character
        assert full.startswith(got)
        assert export.SHAPEFILE_MAX_BYTES - 4 < len(got.encode("utf-8")) <= 254


def test_shapefile_cuts_long_chinese_names_on_character_boundaries(tmp_path: Path) -> None:
    comp, report = make_fixture()
    components = comp.components.copy()
    components["name_zh"] = ["长" * 100, "a" + "长" * 100, "ab" + "长\x01" * 70]
    comp = dataclasses.replace(comp, components=components)
    export.export_all(comp, report, tmp_path, formats=("shp",))
    got = list(pyogrio.read_dataframe(tmp_path / "autocity_shp" / "components.shp")["name_zh"])
    assert got == ["长" * 84, "a" + "长" * 84, "ab" + "长\x01" * 63]


_ANY = st.text(st.characters(codec=None, exclude_categories=()), max_size=30)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_ANY, _ANY), min_size=1, max_size=3), _ANY)
def test_any_text_gives_strict_xml_styles_and_project(
    tmp_path_factory: pytest.TempPathFactory, names: list[tuple[str, str]], city: str
) -> None:
    comp, report = make_fixture()
    components = comp.components.iloc[: len(names)].copy()
    # dtype=object: Arrow strings (pandas with pyarrow) cannot hold the lone surrogates drawn
    components["id"] = pd.Series([c for c, _ in names], index=components.index, dtype=object)
    components["name_en"] = pd.Series([n for _, n in names], index=components.index, dtype=object)
    for layer in ("components", "components_cgcs2000_gk", "boundary"):
        frame = components if layer.startswith("components") else comp.boundary
        ET.fromstring(qgis.layer_style_qml(layer, frame).split("\n", 1)[1])
        ET.fromstring(qgis.layer_style_sld(layer, frame).encode())
    comp = dataclasses.replace(comp, components=components, name_en=city)
    report = dataclasses.replace(report, name_en=city, name_zh=city[::-1])
    frames = layer_frames(comp, report)
    path = qgis.write_project(frames, report, tmp_path_factory.mktemp("p") / "x.qgs")
    ET.parse(path)
    written = export.write_kml(frames, path.with_suffix(".kml"))
    ET.parse(written)


def test_lone_surrogates_from_the_api_do_not_crash_any_format(tmp_path: Path) -> None:
    # UTF-8 cannot hold a lone surrogate; such text (only reachable through the Python API)
    # is written with the surrogate shown as its escape, everything else unchanged.
    comp, report = make_fixture()
    components = comp.components.copy()
    # dtype=object: with pyarrow installed pandas stores text as Arrow strings, which cannot
    # hold a lone surrogate at all.
    components["name_en"] = pd.Series(
        ["A\ud800B", "Daling", "C\udfffD\x01"], index=components.index, dtype=object
    )
    comp = dataclasses.replace(comp, components=components, name_en="City\udc80")
    report = dataclasses.replace(report, name_en="City\udc80")
    export.export_all(comp, report, tmp_path)
    got = pyogrio.read_dataframe(tmp_path / "autocity.gpkg", layer="components")
    assert list(got["name_en"]) == ["A\\ud800B", "Daling", "C\\udfffD\x01"]
    ET.parse(tmp_path / "autocity.qgs")
    ET.parse(tmp_path / "autocity.kml")
