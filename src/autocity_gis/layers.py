"""Layer loading: any vector file, any CRS or datum, to clean WGS 84 polygons.

This module owns everything between a file on disk and a GeoDataFrame the rest of the toolkit
can trust: reading with pyogrio (GeoJSON, GeoPackage, Shapefile, FlatGeobuf and whatever else
GDAL reads), choosing the rows a recipe's filter names, putting the coordinates into EPSG:4326
on the WGS 84 datum (from any EPSG CRS, or from the GCJ-02/BD-09 offset datums that no EPSG
code expresses), and repairing geometry. Anything unusable raises a
:class:`~autocity_gis._errors.LayerError` naming the file and feature; repairs that are safe
are made and described in the returned warnings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as PyprojCRSError

from ._errors import CRSError, LayerError
from .recipe import LayerSource

WGS84 = "EPSG:4326"
_POLYGONAL = {"Polygon", "MultiPolygon"}


@dataclass(frozen=True)
class Layer:
    """A loaded layer.

    Attributes
    ----------
    frame : geopandas.GeoDataFrame
        Polygons in EPSG:4326 (WGS 84), valid, 2-D, one row per selected feature.
    source_crs : str
        The CRS the file declared or the recipe supplied, as text.
    source_datum : str
        ``WGS84``, ``GCJ02`` or ``BD09``: the datum the coordinates were in.
    warnings : tuple of str
        Repairs made while loading.
    """

    frame: gpd.GeoDataFrame
    source_crs: str
    source_datum: str
    warnings: tuple[str, ...]


def read_layer(source: LayerSource) -> Layer:
    """Read a layer file and bring it to valid WGS 84 polygons.

    Parameters
    ----------
    source : LayerSource
        The file, layer, filter and declared CRS/datum.

    Returns
    -------
    Layer
        The selected features in EPSG:4326.

    Raises
    ------
    LayerError
        If the file cannot be read, the filter selects nothing, or a feature is not a usable
        polygon.
    CRSError
        If the CRS is missing or the coordinates do not fit it.
    """
    path = source.path
    try:
        frame = pyogrio.read_dataframe(path, layer=source.layer_name)
    except Exception as exc:  # pyogrio raises several GDAL-derived types
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LayerError(f"{path}: cannot be read as a vector layer ({reason}).") from exc
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame:
        raise LayerError(f"{path}: has no geometry column.")
    frame = _select(frame, source)
    crs_text, frame = _assign_crs(frame, source)
    datum = source.datum or "WGS84"
    frame = _to_wgs84(frame, path, datum)
    frame, warnings = _repair(frame, path)
    return Layer(frame=frame, source_crs=crs_text, source_datum=datum, warnings=tuple(warnings))


def feature_label(path: Path, frame: gpd.GeoDataFrame, index: object) -> str:
    """Name a feature for an error message: file, row and an identifying attribute."""
    row = frame.loc[index]
    for col in ("id", "name_en", "name", "name_zh", "NAME"):
        if col in frame.columns and isinstance(row[col], str) and row[col]:
            return f"{path.name}, feature {index} ({col}={row[col]!r})"
    return f"{path.name}, feature {index}"


def _select(frame: gpd.GeoDataFrame, source: LayerSource) -> gpd.GeoDataFrame:
    mask = np.ones(len(frame), dtype=bool)
    for column, wanted in source.filter.items():
        if column not in frame.columns:
            have = ", ".join(c for c in frame.columns if c != frame.geometry.name) or "none"
            raise LayerError(
                f"{source.path}: the filter names attribute '{column}', which the layer lacks "
                f"(it has: {have})."
            )
        values = [str(v) for v in (wanted if isinstance(wanted, list) else [wanted])]
        mask &= frame[column].astype(str).isin(values).to_numpy()
    if not mask.any():
        shown = ", ".join(f"{k} = {v!r}" for k, v in source.filter.items())
        raise LayerError(f"{source.path}: no feature matches the filter {shown or '(none)'}.")
    return frame.loc[mask].copy()


def _assign_crs(frame: gpd.GeoDataFrame, source: LayerSource) -> tuple[str, gpd.GeoDataFrame]:
    if source.crs is not None:
        try:
            declared = CRS.from_user_input(source.crs)
        except PyprojCRSError as exc:
            raise CRSError(f"{source.path}: the recipe's crs '{source.crs}' is unknown.") from exc
        if frame.crs is not None and not frame.crs.equals(declared):
            raise CRSError(
                f"{source.path}: the file declares {frame.crs.to_string()} but the recipe says "
                f"{source.crs}; remove one of them."
            )
        frame = frame.set_crs(declared, allow_override=True)
    elif frame.crs is None:
        if source.datum is None:
            raise CRSError(
                f"{source.path}: the file declares no coordinate reference system; add "
                'crs = "EPSG:…" (or datum = "GCJ02" for Chinese web-map lon/lat) to its '
                "recipe entry."
            )
        frame = frame.set_crs(WGS84)
    crs = frame.crs
    if source.datum in ("GCJ02", "BD09") and not crs.is_geographic:
        raise CRSError(
            f"{source.path}: datum {source.datum} applies to longitude/latitude, but the layer's "
            f"CRS {crs.to_string()} is projected."
        )
    return crs.to_string(), frame


def _to_wgs84(frame: gpd.GeoDataFrame, path: Path, datum: str) -> gpd.GeoDataFrame:
    crs = frame.crs
    geoms = frame.geometry.to_numpy()
    if crs.is_geographic:
        xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
        if not (-180.0 <= xmin and xmax <= 180.0 and -90.0 <= ymin and ymax <= 90.0):
            raise CRSError(
                f"{path}: coordinates reach ({xmax:.0f}, {ymax:.0f}), which is not longitude/"
                f"latitude although the CRS is {crs.to_string()}; the data are probably projected "
                "metres: set the right crs in the recipe."
            )
    if not crs.equals(CRS.from_epsg(4326)):
        frame = frame.to_crs(WGS84)
    if datum != "WGS84":
        from .datum import convert_frame

        frame = convert_frame(frame, datum, "WGS84")
    return frame


def _repair(frame: gpd.GeoDataFrame, path: Path) -> tuple[gpd.GeoDataFrame, list[str]]:
    warnings: list[str] = []
    geoms = frame.geometry.to_numpy().copy()
    for pos, index in enumerate(frame.index):
        geom = geoms[pos]
        label = feature_label(path, frame, index)
        if geom is None or geom.is_empty:
            raise LayerError(f"{label}: the geometry is empty.")
        kind = geom.geom_type
        if kind not in _POLYGONAL and kind != "GeometryCollection":
            raise LayerError(f"{label}: is a {kind}, but a polygon is needed.")
        if shapely.has_z(geom):
            geom = shapely.force_2d(geom)
            warnings.append(f"{label}: dropped the z coordinates.")
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
            warnings.append(f"{label}: repaired invalid geometry ({reason}).")
        if geom.geom_type not in _POLYGONAL:
            polys = [
                g for g in shapely.get_parts(geom) if g.geom_type in _POLYGONAL and not g.is_empty
            ]
            if len(polys) < len(shapely.get_parts(geom)):
                warnings.append(f"{label}: dropped non-polygon parts.")
            geom = shapely.union_all(polys) if polys else shapely.Polygon()
        if geom.is_empty or geom.area == 0.0:
            raise LayerError(f"{label}: the polygon has no area (collapsed or degenerate).")
        geoms[pos] = geom
    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    return frame, warnings
