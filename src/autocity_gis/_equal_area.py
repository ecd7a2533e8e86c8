"""The equal-area cross-check: planar area in an Albers projection fitted to the data.

This module owns :func:`equal_area_km2` (re-exported by :mod:`autocity_gis.area`): the fitted
projection, the handling of geometries across the antimeridian (each in its own projection) and
the test for geometries no such projection holds (touching or winding around a pole).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray

from ._area_input import (
    GeometryLike,
    _as_array,
    _check_lonlat,
    _polygon_parts,
    _reduce_missing,
    _shape_result,
    _wrap_deg,
)
from ._errors import CRSError


def _fitted_albers(lon_min: float, lat_min: float, lon_max: float, lat_max: float) -> pyproj.CRS:
    """Albers equal-area on WGS 84 with standard parallels at 1/6 and 5/6 of the latitude range."""
    span = lat_max - lat_min
    lat_1, lat_2 = lat_min + span / 6.0, lat_max - span / 6.0
    # Longitudes may run past 180° (a geometry across the antimeridian); PROJ wants lon_0 in range.
    lon_0 = float(_wrap_deg(np.array(0.5 * (lon_min + lon_max))))
    lat_0 = 0.5 * (lat_min + lat_max)
    if abs(lat_1 + lat_2) < 1e-9:
        # Albers degenerates when the standard parallels are symmetric about the equator.
        return pyproj.CRS.from_proj4(f"+proj=cea +lon_0={lon_0} +ellps=WGS84 +units=m")
    return pyproj.CRS.from_proj4(
        f"+proj=aea +lat_1={lat_1} +lat_2={lat_2} +lat_0={lat_0} +lon_0={lon_0} "
        "+ellps=WGS84 +units=m +no_defs"
    )


def _equal_area_applicability(
    arr: NDArray[np.object_],
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Tell which geometries cross the antimeridian and which the projection cannot measure.

    Returns ``(crosses, inapplicable)`` per geometry. A geometry crosses when one of its edges
    spans more than 180° of longitude (the geodesic takes the short way, over ±180°). It is
    inapplicable when a ring touches a pole, winds around one, has an edge spanning exactly 180°
    (which runs over a pole, one cannot tell which) or crosses the prime meridian as well as the
    antimeridian: no single equal-area map of the kind used here holds such a ring.
    """
    n = len(arr)
    parts, part_geom = _polygon_parts(arr)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    if len(rings) == 0:
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    geom_of_ring = part_geom[ring_part]
    edge = ring_of[1:] == ring_of[:-1]
    edge_ring = ring_of[1:][edge]
    dl = np.diff(xy[:, 0])[edge]
    shifted = np.where(xy[:, 0] < 0.0, xy[:, 0] + 360.0, xy[:, 0])
    dl_shifted = np.diff(shifted)[edge]
    n_rings = len(rings)

    def per_ring(flags: NDArray[np.bool_], index: NDArray[np.intp]) -> NDArray[np.bool_]:
        return np.bincount(index, weights=flags, minlength=n_rings) > 0

    wide = per_ring(np.abs(dl) > 180.0, edge_ring)
    winding = np.rint(np.bincount(edge_ring, weights=_wrap_deg(dl), minlength=n_rings) / 360.0)
    bad = (
        per_ring(np.abs(xy[:, 1]) == 90.0, ring_of)
        | per_ring(np.abs(dl) == 180.0, edge_ring)
        | (winding != 0.0)
        | (wide & per_ring(np.abs(dl_shifted) > 180.0, edge_ring))
    )

    def per_geom(flags: NDArray[np.bool_]) -> NDArray[np.bool_]:
        return np.bincount(geom_of_ring, weights=flags, minlength=n) > 0

    return per_geom(wide), per_geom(bad)


def _to_east_longitudes(coords: NDArray[np.float64]) -> NDArray[np.float64]:
    """Longitudes in [0°, 360°), so a geometry across the antimeridian is in one piece."""
    out = coords.copy()
    out[:, 0] = np.where(out[:, 0] < 0.0, out[:, 0] + 360.0, out[:, 0])
    return out


def _planar_km2(geoms: NDArray[np.object_], target: pyproj.CRS) -> NDArray[np.float64]:
    transformer = pyproj.Transformer.from_crs("EPSG:4326", target, always_xy=True)

    def forward(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.column_stack(transformer.transform(coords[:, 0], coords[:, 1]))

    # Planar area counts only polygonal parts, so collections need no flattening.
    return np.asarray(shapely.area(shapely.transform(geoms, forward)), dtype=np.float64) / 1e6


def _given_crs(crs: Any) -> pyproj.CRS:
    """Read the caller's equal-area CRS; raise :class:`CRSError` unless it is projected."""
    try:
        target = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise CRSError(f"The equal-area CRS {crs!r} is not a CRS that PROJ understands.") from exc
    if not target.is_projected:
        raise CRSError(
            f"The equal-area CRS {target.to_string()} is not a projected CRS; give an "
            "equal-area projection such as an Albers or Lambert azimuthal equal-area CRS."
        )
    return target


def equal_area_km2(geoms: GeometryLike, *, crs: Any = None) -> NDArray[np.float64]:
    """Planar area in an equal-area projection: the cross-check for the geodesic area.

    The projection is exactly equal-area, so this is the ellipsoidal area of the region whose
    edges are straight lines in the projection; it differs from the geodesic area by the
    geodesic edges' bow away from those lines only. That is about 1e-9 relative for a
    city-sized area with edges of a few hundred metres (Changchun's districts: < 1e-8), up to
    3e-4 for the counties of China measured in one Albers for the whole country, and it grows
    with edge length, so long edges should be densified for a close match.

    Geometries crossing the antimeridian (an edge spanning more than 180° of longitude, taken
    the short way as a geodesic does) are measured in their own Albers projection, centred on
    them. Where no such projection holds the geometry the result is NaN (``does not apply``):
    a ring that touches or winds around a pole, has an edge spanning exactly 180° of longitude
    (such a geodesic runs over a pole), or crosses both the antimeridian and the prime
    meridian. Tiny polygons are measured too, but the projected coordinates carry round-off of
    ~1e-9 m, which shows below 1 m²: a 1 cm square agrees with the geodesic area to ~2e-7
    relative, a 0.1 mm square to ~1e-5.

    Parameters
    ----------
    geoms : shapely geometry, sequence or array of geometries, GeoSeries or GeoDataFrame
        Geometries in longitude/latitude degrees.
    crs : anything :meth:`pyproj.CRS.from_user_input` accepts, optional
        Equal-area projected CRS to measure in. By default an Albers equal-area projection on
        WGS 84 fitted to the data: standard parallels at 1/6 and 5/6 of the geometries' latitude
        range, centred on their bounding box (geometries across the antimeridian get one fitted
        to each). A given ``crs`` is used for every geometry as it is: one across its
        projection's seam is then not measurable and gives NaN as well.

    Returns
    -------
    numpy.ndarray
        Area in km² per geometry, with the conventions of :func:`geodesic_area_km2`, and NaN
        where the cross-check does not apply (see above).

    Raises
    ------
    CRSError
        If the geometries are not longitude/latitude or ``crs`` is not a projected CRS.

    Examples
    --------
    >>> import shapely
    >>> round(float(equal_area_km2(shapely.box(125.0, 43.0, 125.1, 43.1))), 3)
    90.513
    >>> from autocity_gis.area import geodesic_area_km2
    >>> across = shapely.Polygon([(179.5, 10), (-179.5, 10), (-179.5, 11), (179.5, 11)])
    >>> round(float(equal_area_km2(across)) / float(geodesic_area_km2(across)), 4)
    1.0
    """
    arr, labels, single = _as_array(geoms)
    bounds = _check_lonlat(arr, labels)
    out = np.zeros(len(arr))
    polygonal = np.isin(shapely.get_type_id(arr), (3, 6, 7)) & ~shapely.is_empty(arr)
    if not polygonal.any():
        return _shape_result(_reduce_missing(out, arr), single)
    # Only a geometry 180° wide or more, or reaching a pole, can cross the antimeridian, wind
    # around a pole or hold a 180° edge; most data skip the analysis.
    crosses = np.zeros(len(arr), dtype=bool)
    inapplicable = np.zeros(len(arr), dtype=bool)
    suspect = polygonal & (
        (bounds[:, 2] - bounds[:, 0] >= 180.0) | (np.abs(bounds[:, [1, 3]]) == 90.0).any(axis=1)
    )
    if suspect.any():
        crosses[suspect], inapplicable[suspect] = _equal_area_applicability(arr[suspect])
    if crs is not None:
        target = _given_crs(crs)
        inapplicable |= crosses
    plain = polygonal & ~crosses & ~inapplicable
    if plain.any():
        if crs is None:
            minx, miny = np.nanmin(bounds[plain, :2], axis=0)
            maxx, maxy = np.nanmax(bounds[plain, 2:], axis=0)
            target = _fitted_albers(float(minx), float(miny), float(maxx), float(maxy))
        out[plain] = _planar_km2(arr[plain], target)
    for i in np.flatnonzero(polygonal & crosses & ~inapplicable):
        # Each in its own projection: the seam of one shared by all could run through it.
        east = shapely.transform(arr[i], _to_east_longitudes)
        minx, miny, maxx, maxy = shapely.bounds(east)
        albers = _fitted_albers(minx, miny, maxx, maxy)
        out[i] = _planar_km2(np.array([east], dtype=object), albers)[0]
    out[polygonal & inapplicable] = np.nan
    return _shape_result(_reduce_missing(out, arr), single)
