"""Wrong places caught: misdeclared Gauss-Krueger zones, offset datums, parent units.

Independent truth: the EPSG database through pyproj (names, projection parameters, PROJ's own
transformations), prcoords for GCJ-02/BD-09, pyproj.Geod for areas outside a parent.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import prcoords
import pyproj
import pytest
import shapely
from click.testing import CliRunner
from common import GEODATA, cell, component_frame, geod_km2
from pyproj.database import query_crs_info
from pyproj.enums import PJType

from autocity_gis import _gauss_kruger, placement
from autocity_gis._errors import CRSError, InputError, LayerError
from autocity_gis.cli import cli
from autocity_gis.layers import borders_of, read_layer
from autocity_gis.placement import GAUSS_KRUGER, MISPLACED_KM
from autocity_gis.recipe import LayerSource, load_recipe

# -- the Gauss-Krueger table against the EPSG database ----------------------------------------

_FAMILY_NAME = re.compile(
    r"^(CGCS2000|Xian 1980|Beijing 1954|New Beijing) / (3-degree )?Gauss-Kruger (zone \d+|CM \d+E)$"
)


def test_table_holds_every_chinese_gauss_kruger_crs_of_epsg() -> None:
    in_epsg = {
        int(info.code)
        for info in query_crs_info(auth_name="EPSG", pj_types=PJType.PROJECTED_CRS)
        if _FAMILY_NAME.match(info.name) and not info.deprecated
    }
    assert {gk.epsg for gk in GAUSS_KRUGER} == in_epsg
    assert len(GAUSS_KRUGER) == len(in_epsg) == 256


@pytest.mark.parametrize("gk", GAUSS_KRUGER, ids=lambda gk: gk.code)
def test_table_entry_matches_epsg(gk: placement.GaussKruger) -> None:
    crs = pyproj.CRS.from_epsg(gk.epsg)
    assert crs.name == gk.name
    params = {p.name: p.value for p in crs.coordinate_operation.params}
    assert params["Longitude of natural origin"] == gk.cm
    assert params["False easting"] == gk.false_easting
    assert params["Scale factor at natural origin"] == 1.0
    assert params["Latitude of natural origin"] == 0.0 and params["False northing"] == 0.0
    mine = pyproj.CRS.from_proj4(gk.proj).ellipsoid
    assert mine.semi_major_metre == pytest.approx(crs.ellipsoid.semi_major_metre, abs=1e-3)
    assert mine.inverse_flattening == pytest.approx(crs.ellipsoid.inverse_flattening, rel=1e-9)


@pytest.mark.parametrize("epsg", [4551, 4530, 4499, 4510, 2439, 2418, 21421, 2387, 2366, 2335])
def test_pipeline_agrees_with_proj_to_a_millimetre(epsg: int) -> None:
    gk = next(g for g in GAUSS_KRUGER if g.epsg == epsg)
    crs = pyproj.CRS.from_epsg(epsg)
    to_plane = pyproj.Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True)
    lon = np.array([gk.cm - 1.2, gk.cm, gk.cm + 1.4])
    lat = np.array([43.5, 44.0, 45.1])
    x, y = to_plane.transform(lon, lat)
    back_lon, back_lat = _gauss_kruger._unproject(gk.proj).transform(x, y)
    # 1e-8 degrees is about a millimetre.
    np.testing.assert_allclose(back_lon, lon, atol=1e-8)
    np.testing.assert_allclose(back_lat, lat, atol=1e-8)


# -- fixtures ----------------------------------------------------------------------------------


def _lvyuan_box() -> shapely.Polygon:
    """A 1.6 km x 2.2 km box inside Lüyuan District (220106) of the embedded context."""
    units = gpd.read_file(GEODATA / "admin_units.geojson")
    unit = units.loc[units.adcode == "220106"].geometry.iloc[0]
    p = unit.representative_point()
    box = shapely.box(p.x - 0.01, p.y - 0.01, p.x + 0.01, p.y + 0.01)
    box = shapely.segmentize(box, 0.001)
    assert unit.contains(box)
    return box


def _write_recipe(
    folder: Path,
    layer: str,
    *,
    context: str | None = "admin_units.geojson",
    crs: str | None = None,
    datum: str | None = None,
    parent: str | None = None,
) -> Path:
    entry = [
        "[[components]]",
        'id = "zone"',
        'name_en = "Zone"',
        f"layer = {json.dumps(layer)}",
    ]
    for key, value in (("crs", crs), ("datum", datum), ("parent", parent)):
        if value is not None:
            entry.append(f"{key} = {json.dumps(value)}")
    text = '[city]\nname_en = "T"\ntarget_km2 = 4.0\ntolerance_pct = 50.0\n\n'
    if context is not None:
        text += f"[context]\nlayer = {json.dumps(context)}\n\n"
    path = folder / "recipe.toml"
    path.write_text(text + "\n".join(entry) + "\n", encoding="utf-8")
    return path


def _embedded_context(folder: Path) -> None:
    shutil.copy(GEODATA / "admin_units.geojson", folder / "admin_units.geojson")


def _in_crs(geom: shapely.Geometry, epsg: int, *, declare: int | None) -> gpd.GeoDataFrame:
    """The geometry's coordinates in ``epsg``, declared as ``declare`` (None: no CRS)."""
    frame = component_frame([{"id": "zone", "geometry": geom}]).to_crs(epsg)
    return (
        frame.set_crs(declare, allow_override=True)
        if declare
        else frame.set_crs(None, allow_override=True)
    )


def _write(frame: gpd.GeoDataFrame, path: Path) -> Path:
    # GeoPackage keeps a layer without a CRS without complaint when written through GDAL.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "'crs' was not provided"
        frame.to_file(path, driver="GPKG")
    return path


def _validate(recipe: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", "-q", "--recipe", str(recipe)])
    return result.exit_code, result.output  # click's runner mixes stderr into output


# -- misdeclared Gauss-Krueger zones: exit 2 naming the CRS that lands the layer ---------------


@pytest.mark.parametrize(
    ("written", "declared"),
    [
        (4551, "EPSG:4550"),  # CGCS2000 3 degree CM 126E read as the neighbour CM 123E
        (4530, "EPSG:4551"),  # zone-prefixed eastings read without the prefix
        (4551, "EPSG:4530"),  # and the reverse
        (4510, "EPSG:4509"),  # 6 degree CM 123E read as CM 117E
        (4499, "EPSG:4510"),  # 6 degree zone 21, prefixed, read as CM 123E
        (2439, "EPSG:2438"),  # Beijing 1954 3 degree CM 126E read as CM 123E
        (21421, "EPSG:2439"),  # Beijing 1954 6 degree zone 21 read as a 3 degree CM
        (2366, "EPSG:2387"),  # Xian 1980 3 degree zone 42 read without its prefix
    ],
)
def test_neighbouring_zone_is_an_error_naming_the_right_epsg(
    tmp_path: Path, written: int, declared: str
) -> None:
    _embedded_context(tmp_path)
    _write(_in_crs(_lvyuan_box(), written, declare=None), tmp_path / "zone.gpkg")
    status, output = _validate(_write_recipe(tmp_path, "zone.gpkg", crs=declared))
    assert status == 2, output
    assert f'set crs = "EPSG:{written}"' in output
    assert f"instead of {declared}" in output
    assert pyproj.CRS.from_epsg(written).name in output
    assert "Traceback" not in output and output.count("\n") == 1


def test_the_issue_case_says_how_far_and_which_zone(tmp_path: Path) -> None:
    _embedded_context(tmp_path)
    _write(_in_crs(_lvyuan_box(), 4551, declare=None), tmp_path / "zone.gpkg")
    recipe = _write_recipe(tmp_path, "zone.gpkg", crs="EPSG:4550")
    with pytest.raises(CRSError) as info:
        _read_component(recipe)
    message = str(info.value)
    # Independent truth: where PROJ puts the layer when read as EPSG:4550.
    wrong = gpd.read_file(tmp_path / "zone.gpkg").set_crs(4550, allow_override=True)
    units = gpd.read_file(tmp_path / "admin_units.geojson")
    metric = "+proj=aeqd +lat_0=44 +lon_0=125 +ellps=WGS84"
    far_km = units.to_crs(metric).union_all().distance(wrong.to_crs(metric).union_all()) / 1e3
    shown = float(re.search(r"lies ([\d,]+) km", message).group(1).replace(",", ""))
    assert shown == pytest.approx(far_km, abs=2.0) and shown > MISPLACED_KM
    assert "EPSG:4551 (CGCS2000 / 3-degree Gauss-Kruger CM 126E)" in message
    assert "admin_units.geojson" in message


def test_crs_declared_by_the_file_is_blamed_on_the_file(tmp_path: Path) -> None:
    _embedded_context(tmp_path)
    _write(_in_crs(_lvyuan_box(), 4551, declare=4550), tmp_path / "zone.gpkg")
    status, output = _validate(_write_recipe(tmp_path, "zone.gpkg"))
    assert status == 2
    assert "the file's own CRS is wrong: give the file EPSG:4551" in output


def test_metres_declared_as_degrees_get_a_zone_and_the_other_families(tmp_path: Path) -> None:
    _embedded_context(tmp_path)
    _write(_in_crs(_lvyuan_box(), 4551, declare=4326), tmp_path / "zone.gpkg")
    status, output = _validate(_write_recipe(tmp_path, "zone.gpkg"))
    assert status == 2
    # Read without a family to go by: CGCS2000 first, the same plane in the older frames named.
    assert "EPSG:4551" in output and "EPSG:2387" in output and "EPSG:2439" in output


def test_without_context_nothing_new_is_refused(tmp_path: Path) -> None:
    _write(_in_crs(_lvyuan_box(), 4551, declare=None), tmp_path / "zone.gpkg")
    status, output = _validate(_write_recipe(tmp_path, "zone.gpkg", context=None, crs="EPSG:4550"))
    assert status in (0, 1), output  # misplaced, but nothing to tell it by


def test_far_lonlat_layer_names_the_distance_and_no_false_cure(tmp_path: Path) -> None:
    _embedded_context(tmp_path)
    far = shapely.affinity.translate(_lvyuan_box(), 1.5, 0.0)  # ~120 km east
    _write(component_frame([{"id": "zone", "geometry": far}]), tmp_path / "zone.gpkg")
    status, output = _validate(_write_recipe(tmp_path, "zone.gpkg"))
    assert status == 2
    assert "km from the context units of admin_units.geojson" in output
    assert "offset datums" in output and "set crs" not in output


def test_a_layer_near_the_context_passes(tmp_path: Path) -> None:
    _embedded_context(tmp_path)
    units = gpd.read_file(tmp_path / "admin_units.geojson").union_all()
    # 0.05 degrees (5.5 km) south of the units' southernmost vertex.
    x, y = min(shapely.get_coordinates(units), key=lambda v: v[1])
    near = shapely.box(x - 0.02, y - 0.07, x + 0.02, y - 0.05)
    assert not units.intersects(near)
    _write(component_frame([{"id": "zone", "geometry": near}]), tmp_path / "zone.gpkg")
    layer = _read_component(_write_recipe(tmp_path, "zone.gpkg"))
    assert len(layer.frame) == 1


def _read_component(recipe_path: Path) -> Any:
    recipe = load_recipe(recipe_path)
    assert recipe.context is not None
    borders = borders_of(read_layer(recipe.context))
    source = recipe.components[0].source
    assert source is not None
    return read_layer(source, context_borders=borders)


# -- parent units -------------------------------------------------------------------------------

CELL_A = cell(125.10, 43.80, 125.20, 43.90)
CELL_B = cell(125.20, 43.80, 125.30, 43.90)


def _synthetic_context(folder: Path, *cells: tuple[str, str, shapely.Polygon]) -> None:
    frame = gpd.GeoDataFrame(
        {"adcode": [c[0] for c in cells], "name_en": [c[1] for c in cells]},
        geometry=[c[2] for c in cells],
        crs=4326,
    )
    frame.to_file(folder / "units.geojson", driver="GeoJSON")


def _component(folder: Path, geom: shapely.Geometry, name: str = "zone.gpkg") -> str:
    _write(component_frame([{"id": "zone", "geometry": geom}]), folder / name)
    return name


def test_share_outside_the_parent_is_reported_in_km2_and_percent(tmp_path: Path) -> None:
    _synthetic_context(tmp_path, ("A1", "Alpha", CELL_A), ("B1", "Beta", CELL_B))
    comp = shapely.segmentize(shapely.box(125.15, 43.85, 125.23, 43.88), 0.002)
    recipe = _write_recipe(
        tmp_path, _component(tmp_path, comp), context="units.geojson", parent="A1"
    )
    layer = _read_component(recipe)
    (note,) = [w for w in layer.warnings if "outside its parent" in w]
    outside = geod_km2(shapely.difference(comp, CELL_A))
    share = 100 * outside / geod_km2(comp)
    got = re.search(
        r"([\d.]+) km² \(([\d.]+)%\) of it lies outside its parent unit A1 \(Alpha\)", note
    )
    assert got is not None, note
    assert float(got.group(1)) == pytest.approx(outside, abs=2e-3)
    assert float(got.group(2)) == pytest.approx(share, abs=0.1)
    assert "units.geojson" in note


def test_parent_by_name_and_inside_is_silent(tmp_path: Path) -> None:
    _synthetic_context(tmp_path, ("A1", "Alpha", CELL_A), ("B1", "Beta", CELL_B))
    comp = shapely.segmentize(shapely.box(125.12, 43.82, 125.18, 43.88), 0.002)
    recipe = _write_recipe(
        tmp_path, _component(tmp_path, comp), context="units.geojson", parent="alpha"
    )
    assert not [w for w in _read_component(recipe).warnings if "parent" in w]


def test_nothing_inside_the_parent_is_an_error(tmp_path: Path) -> None:
    _synthetic_context(tmp_path, ("A1", "Alpha", CELL_A), ("B1", "Beta", CELL_B))
    comp = shapely.segmentize(shapely.box(125.12, 43.82, 125.18, 43.88), 0.002)
    recipe = _write_recipe(
        tmp_path, _component(tmp_path, comp), context="units.geojson", parent="B1"
    )
    status, output = _validate(recipe)
    assert status == 2
    assert "lies wholly outside its parent unit B1 (Beta) of units.geojson" in output


def test_unknown_parent_lists_the_units(tmp_path: Path) -> None:
    _synthetic_context(tmp_path, ("A1", "Alpha", CELL_A), ("B1", "Beta", CELL_B))
    recipe = _write_recipe(
        tmp_path, _component(tmp_path, CELL_A), context="units.geojson", parent="Z9"
    )
    with pytest.raises(LayerError, match=r"names parent 'Z9'.*A1 \(Alpha\), B1 \(Beta\)"):
        _read_component(recipe)


def test_parent_is_text_in_the_recipe(tmp_path: Path) -> None:
    _synthetic_context(tmp_path, ("A1", "Alpha", CELL_A))
    recipe = _write_recipe(tmp_path, _component(tmp_path, CELL_A), context="units.geojson")
    recipe.write_text(recipe.read_text() + "parent = 220106\n", encoding="utf-8")
    with pytest.raises(InputError, match="'parent' must be text"):
        load_recipe(recipe)
    recipe.write_text(recipe.read_text().replace("parent = 220106", 'parent = "A1"'))
    source = load_recipe(recipe).components[0].source
    assert source is not None and source.parent == "A1"


def test_embedded_components_lie_in_their_parent_units(tmp_path: Path) -> None:
    # The embedded components carry their county's adcode: named as parents, all are inside.
    for name in ("admin_units.geojson", "components.geojson"):
        shutil.copy(GEODATA / name, tmp_path / name)
    text = (GEODATA / "autocity.toml").read_text(encoding="utf-8")
    parents = gpd.read_file(GEODATA / "components.geojson").set_index("id")["parent_adcode"]
    for cid, code in parents.items():
        text = text.replace(
            f'filter = {{ id = "{cid}" }}', f'filter = {{ id = "{cid}" }}\nparent = "{code}"'
        )
    (tmp_path / "autocity.toml").write_text(text, encoding="utf-8")
    from autocity_gis.composition import compose

    composition = compose(load_recipe(tmp_path / "autocity.toml"))
    assert not [w for w in composition.warnings if "parent" in w or "datum" in w]


# -- offset datums --------------------------------------------------------------------------------


def _shift(geom: shapely.Geometry, how: Any) -> shapely.Geometry:
    """Shift every vertex with prcoords (lat, lon order), the independent implementation."""

    def move(xy: np.ndarray) -> np.ndarray:
        return np.array([[lon, lat] for lat, lon in (how((y, x)) for x, y in xy)])

    return shapely.transform(geom, move)


# True position 120 m inside the east edge of A; its GCJ-02 coordinates read as WGS 84 put
# it ~0.5 km east, across that edge. It shares no border with any unit.
NEAR_EDGE = shapely.segmentize(shapely.box(125.170, 43.830, 125.1985, 43.860), 0.002)
DEEP_INSIDE = shapely.segmentize(shapely.box(125.130, 43.830, 125.160, 43.860), 0.002)


@pytest.mark.parametrize("parent", ["A1", None])
def test_undeclared_gcj02_without_a_shared_border(tmp_path: Path, parent: str | None) -> None:
    _synthetic_context(tmp_path, ("A1", "Alpha", CELL_A))
    gcj = _shift(NEAR_EDGE, prcoords.wgs_gcj)
    recipe = _write_recipe(
        tmp_path, _component(tmp_path, gcj), context="units.geojson", parent=parent
    )
    layer = _read_component(recipe)
    (note,) = [w for w in layer.warnings if "declared as" in w]
    assert "probably GCJ-02 declared as WGS 84" in note and 'set datum = "GCJ02"' in note


def test_undeclared_gcj02_deep_inside_cannot_be_told(tmp_path: Path) -> None:
    # Documented limit: 0.5 km inside a unit, the shift changes nothing measurable.
    _synthetic_context(tmp_path, ("A1", "Alpha", CELL_A))
    gcj = _shift(DEEP_INSIDE, prcoords.wgs_gcj)
    recipe = _write_recipe(
        tmp_path, _component(tmp_path, gcj), context="units.geojson", parent="A1"
    )
    assert _read_component(recipe).warnings == ()


def test_correct_gcj02_declaration_is_silent(tmp_path: Path) -> None:
    _synthetic_context(tmp_path, ("A1", "Alpha", CELL_A))
    gcj = _shift(NEAR_EDGE, prcoords.wgs_gcj)
    recipe = _write_recipe(
        tmp_path, _component(tmp_path, gcj), context="units.geojson", datum="GCJ02", parent="A1"
    )
    assert _read_component(recipe).warnings == ()


def test_bd09_declared_as_wgs84_is_found_on_a_shared_border(tmp_path: Path) -> None:
    _synthetic_context(tmp_path, ("A1", "Alpha", CELL_A))
    bd = _shift(CELL_B, prcoords.wgs_bd)
    recipe = _write_recipe(tmp_path, _component(tmp_path, bd), context="units.geojson")
    (note,) = [w for w in _read_component(recipe).warnings if "declared as" in w]
    assert "probably BD-09 declared as WGS 84" in note and 'set datum = "BD09"' in note


def test_bd09_declared_as_gcj02_is_found_on_a_shared_border(tmp_path: Path) -> None:
    _synthetic_context(tmp_path, ("A1", "Alpha", CELL_A))
    bd = _shift(CELL_B, prcoords.wgs_bd)
    recipe = _write_recipe(
        tmp_path, _component(tmp_path, bd), context="units.geojson", datum="GCJ02"
    )
    (note,) = [w for w in _read_component(recipe).warnings if "declared as" in w]
    assert "probably BD-09 declared as GCJ-02" in note


def test_wholly_outside_parent_names_the_datum_that_puts_it_in(tmp_path: Path) -> None:
    # A thin strip just inside A's east edge, in BD-09 read as WGS 84: ~1 km east, all in B.
    _synthetic_context(tmp_path, ("A1", "Alpha", CELL_A), ("B1", "Beta", CELL_B))
    strip = shapely.segmentize(shapely.box(125.1935, 43.84, 125.1985, 43.86), 0.001)
    bd = _shift(strip, prcoords.wgs_bd)
    assert not bd.intersects(CELL_A)
    recipe = _write_recipe(tmp_path, _component(tmp_path, bd), context="units.geojson", parent="A1")
    with pytest.raises(LayerError, match=r'wholly outside .*A1.*read as BD-09.*datum = "BD09"'):
        _read_component(recipe)


# -- hostile and edge cases -------------------------------------------------------------------


@pytest.mark.parametrize("value", [1e15, 1e300, -1e300])
def test_huge_coordinates_with_a_context_are_refused_not_crashed(
    tmp_path: Path, value: float
) -> None:
    _synthetic_context(tmp_path, ("A1", "Alpha", CELL_A))
    poly = shapely.Polygon([(value, value), (value * 0.5, value), (value, value * 0.5)])
    _write(
        component_frame([{"id": "zone", "geometry": poly}]).set_crs(4551, allow_override=True),
        tmp_path / "zone.gpkg",
    )
    recipe = _write_recipe(tmp_path, "zone.gpkg", context="units.geojson", parent="A1")
    with pytest.raises(InputError):
        _read_component(recipe)


@pytest.mark.parametrize(
    "geom",
    [
        shapely.Polygon([(125.15, 43.85), (125.15 + 1e-7, 43.85), (125.15, 43.85 + 1e-7)]),
        shapely.Polygon([(125.199999, 43.85), (125.2000001, 43.85), (125.2, 43.8500001)]),
    ],
    ids=["tiny", "tiny-on-border"],
)
def test_tiny_polygons_go_through_every_check(tmp_path: Path, geom: shapely.Polygon) -> None:
    _synthetic_context(tmp_path, ("A1", "Alpha", CELL_A), ("B1", "Beta", CELL_B))
    for parent in ("A1", None):
        recipe = _write_recipe(
            tmp_path, _component(tmp_path, geom), context="units.geojson", parent=parent
        )
        layer = _read_component(recipe)
        assert len(layer.frame) == 1


def test_single_point_polygon_is_refused_as_degenerate(tmp_path: Path) -> None:
    _synthetic_context(tmp_path, ("A1", "Alpha", CELL_A))
    dot = shapely.Polygon([(125.15, 43.85)] * 4)
    recipe = _write_recipe(
        tmp_path, _component(tmp_path, dot), context="units.geojson", parent="A1"
    )
    with pytest.raises(LayerError, match="no area"):
        _read_component(recipe)


def test_borders_without_their_units_still_catch_a_far_layer(tmp_path: Path) -> None:
    # API callers may pass borders they built themselves: the units are rebuilt from them.
    borders = shapely.union_all(shapely.boundary([CELL_A, CELL_B]))
    far = shapely.affinity.translate(CELL_A, 0.0, 2.0)
    path = tmp_path / _component(tmp_path, far)
    with pytest.raises(CRSError, match="km from the context units"):
        read_layer(LayerSource(path=path), context_borders=borders)
    near = tmp_path / _component(tmp_path, CELL_A, "near.gpkg")
    layer = read_layer(LayerSource(path=near, parent="A1"), context_borders=borders)
    assert any("cannot be checked" in w for w in layer.warnings)


def test_hostile_parent_and_unit_names_stay_one_terminal_line(tmp_path: Path) -> None:
    from payloads import ALL

    _synthetic_context(tmp_path, (ALL, ALL, CELL_A))
    recipe = _write_recipe(
        tmp_path, _component(tmp_path, CELL_B), context="units.geojson", parent="x" + ALL
    )
    status, output = _validate(recipe)
    assert status == 2
    assert "names parent" in output
    assert "\x1b" not in output and "\r" not in output and output.count("\n") == 1


def test_diagnosis_finds_the_zone_among_all_candidates() -> None:
    # All 256 candidate CRSs on a 200-vertex sample (its cost is in benchmarks, not here).
    context = placement.Context.build(np.array([CELL_A, CELL_B], dtype=object), "units")
    xy = np.column_stack(
        pyproj.Transformer.from_crs(4326, 4551, always_xy=True).transform(
            *np.asarray(CELL_A.exterior.coords).T
        )
    )
    fits = placement.gauss_kruger_fits(xy, pyproj.CRS.from_epsg(4550), context, context.union_local)
    assert fits[0].code == "EPSG:4551"
