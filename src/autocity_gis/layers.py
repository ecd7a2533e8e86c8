"""Layer loading: any vector file, any CRS or datum, to clean WGS 84 polygons.

This module owns everything between a file on disk and a GeoDataFrame the rest of the toolkit
can trust: reading through the GDAL sandbox of :mod:`autocity_gis._gdal` (GeoJSON, GeoPackage,
Shapefile, FlatGeobuf, KML/KMZ, DXF, File Geodatabase, CSV, MapInfo; no VRT, no network; within
the :class:`~autocity_gis.limits.Limits`), in the attribute encoding the recipe names, refusing
CRSs that are vertical, local or not of the Earth, choosing the rows a recipe's filter
names, putting the coordinates into EPSG:4326 on the WGS 84 datum (from any EPSG CRS, or from
the GCJ-02/BD-09 offset datums that no EPSG code expresses), checking that they are plausible
(finite, in China, not latitude/longitude swapped) and, when the recipe has a context layer,
where they should be (near the context units, inside the named parent unit, in the declared
datum: :mod:`autocity_gis.placement` judges that and names the CRS or datum that would put a
misplaced layer right) and repairing geometry. Anything unusable raises a
:class:`~autocity_gis._errors.LayerError` naming the file and feature; repairs that are safe
are made and described in the returned warnings.
"""

from __future__ import annotations

import re
import warnings as pywarnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as PyprojCRSError
from shapely.geometry.base import BaseGeometry

from . import _gdal, placement
from ._errors import CRSError, LayerError
from .limits import Limits
from .limits import current as current_limits
from .recipe import LayerSource

Progress = Callable[[str], None]

WGS84 = "EPSG:4326"
_POLYGONAL = {"Polygon", "MultiPolygon"}

#: Longitude/latitude rectangle of China, islands of the South China Sea included. A layer
#: lying wholly outside it is misplaced: this toolkit and its datums are about Chinese cities.
CHINA_BBOX: tuple[float, float, float, float] = (73.4, 3.8, 135.1, 53.6)

#: A component whose borders meet the context units' borders (within this many metres) only
#: after a datum shift is reported as probably carrying the wrong datum.
DATUM_MATCH_M = placement.DATUM_MATCH_M
#: A component farther than this from every context unit is an error (misplaced).
CONTEXT_NEAR_KM = placement.MISPLACED_KM
_SAMPLE = 2000
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


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
        Repairs made while loading, and doubts about the data that are not certain enough
        to refuse it (a suspected datum mix-up, GDAL's own warnings).
    """

    frame: gpd.GeoDataFrame
    source_crs: str
    source_datum: str
    warnings: tuple[str, ...]


def read_layer(
    source: LayerSource,
    *,
    context_borders: BaseGeometry | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
    cache: ReadCache | None = None,
) -> Layer:
    """Read a layer file and bring it to valid WGS 84 polygons.

    The file is opened through the sandbox of :mod:`autocity_gis._gdal`: only plain file
    formats, no network, zipped files only from the recipe's folder.

    Parameters
    ----------
    source : LayerSource
        The file, layer, filter, attribute encoding and declared CRS/datum.
    context_borders : shapely geometry, optional
        Borders of the official context units (see :func:`borders_of`); when given, the
        layer's position, parent unit (``source.parent``) and datum are checked against
        them, and a layer without a CRS, or outside China as declared, is re-read in the
        sibling Gauss-Krueger CRSs to name the one that lands it on them.
    limits : Limits, optional
        Resource limits (features, vertices, text length, unzipped size); when omitted,
        :func:`autocity_gis.limits.current` (defaults raised by ``AUTOCITY_GIS_MAX_…``).
    progress : callable, optional
        Called with one line before reading a large layer.
    cache : ReadCache, optional
        Reads of this run: a file already read (same path, layer and encoding) is not read
        again.

    Returns
    -------
    Layer
        The selected features in EPSG:4326.

    Raises
    ------
    LayerError
        If the file is refused by the sandbox or cannot be read, is over a limit, is empty,
        its text attributes are mis-decoded, the filter selects nothing, a feature is not
        a usable polygon, ``source.parent`` is not a context unit or nothing of the layer
        lies in it.
    CRSError
        If the CRS is missing, not horizontal or not of the Earth, the coordinates do not fit
        it (projected metres labelled as degrees, latitude and longitude swapped), the
        layer lies outside China, or it lies farther than
        :data:`~autocity_gis.placement.MISPLACED_KM` from the context units.
    """
    limits = current_limits(limits)
    path = source.path
    frame, notes = _selected(source, cache, limits, progress)
    try:
        crs_text, frame = _assign_crs(frame, source)
    except CRSError as exc:
        if frame.crs is not None or source.crs is not None or source.datum is not None:
            raise
        # No CRS anywhere: the context may tell which one the coordinates are in.
        hint = _undeclared_hint(frame, source, context_borders, limits, exc)
        if hint is None:
            raise
        raise CRSError(hint) from exc
    notes += _old_datum(frame, source)
    datum = source.datum or "WGS84"
    raw = frame
    try:
        frame = _to_wgs84(frame, path, datum, source.towgs84)
    except CRSError as exc:
        # Outside China or beyond PROJ as declared: a sibling zone may land it on the context.
        hint = _placement_hint(raw, source, datum, context_borders, limits, exc)
        if hint is None:
            raise
        raise CRSError(hint) from exc
    frame, repairs = _repair(frame, path)
    notes += repairs
    notes += _duplicates(frame, path)
    if context_borders is not None:
        notes += _check_against_reference(frame, raw, source, datum, context_borders, limits)
    return Layer(frame=frame, source_crs=crs_text, source_datum=datum, warnings=tuple(notes))


class ReadCache:
    """The layers read during one run, so that each file is read once.

    Keyed by ``(path, layer_name, encoding)``: what GDAL's read depends on (a recipe's
    ``crs``, ``datum``, ``towgs84`` and ``filter`` are applied to the frame afterwards, so
    components that share a file share its read whatever those say). The frames are shared:
    every user copies before changing them.

    Parameters
    ----------
    reads : dict, optional
        The store to fill and reuse (e.g. :attr:`autocity_gis.recipe.Recipe.reads`, the
        layers a recipe read for its whole-layer blocks); a new one when omitted.
    """

    def __init__(self, reads: dict[Any, Any] | None = None) -> None:
        self.reads: dict[Any, Any] = reads if reads is not None else {}

    def read(
        self, source: LayerSource, limits: Limits, progress: Progress | None
    ) -> _gdal.RawLayer:
        """Return the raw read of ``source``'s file, reading it only the first time."""
        key = (str(source.path), source.layer_name, source.encoding)
        found = self.reads.get(key)
        if found is None:
            found = _gdal.read_file(
                source.path,
                layer_name=source.layer_name,
                encoding=source.encoding,
                root=source.root,
                limits=limits,
                progress=progress,
            )
            self.reads[key] = found
        return found


def selected_rows(
    source: LayerSource, *, cache: ReadCache | None = None, limits: Limits | None = None
) -> gpd.GeoDataFrame:
    """Read a layer and return the features its filter selects, as read (no CRS work).

    What a whole-layer block needs to know its values; the checks are those of
    :func:`read_layer` up to the filter (sizes, encoding, the filter's values).

    Raises
    ------
    LayerError
        As :func:`read_layer` for a file that cannot be read, a mis-decoded text attribute or
        a filter that selects nothing.
    """
    frame, _notes = _selected(source, cache, current_limits(limits), None)
    return frame


def _selected(
    source: LayerSource, cache: ReadCache | None, limits: Limits, progress: Progress | None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    path = source.path
    notes: list[str] = []
    declared: str | None = "UTF-8"
    if source.frame is not None:
        frame = _from_frame(source)
    else:
        frame, notes, declared = _read(source, limits, progress, cache)
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame:
        raise LayerError(f"{path}: has no geometry column.")
    if len(frame) == 0:
        which = f"layer '{source.layer_name}'" if source.layer_name else "the layer"
        raise LayerError(f"{path}: {which} is empty (it has no features).")
    _check_sizes(frame, path, limits)
    if source.encoding is None and source.frame is None:
        _check_encoding(frame, source, declared)
    return _select(frame, source), notes


def _from_frame(source: LayerSource) -> gpd.GeoDataFrame:
    """Return a frame given in Python as a read would (a copy: the caller's is untouched)."""
    frame = source.frame
    try:
        frame.geometry  # noqa: B018 - raises when no geometry column is set
    except AttributeError as exc:
        raise LayerError(f"{source.path}: has no geometry column.") from exc
    if not frame.index.is_unique:  # features are named by their index in messages
        frame = frame.reset_index(drop=True)
    return frame.copy()


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Return the polygonal part of a geometry (unioned), or an empty polygon if it has none.

    Overlay results such as intersections may come back as collections with stray lines and
    points where shapes touch; only their area matters here.

    Examples
    --------
    >>> g = shapely.GeometryCollection([shapely.box(0, 0, 1, 1), shapely.Point(5, 5)])
    >>> polygonal(g).wkt
    'POLYGON ((1 0, 1 1, 0 1, 0 0, 1 0))'
    """
    if geom.geom_type in _POLYGONAL:
        return geom
    polys = [g for g in _flat_parts(geom) if g.geom_type in _POLYGONAL and not g.is_empty]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def _flat_parts(geom: BaseGeometry) -> list[BaseGeometry]:
    """Return the single parts of a geometry, collections inside collections unpacked."""
    out: list[BaseGeometry] = []
    stack = [geom]
    while stack:
        for part in shapely.get_parts(stack.pop()):
            if part.geom_type == "GeometryCollection":
                stack.append(part)
            else:
                out.append(part)
    return out


def feature_label(path: Path, frame: gpd.GeoDataFrame, index: object) -> str:
    """Name a feature for an error message: file, row and an identifying attribute."""
    row = frame.loc[index]
    for col in ("id", "name_en", "name", "name_zh", "NAME"):
        if col in frame.columns and isinstance(row[col], str) and row[col]:
            return f"{path.name}, feature {index} ({col}={_short(row[col])!r})"
    return f"{path.name}, feature {index}"


def _short(text: str, limit: int = 60) -> str:
    # Error messages are one line: attribute values are cut short and lose their line breaks.
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _read(
    source: LayerSource, limits: Limits, progress: Progress | None, cache: ReadCache | None
) -> tuple[Any, list[str], str | None]:
    try:
        raw = (cache or ReadCache()).read(source, limits, progress)
    except UnicodeDecodeError as exc:
        raise _undecodable(source, exc) from exc
    return raw.frame, list(raw.notes), raw.encoding


def _undecodable(source: LayerSource, exc: UnicodeDecodeError) -> LayerError:
    """Name the feature and attribute whose text is not in the expected encoding."""
    path = source.path
    expected = source.encoding or "UTF-8"
    fix = (
        'add encoding = "GBK" (or whatever the file was saved in) to its recipe entry'
        if source.encoding is None
        else "check the encoding in its recipe entry"
    )
    try:
        # Latin-1 decodes every byte: the values come back intact, to be tested one by one.
        with _gdal.sandbox(), pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore")
            frame = pyogrio.read_dataframe(
                _gdal.preflight(path, root=source.root),
                layer=source.layer_name,
                encoding="latin-1",
                read_geometry=False,
            )
    except Exception:  # the first error is the one to report
        frame = None
    if frame is not None:
        for column in frame.columns:
            for index, value in frame[column].items():
                if not isinstance(value, str):
                    continue
                try:
                    value.encode("latin-1").decode(expected)
                except (UnicodeError, LookupError) as bad:
                    if not isinstance(bad, UnicodeDecodeError):
                        continue
                    byte = bad.object[bad.start : bad.start + 1]
                    return LayerError(
                        f"{path}, feature {index}: attribute '{_short(str(column))}' is not "
                        f"{expected} text (byte {byte!r} at {bad.start} cannot be decoded); "
                        f"{fix}."
                    )
    return LayerError(
        f"{path}: the text attributes are not {expected} (byte "
        f"{exc.object[exc.start : exc.start + 1]!r} at {exc.start} cannot be decoded); {fix}."
    )


def _check_sizes(frame: gpd.GeoDataFrame, path: Path, limits: Limits) -> None:
    vertices = int(shapely.get_num_coordinates(frame.geometry.to_numpy()).sum())
    if vertices > limits.max_vertices:
        raise LayerError(f"{path}: " + limits.exceeded("max_vertices", "vertices", vertices))
    for column in frame.columns:
        dtype = frame[column].dtype
        if column == frame.geometry.name or not (
            pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
        ):
            continue
        lengths = frame[column].map(lambda v: len(v) if isinstance(v, str) else 0)
        if len(lengths) and int(lengths.max()) > limits.max_text_chars:
            index = lengths.idxmax()
            raise LayerError(
                f"{path}, feature {index}: attribute '{_short(str(column))}' "
                + limits.exceeded("max_text_chars", "characters", int(lengths.max()))
            )


def _mis_decoded(value: str) -> str | None:
    """Return the encoding that turns a Latin-1-decoded text back into Chinese, if any."""
    high = [c for c in value if ord(c) > 0x7F]
    if len(high) < 4 or any(ord(c) > 0xFF for c in high):
        return None  # a Chinese name is two characters or more: four bytes or more
    raw = value.encode("latin-1")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _all_cjk(text):
            return "UTF-8"
    # Common GBK characters are two bytes from 0xA1 up, so they come in even runs of such
    # bytes; accented Latin (Zürich, Crème brûlée) nearly never does.
    runs = re.findall(r"[\x80-\xff]+", value)
    if all(len(r) % 2 == 0 and min(r) >= "\xa1" for r in runs):
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            return None
        if _all_cjk(text):
            return "GBK"
    return None


def _all_cjk(text: str) -> bool:
    wide = [c for c in text if ord(c) > 0x7F]
    return bool(wide) and all(_CJK.match(c) or c in "（）《》，、·" for c in wide)


def _check_encoding(frame: gpd.GeoDataFrame, source: LayerSource, declared: str | None) -> None:
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        for index, value in frame[column].items():
            if not isinstance(value, str):
                continue
            codec = _mis_decoded(value)
            if codec is None:
                continue
            if declared and declared.upper().replace("-", "") == "UTF8":
                return  # a UTF-8 format: the text is what the file holds
            fixed = value.encode("latin-1").decode("gb18030" if codec == "GBK" else "utf-8")
            raise LayerError(
                f"{source.path.name}, feature {index}: attribute '{column}' reads as "
                f"{_short(value)!r}, which is {codec} text decoded as {declared or 'Latin-1'} "
                f'({_short(fixed)!r}); add encoding = "{codec}" to its recipe entry.'
            )


def _select(frame: gpd.GeoDataFrame, source: LayerSource) -> gpd.GeoDataFrame:
    mask = np.ones(len(frame), dtype=bool)
    for column, wanted in source.filter.items():
        if column not in frame.columns:
            have = ", ".join(c for c in frame.columns if c != frame.geometry.name) or "none"
            raise LayerError(
                f"{source.path}: the filter names attribute '{column}', which the layer lacks "
                f"(it has: {_short(have, 200)})."
            )
        values = [str(v) for v in (wanted if isinstance(wanted, list) else [wanted])]
        matches = frame[column].astype(str).isin(values).to_numpy()
        if not matches.any():
            raise LayerError(
                f"{source.path}: no feature matches the filter {column} = "
                f"{_shown_values(values)} (values of '{column}' in the layer: "
                f"{_present(frame[column])})."
            )
        mask &= matches
    if not mask.any():
        shown = ", ".join(f"{k} = {v!r}" for k, v in source.filter.items())
        raise LayerError(
            f"{source.path}: no feature matches all of the filter {_short(shown, 200)} (each "
            "value occurs, but never together)."
        )
    return frame.loc[mask].copy()


def _shown_values(values: list[str]) -> str:
    shown = " or ".join(repr(_short(v, 40)) for v in values[:5])
    return shown + (f" (and {len(values) - 5} more)" if len(values) > 5 else "")


def _present(column: Any, count: int = 30) -> str:
    """Return up to a few dozen distinct values of a column, for an error message."""
    distinct = list(dict.fromkeys(str(v) for v in column.tolist()))
    shown = ", ".join(repr(_short(v, 40)) for v in distinct[:count])
    more = len(distinct) - count
    return shown + (f", … ({more} more)" if more > 0 else "")


def _assign_crs(frame: gpd.GeoDataFrame, source: LayerSource) -> tuple[str, gpd.GeoDataFrame]:
    if source.crs is not None:
        try:
            declared = CRS.from_user_input(source.crs)
        except PyprojCRSError as exc:
            raise CRSError(f"{source.path}: the recipe's crs '{source.crs}' is unknown.") from exc
        declared = _horizontal(declared, source.path, f"the recipe's crs '{source.crs}'")
        if frame.crs is not None:
            in_file = _horizontal(frame.crs, source.path, "the file's CRS")
            if not in_file.equals(declared, ignore_axis_order=True):
                raise CRSError(
                    f"{source.path}: the file declares {in_file.to_string()} but the recipe says "
                    f"{source.crs}; remove one of them."
                )
        # Coordinates are always read x = easting/longitude (GIS order): the axis order of
        # an equivalent definition (EPSG:4326 against OGC:CRS84) changes nothing.
        frame = frame.set_crs(declared, allow_override=True)
    elif frame.crs is None:
        if source.datum is None:
            raise CRSError(
                f"{source.path}: the file declares no coordinate reference system; add "
                'crs = "EPSG:…" (or datum = "GCJ02" for Chinese web-map lon/lat) to its '
                "recipe entry."
            )
        frame = frame.set_crs(WGS84)
    else:
        frame = frame.set_crs(
            _horizontal(frame.crs, source.path, "the file's CRS"), allow_override=True
        )
    crs = frame.crs
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
    for pos, geom in enumerate(geoms):
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
                f"{label}: has coordinates that are not numbers ({what}): vertex {vertex} is "
                f"({_num(x)}, {_num(y)})."
            )
    coords = _sample(shapely.get_coordinates(geoms))
    if len(coords) == 0:
        return frame  # every geometry is empty: _repair names the feature
    if crs.is_geographic:
        xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
        if not (-180.0 <= xmin and xmax <= 180.0 and -90.0 <= ymin and ymax <= 90.0):
            if _swapped_lands_in_china(coords, crs):
                raise _swapped_error(path, crs)
            raise CRSError(
                f"{path}: coordinates reach ({_num(xmax)}, {_num(ymax)}), which is not longitude/"
                f"latitude although the CRS is {crs.to_string()}; the data are probably projected "
                "metres: set the right crs in the recipe."
            )
    if towgs84 is not None:
        base = crs.source_crs if crs.is_bound and crs.source_crs is not None else crs
        frame = frame.set_crs(bound_crs(base, towgs84), allow_override=True).to_crs(WGS84)
    elif not crs.equals(CRS.from_epsg(4326)):
        frame = frame.to_crs(WGS84)
    xmin, ymin, xmax, ymax = shapely.total_bounds(frame.geometry.to_numpy())
    if not np.isfinite([xmin, ymin, xmax, ymax]).all():
        raise CRSError(
            f"{path}: the coordinates cannot be transformed from {crs.to_string()} to WGS 84; "
            "check the crs of the file or the recipe."
        )
    lon0, lat0, lon1, lat1 = CHINA_BBOX
    if xmax < lon0 or xmin > lon1 or ymax < lat0 or ymin > lat1:
        if _swapped_lands_in_china(coords, crs):
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


def _sample(coords: np.ndarray) -> np.ndarray:
    if len(coords) <= _SAMPLE:
        return coords
    return coords[np.linspace(0, len(coords) - 1, _SAMPLE).astype(int)]


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


def _repair(frame: gpd.GeoDataFrame, path: Path) -> tuple[gpd.GeoDataFrame, list[str]]:
    warnings: list[str] = []
    geoms = frame.geometry.to_numpy().copy()
    for pos, index in enumerate(frame.index):
        geom = geoms[pos]
        label = feature_label(path, frame, index)
        if geom is None:
            raise LayerError(
                f"{label}: has no geometry (missing, or unreadable in a damaged or truncated "
                "file); fix or drop the feature."
            )
        if geom.is_empty:
            raise LayerError(f"{label}: the geometry is empty; fix or drop the feature.")
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
            if any(g.geom_type not in _POLYGONAL or g.is_empty for g in shapely.get_parts(geom)):
                warnings.append(f"{label}: dropped non-polygon parts.")
            geom = polygonal(geom)
        if geom.is_empty or geom.area == 0.0:
            raise LayerError(f"{label}: the polygon has no area (collapsed or degenerate).")
        geoms[pos] = geom
    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    return frame, warnings


def _duplicates(frame: gpd.GeoDataFrame, path: Path) -> list[str]:
    # Duplicated features add nothing to a union, but the planner should know they are there.
    seen: dict[bytes, object] = {}
    notes = []
    for index, geom in zip(frame.index, frame.geometry, strict=True):
        key = shapely.to_wkb(shapely.normalize(geom))
        if key in seen:
            notes.append(
                f"{feature_label(path, frame, index)}: same geometry as feature {seen[key]}; "
                "counted once."
            )
        else:
            seen[key] = index
    return notes


def borders_of(layer: Layer) -> BaseGeometry:
    """Return the borders of a layer's polygons as one (multi)line geometry in WGS 84."""
    borders = shapely.union_all(shapely.boundary(layer.frame.geometry.to_numpy()))
    placement.register(borders, layer.frame)
    return borders


def _check_against_reference(
    frame: gpd.GeoDataFrame,
    raw: gpd.GeoDataFrame,
    source: LayerSource,
    datum: str,
    borders: BaseGeometry,
    limits: Limits,
) -> list[str]:
    """Check a component against the context layer; see :mod:`autocity_gis.placement`.

    Errors: farther than :data:`~autocity_gis.placement.MISPLACED_KM` from every context unit
    (naming the Gauss-Krueger CRS or datum that would put it there), a parent unit that is not
    in the context, or nothing of the component inside it. Warnings: the share outside the
    parent, a suspected datum mix-up.
    """
    context = _context(borders, source, limits)
    if context is None:
        return []
    declared = _declared(raw, source, datum)
    geoms = frame.geometry.to_numpy()
    notes = placement.check_component(geoms, declared, context, parent=source.parent)
    notes += placement.datum_warnings(geoms, declared, context, borders, parent=source.parent)
    return notes


def _context(
    borders: BaseGeometry, source: LayerSource, limits: Limits
) -> placement.Context | None:
    name = source.reference.path.name if source.reference else "the context layer"
    context = placement.context_for(borders, name)
    if (
        context is not None
        and source.parent is not None
        and not context.has_attributes
        and source.reference is not None
    ):
        # Borders built by the caller, not by borders_of: the parent needs the attributes.
        units = read_layer(source.reference, limits=limits).frame
        context = placement.context_for(borders, name, units)
    return context


def _declared(raw: gpd.GeoDataFrame, source: LayerSource, datum: str) -> placement.Declared:
    crs = raw.crs
    return placement.Declared(
        name=source.path.name,
        crs=crs,
        crs_text=source.crs if source.crs is not None else crs.to_string(),
        datum=datum,
        in_recipe=source.crs is not None,
        raw_xy=placement.sample(shapely.get_coordinates(raw.geometry.to_numpy())),
    )


def _undeclared_hint(
    frame: gpd.GeoDataFrame,
    source: LayerSource,
    borders: BaseGeometry | None,
    limits: Limits,
    problem: CRSError,
) -> str | None:
    """Return a better message for a layer without a CRS, if the context tells which."""
    found = _hint_context(borders, source, limits, problem)
    if found is None:
        return None
    xy = shapely.get_coordinates(frame.geometry.to_numpy())
    return placement.undeclared_hint(xy, *found)


def _placement_hint(
    raw: gpd.GeoDataFrame,
    source: LayerSource,
    datum: str,
    borders: BaseGeometry | None,
    limits: Limits,
    problem: CRSError,
) -> str | None:
    """Return a better message for a layer that cannot be placed, if a CRS lands it."""
    found = _hint_context(borders, source, limits, problem)
    if found is None:
        return None
    return placement.unplaceable_hint(_declared(raw, source, datum), *found)


def _hint_context(
    borders: BaseGeometry | None, source: LayerSource, limits: Limits, problem: CRSError
) -> tuple[Any, str] | None:
    """Return the context units to search a CRS against, and the problem's message.

    The message is cut before its own advice, which the hint replaces; None without a context.
    """
    if borders is None or borders.is_empty:
        return None
    context = _context(borders, source, limits)
    if context is None:
        return None
    return context, str(problem).split("; ")[0].rstrip(".")
