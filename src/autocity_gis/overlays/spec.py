"""One ``[[overlays]]`` block of a recipe, checked and frozen.

This module owns the overlay specification: what a recipe says about a land-use or control-line
layer (``id``, ``kind``, ``layer``, ``filter``, ``crs``/``datum``, ``class_column`` and
``classification`` for land use, ``rule`` for a control line). :func:`parse_overlay` takes the
plain dict a TOML parser gives and returns an :class:`OverlaySpec`, or raises one
:class:`~autocity_gis._errors.RecipeError` whose single sentence names the file, the block, the
problem and what is there instead. Reading the layer is not its business.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from .._errors import CRSError, RecipeError
from .classification import CLASSIFICATIONS

__all__ = ["KINDS", "RULES", "OverlaySpec", "parse_overlay"]

KINDS: Final = ("landuse", "control")
RULES: Final = ("exclude", "within")
_KEYS: Final[dict[str, type]] = {
    "id": str,
    "kind": str,
    "layer": str,
    "layer_name": str,
    "encoding": str,
    "filter": dict,
    "crs": str,
    "datum": str,
    "class_column": str,
    "classification": str,
    "rule": str,
}
_MAX_ID = 64
_SHOWN = 60


@dataclass(frozen=True)
class OverlaySpec:
    """A checked ``[[overlays]]`` block.

    Attributes
    ----------
    id : str
        The overlay's id, unique in the recipe (the integrator checks uniqueness across blocks).
    kind : {"landuse", "control"}
        A land-use layer accounted by class, or a control line checked against the components.
    layer : str
        The layer path as written (a file, or a folder of GeoParquet files read as one dataset).
    layer_name, encoding, crs, datum : str or None
        As for components: which layer of the file, its text encoding, its CRS and its datum
        (``datum`` normalised to ``WGS84``/``GCJ02``/``BD09``).
    filter : dict
        Attribute equality filter: column → value or list of accepted values.
    class_column : str or None
        For land use: the column holding each parcel's class code.
    classification : str or None
        For land use: ``"gbt21010-2017"``, ``"tdt1055-2019"`` or ``"mnr-2023"``.
    rule : {"exclude", "within"} or None
        For a control: components must not overlap the layer (``exclude``) or must lie inside
        it (``within``).
    """

    id: str
    kind: Literal["landuse", "control"]
    layer: str
    layer_name: str | None = None
    encoding: str | None = None
    filter: dict[str, Any] = field(default_factory=dict)
    crs: str | None = None
    datum: str | None = None
    class_column: str | None = None
    classification: str | None = None
    rule: Literal["exclude", "within"] | None = None


def _clip(text: object) -> str:
    flat = "".join(c if c.isprintable() else "?" for c in str(text))
    return flat if len(flat) <= _SHOWN else flat[: _SHOWN - 1] + "…"


def parse_overlay(table: object, *, source: str = "recipe", index: int = 1) -> OverlaySpec:
    """Check one ``[[overlays]]`` block and return it frozen.

    Parameters
    ----------
    table : dict
        The block as a TOML parser returns it.
    source : str
        The recipe file's name, for messages.
    index : int
        The block's position among the recipe's ``[[overlays]]`` blocks (1-based), for messages.

    Returns
    -------
    OverlaySpec

    Raises
    ------
    RecipeError
        With one sentence naming the file, the block and the problem, and what is there instead.

    Examples
    --------
    >>> spec = parse_overlay({"id": "farmland", "kind": "control", "layer": "jbnt.gpkg",
    ...                       "rule": "exclude"})
    >>> spec.kind, spec.rule
    ('control', 'exclude')
    """
    where = f"{source}: [[overlays]] block {index}"
    if not isinstance(table, Mapping):
        raise RecipeError(f"{where} is a {type(table).__name__}, not a table of keys and values.")
    ident = table.get("id")
    if isinstance(ident, str) and ident.strip():
        where = f"{where} ('{_clip(ident)}')"

    def fail(problem: str) -> RecipeError:
        return RecipeError(f"{where}: {problem}.")

    _check_keys(table, fail)
    ident, kind = table["id"], table["kind"]
    flt = table.get("filter", {})
    _check_filter(flt, fail)
    datum = _datum(table.get("datum"), fail)
    _check_kind_keys(table, kind, fail)
    return OverlaySpec(
        id=ident,
        kind=kind,
        layer=table["layer"],
        layer_name=table.get("layer_name"),
        encoding=table.get("encoding"),
        filter=dict(flt),
        crs=table.get("crs"),
        datum=datum,
        class_column=table.get("class_column"),
        classification=table.get("classification"),
        rule=table.get("rule"),
    )


def _check_keys(table: Mapping[str, Any], fail: Callable[[str], RecipeError]) -> None:
    """Check for known keys of the right types, and a sound ``id``, ``kind`` and ``layer``."""
    for key, value in table.items():
        if key not in _KEYS:
            near = difflib.get_close_matches(str(key), list(_KEYS), n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            raise fail(f"'{_clip(key)}' is not an overlay key{hint}; accepted: {', '.join(_KEYS)}")
        if not isinstance(value, _KEYS[key]) or isinstance(value, bool):
            raise fail(
                f"'{key}' must be a {_KEYS[key].__name__}, "
                f"not {type(value).__name__} {_clip(repr(value))}"
            )
    for key in ("id", "kind", "layer"):
        if key not in table:
            raise fail(f"'{key}' is missing")
        if not table[key].strip():
            raise fail(f"'{key}' is empty")
    ident = table["id"]
    if len(ident) > _MAX_ID or not ident.isprintable():
        raise fail(f"'id' must be at most {_MAX_ID} printable characters, not '{_clip(ident)}'")
    if table["kind"] not in KINDS:
        raise fail(f"'kind' must be one of {', '.join(KINDS)}, not '{_clip(table['kind'])}'")


def _check_filter(flt: Mapping[str, Any], fail: Callable[[str], RecipeError]) -> None:
    """Check that each filter value is a string, a number or a non-empty list of them."""
    for col, val in flt.items():
        vals = val if isinstance(val, list) else [val]
        if not vals or not all(isinstance(v, (str, int, float)) for v in vals):
            raise fail(
                f"filter '{_clip(col)}' must be a string, number or list of them, "
                f"not {_clip(repr(val))}"
            )


def _datum(datum: str | None, fail: Callable[[str], RecipeError]) -> str | None:
    """Return the block's datum in its canonical spelling (None when not given)."""
    if datum is None:
        return None
    from ..datum import parse_datum

    try:
        return parse_datum(datum)
    except CRSError as exc:
        raise fail(f"'datum' {_clip(datum)} is not recognised ({exc})") from exc


def _check_kind_keys(
    table: Mapping[str, Any], kind: str, fail: Callable[[str], RecipeError]
) -> None:
    """Check the keys a land-use or a control overlay needs, and none of the other kind's."""
    if kind == "landuse":
        for key in ("class_column", "classification"):
            if key not in table:
                raise fail(f"a land-use overlay needs '{key}'")
        if table["classification"] not in CLASSIFICATIONS:
            raise fail(
                f"'classification' must be one of {', '.join(CLASSIFICATIONS)}, not "
                f"'{_clip(table['classification'])}'"
            )
        if "rule" in table:
            raise fail("'rule' belongs to control overlays, not to a land-use one")
        return
    if "rule" not in table:
        raise fail(f"a control overlay needs 'rule' ({' or '.join(RULES)})")
    if table["rule"] not in RULES:
        raise fail(f"'rule' must be one of {', '.join(RULES)}, not '{_clip(table['rule'])}'")
    for key in ("class_column", "classification"):
        if key in table:
            raise fail(f"'{key}' belongs to land-use overlays, not to a control one")
