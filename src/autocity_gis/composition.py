"""Composition: the union of the components into one boundary, with its diagnostics.

This module owns the step from a recipe to a :class:`Composition`: it reads each layer once,
builds one row per component, and hands the geometry to
:func:`autocity_gis._union.compose_geometries`, which works in a local Lambert azimuthal
equal-area projection centred on the data, so that tolerances are metres. When the parts
already form a valid polygonal coverage (edge-matched, no overlaps) the boundary is their
coverage union, which is exact and fast. Otherwise they are first cleaned as a coverage
(GEOS ``CoverageCleaner``: vertices within the snap tolerance are snapped together, gaps
narrower than it are closed, overlaps are assigned to one neighbour), so that digitising slivers
never survive as hairline holes or spikes. Real overlaps and gaps -- wider than the tolerance --
are measured on the input and reported, not hidden.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from ._diagnostics import DEFAULT_GAP_WIDTH_M
from ._errors import InputError
from ._log import DETAIL, say_to, step
from ._memory import give_back
from ._text import for_utf8
from ._types import ACCURACY_CLASSES
from ._union import Diagnostic, GeometryResult, compose_geometries, union_groups
from .area import fast_geodesic_area_km2 as geodesic_area_km2  # vectorised Karney, same to 1e-9
from .layers import WGS84, Layer, ReadCache, borders_of, read_layer
from .limits import Limits
from .limits import current as current_limits
from .recipe import ComponentSpec, LayerSource, Recipe, block_value

__all__ = [
    "ACCURACY_CLASSES",
    "COMPONENT_COLUMNS",
    "CONTEXT_COLUMNS",
    "Composition",
    "Diagnostic",
    "GeometryResult",
    "compose",
    "compose_geometries",
    "diagnostic_frame",
    "diagnostic_warnings",
    "finite_or_none",
]

log = logging.getLogger(__name__)

#: Attributes every component carries, with the value used when a layer lacks them.
COMPONENT_COLUMNS: dict[str, str] = {
    "kind": "",
    "parent_adcode": "",
    "accuracy": "user-supplied",
    "method": "as supplied",
    "source": "",
    "datum": "",
    "date": "",
}
CONTEXT_COLUMNS = ("adcode", "name_zh", "name_en", "accuracy", "source", "datum", "date")


@dataclass(frozen=True)
class Composition:
    """The composed boundary and everything needed to draw and check it.

    All frames are in EPSG:4326 (WGS 84 longitude/latitude).

    Attributes
    ----------
    name_en, name_zh : str
        Name of the composed area.
    components : geopandas.GeoDataFrame
        One row per component with geometry, in recipe order. Columns: ``id``, ``name_zh``,
        ``name_en``, ``role``, ``kind``, ``parent_adcode``, ``stated_area_km2``,
        ``stated_area_source``, ``accuracy`` (``official``/``estimated``/``user-supplied``),
        ``method``, ``source``, ``datum`` (of the source data), ``date``, ``measured_km2``.
    boundary : geopandas.GeoDataFrame
        One row: ``id``, ``name_zh``, ``name_en``, ``area_km2``, ``geometry``.
    overlaps : geopandas.GeoDataFrame
        Areas shared by two parts: ``a``, ``b``, ``area_km2``, ``width_m`` (widest point),
        ``lon``, ``lat`` (a point inside it), ``geometry``.
    gaps : geopandas.GeoDataFrame
        Areas between parts narrower than ``gap_width_m``, enclosed or open to the outer edge
        (see :mod:`autocity_gis._diagnostics`): ``id`` (``gap1``, ...), ``area_km2``,
        ``width_m``, ``between`` (ids of the parts around it, ``", "``-separated),
        ``enclosed`` (bool), ``lon``, ``lat``, ``geometry``. Never an area a subtracted
        component covers.
    context : geopandas.GeoDataFrame
        Administrative units drawn for orientation: ``adcode``, ``name_zh``, ``name_en``,
        ``accuracy``, ``source``, ``datum``, ``date``. May be empty.
    method : str
        ``coverage`` (the parts formed a valid coverage), ``cleaned`` (they were cleaned as a
        coverage first) or ``overlay`` (plain union, when cleaning failed).
    snap_tolerance_m : float
        Vertex snapping distance used before the union.
    warnings : tuple of str
        Repairs made on the way.
    subtracted : geopandas.GeoDataFrame
        One row per component of role ``subtract``: ``id``, ``name_zh``, ``name_en``,
        ``area_km2`` (the whole zone), ``removed_km2`` (the share of it that lay inside the
        parts and was cut out), ``inside_pct`` (that share in percent), ``lon``, ``lat``,
        ``geometry`` (the whole zone).
    holes : geopandas.GeoDataFrame
        Holes the data really have: enclosed areas no part covers that are a hole in one
        part's own polygon or wider than ``gap_width_m``: ``id`` (``hole1``, ...),
        ``area_km2``, ``width_m``, ``within`` (ids of the parts around it), ``lon``, ``lat``,
        ``geometry``.
    gap_width_m : float
        Gaps between parts narrower than this are reported (recipe ``[city] gap_width_m``).
    parts_union_km2 : float or None
        Geodesic area of the union of the parts, before anything is subtracted (None when
        the composition was built without it).
    removed_km2 : float
        Geodesic area cut out of that union by the subtracted components together.
    """

    name_en: str
    name_zh: str
    components: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame
    overlaps: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    context: gpd.GeoDataFrame
    method: str
    snap_tolerance_m: float
    warnings: tuple[str, ...] = field(default_factory=tuple)
    subtracted: gpd.GeoDataFrame = field(default_factory=lambda: _empty_subtracted())
    holes: gpd.GeoDataFrame = field(default_factory=lambda: _empty_holes())
    gap_width_m: float = DEFAULT_GAP_WIDTH_M
    parts_union_km2: float | None = None
    removed_km2: float = 0.0

    def __repr__(self) -> str:
        from ._repr import composition_repr

        return composition_repr(self)


def compose(recipe: Recipe, *, limits: Limits | None = None) -> Composition:
    """Load the recipe's layers and compose its boundary.

    Each step that reads files or computes is logged at INFO on the ``autocity_gis.composition``
    logger; each file read, with its CRS and feature count, and each step's duration at
    :data:`autocity_gis._log.DETAIL` (see :mod:`autocity_gis._log`).

    Parameters
    ----------
    recipe : Recipe
        What to compose (see :func:`autocity_gis.recipe.load_recipe`).
    limits : Limits, optional
        Resource limits for the layers (see :class:`autocity_gis.limits.Limits`); when
        omitted, the defaults as raised by ``AUTOCITY_GIS_MAX_…`` variables.

    Returns
    -------
    Composition
        Components, boundary, overlaps, gaps and context, in EPSG:4326.

    Raises
    ------
    autocity_gis.InputError
        If a layer cannot be read or a feature is unusable, or the subtracted components
        cover every part.
    """
    loader = _Loader(recipe, limits)
    context = loader.context()
    components = loader.components()
    warnings = loader.warnings
    with step(log, "composing %d parts", int((components.role == "part").sum())):
        try:
            result = compose_geometries(
                components.geometry.to_numpy(),
                ids=components["id"].tolist(),
                roles=components["role"].tolist(),
                snap_tolerance_m=recipe.snap_tolerance_m,
                gap_width_m=recipe.gap_width_m,
            )
        except InputError as exc:  # the subtracted components cover every part
            raise InputError(f"{recipe.path}: {exc}") from exc
    if len(components) >= _LARGE_JOB:
        give_back()  # the local copies the composition made, freed (see _memory)
    found = (result.method, len(result.overlaps), len(result.gaps))
    log.log(DETAIL, "union by %s: %d overlap(s), %d gap(s)", *found)
    warnings.extend(result.warnings)
    overlaps = _overlap_frame(result)
    gaps = diagnostic_frame(result.gap_details, "gap")
    warnings.extend(diagnostic_warnings(overlaps, gaps, recipe.gap_width_m))
    boundary = _boundary_frame(recipe, result)
    return Composition(
        name_en=recipe.name_en,
        name_zh=recipe.name_zh,
        components=components,
        boundary=boundary,
        overlaps=overlaps,
        gaps=gaps,
        context=context,
        method=result.method,
        snap_tolerance_m=recipe.snap_tolerance_m,
        warnings=tuple(warnings),
        subtracted=_subtracted_frame(components, result),
        holes=diagnostic_frame(result.holes, "hole"),
        gap_width_m=recipe.gap_width_m,
        parts_union_km2=_parts_union_km2(result, boundary),
        removed_km2=(
            float(geodesic_area_km2(result.removed)) if result.removed is not None else 0.0
        ),
    )


#: Components from which the memory the composition freed is handed back at once.
_LARGE_JOB = 20


class _Loader:
    """Reads a recipe's layers, each file once, into the context and components frames."""

    def __init__(self, recipe: Recipe, limits: Limits | None) -> None:
        self.recipe = recipe
        self.limits = limits
        self.warnings: list[str] = []
        self.borders: BaseGeometry | None = None
        # Each file is read once however many components it feeds; the layers a recipe read
        # for its whole-layer blocks are not read again (their values made the components).
        self.cache = ReadCache(dict(recipe.reads))
        # Reads of each file still to come: at the last one its raw read is dropped.
        self.uses = Counter(ReadCache.key(s) for s in _reads_of(recipe))

    def read(self, source: LayerSource, *, borders: BaseGeometry | None = None) -> Layer:
        """Read one layer, logging the file's CRS, datum, feature count and read time."""
        start = time.perf_counter()
        # The environment's limits are read at the first read, not at every component's.
        self.limits = current_limits(self.limits)
        layer = read_layer(
            source,
            context_borders=borders,
            limits=self.limits,
            progress=say_to(log),
            cache=self.cache,
        )
        elapsed = time.perf_counter() - start
        self.uses[ReadCache.key(source)] -= 1
        if self.uses[ReadCache.key(source)] <= 0:
            # The recipe lives as long as the job, and its read held the whole layer (the
            # country job's 2,875 counties, ~150 MB) through the composition, the job's peak;
            # composing the same recipe again reads the file again.
            self.cache.forget(source)
            ReadCache(self.recipe.reads).forget(source)
        what = (len(layer.frame), layer.source_crs, layer.source_datum, elapsed)
        text = "read %s: %d feature(s) selected, CRS %s, datum %s, %.2f s"
        log.log(DETAIL, text, source.label, *what)
        self.warnings.extend(layer.warnings)
        return layer

    def context(self) -> gpd.GeoDataFrame:
        """Return the context units (empty without ``[context]``); their borders are kept."""
        source = self.recipe.context
        if source is None:
            return _empty_frame(list(CONTEXT_COLUMNS))
        log.info("loading context units from %s", source.label)
        layer = self.read(source)
        self.borders = borders_of(layer)
        return _context_frame(layer.frame, layer.source_datum)

    def components(self) -> gpd.GeoDataFrame:
        """Return one row per component with a layer, in recipe order, areas measured."""
        rows = []
        blocks: dict[int, dict[str, tuple[Layer, gpd.GeoDataFrame]]] = {}
        for spec in self.recipe.components:
            if spec.source is None:
                continue
            if spec.block is None:
                log.info("loading %s from %s", spec.id, spec.source.label)
                layer = self.read(spec.source, borders=self.borders)
                rows.append(_component_row(spec, layer, layer.frame, self.warnings))
                continue
            if spec.block.index not in blocks:
                blocks[spec.block.index] = self.block(spec)
                give_back()  # the block's features, merged now, are freed (see _memory)
            layer, part = blocks[spec.block.index][spec.block.value]
            # union_groups' unions are valid: no second validity check (0.09 s on 34 provinces)
            rows.append(_component_row(spec, layer, part, self.warnings, valid=True))
        components = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
        components["measured_km2"] = geodesic_area_km2(components.geometry.to_numpy())
        if log.isEnabledFor(logging.DEBUG):
            for row in components[["id", "role", "accuracy", "measured_km2"]].itertuples():
                log.debug("component %s (%s, %s): %.4f km²", *row[1:])
        return components

    def block(self, spec: ComponentSpec) -> dict[str, tuple[Layer, gpd.GeoDataFrame]]:
        """Load a whole-layer block once and split it by its id column: value → (layer, rows)."""
        assert spec.source is not None and spec.block is not None
        index = spec.block.index
        count = sum(1 for c in self.recipe.components if c.block and c.block.index == index)
        label, column = spec.source.label, spec.block.id_column
        log.info("loading %d components from %s (%s)", count, label, column)
        layer = self.read(spec.source, borders=self.borders)
        frame = layer.frame
        keys = pd.Series(
            [block_value(v) for v in frame[spec.block.id_column].tolist()], index=frame.index
        )
        parts = {str(value): frame.loc[rows.index] for value, rows in keys.groupby(keys)}
        # Each value's features merged once, the values on every core (see union_groups);
        # the first row carries the attributes, as _component_row reads them.
        unions = union_groups([p.geometry.to_numpy() for p in parts.values()])
        # The rows keep the layer's CRS, datum and notes, not its features: those are freed.
        header = replace(layer, frame=frame.iloc[:0].copy())  # a slice would keep them
        return {
            value: (header, p.iloc[:1].set_geometry([union], crs=p.crs))
            for (value, p), union in zip(parts.items(), unions, strict=True)
        }


def _reads_of(recipe: Recipe) -> list[LayerSource]:
    """Return the layer reads :class:`_Loader` makes: context, components, one per block."""
    out = [recipe.context] if recipe.context is not None else []
    seen: set[int] = set()
    for spec in recipe.components:
        if spec.source is None or (spec.block is not None and spec.block.index in seen):
            continue
        if spec.block is not None:
            seen.add(spec.block.index)
        out.append(spec.source)
    return out


def _parts_union_km2(result: GeometryResult, boundary: gpd.GeoDataFrame) -> float | None:
    """Return the parts' union's area; nothing subtracted, it is the boundary's, measured."""
    if result.parts_union is None:
        return None
    if result.parts_union is result.boundary:
        return float(boundary["area_km2"].iloc[0])
    return float(geodesic_area_km2(result.parts_union))


def _boundary_frame(recipe: Recipe, result: GeometryResult) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": [recipe.id],
            "name_zh": [_text(recipe.name_zh)],
            "name_en": [_text(recipe.name_en)],
            "area_km2": [float(geodesic_area_km2(result.boundary))],
        },
        geometry=[result.boundary],
        crs=WGS84,
    )


def _overlap_frame(result: GeometryResult) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "a": [o[0] for o in result.overlaps],
            "b": [o[1] for o in result.overlaps],
            "area_km2": geodesic_area_km2(np.array([o[2] for o in result.overlaps], dtype=object)),
            "width_m": [d.width_m for d in result.overlap_details],
            "lon": [d.lon for d in result.overlap_details],
            "lat": [d.lat for d in result.overlap_details],
        },
        geometry=[o[2] for o in result.overlaps],
        crs=WGS84,
    )


#: Overlaps and gaps named one by one in the warnings; the rest are counted.
WARNED_ITEMS = 10


def diagnostic_warnings(
    overlaps: gpd.GeoDataFrame, gaps: gpd.GeoDataFrame, gap_width_m: float
) -> list[str]:
    """Return one warning per overlap and per gap (at most :data:`WARNED_ITEMS` of each).

    Overlaps and gaps do not fail the area check by themselves; they are digitising defects a
    person should look at, so each is named with its parts, area, width and location.
    """
    out = []
    for o in overlaps.head(WARNED_ITEMS).itertuples(index=False):
        out.append(
            f"components '{o.a}' and '{o.b}' overlap by {o.area_km2:.4f} km² (widest "
            f"{o.width_m:.1f} m) at {o.lon:.5f}, {o.lat:.5f}; the area is counted once."
        )
    if len(overlaps) > WARNED_ITEMS:
        out.append(f"and {len(overlaps) - WARNED_ITEMS} more overlap(s): see the overlaps layer.")
    for g in gaps.head(WARNED_ITEMS).itertuples(index=False):
        around = " and ".join(f"'{i}'" for i in str(g.between).split(", ") if i)
        where = "enclosed" if g.enclosed else "open to the outer edge"
        out.append(
            f"{g.id}: a gap of {g.area_km2:.4f} km² ({g.width_m:.1f} m wide, {where}) between "
            f"{around} at {g.lon:.5f}, {g.lat:.5f}, narrower than gap_width_m = "
            f"{gap_width_m:g} m; check the digitising."
        )
    if len(gaps) > WARNED_ITEMS:
        out.append(f"and {len(gaps) - WARNED_ITEMS} more gap(s): see the gaps layer.")
    return out


def diagnostic_frame(details: tuple[Diagnostic, ...], prefix: str) -> gpd.GeoDataFrame:
    """Return gaps (``prefix="gap"``) or holes (``"hole"``) as a frame, as in Composition."""
    column = "between" if prefix == "gap" else "within"
    data: dict[str, Any] = {
        "id": [f"{prefix}{n}" for n in range(1, len(details) + 1)],
        "area_km2": geodesic_area_km2(np.array([d.geometry for d in details], dtype=object)),
        "width_m": [d.width_m for d in details],
        column: [", ".join(d.between) for d in details],
    }
    if prefix == "gap":
        data["enclosed"] = pd.Series([d.enclosed for d in details], dtype=bool)
    data["lon"] = [d.lon for d in details]
    data["lat"] = [d.lat for d in details]
    return gpd.GeoDataFrame(data, geometry=[d.geometry for d in details], crs=WGS84)


def _subtracted_frame(components: gpd.GeoDataFrame, result: GeometryResult) -> gpd.GeoDataFrame:
    cut = components[components["role"] == "subtract"]
    if cut.empty:
        return _empty_subtracted()
    removed = {cid: geom for cid, geom in result.removed_by}
    removed_km2 = [
        float(geodesic_area_km2(removed[cid])) if cid in removed else 0.0 for cid in cut["id"]
    ]
    area = cut["measured_km2"].astype(float).to_numpy()
    points = [g.representative_point() for g in cut.geometry]
    return gpd.GeoDataFrame(
        {
            "id": cut["id"].to_numpy(),
            "name_zh": cut["name_zh"].to_numpy(),
            "name_en": cut["name_en"].to_numpy(),
            "area_km2": area,
            "removed_km2": removed_km2,
            "inside_pct": [
                r / a * 100.0 if a > 0 else 0.0 for r, a in zip(removed_km2, area, strict=True)
            ],
            "lon": [p.x for p in points],
            "lat": [p.y for p in points],
        },
        geometry=cut.geometry.to_numpy(),
        crs=WGS84,
    )


def _empty_subtracted() -> gpd.GeoDataFrame:
    frame = _empty_frame(["id", "name_zh", "name_en"])
    for column in ("area_km2", "removed_km2", "inside_pct", "lon", "lat"):
        frame[column] = pd.Series(dtype=float)
    return frame


def _empty_holes() -> gpd.GeoDataFrame:
    return diagnostic_frame((), "hole")


def _component_row(
    spec: ComponentSpec,
    layer: Layer,
    frame: gpd.GeoDataFrame,
    warnings: list[str],
    *,
    valid: bool = False,
) -> dict[str, Any]:
    """One component's row of the components frame, from its selected features.

    ``valid``: the frame is one geometry known to be valid (``make_valid`` would copy it).
    """
    assert spec.source is not None
    geoms = frame.geometry.to_numpy()
    geom = geoms[0] if len(geoms) == 1 else shapely.union_all(geoms)
    first = _first_row(frame)
    label = spec.source.label
    row: dict[str, Any] = {
        "id": spec.id,
        "name_zh": spec.name_zh or _text(first.get("name_zh")),
        "name_en": spec.name_en,
        "role": spec.role,
    }
    for column, default in COMPONENT_COLUMNS.items():
        row[column] = _text(first.get(column)) or default
    if not _text(first.get("datum")):
        row["datum"] = layer.source_datum if layer.source_datum != "WGS84" else layer.source_crs
    if not _text(first.get("source")):
        row["source"] = label
    if row["accuracy"] not in ACCURACY_CLASSES:
        warnings.append(
            f"{label}: component '{spec.id}' has accuracy "
            f"'{row['accuracy']}', not one of {', '.join(ACCURACY_CLASSES)}; treated as "
            "user-supplied."
        )
        row["accuracy"] = "user-supplied"
    stated = spec.stated_area_km2
    stated_source = spec.stated_area_source
    if (
        spec.block is None
        and stated is None
        and finite_or_none(first.get("stated_area_km2")) is not None
    ):
        stated = finite_or_none(first.get("stated_area_km2"))
        stated_source = _text(first.get("stated_area_source")) or label
    row["stated_area_km2"] = stated
    row["stated_area_source"] = stated_source or ""
    row["source_crs"] = layer.source_crs  # for the plane area in the layer's own CRS
    row["geometry"] = shapely.orient_polygons(
        geom if valid and len(geoms) == 1 else shapely.make_valid(geom)
    )
    # Text stays data, except what no UTF-8 file -- nor pandas' Arrow-backed strings, with
    # pyarrow installed -- can hold: lone surrogates (only a Python caller can pass them).
    return {k: for_utf8(v) if isinstance(v, str) else v for k, v in row.items()}


def _first_row(frame: gpd.GeoDataFrame) -> Any:
    """Return the first row's cells by column (a dict: Series.get costs ~8 µs a look-up)."""
    row = frame.iloc[0]
    if not row.index.is_unique:
        return row
    return dict(zip(row.index, row.to_numpy(), strict=True))


def _context_frame(frame: gpd.GeoDataFrame, datum: str) -> gpd.GeoDataFrame:
    out = gpd.GeoDataFrame(geometry=frame.geometry.to_numpy(), crs=WGS84)
    for column in CONTEXT_COLUMNS:
        if column in frame.columns:
            out[column] = [_text(v) for v in frame[column]]
        else:
            out[column] = "official" if column == "accuracy" else ""
    if "datum" not in frame.columns:
        out["datum"] = datum
    return out[[*CONTEXT_COLUMNS, "geometry"]]


def _empty_frame(columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: pd.Series(dtype=str) for c in columns}, geometry=[], crs=WGS84)


def _text(value: Any) -> str:
    """Return a cell as text: empty for missing, lone surrogates shown as their escapes."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return for_utf8(str(value))


def finite_or_none(value: Any) -> float | None:
    """Return ``value`` as a finite float, or None for missing, NaN or non-numeric values."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None
