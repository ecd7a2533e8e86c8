"""The Folium web map of a composition and its area check.

This package owns the interactive map: one layer per component (estimated ones dashed and
labelled), the composed boundary, overlaps, gaps and the administrative units around it, with
zh/en tooltips and popups, a legend, a layer control, an area summary panel taken from the
:class:`~autocity_gis.validation.ValidationReport`, a title block with data dates and caveats,
fullscreen, a geodesic area measure tool, mouse position, scale bar and mini-map.

Text is data, never template source: the page's fixed shell (what folium renders, read from a
package file when a page is written; :mod:`._page`) holds fixed strings only, and
everything derived from a recipe, a layer or a report travels in one JSON document
(:mod:`._document`) spliced into the finished page and read by the page's own fixed script
(``assets/*.js``), which writes every string as text (:mod:`._page` describes the steps).

Geometry is simplified for the web with ``shapely.coverage_simplify`` (shared borders stay
shared) at the largest tolerance of :data:`TOLERANCE_LADDER_M` that changes no layer's geodesic
area by more than :data:`MAX_AREA_CHANGE_PCT` (:mod:`._geometry`). Basemaps come from
:data:`BASEMAPS`; on a GCJ-02 basemap the overlays are shifted into GCJ-02
(:func:`autocity_gis.datum.convert_frame`) and the layer control offers only basemaps of that
datum. Every page inlines every script, stylesheet and icon from the vendored releases
(:mod:`autocity_gis._offline`), so its overlays draw with the network cut (the title panel says
so in one line when tiles cannot load); ``write_map(..., offline=True)`` offers no online
basemap at all (its basemap is ``"none"``), so the page makes no network request whatever.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._facts import LayerSimplification
from .._io import write_text
from ..composition import Composition
from ..validation import ValidationReport
from . import _page
from ._basemaps import (
    BASEMAPS,
    DEFAULT_BASEMAP,
    LANGUAGES,
    OFFLINE_DEFAULT_BASEMAP,
    TIANDITU_KEY_ENV,
    Basemap,
    check_choice,
    check_offline,
    resolve_key,
)
from ._document import build_document
from ._geometry import (
    COORD_DECIMALS,
    MAX_AREA_CHANGE_PCT,
    TOLERANCE_LADDER_M,
    simplify_layer,
    web_geometry,
)
from ._overlays import add_overlay_layers

if TYPE_CHECKING:
    import folium

    from .._overlay_run import OverlayResults

__all__ = [
    "BASEMAPS",
    "COORD_DECIMALS",
    "DEFAULT_BASEMAP",
    "LANGUAGES",
    "MAX_AREA_CHANGE_PCT",
    "OFFLINE_DEFAULT_BASEMAP",
    "TIANDITU_KEY_ENV",
    "TOLERANCE_LADDER_M",
    "Basemap",
    "LayerSimplification",
    "MapOutput",
    "make_map",
    "simplify_layer",
    "write_map",
]


@dataclass(frozen=True)
class MapOutput:
    """What :func:`write_map` wrote.

    Attributes
    ----------
    path : Path
        The HTML file.
    bytes : int
        Its size.
    datum : str
        Datum the overlays are drawn in (``WGS84`` or ``GCJ02``).
    basemap : str
        Key of :data:`BASEMAPS` used.
    offline : bool
        Whether scripts and styles are inlined.
    overlays : tuple of str
        Overlay layer ids in drawing order.
    simplification : tuple of LayerSimplification
        Tolerance and area change per layer.
    key_embedded : bool
        Whether a Tianditu key is written into the page.
    """

    path: Path
    bytes: int
    datum: str
    basemap: str
    offline: bool
    overlays: tuple[str, ...]
    simplification: tuple[LayerSimplification, ...]
    key_embedded: bool = False

    @property
    def max_area_change_pct(self) -> float:
        """Largest area change of any layer."""
        return max((s.max_area_change_pct for s in self.simplification), default=0.0)


@dataclass(frozen=True)
class _Built:
    document: dict[str, Any]
    lang: str
    datum: str
    overlays: tuple[str, ...]
    simplification: tuple[LayerSimplification, ...]
    key_embedded: bool


def make_map(
    composition: Composition,
    report: ValidationReport,
    *,
    basemap: str = DEFAULT_BASEMAP,
    lang: str = "en",
    tianditu_key: str | None = None,
    simplify: bool = True,
    keep_key: bool = False,
    offline: bool = False,
) -> folium.Map:
    """Build the interactive map of a composition and its area check.

    Parameters
    ----------
    composition : Composition
        Components, boundary, overlaps, gaps and context units in WGS 84.
    report : ValidationReport
        The area check; every area shown comes from it.
    basemap : str
        A key of :data:`BASEMAPS`; the layer control offers the others of the same datum.
    lang : str
        Interface language, one of :data:`LANGUAGES`.
    tianditu_key : str, optional
        Key for Tianditu basemaps; defaults to the ``TIANDITU_KEY`` environment variable.
    simplify : bool
        Simplify geometry for the web (see :func:`simplify_layer`).
    keep_key : bool
        Write the Tianditu key into the page; otherwise the page asks its reader for one (or
        reads ``#tk=KEY`` from its address).
    offline : bool
        Offer no online basemap (``basemap`` must then be ``"none"``): no tile is requested.

    Returns
    -------
    folium.Map
        The map; render it with ``m.get_root().render()`` or save it with :func:`write_map`.
        Overlays, panels and controls are drawn by the page's own script from the data its
        root carries, so the folium objects hold no text from the inputs. Anything added to
        it with folium is compiled as a template: add fixed strings only, never names.

    Raises
    ------
    InputError
        If ``basemap`` or ``lang`` is unknown, online while ``offline``, or a Tianditu basemap
        has no key.
    """
    from ._folium import new_map

    built = _build(
        composition,
        report,
        basemap=basemap,
        lang=lang,
        tianditu_key=tianditu_key,
        simplify=simplify,
        keep_key=keep_key,
        offline=offline,
    )
    return new_map(built.document, lang=lang)


def _build(
    composition: Composition,
    report: ValidationReport,
    *,
    basemap: str,
    lang: str,
    tianditu_key: str | None,
    simplify: bool,
    keep_key: bool,
    offline: bool,
    overlay_results: OverlayResults | None = None,
) -> _Built:
    check_choice(basemap, list(BASEMAPS), "basemap")
    check_choice(lang, LANGUAGES, "language")
    check_offline(basemap, offline)
    chosen = BASEMAPS[basemap]
    key = resolve_key(chosen, basemap, tianditu_key)
    geometry = web_geometry(composition, simplify=simplify, datum=chosen.datum)
    document = build_document(
        composition,
        report,
        geometry,
        basemap=basemap,
        lang=lang,
        key=key,
        keep_key=keep_key,
        offline=offline,
    )
    # Issue 14: land use and control-line conflicts, as data in the same document.
    add_overlay_layers(document, overlay_results, datum=chosen.datum, lang=lang)
    return _Built(
        document=document,
        lang=lang,
        datum=chosen.datum,
        overlays=tuple(layer["id"] for layer in document["layers"]),
        simplification=geometry.simplification,
        key_embedded=bool(key and keep_key),
    )


def write_map(
    composition: Composition,
    report: ValidationReport,
    path: str | Path,
    *,
    offline: bool = False,
    basemap: str | None = None,
    lang: str = "en",
    tianditu_key: str | None = None,
    keep_key: bool = False,
    simplify: bool = True,
    overlay_results: OverlayResults | None = None,
) -> MapOutput:
    """Write the web map to one HTML file.

    Parameters
    ----------
    composition : Composition
        What to draw.
    report : ValidationReport
        The area check shown in the panels.
    path : str or Path
        HTML file to write (atomically).
    offline : bool
        Offer no online basemap, so the page makes no network request at all (every page
        inlines its scripts, stylesheets and icons; online, basemap tiles are its only
        requests). An online ``basemap`` is refused.
    basemap : str, optional
        A key of :data:`BASEMAPS`; defaults to :data:`DEFAULT_BASEMAP` online and
        :data:`OFFLINE_DEFAULT_BASEMAP` (the only one allowed) offline.
    lang : str
        One of :data:`LANGUAGES`.
    tianditu_key : str, optional
        Tianditu key (or environment variable ``TIANDITU_KEY``).
    keep_key : bool
        Store the Tianditu key in the page; by default the page asks its reader for it.
    simplify : bool
        Simplify geometry for the web within :data:`MAX_AREA_CHANGE_PCT`.
    overlay_results : OverlayResults, optional
        The recipe's overlays: land use by class colour and control-line conflicts.

    Returns
    -------
    MapOutput
        Path, size, datum and per-layer simplification of the written page.

    Raises
    ------
    InputError
        For an unknown basemap or language, an online basemap offline, a Tianditu basemap
        without key, or an unwritable path.
    """
    if basemap is None:
        basemap = OFFLINE_DEFAULT_BASEMAP if offline else DEFAULT_BASEMAP
    built = _build(
        composition,
        report,
        basemap=basemap,
        lang=lang,
        tianditu_key=tianditu_key,
        simplify=simplify,
        keep_key=keep_key,
        offline=offline,
        overlay_results=overlay_results,
    )
    page = _page.page(built.document, lang=built.lang)
    out = write_text(path, page)
    return MapOutput(
        path=Path(out),
        bytes=len(page.encode("utf-8")),
        datum=built.datum,
        basemap=basemap,
        offline=offline,
        overlays=built.overlays,
        simplification=built.simplification,
        key_embedded=built.key_embedded,
    )
