"""Is a layer where it should be, and if not, which CRS or datum would put it there.

This module owns the diagnosis of misplaced layers against the recipe's context units. A
:class:`Context` holds the units (polygons in WGS 84 and in a local equal-area projection
centred on them) and the attribute values by which a component's recipe can name its parent
unit. :func:`check_component` judges one loaded component: farther than :data:`MISPLACED_KM`
from every unit is an error, and so is lying wholly outside the named parent; the share outside
the parent is a warning. For an error it looks for the likely cause by re-reading a sample of
the original coordinates (at most :data:`SAMPLE` vertices) in every sibling Gauss-Krueger CRS
of :data:`GAUSS_KRUGER` -- 3 and 6 degree zones of CGCS2000, Beijing 1954, New Beijing and
Xian 1980, with and without the zone number prefixed to the easting -- and, for
longitude/latitude, in the other offset datums, and names the one that lands the layer on the
context. :func:`datum_warnings` looks for a datum mix-up that moves a layer by only a few hundred
metres: vertices that meet the units' borders only once shifted (WGS 84, GCJ-02 or BD-09 read as
another), or a component spilling out of its parent (or of the context) that a shift would put
back inside.

What cannot be detected: a layer in the wrong datum that shares no border with the context
units and lies well inside them (a shift of ~0.5 km changes nothing measurable), a CRS error
that keeps the layer within :data:`MISPLACED_KM` of the context, and any error when the recipe
has no context layer (then only the China-wide checks of :mod:`autocity_gis.layers` apply). The
Gauss-Krueger readings ignore the datum shift between those frames and WGS 84 (under 100 m near
Changchun), far below what they are used to decide.

The checks live here; the Gauss-Krueger catalogue (``_gauss_kruger``), the context units
(``_placement_context``) and the candidate readings (``_placement_fits``) have their own
modules, and every name is re-exported from this one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from ._errors import CRSError, LayerError
from ._gauss_kruger import _BY_EPSG, FAMILIES, GAUSS_KRUGER, GaussKruger
from ._placement_context import Context, _clip, context_for, register
from ._placement_fits import (
    _DATUM_TEXT,
    MISPLACED_KM,
    SAMPLE,
    Fit,
    _alt_datum,
    _displacement,
    _least_shift,
    _outside,
    _share_on,
    _xy_alt_datum,
    datum_fits,
    gauss_kruger_fits,
    sample,
)

__all__ = [
    "DATUM_MATCH_M",
    "DATUM_SPILL_PCT",
    "FAMILIES",
    "GAUSS_KRUGER",
    "MISPLACED_KM",
    "PARENT_SLACK_PCT",
    "SAMPLE",
    "Context",
    "Declared",
    "Fit",
    "GaussKruger",
    "check_component",
    "context_for",
    "datum_fits",
    "datum_warnings",
    "gauss_kruger_fits",
    "register",
    "sample",
    "undeclared_hint",
    "unplaceable_hint",
]

#: The share of a component outside its parent unit is reported above this (percent): below it,
#: the difference is the digitising noise of two independently drawn borders.
PARENT_SLACK_PCT = 0.1
#: A component spilling out of its parent (or the context) by more than this (percent) is
#: tested for a datum mix-up.
DATUM_SPILL_PCT = 1.0
#: A vertex within this distance of the context units' borders meets them.
DATUM_MATCH_M = 50.0
_DATUM_FIX = {"WGS84": "no datum (WGS 84)", "GCJ02": 'datum = "GCJ02"', "BD09": 'datum = "BD09"'}


@dataclass(frozen=True)
class Declared:
    """How a component declared its position, for diagnosis and advice.

    Attributes
    ----------
    name : str
        The layer's file name.
    crs : pyproj.CRS
        The CRS it was read in.
    crs_text : str
        That CRS as the user knows it (``EPSG:4550``).
    datum : str
        ``WGS84``, ``GCJ02`` or ``BD09``.
    in_recipe : bool
        Whether the CRS came from the recipe (else from the file).
    raw_xy : numpy.ndarray
        A sample of the coordinates as the file holds them (N x 2).
    """

    name: str
    crs: CRS
    crs_text: str
    datum: str
    in_recipe: bool
    raw_xy: np.ndarray


def _crs_advice(fit: Fit, declared: Declared) -> str:
    if declared.in_recipe:
        advice = f'set crs = "{fit.code}" in its recipe entry'
    else:
        advice = (
            f"the file's own CRS is wrong: give the file {fit.code} (replace its .prj, or "
            f"ogr2ogr -a_srs {fit.code})"
        )
    return advice + _same_plane(fit, declared.crs)


def _same_plane(fit: Fit, declared: CRS | None) -> str:
    """Name the same zone in the other families when the declared CRS gives no family.

    The families differ by under 100 m here, too little to tell them apart from the context:
    the archive the data came from decides.
    """
    if declared is not None and declared.to_epsg() in _BY_EPSG:
        return ""
    best = _BY_EPSG[int(fit.code.split(":")[1])]
    others = [
        gk
        for gk in GAUSS_KRUGER
        if gk.family != best.family
        and gk.family != "New Beijing"
        and gk.width == best.width
        and gk.cm == best.cm
        and gk.prefixed == best.prefixed
    ]
    if not others:
        return ""
    listed = " or ".join(f"{gk.code} if it is {gk.family}" for gk in others)
    return f" ({listed})"


def _cause(declared: Declared, context: Context, target: BaseGeometry, onto: str) -> str:
    """Name the reading that puts the layer on ``target``, as the end of a sentence."""
    if not declared.crs.is_geographic:
        fits = gauss_kruger_fits(declared.raw_xy, declared.crs, context, target)
        if fits:
            best = fits[0]
            return (
                f"; read as {best.code} ({best.name}) instead of {declared.crs_text} it falls "
                f"on {onto} ({best.share:.0%} of its vertices): {_crs_advice(best, declared)}."
            )
        return (
            f"; none of the {len(GAUSS_KRUGER)} Gauss-Kruger CRSs tried (CGCS2000, Xian 1980, "
            "Beijing 1954, New Beijing; 3 and 6 degree zones, with and without zone-prefixed "
            f"eastings) puts it on {onto}: check its crs (or the context layer)."
        )
    fits = gauss_kruger_fits(declared.raw_xy, declared.crs, context, target)
    if fits:  # projected metres declared as degrees
        best = fits[0]
        return (
            f"; its coordinates are projected metres: read as {best.code} ({best.name}) they "
            f"fall on {onto} ({best.share:.0%} of its vertices): {_crs_advice(best, declared)}."
        )
    return (
        f"; the offset datums (GCJ-02, BD-09) move a layer by under 2 km, so they cannot put it "
        f"on {onto}: check its coordinates and crs (or the context layer)."
    )


def check_component(
    geoms: np.ndarray,
    declared: Declared,
    context: Context,
    *,
    parent: str | None = None,
) -> list[str]:
    """Check a loaded component's position against the context units.

    Parameters
    ----------
    geoms : numpy.ndarray
        The component's polygons in WGS 84, as read.
    declared : Declared
        Its declared CRS and datum and a sample of its original coordinates.
    context : Context
        The recipe's context units.
    parent : str, optional
        The recipe's ``parent``: an attribute value (adcode, name) of the unit that should
        contain the component.

    Returns
    -------
    list of str
        Warnings: the share outside the parent; a suspected datum mix-up.

    Raises
    ------
    CRSError
        If the component lies farther than :data:`MISPLACED_KM` from every context unit; the
        message names the CRS or datum that would put it there, when one does.
    LayerError
        If the parent is not among the context units, or the component lies wholly outside it.
    """
    name = declared.name
    comp = shapely.union_all(geoms)
    comp_local = context.local.to_local(comp)
    if not np.isfinite(shapely.total_bounds(comp_local)).all():
        return []  # beyond the projection's reach: the China-wide checks have spoken
    target = context.union_local
    target_text = f"the context units of {context.name}"
    if parent is not None:
        if not context.has_attributes:
            return [
                f"{name}: its parent unit {parent!r} cannot be checked: the context borders "
                "were given without their attributes."
            ]
        target, target_text = _parent_target(context, parent, name)
    distance_km = float(shapely.distance(context.union_local, comp_local)) / 1e3
    if distance_km > MISPLACED_KM:
        raise CRSError(
            f"{name}: lies {distance_km:,.0f} km from the context units of {context.name}"
            + _cause(declared, context, target, "them" if parent is None else target_text)
        )
    notes: list[str] = []
    if parent is not None:
        outside_m2, share = _outside(comp_local, target)
        # Nothing inside but slivers where two independently drawn borders meet.
        if (1.0 - share) * 100 <= PARENT_SLACK_PCT:
            gap = float(shapely.distance(target, comp_local)) / 1e3
            where = f"{gap:.1f} km from it" if gap > 0 else "touching it"
            raise LayerError(
                f"{name}: lies wholly outside {target_text} ({where})"
                + _parent_cause(comp, declared, context, target, target_text)
            )
        if share * 100 > PARENT_SLACK_PCT:
            notes.append(
                f"{name}: {outside_m2 / 1e6:,.3f} km² ({share:.1%}) of it lies outside "
                f"{target_text}."
            )
    return notes


def _parent_target(context: Context, parent: str, name: str) -> tuple[BaseGeometry, str]:
    """Return the parent unit(s) named ``parent`` in local metres (prepared), and their text."""
    found = context.find(parent)
    if not found:
        shown = ", ".join(context.labels[:8]) + (" …" if len(context.labels) > 8 else "")
        raise LayerError(
            f"{name}: its recipe entry names parent {_clip(parent, 60)!r}, which no unit of "
            f"{context.name} has as an attribute value (the units: {shown})."
        )
    label = " + ".join(context.labels[i] for i in found)
    target = shapely.union_all(context.units_local[found])
    shapely.prepare(target)
    return target, f"its parent unit {label} of {context.name}"


def _parent_cause(
    comp: BaseGeometry, declared: Declared, context: Context, target: BaseGeometry, onto: str
) -> str:
    if declared.crs.is_geographic:
        fits = datum_fits(comp, declared.datum, context, target)
        if fits:
            best = fits[0]
            return (
                f"; read as {best.name} instead of {_DATUM_TEXT[declared.datum]} it falls in it "
                f"({best.share:.0%} of its area): if so, set {_DATUM_FIX[best.code]} in its "
                "recipe entry."
            )
    else:
        fits = gauss_kruger_fits(declared.raw_xy, declared.crs, context, target)
        if fits:
            best = fits[0]
            return (
                f"; read as {best.code} ({best.name}) instead of {declared.crs_text} it falls in "
                f"it ({best.share:.0%} of its vertices): {_crs_advice(best, declared)}."
            )
    return "; check its parent in the recipe, or its crs and datum."


def unplaceable_hint(declared: Declared, context: Context, problem: str) -> str | None:
    """Return an error message for a layer that cannot be placed as declared, if a CRS can.

    Used when the declared CRS puts the layer outside China or beyond PROJ's reach (a zone-
    prefixed easting read by a CRS without the prefix): if a Gauss-Krueger reading lands the
    sample on the context units, the message names it after ``problem`` (the original message
    up to its advice); otherwise None, and the original error stands.
    """
    fits = gauss_kruger_fits(declared.raw_xy, declared.crs, context, context.union_local)
    if not fits:
        return None
    best = fits[0]
    return (
        f"{problem}; read as {best.code} ({best.name}) instead of {declared.crs_text} it falls "
        f"on the context units of {context.name} ({best.share:.0%} of its vertices): "
        f"{_crs_advice(best, declared)}."
    )


def undeclared_hint(xy: np.ndarray, context: Context, problem: str) -> str | None:
    """Return an error message for a layer without any CRS, if a reading lands it.

    CAD deliveries and Shapefiles without ``.prj`` carry no CRS: if the coordinates fall on
    the context units as longitude/latitude or in one Gauss-Krueger CRS, the message (after
    ``problem``, the original message up to its advice) says which to declare.
    """
    xy = sample(xy)
    if len(xy) == 0:
        return None
    with np.errstate(all="ignore"):
        lonlat = (np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all()
    if lonlat:
        local = np.column_stack(context.local.forward.transform(xy[:, 0], xy[:, 1]))
        share, _ = _share_on(context.union_local, local)
        if share >= 0.5:
            return (
                f"{problem}; its coordinates are longitude/latitude on the context units of "
                f'{context.name} ({share:.0%} of its vertices): add crs = "EPSG:4326" (or '
                'datum = "GCJ02" if they come from a Chinese web map) to its recipe entry.'
            )
        return None
    fits = gauss_kruger_fits(xy, None, context, context.union_local)
    if not fits:
        return None
    best = fits[0]
    return (
        f"{problem}; read as {best.code} ({best.name}) its coordinates fall on the context units "
        f'of {context.name} ({best.share:.0%} of its vertices): add crs = "{best.code}" to its '
        f"recipe entry{_same_plane(best, None)}."
    )


def datum_warnings(
    geoms: np.ndarray,
    declared: Declared,
    context: Context,
    borders: BaseGeometry,
    *,
    parent: str | None = None,
) -> list[str]:
    """Look for a datum mix-up: WGS 84, GCJ-02 and BD-09 read as one another.

    Two signs, tried in turn. Borders: the component's vertices meet the context units'
    borders (within :data:`DATUM_MATCH_M`) only once read in another datum. Spill: more than
    :data:`DATUM_SPILL_PCT` of the component lies outside its parent unit (or outside the
    context units, when it straddles their edge), and another datum would leave less than a
    quarter of that outside. Only longitude/latitude layers have a datum to confuse.

    Returns
    -------
    list of str
        At most one warning, naming the datum to declare.
    """
    if not declared.crs.is_geographic or borders.is_empty:
        return []
    comp = shapely.union_all(geoms)
    note = _border_match(comp, declared, context, borders)
    if note:
        return [note]
    target = context.union_local
    where = f"the context units of {context.name}"
    if parent is not None and context.find(parent):
        found = context.find(parent)
        target = shapely.union_all(context.units_local[found])
        where = f"its parent unit {' + '.join(context.labels[i] for i in found)}"
    _, as_is = _outside(context.local.to_local(comp), target)
    if as_is * 100 <= DATUM_SPILL_PCT or as_is >= 1.0 - 1e-9:
        return []
    comp_local = context.local.to_local(comp)
    tried: list[tuple[float, float, str]] = []
    for actual in ("WGS84", "GCJ02", "BD09"):
        if actual == declared.datum:
            continue
        moved = context.local.to_local(_alt_datum(comp, declared.datum, actual))
        _, share = _outside(moved, target)
        if share < as_is / 4:
            tried.append((share, _displacement(comp_local, moved), actual))
    if not tried:
        return []
    share, _, actual = _least_shift(tried)
    said, meant = _DATUM_TEXT[declared.datum], _DATUM_TEXT[actual]
    return [
        f"{declared.name}: {as_is:.1%} of it lies outside {where} as declared ({said}), "
        f"{share:.1%} when read as {meant}; the layer is probably {meant} declared as {said} "
        f"(or the context layer is in another datum): if so, set {_DATUM_FIX[actual]} in its "
        "recipe entry."
    ]


def _border_match(
    comp: BaseGeometry, declared: Declared, context: Context, borders: BaseGeometry
) -> str | None:
    points = sample(shapely.get_coordinates(comp), 2000)
    if len(points) == 0:
        return None
    xmin, ymin, xmax, ymax = shapely.bounds(comp)
    nearby = _near(borders, (xmin - 0.05, ymin - 0.05, xmax + 0.05, ymax + 0.05))
    if nearby.is_empty:
        return None
    lines = context.local.to_local(nearby)
    shapely.prepare(lines)

    def on_border(xy: np.ndarray) -> int:
        local = np.column_stack(context.local.forward.transform(xy[:, 0], xy[:, 1]))
        return int(shapely.dwithin(lines, shapely.points(local), DATUM_MATCH_M).sum())

    on_as_is = on_border(points)
    counts = {
        actual: on_border(_xy_alt_datum(points, declared.datum, actual))
        for actual in ("WGS84", "GCJ02", "BD09")
        if actual != declared.datum
    }
    actual, on_other = max(counts.items(), key=lambda kv: kv[1])
    if on_other >= max(5, 0.2 * len(points)) and on_other > 3 * on_as_is:
        said, meant = _DATUM_TEXT[declared.datum], _DATUM_TEXT[actual]
        return (
            f"{declared.name}: {on_other} of {len(points)} vertices meet the borders of the "
            f"context units of {context.name} when read as {meant}, {on_as_is} as declared "
            f"({said}); the layer is probably {meant} declared as {said} (or the context layer "
            f"is in another datum): if so, set {_DATUM_FIX[actual]} in its recipe entry."
        )
    return None


#: Borders of fewer parts are clipped whole: an index would cost more than it saves.
_INDEXED_PARTS = 64
_BORDER_INDEX: dict[int, tuple[BaseGeometry, np.ndarray, shapely.STRtree]] = {}
_BORDER_LOCK = threading.Lock()


def _near(borders: BaseGeometry, rect: tuple[float, float, float, float]) -> BaseGeometry:
    """Return the context borders inside ``rect``: ``clip_by_rect`` of only the parts near it.

    The same lines as clipping the whole borders (lines are clipped part by part, and a part
    whose envelope misses the rectangle leaves nothing), at the cost of the parts near a
    component rather than of every border of the context, for each of a thousand components.
    """
    with _BORDER_LOCK:
        entry = _BORDER_INDEX.get(id(borders))
    if entry is None or entry[0] is not borders:
        parts = shapely.get_parts(borders)
        if len(parts) < _INDEXED_PARTS:
            return shapely.clip_by_rect(borders, *rect)
        entry = (borders, parts, shapely.STRtree(parts))  # holding borders keeps its id ours
        with _BORDER_LOCK:
            _BORDER_INDEX[id(borders)] = entry
            while len(_BORDER_INDEX) > 8:
                _BORDER_INDEX.pop(next(iter(_BORDER_INDEX)))
    _, parts, tree = entry
    hits = np.sort(tree.query(shapely.box(*rect)))
    return shapely.clip_by_rect(shapely.GeometryCollection(list(parts[hits])), *rect)


# -- contexts by their borders ---------------------------------------------------------------
