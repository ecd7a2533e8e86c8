"""Many-unit composition: thousands of units (counties) grouped into wholes (provinces), checked.

This module owns the batch path that serves jobs larger than one city: reading a big GeoJSON
FeatureCollection quickly (:func:`read_features`), dissolving its units by an attribute with a
coverage union where the units of a group form a valid polygonal coverage and a plain union
where they do not (:func:`compose_groups`), measuring each group's geodesic area on the WGS 84
ellipsoid with :func:`autocity_gis.area.fast_geodesic_area_km2`, checking the groups against
stated areas (:func:`check_groups`, one :class:`GroupCheck` per group, built on
:class:`autocity_gis.validation.ComponentArea`) and writing the result as RFC 7946 GeoJSON
(:func:`write_features`). GEOS releases the GIL in the coverage operations, so groups are
composed on a small thread pool.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from ._errors import LayerError
from ._io import atomic_path
from ._log import DETAIL, timed
from .area import fast_geodesic_area_km2
from .validation import ComponentArea

__all__ = [
    "GroupCheck",
    "check_groups",
    "compose_groups",
    "read_features",
    "write_features",
]

log = logging.getLogger(__name__)
WGS84 = "EPSG:4326"
_OPEN, _CLOSE, _QUOTE, _BACKSLASH = ord("{"), ord("}"), ord('"'), ord("\\")
_SPACE = b" \t\r\n"


@dataclass(frozen=True)
class GroupCheck:
    """One group's measured area against its stated area.

    Attributes
    ----------
    area : ComponentArea
        The group as a component: ``id`` is the group key, ``measured_km2`` its geodesic area,
        ``stated_km2``/``delta_pct`` the comparison (None without a stated figure), ``method``
        ``coverage`` or ``union``.
    tolerance_pct : float
        Allowed relative difference.
    units : int
        Number of units composed into the group.
    """

    area: ComponentArea
    tolerance_pct: float
    units: int

    @property
    def passed(self) -> bool | None:
        """``abs(delta_pct) <= tolerance_pct``; None when no area is stated for the group."""
        if self.area.delta_pct is None:
            return None
        return abs(self.area.delta_pct) <= self.tolerance_pct


def read_features(path: str | Path) -> gpd.GeoDataFrame:
    """Read a GeoJSON FeatureCollection (or any file GDAL reads) into a GeoDataFrame.

    A GeoJSON FeatureCollection in WGS 84 is split into its features by a vectorised scan of
    its braces and the geometries are parsed by GEOS (``shapely.from_geojson``), which is about
    twice as fast as GDAL's GeoJSON driver on large files; properties are parsed with
    :mod:`json`. Anything else -- other formats, a ``crs`` member, features without an object
    geometry -- is read with pyogrio (through Arrow when pyarrow is installed).

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per feature; EPSG:4326 for GeoJSON.

    Raises
    ------
    LayerError
        If the file cannot be read.
    """
    path = Path(path)
    with timed(log, "read %s", path.name):
        frame = _read_features(path)
    log.log(DETAIL, "%s: %d feature(s), CRS %s", path.name, len(frame), frame.crs)
    return frame


def _read_features(path: Path) -> gpd.GeoDataFrame:
    if path.suffix.lower() in (".geojson", ".json"):
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise LayerError(f"{path}: cannot be read ({exc.strerror}).") from exc
        fast = _split_feature_collection(raw)
        if fast is not None:
            geometry_text, property_text = fast
            frame = gpd.GeoDataFrame(
                [json.loads(p) if p else {} for p in property_text],
                geometry=shapely.from_geojson(geometry_text),
                crs=WGS84,
            )
            return frame
    return _read_with_gdal(path)


def _read_with_gdal(path: Path) -> gpd.GeoDataFrame:
    from ._gdal import read_file

    try:
        import pyarrow  # noqa: F401

        use_arrow = True
    except ImportError:
        use_arrow = False
    # Through the sandbox like every layer: allow-listed formats only, no network (issue #9).
    frame: gpd.GeoDataFrame = read_file(path.resolve(), use_arrow=use_arrow).frame
    return frame


def _split_feature_collection(raw: bytes) -> tuple[list[str], list[bytes]] | None:
    """Geometry and property texts of each feature, or None if the fast path does not apply."""
    buf = np.frombuffer(raw, dtype=np.uint8)
    quotes = np.flatnonzero(buf == _QUOTE)
    if len(quotes) and (buf[quotes[quotes > 0] - 1] == _BACKSLASH).any():
        # Escaped quotes would need a real tokenizer; GDAL does it.
        return None
    braces = np.flatnonzero((buf == _OPEN) | (buf == _CLOSE))
    if len(quotes) % 2 or not len(braces):
        return None
    # A brace after an odd number of quotes sits inside a string.
    braces = braces[np.searchsorted(quotes, braces) % 2 == 0]
    step = np.where(buf[braces] == _OPEN, 1, -1)
    depth = np.cumsum(step)  # depth after each brace
    if depth[-1] != 0 or depth.min() < 0:
        return None
    opens = {d: braces[(step == 1) & (depth == d)] for d in (1, 2, 3)}
    closes = {d: braces[(step == -1) & (depth == d - 1)] for d in (1, 2, 3)}
    if len(opens[1]) != 1 or not len(opens[2]):
        return None
    if b'"FeatureCollection"' not in raw[: int(opens[2][0])]:
        return None
    features = opens[2]
    feature_ends = closes[2]
    for start in features:
        if _key_before(raw, int(start)) is not None:
            return None  # a top-level object such as "crs" or "properties"
    geometry_text: list[str] = []
    property_text: list[bytes] = []
    sub_open, sub_close = opens[3], closes[3]
    first = np.searchsorted(sub_open, features)
    last = np.searchsorted(sub_open, feature_ends)
    for k in range(len(features)):
        geometry: str | None = None
        properties = b""
        for j in range(first[k], last[k]):
            a, b = int(sub_open[j]), int(sub_close[j]) + 1
            key = _key_before(raw, a)
            if key == b"geometry":
                geometry = raw[a:b].decode("utf-8")
            elif key == b"properties":
                properties = raw[a:b]
        if geometry is None:
            return None  # a null or missing geometry
        geometry_text.append(geometry)
        property_text.append(properties)
    return geometry_text, property_text


def _key_before(raw: bytes, pos: int) -> bytes | None:
    """Return the object key whose value starts at ``pos``; None for an array element."""
    head = raw[max(0, pos - 64) : pos].rstrip(_SPACE)
    if not head.endswith(b":"):
        return None
    head = head[:-1].rstrip(_SPACE)
    start = head.rfind(b'"', 0, len(head) - 1)
    return head[start + 1 : -1] if start >= 0 else None


def compose_groups(
    frame: gpd.GeoDataFrame,
    by: str,
    *,
    keep: Sequence[str] = (),
    workers: int | None = None,
) -> gpd.GeoDataFrame:
    """Dissolve units into one polygon per group and measure each group's geodesic area.

    Each group whose units form a valid polygonal coverage (``shapely.coverage_is_valid``: no
    overlaps, neighbours share their vertices exactly) is dissolved with
    ``shapely.coverage_union_all``, which only drops the shared edges and is an order of
    magnitude faster than an overlay union; any other group falls back to
    ``shapely.union_all`` of its (repaired) units. Areas are geodesic on the WGS 84 ellipsoid.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Polygonal units in longitude/latitude (EPSG:4326 or another geographic CRS; a
        projected frame is transformed to EPSG:4326 once).
    by : str
        Column whose values name the groups.
    keep : sequence of str
        Further columns to carry over, with the value of each group's first unit.
    workers : int, optional
        Threads composing groups at once; defaults to the number of CPUs (at most 8). Each
        stage is logged at INFO on ``autocity_gis.batch``, its duration at DETAIL.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per group, sorted by ``by``: ``by``, the ``keep`` columns, ``units`` (count),
        ``method`` (``coverage`` or ``union``), ``area_km2`` and the geometry, in the frame's
        geographic CRS.

    Raises
    ------
    LayerError
        If ``by`` or a ``keep`` column is missing.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> cells = gpd.GeoDataFrame({"g": ["a", "a"]}, crs="EPSG:4326",
    ...     geometry=[shapely.box(125, 43, 125.1, 43.1), shapely.box(125.1, 43, 125.2, 43.1)])
    >>> out = compose_groups(cells, "g")
    >>> out.method.tolist(), round(float(out.area_km2.iloc[0]), 2)
    (['coverage'], 181.03)
    """
    missing = [c for c in (by, *keep) if c not in frame.columns]
    if missing:
        raise LayerError(
            f"The units have no column {missing[0]!r}; they have "
            f"{', '.join(map(str, frame.columns))}."
        )
    if frame.crs is not None and not frame.crs.is_geographic:
        frame = frame.to_crs(WGS84)
    keys = frame[by].to_numpy()
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object)
    codes, labels = _factorize(keys)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(labels) + 1))
    members = [order[bounds[i] : bounds[i + 1]] for i in range(len(labels))]
    # Largest groups first keeps the threads evenly loaded.
    sizes = shapely.get_num_coordinates(geoms)
    schedule = sorted(range(len(labels)), key=lambda i: -int(sizes[members[i]].sum()))
    n_workers = workers or min(os.cpu_count() or 1, 8)
    log.info(
        "composing %d units into %d groups on %d thread(s)", len(geoms), len(labels), n_workers
    )
    results: list[tuple[shapely.Geometry, str]] = [(shapely.Polygon(), "")] * len(labels)
    with timed(log, "composed %d groups", len(labels)), ThreadPoolExecutor(n_workers) as pool:
        for i, result in zip(
            schedule, pool.map(lambda i: _union_group(geoms[members[i]]), schedule), strict=True
        ):
            results[i] = result
    union = np.array([r[0] for r in results], dtype=object)
    log.info("measuring geodesic areas")
    out = gpd.GeoDataFrame({by: labels}, geometry=union, crs=frame.crs or WGS84)
    first = order[bounds[:-1]]
    for column in keep:
        out[column] = frame[column].to_numpy()[first]
    out["units"] = np.diff(bounds)
    out["method"] = [r[1] for r in results]
    out["area_km2"] = fast_geodesic_area_km2(union)
    return out[[by, *keep, "units", "method", "area_km2", "geometry"]]


def _factorize(keys: NDArray[Any]) -> tuple[NDArray[np.intp], list[Any]]:
    labels = sorted(set(keys.tolist()), key=str)
    index = {k: i for i, k in enumerate(labels)}
    return np.fromiter((index[k] for k in keys.tolist()), dtype=np.intp, count=len(keys)), labels


def _union_group(parts: NDArray[np.object_]) -> tuple[shapely.Geometry, str]:
    parts = parts[~shapely.is_missing(parts)]
    if shapely.is_valid(parts).all() and shapely.coverage_is_valid(parts):
        union, method = shapely.coverage_union_all(parts), "coverage"
    else:
        union, method = shapely.union_all(shapely.make_valid(parts)), "union"
    # Exterior rings counter-clockwise, as RFC 7946 asks.
    return shapely.orient_polygons(union), method


def check_groups(
    groups: gpd.GeoDataFrame,
    stated: Mapping[str, float],
    *,
    tolerance_pct: float,
    by: str | None = None,
    name: str | None = None,
    source: str | None = None,
) -> list[GroupCheck]:
    """Compare each group's geodesic area with its stated area.

    Parameters
    ----------
    groups : geopandas.GeoDataFrame
        The result of :func:`compose_groups`.
    stated : mapping of str to float
        Stated area in km² per group key (keys compared as strings); groups without one are
        listed with ``stated_km2=None``.
    tolerance_pct : float
        Allowed relative difference in percent.
    by : str, optional
        The group column; defaults to the first column of ``groups``.
    name : str, optional
        Column with a display name of each group (goes to ``name_zh``).
    source : str, optional
        Where the stated areas come from.

    Returns
    -------
    list of GroupCheck
        One per group, in the order of ``groups``.
    """
    key_column = by or str(groups.columns[0])
    out = []
    for row in groups.itertuples(index=False):
        fields = row._asdict()
        key = str(fields[key_column])
        measured = float(fields["area_km2"])
        figure = stated.get(key)
        value = float(figure) if figure is not None and math.isfinite(float(figure)) else None
        out.append(
            GroupCheck(
                area=ComponentArea(
                    id=key,
                    name_en="",
                    name_zh=str(fields[name]) if name else "",
                    accuracy="official",
                    measured_km2=measured,
                    stated_km2=value,
                    stated_source=source if value is not None else None,
                    delta_pct=(measured - value) / value * 100.0 if value else None,
                    method=str(fields["method"]),
                ),
                tolerance_pct=tolerance_pct,
                units=int(fields["units"]),
            )
        )
    return out


def write_features(
    frame: gpd.GeoDataFrame, target: str | Path, *, columns: Iterable[str] | None = None
) -> Path:
    """Write a GeoDataFrame in EPSG:4326 as a GeoJSON FeatureCollection, atomically.

    Geometries are serialised by GEOS (``shapely.to_geojson``), several times faster than
    GDAL's writer for large polygons, at full coordinate precision.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Longitude/latitude geometries; exterior rings should be counter-clockwise (RFC 7946).
    target : str or Path
        The ``.geojson`` file.
    columns : iterable of str, optional
        Property columns to write; all non-geometry columns by default.

    Returns
    -------
    Path
        ``target``.
    """
    if frame.crs is not None and not frame.crs.equals(WGS84):
        frame = frame.to_crs(WGS84)
    names = [c for c in (columns or frame.columns) if c != frame.geometry.name]
    geometry_text = shapely.to_geojson(np.asarray(frame.geometry.to_numpy(), dtype=object))
    records = frame[names].to_dict("records")
    target = Path(target)
    with atomic_path(target) as tmp, tmp.open("w", encoding="utf-8") as f:
        f.write('{"type":"FeatureCollection","features":[\n')
        for i, (props, geometry) in enumerate(zip(records, geometry_text, strict=True)):
            text = json.dumps(props, ensure_ascii=False, default=_plain)
            f.write(f'{"," if i else ""}{{"type":"Feature","properties":{text},"geometry":')
            f.write("null" if geometry is None else str(geometry))
            f.write("}\n")
        f.write("]}\n")
    return target


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
