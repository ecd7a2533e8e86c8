"""The context units a component's position is measured against, found by their borders.

A :class:`Context` holds the recipe's context units (in WGS 84 and in a local equal-area
projection centred on them) with the attribute values a component's ``parent`` may name.
:func:`register` and :func:`context_for` build one per borders object and keep it, since the
build hands only the borders to each component. Re-exported by :mod:`autocity_gis.placement`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from ._proj import LocalProjection, local_laea

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
