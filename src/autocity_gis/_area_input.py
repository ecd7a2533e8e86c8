"""Input handling shared by the area methods: geometries in, flat polygon parts out.

Every area function accepts the same inputs (one geometry, a sequence or array, a GeoSeries or a
GeoDataFrame in longitude/latitude degrees) and returns the same shapes (one value per geometry,
a 0-d array for one geometry, NaN for missing values). This module owns those conventions, the
WGS 84 ellipsoid they are measured on, and the flattening of multi-part geometries to polygons.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray

from ._errors import CRSError

GeometryLike: TypeAlias = (
    shapely.Geometry | Sequence[Any] | NDArray[Any] | gpd.GeoSeries | gpd.GeoDataFrame
)

_GEOD = pyproj.Geod(ellps="WGS84")
_A = float(_GEOD.a)
_E2 = float(_GEOD.es)
_E = math.sqrt(_E2)
_ONE_MINUS_F = float(_GEOD.b) / _A
_POLYGON = 3
_MULTI_OR_COLLECTION = (4, 5, 6, 7)


def _as_array(geoms: GeometryLike) -> tuple[NDArray[np.object_], list[Any], bool]:
    """Return the geometries as a flat object array, their labels, and whether one was given.

    Raises :class:`CRSError` for a GeoSeries in a projected CRS, ``TypeError`` for values that
    are not geometries.
    """
    if isinstance(geoms, gpd.GeoDataFrame):
        geoms = geoms.geometry
    if isinstance(geoms, gpd.GeoSeries):
        crs = geoms.crs
        if crs is not None and not crs.is_geographic:
            raise CRSError(
                f"The geometries are in {crs.to_string()}, a projected CRS; convert them to "
                "EPSG:4326 longitude/latitude before measuring area."
            )
        return np.asarray(geoms.values, dtype=object), list(geoms.index), False
    if isinstance(geoms, shapely.Geometry):
        return np.array([geoms], dtype=object), [0], True
    arr = np.asarray(geoms, dtype=object).ravel()
    ok = shapely.is_geometry(arr) | shapely.is_missing(arr)
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        raise TypeError(f"Item {bad} is a {type(arr[bad]).__name__}, not a shapely geometry.")
    return arr, list(range(len(arr))), False


def _check_lonlat(arr: NDArray[np.object_], labels: list[Any]) -> NDArray[np.float64]:
    """Return the bounds of each geometry; raise :class:`CRSError` if they exceed ±180°/±90°."""
    bounds = np.asarray(shapely.bounds(arr), dtype=np.float64).reshape(-1, 4)
    # Comparisons with the NaN bounds of empty geometries are False, as wanted.
    bad = (np.abs(bounds[:, [0, 2]]) > 180.0).any(axis=1) | (np.abs(bounds[:, [1, 3]]) > 90.0).any(
        axis=1
    )
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        minx, miny, maxx, maxy = bounds[i]
        raise CRSError(
            f"Geometry {labels[i]!r} spans x {minx:.6g}..{maxx:.6g} and y {miny:.6g}..{maxy:.6g}, "
            "which is not longitude/latitude in degrees; reproject it to EPSG:4326 first."
        )
    return bounds


def _shape_result(values: NDArray[np.float64], single: bool) -> NDArray[np.float64]:
    # Mirrors shapely: a single geometry gives a 0-d array, so float(result) works.
    return values.reshape(()) if single else values


def _polygon_parts(
    arr: NDArray[np.object_],
) -> tuple[NDArray[np.object_], NDArray[np.intp]]:
    """Flatten multi-part geometries and collections to their polygons, with source indices."""
    index = np.arange(len(arr))
    parts = arr
    # One pass per nesting level (collections of multipolygons...), not per geometry.
    while True:
        types = shapely.get_type_id(parts)
        nested = np.isin(types, _MULTI_OR_COLLECTION)
        if not nested.any():
            break
        sub, sub_idx = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], sub])
        index = np.concatenate([index[~nested], index[nested][sub_idx]])
    keep = shapely.get_type_id(parts) == _POLYGON
    return parts[keep], index[keep]


def _reduce_missing(out: NDArray[np.float64], arr: NDArray[np.object_]) -> NDArray[np.float64]:
    out[shapely.is_missing(arr)] = np.nan
    return out


def _wrap_deg(d: NDArray[np.float64]) -> NDArray[np.float64]:
    """Wrap longitude differences to [-180, 180), as a geodesic takes the short way round."""
    return np.remainder(d + 180.0, 360.0) - 180.0
