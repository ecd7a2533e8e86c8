"""SYNTHETIC test data: a parcel tessellation, a site and a farmland layer made in code.

No land-survey or control-line data is public here, so tests, the benchmark and the notebook
use these. They are invented: a grid of irregular quadrilaterals (shared jittered nodes, so
the parcels tile the extent with no gap or overlap) carrying GB/T 21010-2017 codes drawn at
random, a planning site of two components, and farmland blocks. Never draw them on a real
place as if they were real; every frame carries a ``synthetic`` column saying so.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pyproj
import shapely

__all__ = ["farmland_block", "make_parcels", "make_site", "square_of_area"]

#: Codes drawn for synthetic parcels (GB/T 21010-2017), with "9999" (not in any table).
CODES = (
    "0101",
    "0102",
    "0103",
    "0201",
    "0301",
    "0401",
    "0601",
    "0701",
    "0702",
    "1003",
    "1004",
    "1101",
    "1104",
    "1202",
    "1203",
    "9999",
)
_WEIGHTS = np.array([6, 4, 30, 3, 8, 2, 6, 8, 10, 3, 4, 2, 3, 2, 4, 1], dtype=float)
_GEOD = pyproj.Geod(ellps="WGS84")
EXTENT = (125.05, 43.75, 125.65, 44.15)


def make_parcels(
    n: int,
    *,
    extent: tuple[float, float, float, float] = EXTENT,
    seed: int = 0,
    null_share: float = 0.005,
) -> gpd.GeoDataFrame:
    """Make a SYNTHETIC tessellation of about ``n`` parcels over ``extent`` (lon/lat).

    Parameters
    ----------
    n : int
        Parcels wanted (the grid holds the nearest ``nx × ny``).
    extent : tuple
        (minx, miny, maxx, maxy) in degrees.
    seed : int
        Random seed: the same seed gives the same parcels.
    null_share : float
        Share of parcels with no class code (None).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``DLBM`` (code), ``synthetic`` (True) and the geometry, EPSG:4326.

    Examples
    --------
    >>> parcels = make_parcels(100)
    >>> len(parcels), bool(parcels.synthetic.all())
    (100, True)
    """
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = extent
    aspect = (maxx - minx) * math.cos(math.radians(0.5 * (miny + maxy))) / (maxy - miny)
    nx = max(1, round(math.sqrt(n * aspect)))
    ny = max(1, round(n / nx))
    xs = np.linspace(minx, maxx, nx + 1)
    ys = np.linspace(miny, maxy, ny + 1)
    gx, gy = np.meshgrid(xs, ys)
    dx, dy = (maxx - minx) / nx, (maxy - miny) / ny
    # Interior nodes move; nodes on the extent's edge stay, so the tiles fill it exactly.
    jx = rng.uniform(-0.3, 0.3, gx.shape) * dx
    jy = rng.uniform(-0.3, 0.3, gy.shape) * dy
    jx[:, [0, -1]] = 0.0
    jy[[0, -1], :] = 0.0
    gx, gy = gx + jx, gy + jy
    ring = np.stack(
        [
            np.stack([gx[:-1, :-1], gy[:-1, :-1]], axis=-1),
            np.stack([gx[:-1, 1:], gy[:-1, 1:]], axis=-1),
            np.stack([gx[1:, 1:], gy[1:, 1:]], axis=-1),
            np.stack([gx[1:, :-1], gy[1:, :-1]], axis=-1),
            np.stack([gx[:-1, :-1], gy[:-1, :-1]], axis=-1),
        ],
        axis=2,
    ).reshape(-1, 5, 2)
    geoms = shapely.polygons(ring)
    codes = rng.choice(np.array(CODES, dtype=object), size=len(geoms), p=_WEIGHTS / _WEIGHTS.sum())
    codes[rng.random(len(geoms)) < null_share] = None
    return gpd.GeoDataFrame({"DLBM": codes, "synthetic": True}, geometry=geoms, crs="EPSG:4326")


def make_site() -> tuple[shapely.Geometry, dict[str, shapely.Geometry]]:
    """Make a SYNTHETIC planning site: two components (one with a hole) and their union.

    Returns
    -------
    tuple
        (boundary, {component id: geometry}), EPSG:4326, inside :data:`EXTENT`.
    """
    town = shapely.Polygon(
        [(125.15, 43.82), (125.33, 43.80), (125.38, 43.93), (125.30, 44.02), (125.17, 43.98)],
        holes=[[(125.24, 43.88), (125.27, 43.88), (125.27, 43.90), (125.24, 43.90)]],
    )
    park = shapely.Point(125.47, 43.95).buffer(0.07, quad_segs=32)
    park = shapely.affinity.scale(park, xfact=1.3, yfact=1.0)
    parts = {"town": shapely.segmentize(town, 0.005), "park": park}
    return shapely.union_all(list(parts.values())), parts


def square_of_area(lon: float, lat: float, km2: float) -> shapely.Polygon:
    """Make a lon/lat square of geodesic area ``km2`` (to 1e-9), south-west corner at (lon, lat)."""
    side = math.sqrt(km2) / 111.0
    for _ in range(6):
        sq = shapely.box(lon, lat, lon + side / math.cos(math.radians(lat)), lat + side)
        got = abs(_GEOD.geometry_area_perimeter(sq)[0]) / 1e6
        side *= math.sqrt(km2 / got)
    return shapely.box(lon, lat, lon + side / math.cos(math.radians(lat)), lat + side)


def farmland_block(km2: float = 2.0) -> gpd.GeoDataFrame:
    """Make a SYNTHETIC basic-farmland layer: ``km2`` inside the town component, the rest outside.

    The second polygon lies outside the site; the third overlaps the first (control layers
    may overlap, and the overlap must not be counted twice).
    """
    inside = square_of_area(125.20, 43.85, km2)
    outside = shapely.box(125.55, 43.76, 125.60, 43.80)
    overlap = shapely.box(*inside.bounds).buffer(-0.002)
    return gpd.GeoDataFrame(
        {"name": ["jbnt-1", "jbnt-2", "jbnt-3"], "synthetic": True},
        geometry=[inside, outside, overlap],
        crs="EPSG:4326",
    )
