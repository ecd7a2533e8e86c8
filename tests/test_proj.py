"""Local projections and the WGS 84 → projected CRS transformers of :mod:`autocity_gis._proj`."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import CRS, Transformer

from autocity_gis._proj import bounds_in, lonlat_to

# CGCS2000 Gauss–Krüger zones around Changchun, WGS 84 UTM and Web Mercator (pipelines), and
# Beijing 1954 (PROJ's own choice): each must agree with PROJ's database search.
CODES = (4551, 4499, 4530, 4510, 32651, 3857, 2439)


@pytest.mark.parametrize("epsg", CODES)
def test_lonlat_to_matches_proj_database_choice(epsg: int) -> None:
    lon, lat = np.meshgrid(np.linspace(122.0, 128.0, 25), np.linspace(40.0, 47.0, 25))
    expected = Transformer.from_crs(4326, epsg, always_xy=True).transform(lon, lat)
    got = lonlat_to(CRS.from_epsg(epsg)).transform(lon, lat)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)  # metres


def test_lonlat_to_gauss_kruger_is_a_pipeline() -> None:
    # The point of the function: no database search for CGCS2000 zones (a build needs one).
    transformer = lonlat_to(CRS.from_epsg(4552))
    assert "proj=tmerc" in transformer.definition
    assert "lon_0=129" in transformer.definition


@pytest.mark.parametrize("epsg", (4551, 2439))
def test_bounds_in_matches_transform_bounds(epsg: int) -> None:
    box = (124.9, 43.5, 125.8, 44.3)
    expected = Transformer.from_crs(4326, epsg, always_xy=True).transform_bounds(*box)
    got = bounds_in(lonlat_to(CRS.from_epsg(epsg)), box)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-3)


def test_large_arrays_move_on_two_threads_to_the_same_numbers() -> None:
    """Above the threading threshold the halves get their own transformer: same numbers."""
    import shapely

    from autocity_gis import _cores, _proj

    ring = 0.01 * np.column_stack(
        [np.cos(np.linspace(0, 2 * np.pi, 5001)), np.sin(np.linspace(0, 2 * np.pi, 5001))]
    )
    geoms = np.array([shapely.Polygon(ring + np.array([120 + i * 0.05, 30.0])) for i in range(60)])
    assert shapely.get_num_coordinates(geoms).sum() >= _cores.THREADED_VERTICES
    projection = _proj.local_laea_for(geoms)
    local = projection.to_local(geoms)
    pipeline = Transformer.from_pipeline(projection.forward.definition)
    for geom, moved in zip(geoms, local, strict=True):
        x, y = pipeline.transform(*shapely.get_coordinates(geom).T)
        assert np.array_equal(shapely.get_coordinates(moved), np.column_stack([x, y]))
    back = projection.to_lonlat(local)
    unthreaded = Transformer.from_pipeline(projection.back.definition)
    for geom, moved in zip(local, back, strict=True):
        x, y = unthreaded.transform(*shapely.get_coordinates(geom).T)
        assert np.array_equal(shapely.get_coordinates(moved), np.column_stack([x, y]))
    assert np.abs(shapely.get_coordinates(back) - shapely.get_coordinates(geoms)).max() < 1e-6
