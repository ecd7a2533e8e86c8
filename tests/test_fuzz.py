"""Fuzz targets (hypothesis) for the recipe loader and the layer loader.

Whatever bytes arrive, the loaders either return a checked result or raise an ``InputError``
with a one-line message -- never a raw GDAL, pyproj, shapely, TOML or KeyError exception. CI runs
40 examples per target; run longer with ``AUTOCITY_FUZZ_EXAMPLES=2000``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import shapely
from common import WEST, component_frame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autocity_gis._errors import InputError
from autocity_gis.layers import CHINA_BBOX, read_layer
from autocity_gis.recipe import LayerSource, Recipe, load_recipe

EXAMPLES = int(os.environ.get("AUTOCITY_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

VALID = (
    '[city]\nname_en = "X"\ntarget_km2 = 10\ntolerance_pct = 1\n'
    '[context]\nlayer = "layer.geojson"\n'
    '[[components]]\nid = "a"\nname_en = "A"\nlayer = "layer.geojson"\n'
    'filter = { id = "w" }\nstated_area_km2 = 5\n'
)
KEYS = [
    "id",
    "name_en",
    "name_zh",
    "target_km2",
    "tolerance_pct",
    "snap_tolerance_m",
    "layer",
    "layer_name",
    "filter",
    "datum",
    "crs",
    "encoding",
    "role",
    "stated_area_km2",
    "missing_reason",
    "components",
    "city",
    "context",
    "bogus",
]
VALUES = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.integers(10**300, 10**500).map(str),  # beyond float range
    st.floats(allow_nan=True).map(lambda f: repr(f).replace("inf", "inf").lower()),
    st.text(max_size=20).map(json.dumps),
    st.sampled_from(
        [
            '"../x"',
            '"/etc/passwd"',
            '"layer.geojson"',
            "[]",
            "{}",
            "{ id = [] }",
            "true",
            '"GCJ02"',
            '"EPSG:0"',
            '"GBX"',
            "1979-05-27",
            "{ a = { b = 1 } }",
            '[1, "a"]',
            '"layer\\u0000.geojson"',
            '"/vsicurl/http://127.0.0.1:9/x.geojson"',
            '"CSV:layer.geojson"',
            '"rot13"',
            '"base64"',
            '"IAU_2015:49900"',
            '"EPSG:5773"',
            '"' + "x" * 5000 + '"',
            "[" * 2000 + "]" * 2000,
        ]
    ),
)
LINES = st.one_of(
    st.tuples(st.sampled_from(KEYS), VALUES).map(lambda kv: f"{kv[0]} = {kv[1]}"),
    st.sampled_from(["[city]", "[[components]]", "[context]", "[city.x]", "[[city]]"]),
    st.text(max_size=30),
)


def _layer(folder: Path) -> None:
    frame = component_frame([{"id": "w", "geometry": WEST}])
    frame.to_file(folder / "layer.geojson", driver="GeoJSON")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz")
    _layer(path)
    return path


@FUZZ
@given(st.lists(LINES, max_size=12), st.integers(0, 200))
def test_recipe_loader_never_crashes(folder: Path, lines: list[str], cut: int) -> None:
    text = VALID[: len(VALID) * cut // 200] + "\n" + "\n".join(lines)
    path = folder / "r.toml"
    path.write_text(text, encoding="utf-8")
    try:
        recipe = load_recipe(path)
    except InputError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(str(path))
    else:
        assert isinstance(recipe, Recipe)
        assert all(c.source is None or c.source.path.is_file() for c in recipe.components)


@FUZZ
@given(st.binary(max_size=400))
def test_recipe_loader_takes_any_bytes(folder: Path, data: bytes) -> None:
    path = folder / "b.toml"
    path.write_bytes(data)
    try:
        load_recipe(path)
    except InputError as exc:
        assert "\n" not in str(exc)


GEOJSON = component_frame([{"id": "w", "name_zh": "西区", "geometry": WEST}]).to_json()


@FUZZ
@given(st.integers(0, len(GEOJSON)), st.binary(max_size=20), st.integers(0, len(GEOJSON)))
def test_layer_loader_takes_damaged_files(folder: Path, cut: int, junk: bytes, where: int) -> None:
    raw = GEOJSON.encode()
    data = raw[:where] + junk + raw[where:cut] if where < cut else raw[:cut] + junk
    path = folder / "damaged.geojson"
    path.write_bytes(data)
    _expect_clean(LayerSource(path=path))


_odd = st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e300, 0.0])
coord = st.tuples(
    st.one_of(st.floats(-400, 5e6), st.floats(70, 140), _odd),
    st.one_of(st.floats(-100, 5e6), st.floats(0, 60), _odd),
)


@FUZZ
@given(
    st.sampled_from(["Polygon", "MultiPolygon", "LineString", "Point", "GeometryCollection"]),
    st.lists(coord, min_size=0, max_size=8),
    st.sampled_from([None, "EPSG:4326", "EPSG:4551", "EPSG:3857", "GCJ02"]),
)
def test_layer_loader_takes_any_coordinates(
    folder: Path, kind: str, coords: list[tuple[float, float]], crs: str | None
) -> None:
    ring = [list(c) for c in coords] + ([list(coords[0])] if coords else [])
    geometry = {
        "Polygon": {"type": "Polygon", "coordinates": [ring]},
        "MultiPolygon": {"type": "MultiPolygon", "coordinates": [[ring]]},
        "LineString": {"type": "LineString", "coordinates": ring},
        "Point": {"type": "Point", "coordinates": ring[0] if ring else []},
        "GeometryCollection": {
            "type": "GeometryCollection",
            "geometries": [{"type": "Polygon", "coordinates": [ring]}],
        },
    }[kind]
    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"id": "x"}, "geometry": geometry}],
    }
    path = folder / "coords.geojson"
    text = json.dumps(doc).replace("-Infinity", "-1e999").replace("Infinity", "1e999")
    path.write_text(text.replace("NaN", "null"), encoding="utf-8")
    if crs == "GCJ02":
        source = LayerSource(path=path, datum="GCJ02")
    elif crs in (None, "EPSG:4326"):
        source = LayerSource(path=path)
    else:
        # GeoJSON declares WGS 84 itself; the recipe's crs then conflicts and must say so.
        source = LayerSource(path=path, crs=crs)
    _expect_clean(source)


@FUZZ
@given(st.text(max_size=60))
def test_layer_name_is_never_sql(folder: Path, name: str) -> None:
    # Any text as layer_name: the layer of that name, or one line listing the layers there.
    try:
        layer = read_layer(LayerSource(path=folder / "layer.geojson", layer_name=name))
    except InputError as exc:
        assert "\n" not in str(exc) and "has no layer" in str(exc)
    else:
        assert name == "layer" and len(layer.frame) == 1


def _expect_clean(source: LayerSource) -> None:
    try:
        layer = read_layer(source)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    geoms = layer.frame.geometry.to_numpy()
    assert all(g.geom_type in ("Polygon", "MultiPolygon") and g.is_valid for g in geoms)
    assert not shapely.has_z(geoms).any()
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    lon0, lat0, lon1, lat1 = CHINA_BBOX
    # The datum shift moves data by < 1 km, so a layer touching China stays near it.
    assert xmax >= lon0 - 0.1 and xmin <= lon1 + 0.1 and ymax >= lat0 - 0.1 and ymin <= lat1 + 0.1
