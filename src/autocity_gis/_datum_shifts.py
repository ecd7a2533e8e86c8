"""The closed-form GCJ-02 and BD-09 shifts and their iterated inverses, vectorised with numpy.

The published formulas (constants :data:`A` and :data:`EE` of the Krasovsky ellipsoid, as in
eviltransform, gcoord and prcoords) for the six conversions between WGS 84, GCJ-02 and BD-09 on
arrays of longitudes and latitudes, with the ``outOfChina`` rectangle (:func:`in_china`) and the
fixed-point inverses that reach 1e-9 degrees. Re-exported by :mod:`autocity_gis.datum`, which
adds the datum names and the conversion of geometries and frames.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Semi-major axis (m) and first eccentricity squared of the Krasovsky 1940 ellipsoid, as used
#: by the GCJ-02 algorithm.
A = 6378245.0
EE = 0.00669342162296594323

# The usual rectangle standing for "China" in eviltransform, gcoord and prcoords.
_LON_MIN, _LON_MAX = 72.004, 137.8347
_LAT_MIN, _LAT_MAX = 0.8293, 55.8271

# Baidu's rotation works in "x_pi" units and adds fixed offsets in degrees.
_X_PI = np.pi * 3000.0 / 180.0
_BD_DLON = 0.0065
_BD_DLAT = 0.006

# Stopping rule of the exact inverse: 1e-9 degrees is about 0.1 mm; the fixed-point iteration
# shrinks the error about 150-fold per step, so four steps reach it and the cap is never hit
# except for pathological input.
_EXACT_TOL_DEG = 1e-9
_EXACT_MAX_ITER = 10


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Tell which points fall inside the rectangle where the offset datums apply.

    This is the coarse rectangle of eviltransform and gcoord (longitude 72.004 to 137.8347,
    latitude 0.8293 to 55.8271, bounds included), not China's border: parts of its neighbours
    are inside it. NaN coordinates count as inside (they stay NaN through any conversion).

    Parameters
    ----------
    lon, lat : array_like
        Longitudes and latitudes in degrees; broadcast against each other.

    Returns
    -------
    numpy.ndarray of bool
        True where the point is inside the rectangle, with the broadcast shape of the inputs.
    """
    x, y = _as_float(lon, lat)
    outside = (x < _LON_MIN) | (x > _LON_MAX) | (y < _LAT_MIN) | (y > _LAT_MAX)
    return np.asarray(~outside)


def wgs84_to_gcj02(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert WGS 84 longitudes and latitudes to GCJ-02.

    Parameters
    ----------
    lon, lat : array_like
        WGS 84 coordinates in degrees, scalars or arrays broadcast against each other.

    Returns
    -------
    lon, lat : numpy.ndarray
        GCJ-02 coordinates as float64 arrays of the broadcast shape (0-d arrays for scalar input;
        ``float()`` unwraps them). Points outside China are returned unchanged.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(121.5272106, 31.1774276)
    >>> print(f"{float(lon):.6f} {float(lat):.6f}")
    121.531542 31.175304
    """
    x, y = _as_float(lon, lat)
    dlon, dlat = _gcj_delta(x, y)
    inside = in_china(x, y)
    return _where(inside, x + dlon, x), _where(inside, y + dlat, y)


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, exact: bool = True
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert GCJ-02 longitudes and latitudes to WGS 84.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 coordinates in degrees, scalars or arrays broadcast against each other.
    exact : bool, default True
        Invert the forward conversion iteratively until every point's residual is below
        1e-9 degrees (about 0.1 mm; at most 10 steps): :func:`wgs84_to_gcj02` of the result is
        the input to 1e-9 degrees. With False, use the one-step inverse
        ``wgs = gcj - delta(gcj)`` of gcoord and prcoords, off by up to 5.2 m.

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS 84 coordinates as float64 arrays of the broadcast shape (0-d arrays for scalar
        input). Points outside China (tested on the GCJ-02 input, as gcoord and prcoords do)
        are returned unchanged.

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(123.0, 45.0)
    >>> print(f"{float(lon):.6f} {float(lat):.6f}")
    122.993956 44.998041
    """
    x, y = _as_float(lon, lat)
    inside = in_china(x, y)
    wlon, wlat = _gcj_to_wgs(x, y, inside, exact=exact)
    return _where(inside, wlon, x), _where(inside, wlat, y)


def gcj02_to_bd09(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert GCJ-02 longitudes and latitudes to Baidu's BD-09.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 coordinates in degrees, scalars or arrays broadcast against each other.

    Returns
    -------
    lon, lat : numpy.ndarray
        BD-09 coordinates as float64 arrays of the broadcast shape (0-d arrays for scalar input).
        Points outside China (tested on the GCJ-02 input) are returned unchanged; gcoord and
        prcoords would still apply Baidu's offset there, but a BD-09 point is a GCJ-02 point
        shifted again, and outside China there is no GCJ-02 shift to build on.
    """
    x, y = _as_float(lon, lat)
    blon, blat = _bd_shift(x, y)
    inside = in_china(x, y)
    return _where(inside, blon, x), _where(inside, blat, y)


def bd09_to_gcj02(
    lon: ArrayLike, lat: ArrayLike, *, exact: bool = True
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert Baidu's BD-09 longitudes and latitudes to GCJ-02.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 coordinates in degrees, scalars or arrays broadcast against each other.
    exact : bool, default True
        Invert :func:`gcj02_to_bd09` iteratively until every point's residual is below 1e-9
        degrees (about 0.1 mm). With False, use the usual closed-form inverse of gcoord and
        prcoords, which is off by up to 0.23 m (2e-6 degrees; not the 1e-7 degrees prcoords
        states).

    Returns
    -------
    lon, lat : numpy.ndarray
        GCJ-02 coordinates as float64 arrays of the broadcast shape (0-d arrays for scalar input).
        Points whose GCJ-02 position falls outside China are returned unchanged: the same test
        :func:`gcj02_to_bd09` makes on its input, and the one :func:`gcj02_to_wgs84` makes next
        when going on to WGS 84, so :func:`bd09_to_wgs84` applies both shifts or neither.
    """
    x, y = _as_float(lon, lat)
    glon, glat = _bd_to_gcj(x, y, exact=exact)
    inside = in_china(glon, glat)
    return _where(inside, glon, x), _where(inside, glat, y)


def wgs84_to_bd09(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert WGS 84 longitudes and latitudes to BD-09 (through GCJ-02).

    Parameters
    ----------
    lon, lat : array_like
        WGS 84 coordinates in degrees, scalars or arrays broadcast against each other.

    Returns
    -------
    lon, lat : numpy.ndarray
        BD-09 coordinates as float64 arrays of the broadcast shape (0-d arrays for scalar input).
        Both shifts are applied to points inside China (tested once, on the WGS 84 input, as
        :func:`wgs84_to_gcj02` does) and neither to the others: a point near the rectangle's edge
        whose GCJ-02 position falls outside it still gets Baidu's offset.
    """
    x, y = _as_float(lon, lat)
    dlon, dlat = _gcj_delta(x, y)
    blon, blat = _bd_shift(x + dlon, y + dlat)
    inside = in_china(x, y)
    return _where(inside, blon, x), _where(inside, blat, y)


def bd09_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, exact: bool = True
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert BD-09 longitudes and latitudes to WGS 84 (through GCJ-02).

    Parameters
    ----------
    lon, lat : array_like
        BD-09 coordinates in degrees, scalars or arrays broadcast against each other.
    exact : bool, default True
        Invert both shifts iteratively (see :func:`bd09_to_gcj02` and :func:`gcj02_to_wgs84`):
        :func:`wgs84_to_bd09` of the result is the input to 2e-9 degrees. With False, use the
        closed-form and one-step inverses of gcoord and prcoords, off by up to 5.3 m.

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS 84 coordinates as float64 arrays of the broadcast shape (0-d arrays for scalar
        input). Both shifts are undone for points whose GCJ-02 position is inside China (the
        test gcoord and prcoords make before undoing the GCJ-02 shift) and neither for the
        others. Prefer it to :func:`bd09_to_gcj02` followed by :func:`gcj02_to_wgs84`: near the
        rectangle's edge the first can return a BD-09 point unchanged that the second then
        takes for a GCJ-02 point inside China.
    """
    x, y = _as_float(lon, lat)
    glon, glat = _bd_to_gcj(x, y, exact=exact)
    inside = in_china(glon, glat)
    wlon, wlat = _gcj_to_wgs(glon, glat, inside, exact=exact)
    return _where(inside, wlon, x), _where(inside, wlat, y)


def _as_float(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Broadcast longitudes and latitudes to float64 arrays of a common shape (new memory)."""
    x, y = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return np.array(x, dtype=np.float64), np.array(y, dtype=np.float64)


def _where(
    cond: NDArray[np.bool_], a: NDArray[np.float64], b: NDArray[np.float64]
) -> NDArray[np.float64]:
    """``np.where`` that always returns a float64 ndarray (0-d for 0-d input), never a scalar."""
    return np.asarray(np.where(cond, a, b), dtype=np.float64)


def _max_abs(a: NDArray[np.float64], b: NDArray[np.float64], mask: NDArray[np.bool_]) -> float:
    """Largest finite ``|a|`` or ``|b|`` where ``mask`` is True; 0.0 if there is none."""
    values = np.abs(np.concatenate([np.ravel(a[mask]), np.ravel(b[mask])]))
    values = values[np.isfinite(values)]
    return float(values.max()) if values.size else 0.0


def _gcj_to_wgs(
    x: NDArray[np.float64], y: NDArray[np.float64], mask: NDArray[np.bool_], *, exact: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Undo the GCJ-02 shift everywhere; iterate until the points in ``mask`` converge."""
    dlon, dlat = _gcj_delta(x, y)
    wlon, wlat = x - dlon, y - dlat
    if exact:
        for _ in range(_EXACT_MAX_ITER):
            # Fixed-point step: move the estimate by how far its forward image misses the target.
            dlon, dlat = _gcj_delta(wlon, wlat)
            rlon = wlon + dlon - x
            rlat = wlat + dlat - y
            wlon = wlon - rlon
            wlat = wlat - rlat
            if _max_abs(rlon, rlat, mask) < _EXACT_TOL_DEG:
                break
    return wlon, wlat


def _bd_shift(
    x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Baidu's offset applied to GCJ-02 ``(x, y)``, everywhere (the published closed form)."""
    r = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return r * np.cos(theta) + _BD_DLON, r * np.sin(theta) + _BD_DLAT


def _bd_to_gcj(
    x: NDArray[np.float64], y: NDArray[np.float64], *, exact: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Undo Baidu's offset everywhere: the closed form, then fixed-point steps if ``exact``."""
    u = x - _BD_DLON
    v = y - _BD_DLAT
    r = np.hypot(u, v) - 0.00002 * np.sin(v * _X_PI)
    theta = np.arctan2(v, u) - 0.000003 * np.cos(u * _X_PI)
    glon, glat = r * np.cos(theta), r * np.sin(theta)
    if exact:
        everywhere = np.ones(x.shape, dtype=bool)
        # The offset's derivatives are ~1e-3, so each step gains three digits: two or three
        # steps reach the tolerance from the closed form's 2e-6 degrees.
        for _ in range(_EXACT_MAX_ITER):
            blon, blat = _bd_shift(glon, glat)
            rlon, rlat = blon - x, blat - y
            glon, glat = glon - rlon, glat - rlat
            if _max_abs(rlon, rlat, everywhere) < _EXACT_TOL_DEG:
                break
    return glon, glat


def _gcj_delta(
    x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return the GCJ-02 offset (degrees of longitude, latitude) at WGS 84 points ``(x, y)``."""
    u = x - 105.0
    v = y - 35.0
    # The published polynomial-plus-sines offsets, in metres of arc (eviltransform's
    # transformLat/transformLon).
    sin_u6 = 20.0 * np.sin(6.0 * u * np.pi) + 20.0 * np.sin(2.0 * u * np.pi)
    dlat_m = (
        -100.0
        + 2.0 * u
        + 3.0 * v
        + 0.2 * v * v
        + 0.1 * u * v
        + 0.2 * np.sqrt(np.abs(u))
        + sin_u6 * 2.0 / 3.0
        + (20.0 * np.sin(v * np.pi) + 40.0 * np.sin(v / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(v / 12.0 * np.pi) + 320.0 * np.sin(v * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon_m = (
        300.0
        + u
        + 2.0 * v
        + 0.1 * u * u
        + 0.1 * u * v
        + 0.1 * np.sqrt(np.abs(u))
        + sin_u6 * 2.0 / 3.0
        + (20.0 * np.sin(u * np.pi) + 40.0 * np.sin(u / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(u / 12.0 * np.pi) + 300.0 * np.sin(u / 30.0 * np.pi)) * 2.0 / 3.0
    )
    # Metres to degrees on the Krasovsky ellipsoid, evaluated at the WGS 84 latitude -- the
    # algorithm's own mix of ellipsoids, kept for bit-compatibility with every other client.
    rad_lat = np.radians(y)
    magic = 1.0 - EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat_m * 180.0 / ((A * (1.0 - EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon_m * 180.0 / (A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat
