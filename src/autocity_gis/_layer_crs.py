"""A layer's CRS and its way to WGS 84: declared, checked, transformed, plausible.

This module owns the second half of loading a layer: which CRS the coordinates are in (the
file's or the recipe's, refusing vertical, local and non-Earth CRSs), the old Chinese datums
that need the recipe's ``towgs84`` (:func:`bound_crs`), and the transformation to EPSG:4326 with
its plausibility checks (finite, in China, not latitude/longitude swapped; the GCJ-02/BD-09
offset datums undone). Re-exported by :mod:`autocity_gis.layers`.
"""

from __future__ import annotations

import warnings as pywarnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as PyprojCRSError

from ._errors import CRSError, LayerError
from ._layer_read import _short, feature_label
from .recipe import LayerSource

WGS84 = "EPSG:4326"

#: Longitude/latitude rectangle of China, islands of the South China Sea included. A layer
#: lying wholly outside it is misplaced: this toolkit and its datums are about Chinese cities.
CHINA_BBOX: tuple[float, float, float, float] = (73.4, 3.8, 135.1, 53.6)
_SAMPLE = 2000
_EPSG_4326 = CRS.from_epsg(4326)  # built once: every layer is compared with it


def _assign_crs(frame: gpd.GeoDataFrame, source: LayerSource) -> tuple[str, gpd.GeoDataFrame]:
    in_file = frame.crs  # each look-up builds a GeoSeries: once per component is plenty
    if source.crs is not None:
        try:
            declared = CRS.from_user_input(source.crs)
        except PyprojCRSError as exc:
            raise CRSError(f"{source.path}: the recipe's crs '{source.crs}' is unknown.") from exc
        declared = _horizontal(declared, source.path, f"the recipe's crs '{source.crs}'")
        if in_file is not None:
            in_file = _horizontal(in_file, source.path, "the file's CRS")
            if not in_file.equals(declared, ignore_axis_order=True):
                raise CRSError(
                    f"{source.path}: the file declares {in_file.to_string()} but the recipe says "
                    f"{source.crs}; remove one of them."
                )
        # Coordinates are always read x = easting/longitude (GIS order): the axis order of
        # an equivalent definition (EPSG:4326 against OGC:CRS84) changes nothing.
        frame = frame.set_crs(declared, allow_override=True)
        crs = declared
    elif in_file is None:
        if source.datum is None:
            raise CRSError(
                f"{source.path}: the file declares no coordinate reference system; add "
                'crs = "EPSG:…" (or datum = "GCJ02" for Chinese web-map lon/lat) to its '
                "recipe entry."
            )
        frame = frame.set_crs(WGS84)
        crs = frame.crs
    else:
        crs = _horizontal(in_file, source.path, "the file's CRS")
        if crs is not in_file:  # the same CRS needs no new frame
            frame = frame.set_crs(crs, allow_override=True)
    if source.datum in ("GCJ02", "BD09") and not crs.is_geographic:
        raise CRSError(
            f"{source.path}: datum {source.datum} applies to longitude/latitude, but the layer's "
            f"CRS {crs.to_string()} is projected."
        )
    return crs.to_string(), frame


#: Datums PROJ has no general shift to WGS 84 for (only a "ballpark" 0 m offset), with their
#: geographic CRS: a layer in them needs the recipe's ``towgs84``.
OLD_DATUMS: dict[str, str] = {"Beijing 1954": "EPSG:4214", "Xian 1980": "EPSG:4610"}
_ARC_SECOND = 4.84813681109536e-06  # radians
_HELMERT = (
    ("X-axis translation", 8605, "metre"),
    ("Y-axis translation", 8606, "metre"),
    ("Z-axis translation", 8607, "metre"),
    ("X-axis rotation", 8608, "arc-second"),
    ("Y-axis rotation", 8609, "arc-second"),
    ("Z-axis rotation", 8610, "arc-second"),
    ("Scale difference", 8611, "ppm"),
)


def bound_crs(crs: CRS, towgs84: tuple[float, ...]) -> CRS:
    """Return ``crs`` bound to WGS 84 by a 7-parameter Helmert transformation.

    The parameters are those of a recipe's ``towgs84``: dx, dy, dz (metres), rx, ry, rz
    (arc-seconds), ds (ppm), in the position-vector convention (EPSG method 9606, the
    convention of PROJ's ``+towgs84``). Coordinates in the returned CRS transform to WGS 84
    through them.

    Examples
    --------
    >>> b = bound_crs(CRS.from_epsg(4214), (-31.4, 144.3, 81.2, 0, 0, 0, 0))
    >>> b.is_bound, b.source_crs.name
    (True, 'Beijing 1954')
    """
    units: dict[str, Any] = {
        "metre": "metre",
        "arc-second": {
            "type": "AngularUnit",
            "name": "arc-second",
            "conversion_factor": _ARC_SECOND,
        },
        "ppm": {"type": "ScaleUnit", "name": "parts per million", "conversion_factor": 1e-6},
    }
    return CRS.from_json_dict(
        {
            "type": "BoundCRS",
            "source_crs": crs.to_json_dict(),
            "target_crs": CRS.from_epsg(4326).to_json_dict(),
            "transformation": {
                "name": "towgs84 from the recipe",
                "method": {
                    "name": "Position Vector transformation (geog2D domain)",
                    "id": {"authority": "EPSG", "code": 9606},
                },
                "parameters": [
                    {
                        "name": name,
                        "value": value,
                        "unit": units[unit],
                        "id": {"authority": "EPSG", "code": code},
                    }
                    for (name, code, unit), value in zip(_HELMERT, towgs84, strict=True)
                ],
            },
        }
    )


def _old_datum(frame: gpd.GeoDataFrame, source: LayerSource) -> list[str]:
    """Warn about a layer in an old Chinese datum that the recipe gives no ``towgs84`` for.

    The shift itself is applied by :func:`_to_wgs84`; the frame keeps its declared CRS, so
    that messages and placement hints name it (EPSG:2439), not a bound CRS's definition.
    """
    crs = frame.crs
    if source.towgs84 is not None or crs.is_bound:  # a .prj with TOWGS84 carries its own
        return []
    try:
        name = crs.geodetic_crs.datum.name if crs.geodetic_crs is not None else ""
    except (AttributeError, PyprojCRSError):
        name = ""
    if name not in OLD_DATUMS:
        return []
    return [
        f"{source.label}: the layer is in the {name} datum ({_short(crs.name, 60)}), which "
        f"PROJ cannot shift to WGS 84 (it applies a 0 m 'ballpark' offset, about 85 m off at "
        "Changchun); add towgs84 = [dx, dy, dz, rx, ry, rz, ds] (metres, arc-seconds, ppm; "
        "position-vector convention) from the survey office to its recipe entry."
    ]


#: Semi-major axes of Earth ellipsoids lie within this range (metres); anything else is
#: another body (Mars is 3,396 km) or a unit sphere.
_EARTH_AXIS_M = (6_300_000.0, 6_400_000.0)


def _horizontal(crs: CRS, path: Path, what: str) -> CRS:
    """Return the horizontal CRS of ``crs``, refusing vertical, local and non-Earth ones."""
    code = crs.to_string()
    shown = _short(crs.name, 80) + (f", {code}" if code != crs.name and code not in what else "")
    name = f"({shown})"
    if crs.is_compound:
        horizontal = [c for c in crs.sub_crs_list if not c.is_vertical]
        if not horizontal:
            raise CRSError(f"{path}: {what} {name} has no horizontal part.")
        crs = horizontal[0]
    if crs.is_vertical:
        raise CRSError(
            f"{path}: {what} {name} is a vertical CRS (heights), not a horizontal one; "
            "give the layer's horizontal CRS (e.g. EPSG:4490 or EPSG:4547)."
        )
    kind = crs.type_name.lower()
    if crs.is_engineering or "engineering" in kind or "local" in kind:
        raise CRSError(
            f"{path}: {what} {name} is an engineering (local) CRS with no position on the "
            "Earth; give the layer's real CRS (e.g. EPSG:4547) or georeference it first."
        )
    ellipsoid = crs.ellipsoid
    if ellipsoid is None:
        raise CRSError(f"{path}: {what} {name} names no ellipsoid, so it has no place on Earth.")
    axis = ellipsoid.semi_major_metre
    if not _EARTH_AXIS_M[0] <= axis <= _EARTH_AXIS_M[1]:
        raise CRSError(
            f"{path}: {what} {name} is not based on the Earth (its ellipsoid "
            f"{_short(ellipsoid.name, 60)} has a semi-major axis of {axis / 1e3:,.0f} km)."
        )
    return crs


def _num(value: float) -> str:
    """Format a coordinate for a message: two decimals, or compact when huge (``1.2e+300``)."""
    if not np.isfinite(value):
        return str(value)
    return f"{value:.2f}" if abs(value) < 1e7 else f"{value:.3g}"


def _to_wgs84(
    frame: gpd.GeoDataFrame,
    path: Path,
    datum: str,
    towgs84: tuple[float, ...] | None = None,
) -> gpd.GeoDataFrame:
    crs = frame.crs
    geoms = frame.geometry.to_numpy()
    _check_finite(frame, geoms, path)
    if int(shapely.get_num_coordinates(geoms).sum()) == 0:
        return frame  # every geometry is empty: _repair names the feature
    # A sample of the vertices, taken only when a message needs it (a copy of every vertex
    # costs 20 ms on 4 M of them).
    coords = _LazySample(geoms)
    if crs.is_geographic:
        xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
        if not (-180.0 <= xmin and xmax <= 180.0 and -90.0 <= ymin and ymax <= 90.0):
            if _swapped_lands_in_china(coords.get(), crs):
                raise _swapped_error(path, crs)
            raise CRSError(
                f"{path}: coordinates reach ({_num(xmax)}, {_num(ymax)}), which is not longitude/"
                f"latitude although the CRS is {crs.to_string()}; the data are probably projected "
                "metres: set the right crs in the recipe."
            )
    if towgs84 is not None:
        base = crs.source_crs if crs.is_bound and crs.source_crs is not None else crs
        frame = frame.set_crs(bound_crs(base, towgs84), allow_override=True).to_crs(WGS84)
        geoms = frame.geometry.to_numpy()
    elif not crs.equals(_EPSG_4326):
        frame = frame.to_crs(WGS84)
        geoms = frame.geometry.to_numpy()
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    if not np.isfinite([xmin, ymin, xmax, ymax]).all():
        raise CRSError(
            f"{path}: the coordinates cannot be transformed from {crs.to_string()} to WGS 84; "
            "check the crs of the file or the recipe."
        )
    lon0, lat0, lon1, lat1 = CHINA_BBOX
    if xmax < lon0 or xmin > lon1 or ymax < lat0 or ymin > lat1:
        if _swapped_lands_in_china(coords.get(), crs):
            raise _swapped_error(path, crs)
        raise CRSError(
            f"{path}: the layer lies entirely outside China (longitude {_num(xmin)} to "
            f"{_num(xmax)}, latitude {_num(ymin)} to {_num(ymax)} in {crs.to_string()}); check its "
            "crs (projected metres labelled as degrees, or the wrong projection)."
        )
    if datum != "WGS84":
        from .datum import convert_frame

        frame = convert_frame(frame, datum, "WGS84")
    return frame


#: Geometries whose vertices are checked at once: a small copy, one call per chunk.
_FINITE_CHUNK = 256


def _check_finite(frame: gpd.GeoDataFrame, geoms: np.ndarray, path: Path) -> None:
    """Raise naming the first feature with a NaN or infinite coordinate, if any."""
    for start in range(0, len(geoms), _FINITE_CHUNK):
        chunk = geoms[start : start + _FINITE_CHUNK]
        if np.isfinite(shapely.get_coordinates(chunk)).all():
            continue
        for pos, geom in enumerate(chunk, start):
            if geom is None:
                continue
            coords = shapely.get_coordinates(geom)
            bad = ~np.isfinite(coords).all(axis=1)
            if bad.any():
                label = feature_label(path, frame, frame.index[pos])
                vertex = int(np.flatnonzero(bad)[0])
                x, y = coords[vertex]
                what = "NaN" if np.isnan(coords[vertex]).any() else "infinite"
                raise LayerError(
                    f"{label}: has coordinates that are not numbers ({what}): vertex {vertex} "
                    f"is ({_num(x)}, {_num(y)})."
                )


class _LazySample:
    """The sample of a layer's vertices :func:`_swapped_lands_in_china` tests, made on use."""

    def __init__(self, geoms: np.ndarray) -> None:
        self.geoms = geoms

    def get(self) -> np.ndarray:
        return _sample(shapely.get_coordinates(self.geoms))


def _sample(coords: np.ndarray) -> np.ndarray:
    if len(coords) <= _SAMPLE:
        return coords
    sampled: np.ndarray = coords[np.linspace(0, len(coords) - 1, _SAMPLE).astype(int)]
    return sampled


def _swapped_lands_in_china(coords: np.ndarray, crs: CRS) -> bool:
    to_wgs = Transformer.from_crs(crs, WGS84, always_xy=True)
    with np.errstate(all="ignore"), pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore")
        try:
            lon, lat = to_wgs.transform(coords[:, 1], coords[:, 0], errcheck=False)
        except Exception:  # pyproj refuses some swapped values outright: they are not in China
            return False
    lon, lat = np.asarray(lon), np.asarray(lat)
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        return False
    lon0, lat0, lon1, lat1 = CHINA_BBOX
    return bool(((lon >= lon0) & (lon <= lon1) & (lat >= lat0) & (lat <= lat1)).all())


def _swapped_error(path: Path, crs: CRS) -> CRSError:
    return CRSError(
        f"{path}: the axis order is swapped (x holds the latitude or northing, y the longitude "
        f"or easting): with the axes exchanged the layer falls in China, as given it does not; "
        f"write x = longitude/easting and y = latitude/northing ({crs.to_string()})."
    )
