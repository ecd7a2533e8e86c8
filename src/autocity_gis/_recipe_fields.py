"""Field parsing of a recipe: tables, numbers, layers, datums and stated figures.

:class:`_Fields` collects every problem of one recipe as it reads the fields (one sentence per
problem, naming where in the recipe it is); :mod:`autocity_gis._recipe_check` raises them
together. Layer paths are resolved (and kept inside the recipe's folder) by
:func:`autocity_gis._gdal.resolve_layer_path`.
"""

from __future__ import annotations

import codecs
import math
import numbers
from pathlib import Path
from typing import Any

from ._errors import InputError
from ._recipe_model import UNITS, LayerSource, StatedFigure
from ._recipe_schema import (
    _MAX_ROTATION_S,
    _MAX_SCALE_PPM,
    _MAX_SHIFT_M,
    _STATED_KEYS,
    _TYPE_NAMES,
    MAX_AREA_KM2,
    TOWGS84_PARAMETERS,
    _big,
    _clip,
    _closest,
)
from .limits import Limits


class _Fields:
    """Read a recipe's fields, collecting every problem (one sentence each) in ``problems``."""

    def __init__(
        self, path: Path, folder: Path | None, limits: Limits, *, from_file: bool = True
    ) -> None:
        self.path = path
        self.folder = folder
        self.limits = limits
        self.from_file = from_file
        self.problems: list[str] = []
        self.reads: dict[Any, Any] = {}

    def fail(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    def table(
        self, data: Any, where: str, keys: dict[str, type], required: tuple[str, ...]
    ) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail(where, "must be a table")
            return {}
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key not in keys:
                hint = _closest(key, keys)
                guess = f" (did you mean '{hint}'?)" if hint else ""
                self.fail(where, f"unknown key '{key}'{guess}")
                continue
            want = keys[key]
            # numbers.Real: a dict recipe built in Python may hold numpy numbers.
            real = isinstance(value, numbers.Real) and not isinstance(value, bool | float)
            if want is float and real:
                try:
                    value = float(value)
                except OverflowError:
                    self.fail(where, f"'{key}' = {_big(int(value))} is out of range")
                    continue
            elif want is int and isinstance(value, numbers.Integral):
                value = value if isinstance(value, bool) else int(value)  # bools refused below
            elif want is list and isinstance(value, tuple):
                value = list(value)
            if not isinstance(value, want) or (isinstance(value, bool) and want is not bool):
                self.fail(where, f"'{key}' must be {_TYPE_NAMES[want]}, not {type(value).__name__}")
                continue
            out[key] = value
        for key in required:
            if key not in data:
                self.fail(where, f"missing key '{key}'")
        return out

    def number(
        self, table: dict[str, Any], key: str, where: str, low: float, high: float
    ) -> float | None:
        value = table.get(key)
        if value is None:
            return None
        if not math.isfinite(value) or not low < value <= high:
            self.fail(where, f"'{key}' = {value} is out of range ({low} < value <= {high})")
            return None
        return float(value)

    def layer(
        self, table: dict[str, Any], where: str, reference: LayerSource | None = None
    ) -> LayerSource | None:
        if "layer" not in table:
            return None
        frame = _as_frame(table["layer"])
        full = self.layer_path(table, where, frame)
        if full is None:
            return None
        flt = table.get("filter", {})
        for col, val in flt.items():
            values = val if isinstance(val, list) else [val]
            if not values or not all(isinstance(v, str | numbers.Real) for v in values):
                self.fail(where, f"filter '{col}' must be a string, number or list of them")
        datum = table.get("datum")
        if datum is not None:
            from .datum import parse_datum

            try:
                datum = parse_datum(datum)
            except InputError as exc:
                self.fail(where, str(exc).rstrip("."))
        encoding = self.encoding(table, where)
        towgs84 = self.towgs84(table, where, datum)
        return LayerSource(
            path=full,
            layer_name=table.get("layer_name"),
            filter=dict(flt),
            datum=datum,
            crs=table.get("crs"),
            encoding=encoding,
            reference=reference,
            root=self.folder,
            parent=table.get("parent"),
            frame=frame,
            towgs84=towgs84,
        )

    def layer_path(self, table: dict[str, Any], where: str, frame: Any) -> Path | None:
        """Return the layer's file inside the recipe's folder, or a label for a frame layer."""
        from ._errors import LayerError
        from ._gdal import resolve_layer_path

        value = table["layer"]
        if frame is not None:
            for key in ("layer_name", "encoding"):
                if key in table:
                    self.fail(where, f"'{key}' applies to files, not to a GeoDataFrame layer")
            own = _frame_crs(frame)
            if "crs" in table and own is not None:
                self.fail(
                    where,
                    f"the GeoDataFrame has its own CRS ({_clip(own.to_string())}); give "
                    "'crs' only for a frame without one",
                )
            return Path(f"<GeoDataFrame of {where}>")
        if not isinstance(value, str):
            self.fail(
                where,
                "'layer' must be text (a file path)"
                + ("" if self.from_file else " or a GeoDataFrame/GeoSeries")
                + f", not {type(value).__name__}",
            )
            return None
        if self.folder is None:
            self.fail(
                where,
                f"layer '{_clip(value)}' is a file path, but a dict recipe reads files only "
                "from the folder given as root=; pass root= or give a GeoDataFrame",
            )
            return None
        try:
            return resolve_layer_path(value, self.folder)
        except LayerError as exc:
            self.fail(where, str(exc))
            return None

    def encoding(self, table: dict[str, Any], where: str) -> str | None:
        """Read ``encoding``: a text encoding Python knows (None when absent or refused)."""
        encoding = table.get("encoding")
        if encoding is not None:
            try:
                codec = codecs.lookup(encoding)
            except (LookupError, ValueError):
                self.fail(where, f'encoding \'{_clip(encoding)}\' is unknown (e.g. "GBK", "UTF-8")')
                encoding = None
            else:
                # codecs also knows rot13, zlib, base64, hex...: byte or text transforms
                # that no layer's attributes are stored in.
                if not getattr(codec, "_is_text_encoding", True):
                    self.fail(
                        where,
                        f"encoding '{_clip(encoding)}' is not a text encoding (e.g. \"GBK\", "
                        '"UTF-8")',
                    )
                    encoding = None
        return encoding

    def towgs84(
        self, table: dict[str, Any], where: str, datum: str | None
    ) -> tuple[float, ...] | None:
        """Read ``towgs84``: 7 Helmert parameters (m, m, m, ″, ″, ″, ppm)."""
        raw = table.get("towgs84")
        if raw is None:
            return None
        names = ", ".join(TOWGS84_PARAMETERS)
        ok = len(raw) == 7 and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in raw
        )
        if not ok:
            self.fail(where, f"'towgs84' must be a list of 7 numbers: {names}")
            return None
        values = tuple(float(v) for v in raw)
        bounds = (*[_MAX_SHIFT_M] * 3, *[_MAX_ROTATION_S] * 3, _MAX_SCALE_PPM)
        for name, value, bound in zip(TOWGS84_PARAMETERS, values, bounds, strict=True):
            if abs(value) > bound:
                self.fail(
                    where,
                    f"'towgs84' {name} = {value:g} is out of range (±{bound:g}); the parameters "
                    f"are {names}",
                )
                return None
        if datum in ("GCJ02", "BD09"):
            self.fail(where, f"'towgs84' cannot be combined with datum {datum}")
            return None
        return values

    def stated_figures(self, comp: dict[str, Any], where: str) -> tuple[StatedFigure, ...]:
        """Read a component's ``stated`` list: published figures, at most one judged."""
        raw = comp.get("stated")
        if raw is None:
            return ()
        if not raw:
            self.fail(where, "'stated' is an empty list")
        figures = []
        for i, entry in enumerate(raw, start=1):
            at = f"{where}, stated figure {i}"
            table = self.table(entry, at, _STATED_KEYS, ("area_km2",))
            area = self.number(table, "area_km2", at, 0.0, MAX_AREA_KM2)
            year = table.get("year")
            if year is not None and not 1800 <= year <= 2200:
                self.fail(at, f"'year' = {_big(year) if abs(year) > 10**9 else year} is not a year")
                year = None
            if area is not None:
                figures.append(
                    StatedFigure(area, table.get("source", ""), year, table.get("judged", False))
                )
        if sum(f.judged for f in figures) > 1:
            self.fail(where, "more than one stated figure has judged = true; mark only one")
        return tuple(figures)

    def id_list(self, table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
        values = table.get(key, [])
        if not all(isinstance(v, str) for v in values):
            self.fail(where, f"'{key}' must be a list of component ids")
            return ()
        return tuple(values)

    def units(self, city: dict[str, Any]) -> tuple[str, ...]:
        """Read the city's ``units``: km² is always shown first, as the reference."""
        raw = city.get("units", ["km2"])
        out = ["km2"]
        for unit in raw:
            if not isinstance(unit, str) or unit not in UNITS:
                shown = _clip(unit) if isinstance(unit, str) else type(unit).__name__
                self.fail("[city]", f"unit '{shown}' is not one of {', '.join(UNITS)}")
            elif unit not in out:
                out.append(unit)
        return tuple(out)


def _as_frame(value: Any) -> Any:
    """Return ``value`` as a GeoDataFrame if it is a GeoDataFrame or GeoSeries, else None."""
    if isinstance(value, str):
        return None
    import geopandas as gpd

    if isinstance(value, gpd.GeoDataFrame):
        return value
    if isinstance(value, gpd.GeoSeries):
        return gpd.GeoDataFrame(geometry=value)
    return None


def _frame_crs(frame: Any) -> Any:
    """Return the CRS of a frame, None when it has none (or no geometry column to carry one)."""
    try:
        return frame.crs
    except AttributeError:
        return None
