"""Whole-layer blocks: one component per distinct value of a layer's ``id_column``.

A block's layer is read while the recipe is checked (its values make the components) and kept
for composing; this module owns that expansion, the ids it makes (:func:`block_id`) and how an
attribute value becomes text (:func:`block_value`).
"""

from __future__ import annotations

import math
from typing import Any

from ._errors import InputError
from ._recipe_fields import _Fields
from ._recipe_model import ROLES, Block, ComponentSpec, LayerSource, StatedFigure
from ._recipe_schema import _BLOCK_KEYS, _ID_RE, _NOT_IN_BLOCK, MAX_AREA_KM2, _clip


class _Blocks(_Fields):
    """Expand whole-layer blocks into components, collecting problems as :class:`_Fields`."""

    def block(
        self,
        index: int,
        comp: dict[str, Any],
        where: str,
        context: LayerSource | None,
        seen: dict[str, str],
    ) -> list[ComponentSpec]:
        """Turn a whole-layer block into one component per distinct ``id_column`` value."""
        for key in (*_NOT_IN_BLOCK, "may_overlap"):
            if key in comp:
                self.fail(
                    where,
                    f"'{key}' names one component, but a block with 'id_column' makes one per "
                    "value (use name_en_column, name_zh_column, stated_area_column)",
                )
        role = comp.get("role", "part")
        if role not in ROLES:
            self.fail(where, f"role '{role}' is not one of {', '.join(ROLES)}")
        tolerance = self.number(comp, "tolerance_pct", where, 0.0, 100.0)
        source = self.layer(comp, where, reference=context)
        if source is None:
            if "layer" not in comp:
                self.fail(where, "a block with 'id_column' needs a 'layer' (or a [defaults] layer)")
            return []
        frame = self.block_rows(source, where)
        if frame is None or not self.block_columns(comp, frame, source, where):
            return []
        id_column = comp["id_column"]
        keys = self.block_keys(id_column, frame, source, where)
        if keys is None:
            return []
        areas = self.block_areas(comp.get("stated_area_column"), frame, source, where)
        if areas is None:
            return []
        prefix = comp.get("id_prefix", "")
        stated_source: str = comp.get("stated_area_source") or (
            f"{source.label}, column '{comp.get('stated_area_column')}'"
        )
        groups: dict[str, list[int]] = {}
        for pos, found in enumerate(keys):
            groups.setdefault(str(found), []).append(pos)
        out = []
        made: dict[str, str] = {}
        for value, rows in groups.items():
            cid = block_id(prefix, value, id_column)
            at = f"{where} ({_clip(id_column, 30)} = {_clip(value, 40)!r})"
            if not self.block_id_free(cid, value, at, made, seen):
                continue
            name_en = self.first_text(frame, rows, comp.get("name_en_column")) or value
            name_zh = self.first_text(frame, rows, comp.get("name_zh_column")) or ""
            this_role = self.first_text(frame, rows, comp.get("role_column")) or role
            if this_role not in ROLES:
                self.fail(at, f"role '{_clip(this_role)}' is not one of {', '.join(ROLES)}")
            stated = self.block_stated(areas, rows, at)
            out.append(
                ComponentSpec(
                    id=cid,
                    name_en=name_en,
                    name_zh=name_zh,
                    role=this_role,
                    source=source,
                    stated_area_km2=stated,
                    stated_area_source=stated_source if stated else None,
                    tolerance_pct=tolerance,
                    stated=(StatedFigure(stated, stated_source, None, True),) if stated else (),
                    block=Block(index, id_column, value),
                )
            )
        return out

    def block_id_free(
        self, cid: str, value: str, at: str, made: dict[str, str], seen: dict[str, str]
    ) -> bool:
        """Claim the id ``cid`` for ``value``; False if another value of the block made it."""
        if cid in made:
            self.fail(
                at,
                f"makes the id '{cid}', as does the value {_clip(made[cid], 40)!r}; give "
                "an id_prefix or make the values distinct",
            )
            return False
        made[cid] = value
        if cid in seen:
            self.fail(at, f"duplicate id '{cid}' (also {seen[cid]})")
        seen[cid] = at
        return True

    def block_columns(
        self, comp: dict[str, Any], frame: Any, source: LayerSource, where: str
    ) -> bool:
        """Tell whether every ``*_column`` the block names is a column of its layer."""
        columns = [str(c) for c in frame.columns if c != frame.geometry.name]
        for key in _BLOCK_KEYS:
            column = comp.get(key)
            if key == "id_prefix" or column is None or column in columns:
                continue
            have = ", ".join(f"'{_clip(c, 30)}'" for c in columns[:30]) or "none"
            self.fail(
                where,
                f"{key} '{_clip(column)}' is not a column of {source.label} (it has: {have})",
            )
            return False
        return True

    def block_keys(
        self, id_column: str, frame: Any, source: LayerSource, where: str
    ) -> list[str | None] | None:
        """Return each row's ``id_column`` value as text, or None if a row has none."""
        keys = [block_value(v) for v in frame[id_column].tolist()]
        empty = [str(i) for i, k in zip(frame.index, keys, strict=True) if k is None]
        if empty:
            self.fail(
                where,
                f"{source.label}: feature {empty[0]} has no value in id_column '{_clip(id_column)}'"
                + (f" ({len(empty) - 1} more)" if len(empty) > 1 else ""),
            )
            return None
        return keys

    def block_rows(self, source: LayerSource, where: str) -> Any:
        """Read a block's layer (once: kept for composing) and return the filtered rows."""
        from .layers import ReadCache, selected_rows

        try:
            return selected_rows(source, cache=ReadCache(self.reads), limits=self.limits)
        except InputError as exc:
            self.fail(where, str(exc).rstrip("."))
            return None

    def block_areas(
        self, column: str | None, frame: Any, source: LayerSource, where: str
    ) -> list[float | None] | None:
        """Return the stated areas of a block's rows (km²), or None if the column is not numeric."""
        if column is None:
            return [None] * len(frame)
        out: list[float | None] = []
        for index, value in zip(frame.index, frame[column].tolist(), strict=True):
            number = _number_or_none(value)
            if number is _NOT_A_NUMBER:
                self.fail(
                    where,
                    f"stated_area_column '{_clip(column)}' of {source.label} must hold numbers "
                    f"(km²), but feature {index} has {_clip(str(value), 40)!r}",
                )
                return None
            out.append(number if isinstance(number, float) else None)
        return out

    def block_stated(self, areas: list[float | None], rows: list[int], at: str) -> float | None:
        """Return the stated area of one value: the figure its features carry (they must agree)."""
        figures = sorted({a for a in (areas[r] for r in rows) if a is not None})
        if not figures:
            return None
        if len(figures) > 1:
            shown = ", ".join(f"{f:g}" for f in figures[:5])
            self.fail(at, f"its features state different areas ({shown} km²); keep one figure")
            return None
        if not 0.0 < figures[0] <= MAX_AREA_KM2:
            self.fail(
                at,
                f"stated area {figures[0]:g} km² is out of range (0 < value <= {MAX_AREA_KM2:g})",
            )
            return None
        return figures[0]

    @staticmethod
    def first_text(frame: Any, rows: list[int], column: str | None) -> str | None:
        """Return the first non-empty value of ``column`` among ``rows``, as text."""
        if column is None:
            return None
        for value in frame[column].iloc[rows].tolist():
            text = block_value(value)
            if text:
                return text
        return None


def block_value(value: Any) -> str | None:
    """Return an attribute value as the text a whole-layer block uses (None when missing).

    Integral numbers lose their ``.0`` (a Shapefile stores codes as reals), text is stripped.

    >>> block_value(12.0), block_value(" A1 "), block_value(float("nan")), block_value(None)
    ('12', 'A1', None, None)
    """
    import numbers

    if value is None:
        return None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
        if not math.isfinite(number):
            return None
        return str(int(number)) if number.is_integer() else repr(number)
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    text = str(value).strip()
    return text or None


def block_id(prefix: str, value: str, column: str) -> str:
    """Return the component id a block makes for one value.

    ``id_prefix`` followed by the value when that is a valid id; otherwise the value made
    safe (ASCII punctuation and spaces become ``_``, other characters their code point,
    ``大`` → ``u5927``) after the prefix, or after the id column's name and ``_`` when there
    is no prefix. At most 64 characters.

    >>> block_id("", "daling", "code"), block_id("", "12", "zone"), block_id("z", "12", "x")
    ('daling', 'zone_12', 'z12')
    >>> block_id("", "大岭", "name")
    'name_u5927u5cad'
    """
    if _ID_RE.match(prefix + value):
        return prefix + value
    safe = "".join(_safe_char(c) for c in value)
    head = prefix if prefix else "".join(_safe_char(c) for c in column) + "_"
    candidate = head + safe
    if not (candidate[:1].isascii() and candidate[:1].isalpha()):
        candidate = "c_" + candidate
    return candidate[:64]


def _safe_char(char: str) -> str:
    if char.isascii():
        return char if char.isalnum() or char in "_-" else "_"
    return f"u{ord(char):04x}"


_NOT_A_NUMBER = object()


def _number_or_none(value: Any) -> Any:
    """Return a finite float, None for a missing value, or ``_NOT_A_NUMBER``."""
    import numbers

    if value is None:
        return None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
        return number if math.isfinite(number) else None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return _NOT_A_NUMBER
