"""Results of the overlays: the land-use balance table and the control-line verdicts.

Frozen dataclasses with a ``to_dict()`` giving the shape report.json carries under
``overlays`` (issue 14): for land use ``classes`` with ``code``, ``name_zh``, ``name_en``,
``area_km2``, ``share_pct`` and ``unclassified_km2``; for a control ``conflict_km2``,
``per_component`` with ``id`` and ``conflict_km2``, and ``passed``. Areas are geodesic km²
(1 km² = 100 公顷); shares are of the scope's own area (the boundary, or one component).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ClassArea", "ComponentConflict", "ControlResult", "LanduseBalance", "LanduseTable"]

_HA_PER_KM2 = 100.0


def _share(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole > 0 else 0.0


@dataclass(frozen=True)
class ClassArea:
    """Area of one class (or one code not in the table) inside a scope.

    Attributes
    ----------
    code : str
        The class code (``""`` for parcels without one).
    name_zh, name_en : str or None
        The class names; None for a code the table does not hold.
    level : int or None
        1 or 2; None for a code not in the table.
    area_km2 : float
        Geodesic area in km².
    share_pct : float
        Share of the scope's area, in percent.
    """

    code: str
    name_zh: str | None
    name_en: str | None
    level: int | None
    area_km2: float
    share_pct: float

    @property
    def area_ha(self) -> float:
        """Area in 公顷 (hectares)."""
        return self.area_km2 * _HA_PER_KM2

    def to_dict(self) -> dict[str, Any]:
        """Return the row as report.json holds it."""
        return {
            "code": self.code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "level": self.level,
            "area_km2": self.area_km2,
            "area_ha": self.area_ha,
            "share_pct": self.share_pct,
        }


@dataclass(frozen=True)
class LanduseTable:
    """The balance table of one scope (the composed boundary or one component).

    ``classes`` holds the codes found in the table at their own level (usually level 2, or 3
    in a detailed plan); ``level1`` rolls them up to the first level and ``level2`` those of
    level 2 and 3 to the second (a code of level 1 has no second-level class, so ``level2``
    can sum to less than ``level1``). ``unclassified_km2`` is everything else, so
    that ``sum(classes) + unclassified_km2 == area_km2``: codes not in the table (listed in
    ``unknown_codes``, never dropped), parcels without a code (``no_code_km2``) and ground no
    parcel covers (``no_parcel_km2``). A negative ``no_parcel_km2`` means parcels overlap.
    """

    id: str
    area_km2: float
    classes: tuple[ClassArea, ...]
    level1: tuple[ClassArea, ...]
    level2: tuple[ClassArea, ...]
    unknown_codes: tuple[ClassArea, ...]
    no_code_km2: float
    unclassified_km2: float

    @property
    def no_parcel_km2(self) -> float:
        """Area of the scope no parcel covers."""
        unknown = sum(c.area_km2 for c in self.unknown_codes)
        return self.unclassified_km2 - unknown - self.no_code_km2

    def to_dict(self) -> dict[str, Any]:
        """Return the table as report.json holds it."""
        return {
            "id": self.id,
            "area_km2": self.area_km2,
            "classes": [c.to_dict() for c in self.classes],
            "level1": [c.to_dict() for c in self.level1],
            "level2": [c.to_dict() for c in self.level2],
            "unclassified_km2": self.unclassified_km2,
            "unclassified_ha": self.unclassified_km2 * _HA_PER_KM2,
            "unclassified_share_pct": _share(self.unclassified_km2, self.area_km2),
            "unknown_codes": [
                {"code": c.code, "area_km2": c.area_km2, "share_pct": c.share_pct}
                for c in self.unknown_codes
            ],
            "no_code_km2": self.no_code_km2,
            "no_parcel_km2": self.no_parcel_km2,
        }


@dataclass(frozen=True)
class LanduseBalance:
    """The land-use balance table of the planning area and of each component.

    Attributes
    ----------
    id : str
        The overlay's id.
    classification : str
        The classification key (``"gbt21010-2017"``, ``"tdt1055-2019"``, ``"mnr-2023"``).
    boundary : LanduseTable
        The table of the composed boundary.
    per_component : tuple of LanduseTable
        One table per component, in the components' order.
    engine : str
        ``"local"`` or ``"dask"``.
    parcels_read : int
        Parcels read from the layer (after the extent filter, where the format has one).
    """

    id: str
    classification: str
    boundary: LanduseTable
    per_component: tuple[LanduseTable, ...]
    engine: str
    parcels_read: int

    def to_dict(self) -> dict[str, Any]:
        """Return the overlay as report.json holds it under ``overlays``."""
        table = self.boundary.to_dict()
        del table["id"]
        return {
            "id": self.id,
            "kind": "landuse",
            "classification": self.classification,
            **table,
            "per_component": [t.to_dict() for t in self.per_component],
            "engine": self.engine,
            "parcels_read": self.parcels_read,
        }


@dataclass(frozen=True)
class ComponentConflict:
    """Conflict of one component with a control line.

    Attributes
    ----------
    id : str
        The component id.
    conflict_km2 : float
        For ``exclude``: area of the component inside the control layer; for ``within``: area
        of the component outside it.
    passed : bool
        Whether the conflict is within the tolerance.
    """

    id: str
    conflict_km2: float
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        """Return the row as report.json holds it."""
        return {"id": self.id, "conflict_km2": self.conflict_km2, "passed": self.passed}


@dataclass(frozen=True)
class ControlResult:
    """The verdict of one control line against the composed boundary and its components.

    Attributes
    ----------
    id : str
        The overlay's id.
    rule : {"exclude", "within"}
        What the components must do with the control layer.
    conflict_km2 : float
        Conflict of the composed boundary as a whole.
    per_component : tuple of ComponentConflict
        Conflict of each component.
    tolerance_km2 : float
        Conflicts up to this area pass (round-off of the overlay, not a planning allowance).
    conflicts : geopandas.GeoDataFrame
        The conflict polygons (columns ``overlay``, ``component``, ``rule``, ``area_km2``), one
        row per component with a conflict, WGS 84; the layer the outputs draw.
    """

    id: str
    rule: str
    conflict_km2: float
    per_component: tuple[ComponentConflict, ...]
    tolerance_km2: float
    conflicts: Any = field(compare=False, repr=False)

    @property
    def passed(self) -> bool:
        """True when no component (and not the boundary) conflicts beyond the tolerance."""
        return self.conflict_km2 <= self.tolerance_km2 and all(c.passed for c in self.per_component)

    def to_dict(self) -> dict[str, Any]:
        """Return the overlay as report.json holds it under ``overlays``."""
        return {
            "id": self.id,
            "kind": "control",
            "rule": self.rule,
            "conflict_km2": self.conflict_km2,
            "conflict_ha": self.conflict_km2 * _HA_PER_KM2,
            "per_component": [c.to_dict() for c in self.per_component],
            "tolerance_km2": self.tolerance_km2,
            "passed": self.passed,
        }
