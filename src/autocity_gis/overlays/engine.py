"""The land-use balance and the control-line conflicts of a composed boundary.

This module owns the two computations of issue 14 and their single-machine engine.
:func:`landuse_balance` streams a parcel layer in bounded batches (:mod:`._read`), cuts each
chunk by the boundary and by every component (:mod:`._kernel`: an STRtree query per chunk,
parcels wholly inside measured without cutting) on a thread pool -- GEOS and numpy release the
GIL, so both cores work -- and adds the partial sums into a :class:`~.results.LanduseBalance`.
``engine="dask"`` runs the same kernel over a partitioned GeoParquet dataset on a Dask cluster
(:mod:`._dask`). :func:`control_conflicts` measures, per component, the overlap with a control
layer that must be avoided (``exclude``) or the part outside one it must lie in (``within``),
and returns the conflict polygons with a verdict.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from .._errors import InputError, LayerError
from ..area import geodesic_area_km2
from ._kernel import NO_CODE, Scopes, chunk_areas, combine
from ._read import Batch, decode, iter_batches, shown
from .classification import Classification, load_classification
from .results import (
    ClassArea,
    ComponentConflict,
    ControlResult,
    LanduseBalance,
    LanduseTable,
)

__all__ = ["ENGINES", "control_conflicts", "landuse_balance"]

ENGINES = ("local", "dask")
#: Rows read per batch: measured, 1e5 and 1e6 parcels then peak within ~10 MB of each other
#: (1 << 16 was 20 % faster but grew by ~50 MB with the count: allocator high-water marks).
BATCH_ROWS = 1 << 14
#: Rows per task of the thread pool: small enough to keep both cores busy on a batch.
CHUNK_ROWS = 1 << 13
#: Conflicts up to 1 m² are round-off of the overlay, not a conflict.
TOLERANCE_KM2 = 1e-6

Components = Mapping[str, Any] | Sequence[tuple[str, Any]]


def _pairs(components: Components) -> list[tuple[str, Any]]:
    items = components.items() if isinstance(components, Mapping) else components
    return [(str(k), g) for k, g in items]


class _ThreadScopes(threading.local):
    """Give each worker thread its own prepared copy of the scopes.

    GEOS builds a prepared geometry's indexes lazily on first use, which is not safe to race on.
    """

    def __init__(self, wkb: NDArray[np.object_], ids: tuple[str, ...]) -> None:
        geoms = shapely.from_wkb(wkb)
        shapely.prepare(geoms)
        self.scopes = Scopes(ids=ids, geoms=geoms)


def landuse_balance(
    parcels: Any,
    *,
    boundary: shapely.Geometry,
    components: Components = (),
    class_column: str,
    classification: str | Classification,
    overlay_id: str = "landuse",
    engine: Literal["local", "dask"] = "local",
    scheduler: Any = None,
    workers: int | None = None,
    crs: Any = None,
    layer_name: str | None = None,
    filter: Mapping[str, Any] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> LanduseBalance:
    """Compute the land-use balance table of the composed boundary and of each component.

    Parameters
    ----------
    parcels : GeoDataFrame, str or Path
        The parcels: a frame, a GeoParquet file, a folder of GeoParquet files (one
        partitioned dataset; required for ``engine="dask"``), or any layer file GDAL reads.
    boundary : shapely geometry
        The composed boundary, WGS 84 longitude/latitude.
    components : mapping or sequence of (id, geometry)
        The components, WGS 84.
    class_column : str
        The column of class codes.
    classification : str or Classification
        ``"gbt21010-2017"``, ``"tdt1055-2019"`` or ``"mnr-2023"`` (or a loaded table).
    overlay_id : str
        The overlay's id, carried into the result.
    engine : {"local", "dask"}
        This machine (threads over chunks) or a Dask cluster.
    scheduler : str or distributed.Client, optional
        For ``engine="dask"``: a scheduler address (``tcp://host:8786``) or a client; by
        default a local cluster of two worker processes is started for the run.
    workers : int, optional
        Threads of the local engine (default: the CPU count).
    crs : optional
        The parcels' CRS where the layer does not carry one.
    layer_name : str, optional
        The layer of a multi-layer file.
    filter : mapping, optional
        Attribute filter, as a recipe's ``filter``: column → value or list of accepted values
        (compared as text); only matching parcels count.
    batch_rows : int
        Rows read at a time (the memory bound).

    Returns
    -------
    LanduseBalance
        Per class km², 公顷 and share of the boundary and of each component, the first- and
        second-level roll-ups, codes not in the table, and the unclassified remainder: classes
        + remainder equal the scope's geodesic area.

    Raises
    ------
    InputError
        If the engine is unknown, or (as :class:`~autocity_gis._errors.LayerError`) the
        layer cannot be read or lacks the class column.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> parcels = gpd.GeoDataFrame({"DLBM": ["0101", "0701"]}, crs="EPSG:4326", geometry=[
    ...     shapely.box(125.0, 44.0, 125.01, 44.01), shapely.box(125.01, 44.0, 125.02, 44.01)])
    >>> result = landuse_balance(parcels, boundary=shapely.box(125.0, 44.0, 125.015, 44.01),
    ...                          class_column="DLBM", classification="gbt21010-2017")
    >>> [(c.code, round(c.share_pct, 1)) for c in result.boundary.classes]
    [('0101', 66.7), ('0701', 33.3)]
    """
    table = (
        classification
        if isinstance(classification, Classification)
        else load_classification(classification)
    )
    scopes = Scopes.build(boundary, _pairs(components))
    read = {"crs": crs, "layer_name": layer_name, "flt": filter, "batch_rows": batch_rows}
    parts, count = _partials(parcels, class_column, scopes, engine, scheduler, workers, read)
    if filter and count == 0:
        raise _no_match(parcels, filter)
    return _balance(overlay_id, table, scopes, combine(parts), engine, count)


def _local_partials(
    batches: Iterable[Batch],
    scopes: Scopes,
    workers: int | None,
) -> tuple[list[pd.DataFrame], int]:
    workers = workers or os.cpu_count() or 1
    local = _ThreadScopes(shapely.to_wkb(scopes.geoms), scopes.ids)

    def task(raw: NDArray[np.object_], codes: NDArray[np.object_], tf: Any) -> pd.DataFrame:
        return chunk_areas(decode(raw, tf), codes, local.scopes)

    parts: list[pd.DataFrame] = []
    count = 0
    # At most two chunks per thread wait in the queue, so memory stays flat however many
    # parcels the layer holds.
    pending: deque[Future[pd.DataFrame]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="overlay") as pool:
        for raw, codes, tf in batches:
            count += len(raw)
            for a in range(0, len(raw), CHUNK_ROWS):
                sl = slice(a, a + CHUNK_ROWS)
                pending.append(pool.submit(task, raw[sl], codes[sl], tf))
                while len(pending) > 2 * workers:
                    parts.append(pending.popleft().result())
        parts.extend(f.result() for f in pending)
    return parts, count


def _rolled_up(
    by_code: dict[str, float],
    known: list[str],
    up: Callable[[str], str | None],
    order: dict[str, int],
) -> list[tuple[str, float]]:
    """Sum the areas of ``known`` codes into the class ``up`` gives each (skipped if None).

    Returns ``(code, km²)`` pairs in the standard's order.
    """
    sums: dict[str, float] = {}
    for code in known:
        target = up(code)
        if target is not None:
            sums[target] = sums.get(target, 0.0) + by_code[code]
    return [(c, sums[c]) for c in sorted(sums, key=order.__getitem__)]


def _balance(
    overlay_id: str,
    table: Classification,
    scopes: Scopes,
    totals: dict[tuple[int, str], float],
    engine: str,
    count: int,
) -> LanduseBalance:
    areas = np.asarray(geodesic_area_km2(scopes.geoms), dtype=np.float64)
    order = {c.code: i for i, c in enumerate(table.classes)}
    tables = []
    for s, ident in enumerate(scopes.ids):
        area = float(areas[s])
        by_code = {code: km2 for (scope, code), km2 in totals.items() if scope == s}
        known = sorted((c for c in by_code if c in table), key=order.__getitem__)
        unknown = sorted(c for c in by_code if c not in table and c != NO_CODE)

        def row(code: str, km2: float, area: float = area) -> ClassArea:
            cls = table.get(code)
            return ClassArea(
                code=code,
                name_zh=None if cls is None else cls.name_zh,
                name_en=None if cls is None else cls.name_en,
                level=None if cls is None else cls.level,
                area_km2=km2,
                share_pct=100.0 * km2 / area if area > 0 else 0.0,
            )

        level1, level2 = (
            tuple(row(c, km2) for c, km2 in _rolled_up(by_code, known, up, order))
            for up in (table.first_level, table.second_level)
        )
        classified = sum(by_code[c] for c in known)
        tables.append(
            LanduseTable(
                id=ident,
                area_km2=area,
                classes=tuple(row(c, by_code[c]) for c in known),
                level1=level1,
                level2=level2,
                unknown_codes=tuple(row(c, by_code[c]) for c in unknown),
                no_code_km2=by_code.get(NO_CODE, 0.0),
                unclassified_km2=area - classified,
            )
        )
    return LanduseBalance(
        id=overlay_id,
        classification=table.key,
        boundary=tables[0],
        per_component=tuple(tables[1:]),
        engine=engine,
        parcels_read=count,
    )


def _partials(
    parcels: Any,
    class_column: str,
    scopes: Scopes,
    engine: str,
    scheduler: Any,
    workers: int | None,
    read: dict[str, Any],
) -> tuple[Any, int]:
    """Per-class partial sums of every scope from ``engine``, and the parcels counted."""
    if engine == "dask":
        from ._dask import dask_partials

        return dask_partials(
            parcels, class_column, scopes, scheduler=scheduler, crs=read["crs"], flt=read["flt"]
        )
    if engine == "local":
        batches = iter_batches(parcels, class_column, envelope=scopes.envelope, **read)
        return _local_partials(batches, scopes, workers)
    raise InputError(f"The engine '{shown(engine)}' is not one of {', '.join(ENGINES)}.")


def control_conflicts(
    control: Any,
    *,
    boundary: shapely.Geometry,
    components: Components,
    rule: Literal["exclude", "within"],
    overlay_id: str = "control",
    tolerance_km2: float = TOLERANCE_KM2,
    workers: int | None = None,
    crs: Any = None,
    layer_name: str | None = None,
    filter: Mapping[str, Any] | None = None,
) -> ControlResult:
    """Measure the conflicts of the composed boundary and each component with a control line.

    Parameters
    ----------
    control : GeoDataFrame, str or Path
        The control layer (永久基本农田, 生态保护红线, 城镇开发边界 ...); its polygons may overlap
        (they are unioned inside each component, so nothing is counted twice).
    boundary, components
        As for :func:`landuse_balance`.
    rule : {"exclude", "within"}
        ``exclude``: a component must not overlap the layer, the conflict is the overlap;
        ``within``: a component must lie inside it, the conflict is the part outside.
    overlay_id : str
        The overlay's id.
    tolerance_km2 : float
        Conflicts up to this area pass (default 1 m²: round-off, not an allowance).
    workers : int, optional
        Threads (default: the CPU count).
    crs, layer_name, filter
        As for :func:`landuse_balance`.

    Returns
    -------
    ControlResult
        Conflict km² of the boundary and per component, the conflict polygons, the verdict.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> farmland = gpd.GeoDataFrame(geometry=[shapely.box(125.0, 44.0, 125.01, 44.01)],
    ...                             crs="EPSG:4326")
    >>> site = shapely.box(125.005, 44.0, 125.02, 44.01)
    >>> r = control_conflicts(farmland, boundary=site, components={"a": site}, rule="exclude")
    >>> r.passed, round(r.per_component[0].conflict_km2, 3)
    (False, 0.446)
    """
    if rule not in ("exclude", "within"):
        raise InputError(f"The control rule '{shown(rule)}' is not one of exclude, within.")
    scopes = Scopes.build(boundary, _pairs(components))
    read = {"crs": crs, "layer_name": layer_name, "flt": filter, "batch_rows": BATCH_ROWS}
    layer = _control_polygons(control, scopes, read)
    if filter and len(layer) == 0:
        raise _no_match(control, filter)
    tree = shapely.STRtree(layer)
    hits = [tree.query(g, predicate="intersects") for g in scopes.geoms]
    wkb = shapely.to_wkb(scopes.geoms)

    def conflict(s: int) -> shapely.Geometry:
        scope = shapely.from_wkb(wkb[s])
        inside = shapely.union_all(shapely.intersection(layer[hits[s]], scope))
        found = inside if rule == "exclude" else shapely.difference(scope, inside)
        return _polygonal(found)

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        found = list(pool.map(conflict, range(len(scopes.ids))))
    return _control_result(overlay_id, rule, scopes, found, tolerance_km2)


def _control_polygons(control: Any, scopes: Scopes, read: dict[str, Any]) -> NDArray[np.object_]:
    """Return the control polygons near the scopes in WGS 84 (missing and empty ones left out)."""
    polys: list[NDArray[np.object_]] = []
    for raw, _, tf in iter_batches(control, None, envelope=scopes.envelope, **read):
        geoms = decode(raw, tf)
        polys.append(geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))])
    return np.concatenate(polys) if polys else np.empty(0, dtype=object)


def _control_result(
    overlay_id: str,
    rule: Literal["exclude", "within"],
    scopes: Scopes,
    found: list[shapely.Geometry],
    tolerance_km2: float,
) -> ControlResult:
    """Measure the conflicts found per scope and return the verdict with its polygons."""
    km2 = np.asarray(geodesic_area_km2(np.array(found, dtype=object)), dtype=np.float64)
    per_component = tuple(
        ComponentConflict(
            id=ident, conflict_km2=float(km2[i]), passed=bool(km2[i] <= tolerance_km2)
        )
        for i, ident in enumerate(scopes.ids)
        if i > 0
    )
    rows = [i for i in range(1, len(scopes.ids)) if km2[i] > 0.0]
    frame = gpd.GeoDataFrame(
        {
            "overlay": [overlay_id] * len(rows),
            "component": [scopes.ids[i] for i in rows],
            "rule": [rule] * len(rows),
            "area_km2": [float(km2[i]) for i in rows],
        },
        geometry=[found[i] for i in rows],
        crs="EPSG:4326",
    )
    return ControlResult(
        id=overlay_id,
        rule=rule,
        conflict_km2=float(km2[0]),
        per_component=per_component,
        tolerance_km2=tolerance_km2,
        conflicts=frame,
    )


def _no_match(source: Any, flt: Mapping[str, Any]) -> LayerError:
    where = "the frame" if isinstance(source, gpd.GeoDataFrame) else shown(source, 120)
    said = ", ".join(f"{shown(k, 30)} = {shown(v, 40)}" for k, v in flt.items())
    return LayerError(f"{where}: no feature within the site's extent matches the filter {said}.")


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep the polygonal parts of an overlay result (touching edges leave lines and points)."""
    parts = shapely.get_parts(geom)
    polys = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
    if len(polys) == 0:
        return shapely.MultiPolygon()
    return shapely.multipolygons(shapely.get_parts(polys))
