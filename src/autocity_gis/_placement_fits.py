"""Readings of a layer's coordinates that would land it on its target: CRSs and datums.

:func:`gauss_kruger_fits` re-reads a sample of the original coordinates in every sibling
Gauss-Krueger CRS of :data:`~autocity_gis._gauss_kruger.GAUSS_KRUGER`; :func:`datum_fits`
re-reads a longitude/latitude layer in the other offset datums. Each returns the readings that
put the layer on its target, best first (:class:`Fit`). Re-exported by
:mod:`autocity_gis.placement`, whose checks name the best reading as the likely cause.
"""

from __future__ import annotations

import warnings as pywarnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from ._gauss_kruger import (
    _BY_EPSG,
    FAMILIES,
    GAUSS_KRUGER,
    GaussKruger,
    _equivalent,
    _tm_signature,
    _unproject,
)
from ._placement_context import Context

#: A component farther than this from every context unit is misplaced: an error.
MISPLACED_KM = 20.0
#: Vertices re-read per candidate CRS: enough to place a layer, cheap for 256 candidates.
SAMPLE = 200
# A re-read vertex within this of its target counts as on it: sub-kilometre datum offsets
# between the families do not change which zone lands.
_ON_TARGET_M = 250.0

_DATUM_TEXT = {"WGS84": "WGS 84", "GCJ02": "GCJ-02", "BD09": "BD-09"}


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
    sampled: np.ndarray = coords[np.linspace(0, len(coords) - 1, count).astype(int)]
    return sampled


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
            share = _gk_share(gk, xy, context, target)
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


def _gk_share(gk: GaussKruger, xy: np.ndarray, context: Context, target: BaseGeometry) -> float:
    """Return the share of ``xy`` on ``target`` when read in ``gk`` (0 when far or refused)."""
    bx0, by0, bx1, by1 = target.bounds
    reach = MISPLACED_KM * 1e3
    try:
        lon, lat = _unproject(gk.proj).transform(xy[:, 0], xy[:, 1], errcheck=False)
        x, y = context.local.forward.transform(lon, lat, errcheck=False)
    except Exception:  # PROJ refuses wild input: this reading does not land
        return 0.0
    pts = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    fin = pts[np.isfinite(pts).all(axis=1)]
    if len(fin) == 0 or (
        fin[:, 0].max() < bx0 - reach
        or fin[:, 0].min() > bx1 + reach
        or fin[:, 1].max() < by0 - reach
        or fin[:, 1].min() > by1 + reach
    ):
        return 0.0
    share, _ = _share_on(target, pts)
    return share


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
    if shapely.is_prepared(target) and shapely.contains_properly(target, comp_local):
        # Wholly inside (the common case: a test against the prepared union of the context
        # costs the component's vertices; the overlay would cost every border's).
        return 0.0, 0.0
    inside = float(shapely.intersection(comp_local, target).area)
    outside = max(area - inside, 0.0)
    return outside, outside / area


# -- the checks ------------------------------------------------------------------------------
