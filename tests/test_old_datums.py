"""Old Chinese datums: Beijing 1954 and Xian 1980 warn without a shift, apply a given towgs84."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from common import GK_ZONE

import autocity_gis as ag
from autocity_gis._errors import RecipeError
from autocity_gis.layers import read_layer
from autocity_gis.recipe import LayerSource

# Illustrative parameters with every term non-zero (metres, arc-seconds, ppm), so that a
# convention mix-up (coordinate-frame rotations) or a unit slip would show.
TOWGS84 = (15.8, -154.4, -82.3, 0.41, -0.35, 0.83, -1.2)
# GK_ZONE's metres in Beijing 1954 / 3-degree Gauss-Kruger CM 126E (EPSG:2439).
BJ54_GK = 2439


def _independent(xy: np.ndarray, towgs84: tuple[float, ...]) -> np.ndarray:
    """Beijing 1954 GK metres to WGS 84 lon/lat by a PROJ pipeline written out by hand:
    inverse Gauss–Krüger on Krassowsky, geocentric, Helmert (position vector), back to
    geographic on WGS 84."""
    x, y, z, rx, ry, rz, s = towgs84
    pipeline = pyproj.Transformer.from_pipeline(
        "+proj=pipeline "
        "+step +inv +proj=tmerc +lat_0=0 +lon_0=126 +k=1 +x_0=500000 +y_0=0 +ellps=krass "
        "+step +proj=cart +ellps=krass "
        f"+step +proj=helmert +x={x} +y={y} +z={z} +rx={rx} +ry={ry} +rz={rz} +s={s} "
        "+convention=position_vector "
        "+step +inv +proj=cart +ellps=WGS84 "
        "+step +proj=unitconvert +xy_in=rad +xy_out=deg"
    )
    lon, lat = pipeline.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def _layer(folder: Path, epsg: int = BJ54_GK) -> Path:
    ring = GK_ZONE if epsg == BJ54_GK else None
    if ring is None:  # geographic: the same zone in lon/lat
        to_geo = pyproj.Transformer.from_crs(BJ54_GK, epsg, always_xy=True)
        ring = [to_geo.transform(x, y) for x, y in GK_ZONE]
    path = folder / "bj54.gpkg"
    gpd.GeoDataFrame({"id": ["z"]}, geometry=[shapely.Polygon(ring)], crs=epsg).to_file(path)
    return path


def test_towgs84_is_applied_as_a_position_vector_helmert(tmp_path: Path) -> None:
    path = _layer(tmp_path)
    layer = read_layer(LayerSource(path=path, root=tmp_path, towgs84=TOWGS84))
    got = shapely.get_coordinates(layer.frame.geometry.iloc[0])
    # Vertices: the ring's corners (the read keeps them; order may be re-oriented).
    want = _independent(np.array(GK_ZONE, dtype=float), TOWGS84)
    for lon, lat in want:
        dist = np.hypot((got[:, 0] - lon) * 80_000, (got[:, 1] - lat) * 111_000).min()
        assert dist < 0.001, dist  # metres
    assert not any("towgs84" in w for w in layer.warnings)
    # Without the shift PROJ applies none: the two differ by tens of metres here.
    plain = read_layer(LayerSource(path=path, root=tmp_path))
    off = shapely.get_coordinates(plain.frame.geometry.iloc[0])[0] - got[0]
    assert 20 < np.hypot(off[0] * 80_000, off[1] * 111_000) < 500


def test_a_pure_translation_moves_every_vertex_by_the_hand_computed_offset(
    tmp_path: Path,
) -> None:
    # A geocentric translation (dx, 0, 0) moves a point at longitude λ, latitude φ by
    # -dx·sinλ metres east and -dx·sinφ·cosλ metres north (to first order).
    dx = 100.0
    path = _layer(tmp_path)
    shifted = read_layer(LayerSource(path=path, root=tmp_path, towgs84=(dx, 0, 0, 0, 0, 0, 0)))
    zero = read_layer(LayerSource(path=path, root=tmp_path, towgs84=(0, 0, 0, 0, 0, 0, 0)))
    a = shapely.get_coordinates(zero.frame.geometry.iloc[0])[0]
    b = shapely.get_coordinates(shifted.frame.geometry.iloc[0])[0]
    lam, phi = np.radians(a)
    geod = pyproj.Geod(ellps="WGS84")
    az, _, dist = geod.inv(a[0], a[1], b[0], b[1])
    east, north = dist * np.sin(np.radians(az)), dist * np.cos(np.radians(az))
    assert east == pytest.approx(-dx * np.sin(lam), abs=0.5)
    assert north == pytest.approx(-dx * np.sin(phi) * np.cos(lam), abs=0.5)


@pytest.mark.parametrize(("epsg", "datum"), [(BJ54_GK, "Beijing 1954"), (4610, "Xian 1980")])
def test_old_datums_without_towgs84_warn(tmp_path: Path, epsg: int, datum: str) -> None:
    _layer(tmp_path, epsg)
    recipe = tmp_path / "r.toml"
    recipe.write_text(
        '[city]\nname_en = "X"\ntarget_km2 = 24\ntolerance_pct = 5\n'
        '[[components]]\nid = "z"\nname_en = "Z"\nlayer = "bj54.gpkg"\n',
        encoding="utf-8",
    )
    _, _, report = ag.check(recipe)
    warned = [w for w in report.warnings if datum in w]
    assert len(warned) == 1 and "towgs84 = [dx, dy, dz, rx, ry, rz, ds]" in warned[0]
    assert "position-vector" in warned[0]
    recipe.write_text(
        recipe.read_text(encoding="utf-8") + f"towgs84 = {list(TOWGS84)}\n", encoding="utf-8"
    )
    _, _, report = ag.check(recipe)
    assert not [w for w in report.warnings if datum in w]


def test_towgs84_in_defaults_and_its_checks(tmp_path: Path) -> None:
    _layer(tmp_path)
    base = '[city]\nname_en = "X"\ntarget_km2 = 24\ntolerance_pct = 5\n'
    block = '[[components]]\nid_column = "id"\n'
    recipe = tmp_path / "r.toml"
    recipe.write_text(
        base + f'[defaults]\nlayer = "bj54.gpkg"\ntowgs84 = {list(TOWGS84)}\n' + block,
        encoding="utf-8",
    )
    loaded = ag.load_recipe(recipe)
    assert loaded.components[0].source.towgs84 == TOWGS84
    for value, message in (
        ("[1, 2, 3]", "'towgs84' must be a list of 7 numbers: dx (m)"),
        ('[1, 2, 3, 0, 0, 0, "x"]', "'towgs84' must be a list of 7 numbers"),
        ("[1, 2, 3, 400, 0, 0, 0]", "rx (arc-seconds) = 400 is out of range"),
    ):
        recipe.write_text(
            base + f'[defaults]\nlayer = "bj54.gpkg"\ntowgs84 = {value}\n' + block,
            encoding="utf-8",
        )
        with pytest.raises(RecipeError) as info:
            ag.load_recipe(recipe)
        assert message in str(info.value)


def test_a_shifted_layer_is_checked_against_the_context_and_named_by_its_code(
    tmp_path: Path,
) -> None:
    _layer(tmp_path)
    to_wgs = pyproj.Transformer.from_crs(BJ54_GK, 4326, always_xy=True)
    lon, lat = to_wgs.transform(443000, 4862000)
    unit = shapely.box(lon - 0.2, lat - 0.2, lon + 0.2, lat + 0.2)
    gpd.GeoDataFrame(
        {"adcode": ["220100"], "name_zh": ["长春"]}, geometry=[unit], crs=4326
    ).to_file(tmp_path / "admin.geojson", driver="GeoJSON")
    recipe = tmp_path / "r.toml"
    recipe.write_text(
        '[city]\nname_en = "X"\ntarget_km2 = 24\ntolerance_pct = 5\n'
        '[context]\nlayer = "admin.geojson"\n'
        '[[components]]\nid = "z"\nname_en = "Z"\nlayer = "bj54.gpkg"\nparent = "220100"\n'
        f"towgs84 = {list(TOWGS84)}\n",
        encoding="utf-8",
    )
    _, composition, report = ag.check(recipe)
    assert report.components[0].source_crs == "EPSG:2439"
    assert not any("BoundCRS" in w or "{" in w for w in report.warnings)
    assert composition.components["measured_km2"].iloc[0] == pytest.approx(24.0, rel=2e-3)
