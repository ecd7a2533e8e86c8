"""Running a recipe's overlays after the check, and joining their verdict to it.

Data flows one way: recipe → layers → compose → check → overlays → outputs. This module owns
the "overlays" step: each ``[[overlays]]`` block of the recipe
(:mod:`autocity_gis._recipe_overlays`) is run by the engine of :mod:`autocity_gis.overlays`
against the composed boundary and the components of role ``part``, and the results are carried
beside the :class:`~autocity_gis.validation.ValidationReport` in one :class:`OverlayResults`.
A control line that fails joins the overall verdict: :func:`join_verdict` returns the report
with ``passed`` false (``area_passed`` keeps the area check's own verdict), so every output
that shows the verdict shows the same one.

Layers in GCJ-02 or BD-09 (``datum``) are read whole and shifted to WGS 84 before the engine
sees them, as components are; that needs memory for the whole layer and the local engine.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._errors import InputError
from ._log import timed

if TYPE_CHECKING:
    import geopandas as gpd

    from ._recipe_overlays import OverlayLayer
    from .composition import Composition
    from .overlays import ControlResult, LanduseBalance
    from .recipe import Recipe
    from .validation import ValidationReport

__all__ = ["OverlayResults", "check_overlays", "join_verdict", "run_overlays"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OverlayResults:
    """The overlays of one run, in recipe order.

    Attributes
    ----------
    results : tuple of LanduseBalance or ControlResult
        One per ``[[overlays]]`` block.
    engine : str
        Where the land-use overlays ran (``local`` or ``dask``).
    drawings : tuple of (str, GeoDataFrame)
        Per land-use overlay drawn, its land use merged by first-level class
        (:func:`autocity_gis._overlay_draw.landuse_drawing`); a layer too big to draw has none.
    """

    results: tuple[LanduseBalance | ControlResult, ...] = ()
    engine: str = "local"
    drawings: tuple[tuple[str, gpd.GeoDataFrame], ...] = field(
        default=(), compare=False, repr=False
    )

    @property
    def landuse(self) -> tuple[LanduseBalance, ...]:
        """The land-use balance tables."""
        if not self.results:  # a build without overlays never loads the overlay modules
            return ()
        from .overlays import LanduseBalance

        return tuple(r for r in self.results if isinstance(r, LanduseBalance))

    @property
    def controls(self) -> tuple[ControlResult, ...]:
        """The control-line verdicts."""
        if not self.results:  # a build without overlays never loads the overlay modules
            return ()
        from .overlays import ControlResult

        return tuple(r for r in self.results if isinstance(r, ControlResult))

    @property
    def passed(self) -> bool:
        """True when every control line passed (land use has no verdict)."""
        return all(c.passed for c in self.controls)

    @property
    def failed(self) -> tuple[str, ...]:
        """Ids of the control lines that failed."""
        return tuple(c.id for c in self.controls if not c.passed)

    def to_list(self) -> list[dict[str, Any]]:
        """Return the overlays as report.json holds them under ``overlays``."""
        return [r.to_dict() for r in self.results]

    def conflicts(self) -> gpd.GeoDataFrame:
        """Return every control's conflict polygons in one frame (WGS 84), maybe empty."""
        import geopandas as gpd
        import pandas as pd

        frames = [c.conflicts for c in self.controls if len(c.conflicts)]
        columns = ["overlay", "component", "rule", "area_km2"]
        if not frames:
            return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs="EPSG:4326")
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")


def join_verdict(report: ValidationReport, overlays: OverlayResults) -> ValidationReport:
    """Return the report with a failed control line joined to its overall verdict."""
    if overlays.passed:
        return report
    return dataclasses.replace(report, passed=False, failed_controls=overlays.failed)


def check_overlays(
    recipe: Recipe,
    composition: Composition,
    report: ValidationReport,
    *,
    engine: str | None = None,
    scheduler: str | None = None,
) -> tuple[ValidationReport, OverlayResults]:
    """Run the recipe's overlays after the check and join a failed control to its verdict.

    Parameters
    ----------
    recipe, composition, report
        What :func:`autocity_gis.check` returned.
    engine : {"local", "dask"}, optional
        Where land-use overlays run; the recipe's ``engine`` when None.
    scheduler : str, optional
        ``tcp://HOST:PORT`` of a dask.distributed cluster; the recipe's when None (a local
        cluster is started for the run when neither gives one).

    Returns
    -------
    tuple
        ``(report, overlays)``: the report with ``passed`` false if a control line failed.
    """
    overlays = run_overlays(recipe, composition, engine=engine, scheduler=scheduler)
    return join_verdict(report, overlays), overlays


def run_overlays(
    recipe: Recipe,
    composition: Composition,
    *,
    engine: str | None = None,
    scheduler: str | None = None,
) -> OverlayResults:
    """Run every overlay of ``recipe`` against the composed boundary and its parts.

    Parameters
    ----------
    recipe : Recipe
        The checked recipe; its ``overlays``, ``engine`` and ``scheduler``.
    composition : Composition
        The composed boundary and components (WGS 84).
    engine : {"local", "dask"}, optional
        Overrides the recipe's ``engine`` (``--engine``).
    scheduler : str, optional
        Overrides the recipe's ``scheduler`` (``--scheduler tcp://HOST:PORT``).

    Returns
    -------
    OverlayResults
        Empty when the recipe has no overlays.

    Raises
    ------
    InputError
        For a layer that cannot be read, lacks its class column, or cannot run on the engine.
    """
    chosen = engine or recipe.engine
    address = scheduler if scheduler is not None else recipe.scheduler
    if not recipe.overlays:
        return OverlayResults((), chosen)
    boundary = composition.boundary.geometry.iloc[0]
    comps = composition.components
    parts = comps[comps["role"] == "part"]
    pairs = list(zip(parts["id"].astype(str), parts.geometry, strict=True))
    results, drawings = [], []
    for layer in recipe.overlays:
        with timed(log, "overlay %s (%s)", layer.id, layer.spec.kind):
            result, drawing = _run_one(layer, boundary, pairs, chosen, address)
        results.append(result)
        if drawing is not None:
            drawings.append((layer.id, drawing))
    return OverlayResults(tuple(results), chosen, tuple(drawings))


def _run_one(
    layer: OverlayLayer, boundary: Any, pairs: list[tuple[str, Any]], engine: str, scheduler: Any
) -> tuple[LanduseBalance | ControlResult, gpd.GeoDataFrame | None]:
    """Run one overlay; for land use, also return its drawing (None: a control, or too big)."""
    from ._overlay_draw import landuse_drawing
    from .overlays import control_conflicts, landuse_balance

    spec = layer.spec
    source: Any = layer.frame if layer.frame is not None else layer.path
    crs, flt = spec.crs, spec.filter or None
    if spec.datum not in (None, "WGS84"):
        if engine == "dask" and spec.kind == "landuse":
            raise InputError(
                f"overlay '{spec.id}': a layer in {spec.datum} is shifted to WGS 84 in memory, "
                "which the dask engine cannot take; convert it to WGS 84 GeoParquet first or "
                "use --engine local."
            )
        source, crs, flt = _shifted(source, spec), None, None
    read: dict[str, Any] = {
        "crs": crs,
        "layer_name": None if _is_frame(source) else spec.layer_name,
        "filter": flt,
    }
    common: dict[str, Any] = {
        "boundary": boundary,
        "components": pairs,
        "overlay_id": spec.id,
        **read,
    }
    if spec.kind == "landuse":
        assert spec.class_column is not None and spec.classification is not None
        result = landuse_balance(
            source,
            class_column=spec.class_column,
            classification=spec.classification,
            engine="dask" if engine == "dask" else "local",
            scheduler=scheduler,
            **common,
        )
        drawing = landuse_drawing(
            source, result, boundary, class_column=spec.class_column, read=read
        )
        return result, drawing
    assert spec.rule is not None
    return control_conflicts(source, rule=spec.rule, **common), None


def _is_frame(source: object) -> bool:
    import geopandas as gpd

    return isinstance(source, gpd.GeoDataFrame)


def _shifted(source: Any, spec: Any) -> gpd.GeoDataFrame:
    """Read a GCJ-02/BD-09 layer whole (filtered), shift it to WGS 84, as a frame."""
    import geopandas as gpd
    import numpy as np

    from .datum import convert_geometry
    from .overlays._read import decode, iter_batches
    from .overlays.engine import BATCH_ROWS

    geoms, codes = [], []
    for raw, code, tf in iter_batches(
        source,
        spec.class_column,
        envelope=None,  # the shift moves features by hundreds of metres: no extent filter
        batch_rows=BATCH_ROWS,
        crs=spec.crs,
        layer_name=spec.layer_name,
        flt=spec.filter,
    ):
        geoms.append(decode(raw, tf))
        codes.append(code)
    geom = np.concatenate(geoms) if geoms else np.empty(0, dtype=object)
    shifted = convert_geometry(geom, spec.datum, "WGS84")
    column = spec.class_column or "_none"
    values = np.concatenate(codes) if codes else np.empty(0, dtype=object)
    return gpd.GeoDataFrame({column: values}, geometry=list(shifted), crs="EPSG:4326")
