"""The recipe's TOML schema: the keys of each table with their types, and the bounds of values.

Also the small helpers every recipe message uses to show a user's value on one short line.
"""

from __future__ import annotations

import re

_CITY_KEYS: dict[str, type] = {
    "id": str,
    "name_en": str,
    "name_zh": str,
    "target_km2": float,
    "target_source": str,
    "tolerance_pct": float,
    "snap_tolerance_m": float,
    "components_must_pass": bool,
    "units": list,
    "gap_width_m": float,
}
_CITY_REQUIRED = ("name_en", "target_km2", "tolerance_pct")
_LAYER_KEYS: dict[str, type] = {
    "layer": object,  # a path in a file recipe; also a GeoDataFrame/GeoSeries in a dict one
    "layer_name": str,
    "filter": dict,
    "datum": str,
    "crs": str,
    "encoding": str,
    "towgs84": list,
}
#: Keys of ``[defaults]``: shared by every component block that does not set its own
#: (``layer_name`` only by blocks that take the default ``layer``; ``layer`` not by blocks with
#: a ``missing_reason``).
_DEFAULT_KEYS: dict[str, type] = {
    k: _LAYER_KEYS[k] for k in ("layer", "layer_name", "encoding", "crs", "datum", "towgs84")
}
#: Keys that make a component block a whole layer: one component per distinct value.
_BLOCK_KEYS: dict[str, type] = {
    "id_column": str,
    "id_prefix": str,
    "name_en_column": str,
    "name_zh_column": str,
    "stated_area_column": str,
    "role_column": str,
}
# Keys that describe one component and make no sense on a whole-layer block.
_NOT_IN_BLOCK = ("id", "name_en", "name_zh", "stated_area_km2", "stated", "missing_reason")
_COMPONENT_KEYS: dict[str, type] = {
    **_LAYER_KEYS,
    "id": str,
    "name_en": str,
    "name_zh": str,
    "stated_area_km2": float,
    "stated_area_source": str,
    "role": str,
    "missing_reason": str,
    "tolerance_pct": float,
    "stated": list,
    "may_overlap": list,
    "parent": str,
    **_BLOCK_KEYS,
}
_STATED_KEYS: dict[str, type] = {"area_km2": float, "source": str, "year": int, "judged": bool}
_COMPONENT_REQUIRED = ("id", "name_en")
#: The Helmert parameters of ``towgs84``, in order and units (position-vector convention,
#: EPSG method 9606, as PROJ's ``+towgs84``).
TOWGS84_PARAMETERS: tuple[str, ...] = (
    "dx (m)",
    "dy (m)",
    "dz (m)",
    "rx (arc-seconds)",
    "ry (arc-seconds)",
    "rz (arc-seconds)",
    "ds (ppm)",
)
_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
#: Largest area accepted anywhere in a recipe: more than China's land area is a typo.
MAX_AREA_KM2 = 10_000_000.0
MAX_SNAP_M = 100.0
MAX_GAP_WIDTH_M = 5000.0
# Bounds of towgs84 parameters: published shifts of Chinese and other national datums stay
# far inside them (Beijing 1954: about 10–200 m, a few arc-seconds, a few ppm).
_MAX_SHIFT_M = 2000.0
_MAX_ROTATION_S = 100.0
_MAX_SCALE_PPM = 1000.0


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clip(text: str, limit: int = 60) -> str:
    flat = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _big(value: int) -> str:
    """Show an integer too large for a float compactly (``123456… (400 digits)``)."""
    digits = len(str(abs(value)))
    return f"{'-' if value < 0 else ''}{str(abs(value))[:6]}… ({digits} digits)"


_TYPE_NAMES = {
    str: "text",
    float: "a number",
    dict: "a table",
    list: "a list",
    int: "an integer",
    bool: "true or false",
}


def _closest(key: str, keys: dict[str, type]) -> str | None:
    import difflib

    match = difflib.get_close_matches(key, list(keys), n=1, cutoff=0.6)
    return match[0] if match else None
