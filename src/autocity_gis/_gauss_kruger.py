"""The Gauss-Krueger catalogue: every Chinese GK CRS a misplaced layer may really be in.

3 and 6 degree zones of CGCS2000, Beijing 1954, New Beijing and Xian 1980, with and without the
zone number prefixed to the easting (256 CRSs, :data:`GAUSS_KRUGER`), each as an EPSG code and a
PROJ string, and the per-thread transformers that read coordinates back to longitude/latitude.
Re-exported by :mod:`autocity_gis.placement`, which uses them to diagnose misplaced layers.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from pyproj import CRS, Transformer

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
