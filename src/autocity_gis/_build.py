"""The two halves of :func:`autocity_gis.api.build`: what it will write, and the writing.

What a build writes is settled before any work, so the output policy can vet the names; the
writing itself comes once the check is done.

Data flows one way: the job's composition and report feed the layer tables (computed once),
the map page and the hand-off writers (run side by side), then the reports, which describe the
check and what the outputs made of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import _export as export
from ._facts import HandOffNotes, MapFacts
from ._types import Format
from .api import (
    REPORT_NAMES,
    RecipeLike,
    _draw_map,
    _hand_off_frames,
    _hand_off_names,
    _Job,
    _load,
    _MapOptions,
    _say_map,
    _write_reports,
    log,
    map_name,
    output_stem,
)
from .limits import Limits
from .recipe import Recipe

if TYPE_CHECKING:
    from .webmap import MapOutput


@dataclass(frozen=True)
class BuildPlan:
    """What a build will write, settled before any work: the names the policy vets."""

    recipe: Recipe
    stem: str
    page_name: str
    hand_off: tuple[str, ...]
    names: tuple[str, ...]


def plan_build(
    recipe: RecipeLike,
    limits: Limits | None,
    formats: Sequence[Format] | None,
    crs: str | int | None,
) -> BuildPlan:
    """Settle what a build writes before any work: the recipe, names and hand-off formats."""
    if crs is not None:
        export.output_crs(crs)  # a bad CRS is refused before any work
    loaded = _load(recipe, limits)
    stem = output_stem(loaded)
    page_name = map_name(stem)
    # GeoJSON always: boundary.geojson and components.geojson are the build's own outputs.
    hand_off = tuple(dict.fromkeys([*(formats or export.DEFAULT_FORMATS), "geojson"]))
    names = (page_name, *REPORT_NAMES, *_hand_off_names(hand_off, stem))
    log.debug("outputs: %s", ", ".join(names))
    return BuildPlan(loaded, stem, page_name, hand_off, names)


def write_build(
    job: _Job,
    plan: BuildPlan,
    options: _MapOptions,
    crs: str | int | None,
    gauss_kruger: bool,
) -> tuple[list[Path], MapOutput, MapFacts, HandOffNotes]:
    """Write the map page, the hand-off files and the reports into the job's staging folder.

    Returns
    -------
    tuple
        The files written, the page, the map's facts and the hand-off notes.
    """
    composition, staging, lang = job.composition, job.staging, options.lang
    _say_map(job, options)
    job.say("writing GeoPackage, QGIS project and hand-off formats")
    frames = _hand_off_frames(job)  # once, for every writer
    pages: list[MapOutput] = []
    # The page (mostly Python) is drawn beside the hand-off writers (mostly GDAL and GEOS,
    # which release the GIL), in their thread pool, so both cores work.
    exported = export.export_all(
        composition,
        job.report,
        staging,
        formats=plan.hand_off,
        gauss_kruger=gauss_kruger,
        crs=crs,
        stem=plan.stem,
        lang=lang,
        frames=frames,
        alongside=[lambda: pages.append(_draw_map(job, staging / plan.page_name, options))],
    )
    page = pages[0]
    # The check is done; the reports describe it and what the outputs made of it.
    map_facts = MapFacts(page.simplification, page.bytes)
    notes = HandOffNotes(
        warnings=tuple(export.hand_off_warnings(frames, plan.hand_off)),
        crs=export.hand_off_crs_summary(job.report, plan.hand_off, crs, gauss_kruger=gauss_kruger),
    )
    job.say("writing reports")
    reports = _write_reports(job.report, staging, lang, map_facts, notes, job.overlays)
    return [*reports, page.path, *exported], page, map_facts, notes
