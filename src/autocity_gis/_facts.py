"""What a build's outputs add to the area check: the web map's facts and the hand-off notes.

The check (:class:`~autocity_gis.validation.ValidationReport`) is made before any output is
written and knows nothing of them. :class:`~autocity_gis.api.BuildResult` carries the three side
by side, and ``report.md`` and ``report.json`` are rendered from there
(:func:`autocity_gis.report.to_markdown`, :func:`autocity_gis.report.to_dict`), so data only
ever flows forward: check, then outputs, then the reports that describe both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._export import HandOffCRS


@dataclass(frozen=True)
class LayerSimplification:
    """How one web layer was simplified.

    Attributes
    ----------
    layer : str
        Layer name (untranslated id: ``boundary``, ``context``, or a component id).
    tolerance_m : float
        ``coverage_simplify`` tolerance in metres (0: drawn at full resolution).
    max_area_change_pct : float
        Largest change of a feature's geodesic area in the layer, in percent.
    vertices_before, vertices_after : int
        Vertex counts of the layer before and after.
    """

    layer: str
    tolerance_m: float
    max_area_change_pct: float
    vertices_before: int
    vertices_after: int


@dataclass(frozen=True)
class MapFacts:
    """What the web map of a build is, for the reports.

    Attributes
    ----------
    simplification : tuple of LayerSimplification
        How each layer was simplified for the page (areas are measured before).
    bytes : int
        Size of the page.
    """

    simplification: tuple[LayerSimplification, ...] = ()
    bytes: int = 0


@dataclass(frozen=True)
class HandOffNotes:
    """What the hand-off files of a build could not carry whole, and their CRS.

    Attributes
    ----------
    warnings : tuple of str
        What a chosen format had to shorten or leave out (one sentence each).
    crs : HandOffCRS or None
        The CRS each hand-off format was written in.
    """

    warnings: tuple[str, ...] = ()
    crs: HandOffCRS | None = None
