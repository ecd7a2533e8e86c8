"""Area on the WGS 84 ellipsoid: the reference, a fast equivalent and an equal-area cross-check.

This module owns every area figure the toolkit reports. The reference is the geodesic area of
each polygon on the WGS 84 ellipsoid as computed by :class:`pyproj.Geod` (Karney's algorithm,
exact to round-off), one polygon ring at a time (:func:`geodesic_area_km2`).
:func:`fast_geodesic_area_km2` gives the same figure to within 1e-9 of the area plus 0.1 m²
(measured; polar rings go to the reference), vectorised with numpy over all vertices at once, and
:func:`equal_area_km2` measures in an Albers equal-area projection as an independent cross-check.
All functions take geometries in longitude/latitude degrees (EPSG:4326 or another datum within
metres of WGS 84), ignore ring orientation (Amap rings are clockwise), subtract holes, count only
the polygonal parts of a geometry and return square kilometres.
"""

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from ._area_input import (
    _GEOD,
    GeometryLike,
    _as_array,
    _check_lonlat,
    _polygon_parts,
    _reduce_missing,
    _shape_result,
)
from ._equal_area import _fitted_albers as _fitted_albers  # bench_area.py imports it here
from ._equal_area import equal_area_km2
from ._fast_area import fast_geodesic_area_km2

__all__ = [
    "AreaMeasure",
    "equal_area_km2",
    "fast_geodesic_area_km2",
    "geodesic_area_km2",
    "measure_area",
]


@dataclass(frozen=True)
class AreaMeasure:
    """Area of one boundary by two independent methods.

    Attributes
    ----------
    geodesic_km2 : float
        Geodesic area on the WGS 84 ellipsoid (:func:`geodesic_area_km2`).
    equal_area_km2 : float
        Area in an Albers equal-area projection fitted to the geometry (:func:`equal_area_km2`);
        NaN where that cross-check does not apply (a boundary touching or around a pole).
    """

    geodesic_km2: float
    equal_area_km2: float

    @property
    def relative_difference(self) -> float:
        """``(equal_area - geodesic) / geodesic``; 0 if both are 0, NaN without a cross-check."""
        if math.isnan(self.equal_area_km2):
            return math.nan
        if self.geodesic_km2 == 0.0:
            return 0.0 if self.equal_area_km2 == 0.0 else math.inf
        return (self.equal_area_km2 - self.geodesic_km2) / self.geodesic_km2


def geodesic_area_km2(geoms: GeometryLike) -> NDArray[np.float64]:
    """Geodesic area on the WGS 84 ellipsoid, one polygon ring at a time with ``pyproj.Geod``.

    This is the reference the other functions are checked against: Karney's algorithm as
    implemented in GeographicLib/PROJ, exact to round-off for geodesic edges.

    Parameters
    ----------
    geoms : shapely geometry, sequence or array of geometries, GeoSeries or GeoDataFrame
        Geometries in longitude/latitude degrees.

    Returns
    -------
    numpy.ndarray
        Area in km² per geometry: the absolute area of each exterior ring minus the absolute
        areas of its holes, summed over the polygonal parts. Points, lines and empty geometries
        give 0, missing values (``None``) give NaN. A single geometry gives a 0-d array.

    Raises
    ------
    CRSError
        If the geometries are in a projected CRS or have coordinates outside ±180°/±90°.

    Examples
    --------
    >>> import shapely
    >>> round(float(geodesic_area_km2(shapely.box(125.0, 43.0, 125.1, 43.1))), 3)
    90.513
    """
    arr, labels, single = _as_array(geoms)
    _check_lonlat(arr, labels)
    parts, index = _polygon_parts(arr)
    out = np.zeros(len(arr))
    for part, i in zip(parts, index, strict=True):
        area = 0.0
        rings = [part.exterior, *part.interiors]
        for k, ring in enumerate(rings):
            xy = shapely.get_coordinates(ring)
            if len(xy) < 3:
                continue
            ring_area = abs(_GEOD.polygon_area_perimeter(xy[:, 0], xy[:, 1])[0])
            area += ring_area if k == 0 else -ring_area
        out[i] += area
    return _shape_result(_reduce_missing(out / 1e6, arr), single)


def measure_area(geom: shapely.Geometry, *, crs: Any = None) -> AreaMeasure:
    """Measure one boundary geodesically and in an equal-area projection.

    Parameters
    ----------
    geom : shapely geometry
        A (multi)polygon in longitude/latitude degrees.
    crs : optional
        Passed to :func:`equal_area_km2`.

    Returns
    -------
    AreaMeasure
        Both areas in km².

    Examples
    --------
    >>> import shapely
    >>> m = measure_area(shapely.box(125.0, 43.0, 125.1, 43.1))
    >>> abs(m.relative_difference) < 1e-6
    True
    """
    return AreaMeasure(
        geodesic_km2=float(geodesic_area_km2(geom)),
        equal_area_km2=float(equal_area_km2(geom, crs=crs)),
    )
