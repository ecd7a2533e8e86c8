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
"""

from __future__ import annotations

import threading
import warnings as pywarnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from ._errors import CRSError, LayerError
from ._proj import LocalProjection, local_laea

#: A component farther than this from every context unit is misplaced: an error.
MISPLACED_KM = 20.0
#: The share of a component outside its parent unit is reported above this (percent): below it,
#: the difference is the digitising noise of two independently drawn borders.
PARENT_SLACK_PCT = 0.1
#: A component spilling out of its parent (or the context) by more than this (percent) is
#: tested for a datum mix-up.
DATUM_SPILL_PCT = 1.0
#: Vertices re-read per candidate CRS: enough to place a layer, cheap for 256 candidates.
SAMPLE = 200
#: A vertex within this distance of the context units' borders meets them.
DATUM_MATCH_M = 50.0
# A re-read vertex within this of its target counts as on it: sub-kilometre datum offsets
# between the families do not change which zone lands.
_ON_TARGET_M = 250.0

_DATUM_TEXT = {"WGS84": "WGS 84", "GCJ02": "GCJ-02", "BD09": "BD-09"}
_DATUM_FIX = {"WGS84": "no datum (WGS 84)", "GCJ02": 'datum = "GCJ02"', "BD09": 'datum = "BD09"'}


# -- the Gauss-Krueger family ----------------------------------------------------------------

_ELLIPSOIDS = {
    "CGCS2000": "+ellps=GRS80",  # CGCS2000's ellipsoid differs from GRS80 by 0.1 mm
    "Xian 1980": "+a=6378140 +rf=298.257",  # IAG 1975
    "Beijing 1954": "+ellps=krass",
    "New Beijing": "+ellps=krass",
}
#: Families in the order a suggestion prefers them when several land the layer equally well.
FAMILIES: tuple[str, ...] = ("CGCS2000", "Xian 1980", "Beijing 1954", "New Beijing")


@dataclass(frozen=True)
class GaussKruger:
    """One EPSG Gauss-Krueger CRS of the Chinese families.

    Attributes
    ----------
    epsg : int
        The EPSG code.
    family : str
        The geodetic frame: ``CGCS2000``, ``Xian 1980``, ``Beijing 1954`` or ``New Beijing``.
    width : int
        Zone width in degrees (3 or 6).
    cm : int
        Central meridian in degrees east.
    prefixed : bool
        Whether the zone number is prefixed to the easting (false easting ``zone * 1e6 + 5e5``
        rather than ``5e5``).

    Examples
    --------
    >>> gk = next(g for g in GAUSS_KRUGER if g.epsg == 4530)
    >>> gk.name, gk.cm, gk.false_easting
    ('CGCS2000 / 3-degree Gauss-Kruger zone 42', 126, 42500000.0)
    """

    epsg: int
    family: str
    width: int
    cm: int
    prefixed: bool

    @property
    def zone(self) -> int:
        """The zone number (3 degree: ``cm / 3``; 6 degree: ``(cm + 3) / 6``)."""
        return self.cm // 3 if self.width == 3 else (self.cm + 3) // 6

    @property
    def code(self) -> str:
        """``EPSG:<code>``."""
        return f"EPSG:{self.epsg}"

    @property
    def name(self) -> str:
        """The EPSG name, e.g. ``CGCS2000 / 3-degree Gauss-Kruger CM 126E``."""
        kind = "3-degree Gauss-Kruger" if self.width == 3 else "Gauss-Kruger"
        where = f"zone {self.zone}" if self.prefixed else f"CM {self.cm}E"
        return f"{self.family} / {kind} {where}"

    @property
    def false_easting(self) -> float:
        """False easting in metres."""
        return self.zone * 1e6 + 5e5 if self.prefixed else 5e5

    @property
    def proj(self) -> str:
        """The projection as a PROJ string (transverse Mercator, scale 1 on the meridian)."""
        return (
            f"+proj=tmerc +lat_0=0 +lon_0={self.cm} +k=1 +x_0={self.false_easting:.0f} "
            f"+y_0=0 {_ELLIPSOIDS[self.family]}"
        )


def _run(
    family: str, width: int, prefixed: bool, first_code: int, cms: Sequence[int]
) -> list[GaussKruger]:
    return [GaussKruger(first_code + i, family, width, cm, prefixed) for i, cm in enumerate(cms)]


def _table() -> tuple[GaussKruger, ...]:
    cm3 = list(range(75, 136, 3))  # 3 degree zones 25-45
    cm6 = list(range(75, 136, 6))  # 6 degree zones 13-23
    rows: list[GaussKruger] = []
    # (family, width, first code with zone prefix, first code without); checked against the
    # EPSG database by tests/test_placement.py.
    for family, width, with_prefix, without in (
        ("CGCS2000", 3, 4513, 4534),
        ("CGCS2000", 6, 4491, 4502),
        ("Xian 1980", 3, 2349, 2370),
        ("Xian 1980", 6, 2327, 2338),
        ("Beijing 1954", 3, 2401, 2422),
        ("Beijing 1954", 6, 21413, 21453),
        ("New Beijing", 6, 4568, 4579),
    ):
        cms = cm3 if width == 3 else cm6
        rows += _run(family, width, True, with_prefix, cms)
        rows += _run(family, width, False, without, cms)
    # New Beijing's 3 degree codes were allotted in pieces.
    rows += _run("New Beijing", 3, True, 4652, cm3[:5])
    rows += _run("New Beijing", 3, True, 4766, cm3[5:])
    rows += _run("New Beijing", 3, False, 4782, cm3[:19])
    rows += [GaussKruger(4812, "New Beijing", 3, 132, False)]
    rows += [GaussKruger(4822, "New Beijing", 3, 135, False)]
    return tuple(rows)


#: Every Gauss-Krueger CRS tried when a projected layer is misplaced (256 of them).
GAUSS_KRUGER: tuple[GaussKruger, ...] = _table()
_BY_EPSG = {gk.epsg: gk for gk in GAUSS_KRUGER}


_PER_THREAD = threading.local()


def _unproject(proj: str) -> Transformer:
    """Return a transformer from a Gauss-Krueger plane to lon/lat degrees, cached per thread.

    A pipeline string needs no database look-up: 0.2 ms instead of ~50 ms per CRS. The cache
    is per thread because batch builds run in threads and a transformer is not to be shared.
    """
    cache: dict[str, Transformer] = _PER_THREAD.__dict__.setdefault("transformers", {})
    if proj not in cache:
        cache[proj] = Transformer.from_pipeline(
            f"+proj=pipeline +step +inv {proj} +step +proj=unitconvert +xy_in=rad +xy_out=deg"
        )
    return cache[proj]


def _tm_signature(crs: CRS) -> tuple[float, float, float] | None:
    """Return (central meridian, false easting, semi-major axis) of a TM CRS, else None."""
    try:
        op = crs.coordinate_operation
        if op is None or "transverse mercator" not in op.method_name.lower():
            return None
        params = {p.name.lower(): p.value for p in op.params}
        lon0 = params.get("longitude of natural origin")
        fe = params.get("false easting")
        if lon0 is None or fe is None or crs.ellipsoid is None:
            return None
        return (float(lon0), float(fe), float(crs.ellipsoid.semi_major_metre))
    except Exception:  # an exotic CRS: it just has no sibling
        return None


def _equivalent(gk: GaussKruger, signature: tuple[float, float, float] | None) -> bool:
    if signature is None:
        return False
    lon0, fe, _axis = signature
    # Same meridian and false easting: the same plane up to the datum, which is not in question.
    return abs(lon0 - gk.cm) < 1e-6 and abs(fe - gk.false_easting) < 0.5


# -- the context -----------------------------------------------------------------------------

# Attribute columns naming a unit, in the order a label shows them.
_CODE_COLUMNS = ("adcode", "code", "id", "ADCODE", "CODE")
_NAME_COLUMNS = ("name_en", "name_zh", "name", "NAME", "NAME_EN", "NAME_ZH")


@dataclass(frozen=True, eq=False)
class Context:
    """The context units, ready to measure positions against.

    Attributes
    ----------
    name : str
        The context layer's file name, for messages.
    units : numpy.ndarray
        Unit polygons in WGS 84 lon/lat.
    keys : tuple of tuple of str
        For each unit, the attribute values a component's ``parent`` may name (folded case).
    labels : tuple of str
        For each unit, a short label for messages (``220106 (Lüyuan District)``).
    local : LocalProjection
        Equal-area projection centred on the units.
    units_local : numpy.ndarray
        The units in local metres.
    union_local : shapely geometry
        Their union in local metres (prepared).
    """

    name: str
    units: np.ndarray
    keys: tuple[tuple[str, ...], ...]
    labels: tuple[str, ...]
    local: LocalProjection
    units_local: np.ndarray
    union_local: BaseGeometry

    @classmethod
    def build(
        cls, units: np.ndarray, name: str, attributes: Sequence[dict[str, Any]] | None = None
    ) -> Context:
        """Build a context from unit polygons (WGS 84) and their attributes, if known."""
        units = np.asarray([g for g in units if g is not None and not g.is_empty], dtype=object)
        xmin, ymin, xmax, ymax = shapely.total_bounds(units)
        local = local_laea((xmin + xmax) / 2, (ymin + ymax) / 2)
        units_local = local.to_local(units)
        try:
            union = shapely.coverage_union_all(units_local)
            if not shapely.is_valid(union):
                raise ValueError
        except Exception:  # not a clean coverage: the general union is slower but sure
            union = shapely.union_all(shapely.make_valid(units_local))
        shapely.prepare(union)
        keys: list[tuple[str, ...]] = []
        labels: list[str] = []
        for i in range(len(units)):
            row = attributes[i] if attributes is not None and i < len(attributes) else {}
            keys.append(tuple(v.casefold() for v in (_as_text(x) for x in row.values()) if v))
            labels.append(_label(row, i))
        return cls(name, units, tuple(keys), tuple(labels), local, units_local, union)

    def find(self, parent: str) -> list[int]:
        """Return the indices of the units whose attributes include ``parent``."""
        wanted = _as_text(parent).casefold()
        return [i for i, keys in enumerate(self.keys) if wanted and wanted in keys]

    @property
    def has_attributes(self) -> bool:
        """Whether the units carry attributes (a parent can be named)."""
        return any(self.keys)


def _as_text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, float):
        if not np.isfinite(value):
            return ""
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, int | str | np.integer):
        return " ".join(str(value).split())
    return ""


def _label(row: dict[str, Any], index: int) -> str:
    code = next((_as_text(row[c]) for c in _CODE_COLUMNS if _as_text(row.get(c))), "")
    name = next((_as_text(row[c]) for c in _NAME_COLUMNS if _as_text(row.get(c))), "")
    if code and name:
        return f"{_clip(code, 20)} ({_clip(name, 40)})"
    return _clip(code or name, 60) or f"unit {index}"


def _clip(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# -- measuring -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    """A reading of the layer's coordinates that lands it on its target.

    Attributes
    ----------
    code : str
        ``EPSG:…`` for a CRS, or a datum (``GCJ02``, ``BD09``, ``WGS84``).
    name : str
        The EPSG name of the CRS, or the datum's usual spelling.
    share : float
        Share of the sampled vertices on or in the target (0 to 1).
    """

    code: str
    name: str
    share: float


def sample(coords: np.ndarray, count: int = SAMPLE) -> np.ndarray:
    """Return at most ``count`` finite vertices spread evenly over ``coords`` (N x 2)."""
    coords = np.asarray(coords, dtype=float).reshape(-1, 2)
    coords = coords[np.isfinite(coords).all(axis=1)]
    if len(coords) <= count:
        return coords
    return coords[np.linspace(0, len(coords) - 1, count).astype(int)]


def _share_on(target: BaseGeometry, xy_local: np.ndarray) -> tuple[float, float]:
    """Return the share of points on or near ``target`` and their least distance (km)."""
    ok = np.isfinite(xy_local).all(axis=1)
    if not ok.any():
        return 0.0, float("inf")
    pts = shapely.points(xy_local[ok])
    near = shapely.dwithin(target, pts, _ON_TARGET_M)
    share = float(near.sum()) / len(xy_local)
    if near.any():
        return share, 0.0
    return share, float(shapely.distance(target, shapely.multipoints(pts))) / 1e3


def gauss_kruger_fits(
    xy: np.ndarray, declared: CRS | None, context: Context, target: BaseGeometry
) -> list[Fit]:
    """Return the Gauss-Krueger readings of ``xy`` that land on ``target``, best first.

    Parameters
    ----------
    xy : numpy.ndarray
        Sampled coordinates (N x 2) as the file holds them.
    declared : pyproj.CRS or None
        The CRS they were declared in; readings equivalent to it are not offered.
    context : Context
        Gives the local projection of ``target``.
    target : shapely geometry
        Where the layer should be, in the context's local metres (its parent, or all units).

    Returns
    -------
    list of Fit
        Readings with at least half the vertices on the target, best first: most vertices on
        it, then the declared CRS's own family, zone width and easting style, then
        :data:`FAMILIES` order and 3 degree zones before 6.
    """
    xy = sample(xy)
    if len(xy) == 0:
        return []
    signature = _tm_signature(declared) if declared is not None else None
    mine = _BY_EPSG.get(declared.to_epsg() or 0) if declared is not None else None
    bx0, by0, bx1, by1 = target.bounds
    reach = MISPLACED_KM * 1e3
    scored: list[tuple[tuple[Any, ...], Fit]] = []
    with np.errstate(all="ignore"), pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore")
        for gk in GAUSS_KRUGER:
            if _equivalent(gk, signature):
                continue
            # A zone-prefixed reading needs the prefix in the eastings, and the reverse: most
            # candidates are dismissed by this cheap test.
            lo, hi = gk.false_easting - 1e6, gk.false_easting + 1e6
            if not ((xy[:, 0] > lo) & (xy[:, 0] < hi)).mean() > 0.5:
                continue
            try:
                lon, lat = _unproject(gk.proj).transform(xy[:, 0], xy[:, 1], errcheck=False)
                x, y = context.local.forward.transform(lon, lat, errcheck=False)
            except Exception:  # PROJ refuses wild input: this reading does not land
                continue
            pts = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
            fin = pts[np.isfinite(pts).all(axis=1)]
            if len(fin) == 0 or (
                fin[:, 0].max() < bx0 - reach
                or fin[:, 0].min() > bx1 + reach
                or fin[:, 1].max() < by0 - reach
                or fin[:, 1].min() > by1 + reach
            ):
                continue
            share, _ = _share_on(target, pts)
            if share < 0.5:
                continue
            key = (
                -round(share * 20) / 20,
                mine is None or gk.family != mine.family,
                mine is not None and gk.width != mine.width,
                mine is not None and gk.prefixed != mine.prefixed,
                FAMILIES.index(gk.family),
                gk.width,
                gk.epsg,
            )
            scored.append((key, Fit(gk.code, gk.name, share)))
    scored.sort(key=lambda item: item[0])
    return [fit for _, fit in scored]


def _alt_datum(geom: BaseGeometry, declared: str, actual: str) -> BaseGeometry:
    """Return where ``geom`` (WGS 84 as declared) really is if the file was in ``actual``."""
    from .datum import convert_geometry

    raw = convert_geometry(geom, "WGS84", declared, exact=False)
    return convert_geometry(raw, actual, "WGS84", exact=False)


def _xy_alt_datum(points: np.ndarray, declared: str, actual: str) -> np.ndarray:
    from .datum import convert_coords

    lon, lat = convert_coords(points[:, 0], points[:, 1], "WGS84", declared, exact=False)
    lon, lat = convert_coords(lon, lat, actual, "WGS84", exact=False)
    return np.column_stack([lon, lat])


def datum_fits(
    comp: BaseGeometry, declared: str, context: Context, target: BaseGeometry
) -> list[Fit]:
    """Return the other datums that put most of ``comp`` inside ``target``, best first.

    ``comp`` is in WGS 84 as read with the ``declared`` datum; ``target`` is in local metres.
    The share is of the area: datum offsets are a few hundred metres, so vertices near a
    shared border would be near it in every datum.
    """
    comp_local = context.local.to_local(comp)
    tried: list[tuple[float, float, str]] = []
    for actual in ("WGS84", "GCJ02", "BD09"):
        if actual == declared:
            continue
        moved = context.local.to_local(_alt_datum(comp, declared, actual))
        _, outside = _outside(moved, target)
        if outside <= 0.5:
            tried.append((outside, _displacement(comp_local, moved), actual))
    fits: list[Fit] = []
    while tried:
        best = _least_shift(tried)
        tried.remove(best)
        fits.append(Fit(best[2], _DATUM_TEXT[best[2]], 1.0 - best[0]))
    return fits


def _displacement(before: BaseGeometry, after: BaseGeometry) -> float:
    """Return how far a datum reading moved a geometry (centroid to centroid, metres)."""
    return float(shapely.distance(shapely.centroid(before), shapely.centroid(after)))


def _least_shift(tried: list[tuple[float, float, str]]) -> tuple[float, float, str]:
    """Pick among (share outside, shift, datum) the best share, the smaller shift on a tie.

    A spill shows the direction of a mix-up but hardly its size: GCJ-02 and BD-09 read as
    WGS 84 both move a layer north-east, and often both readings put it back inside. The
    smaller shift explains the data with less, and GCJ-02 is also the commoner mix-up.
    """
    least = min(t[0] for t in tried)
    return min((t for t in tried if t[0] <= least + 1e-3), key=lambda t: t[1])


def _outside(comp_local: BaseGeometry, target: BaseGeometry) -> tuple[float, float]:
    """Return the area (m²) and share of ``comp_local`` outside ``target``."""
    area = float(comp_local.area)
    if area <= 0.0:
        return 0.0, 0.0
    inside = float(shapely.intersection(comp_local, target).area)
    outside = max(area - inside, 0.0)
    return outside, outside / area


# -- the checks ------------------------------------------------------------------------------


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
    label = ""
    if parent is not None:
        if not context.has_attributes:
            return [
                f"{name}: its parent unit {parent!r} cannot be checked: the context borders "
                "were given without their attributes."
            ]
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
        target_text = f"its parent unit {label} of {context.name}"
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
    nearby = shapely.clip_by_rect(borders, xmin - 0.05, ymin - 0.05, xmax + 0.05, ymax + 0.05)
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


# -- contexts by their borders ---------------------------------------------------------------

_LOCK = threading.Lock()
_REGISTRY: dict[int, tuple[BaseGeometry, Any, Context | None]] = {}
_REGISTRY_SIZE = 8


def register(borders: BaseGeometry, units: Any) -> None:
    """Remember the context units (a GeoDataFrame) that ``borders`` were drawn from.

    :func:`context_for` then finds them by the borders object itself: the build passes only
    the borders to each component, and the parent check needs the units' attributes.
    """
    with _LOCK:
        # Holding the borders keeps their id from being reused while the entry lives.
        _REGISTRY[id(borders)] = (borders, units, None)
        while len(_REGISTRY) > _REGISTRY_SIZE:
            _REGISTRY.pop(next(iter(_REGISTRY)))


def context_for(borders: BaseGeometry, name: str, units: Any = None) -> Context | None:
    """Return the :class:`Context` for ``borders``, built once per borders object.

    ``units`` (a GeoDataFrame in WGS 84) is used when the borders were not registered; without
    either, the units are rebuilt from the borders (without attributes).
    """
    if borders.is_empty:
        return None
    with _LOCK:
        entry = _REGISTRY.get(id(borders))
    if entry is not None and entry[0] is borders:
        if entry[2] is not None:
            return entry[2]
        units = entry[1]
    if units is not None:
        frame = units
        geometry = frame.geometry.name
        rows = [
            {k: v for k, v in rec.items() if k != geometry}
            for rec in frame.to_dict(orient="records")
        ]
        context = Context.build(frame.geometry.to_numpy(), name, rows)
    else:
        faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(borders)))
        if len(faces) == 0:
            return None
        context = Context.build(faces, name)
    if entry is not None and entry[0] is borders:
        with _LOCK:
            _REGISTRY[id(borders)] = (borders, entry[1], context)
    return context
