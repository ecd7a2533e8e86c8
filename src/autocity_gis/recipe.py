"""Recipes: the TOML file that fully describes a composition.

A recipe names the city and its stated area with a tolerance, the context layer of
administrative units, and each component: where its geometry comes from (a layer file and an
attribute filter), its stated area with the source of that figure, and its role (``part`` adds to
the boundary, ``subtract`` cuts out of it). Paths are relative to the recipe's folder and may not
escape it. Loading collects every problem in the file and reports them together, one sentence
each, so a user fixes a recipe in one pass.

Example
-------
.. code-block:: toml

    [city]
    name_en = "Changchun International Automobile City"
    name_zh = "长春国际汽车城"
    target_km2 = 471.0
    target_source = "Jilin provincial government, 2020-07-30"
    tolerance_pct = 1.0
    components_must_pass = true     # a component outside its tolerance fails the check
    units = ["km2", "ha", "mu"]     # km² (the reference), 公顷, 亩

    [context]
    layer = "admin_units.geojson"

    [[components]]
    id = "daling"
    name_en = "Daling town"
    name_zh = "大岭镇"
    layer = "components.geojson"
    filter = { id = "daling" }
    stated_area_km2 = 147.3
    stated_area_source = "town profile"
    tolerance_pct = 2.0             # this component's own (default: the city's)

    [[components]]
    id = "auto_etdz"
    name_en = "Automobile ETDZ"
    layer = "components.geojson"
    filter = { id = "auto_etdz" }
    may_overlap = ["daling"]        # its published area may include part of Daling's
    stated = [
        { area_km2 = 118.59, source = "zone profile", judged = true },
        { area_km2 = 110.0, source = "national catalogue", year = 2018 },
    ]

A whole layer is one block: ``id_column`` makes one component per distinct value (features
sharing a value are merged), names, stated areas (km²) and roles may come from columns, and
``[defaults]`` holds what every block shares (``layer``, ``layer_name``, ``encoding``, ``crs``,
``datum``, ``towgs84``). The layer is read once, when the recipe is loaded; composing reuses
that read (:attr:`Recipe.reads`).

.. code-block:: toml

    [defaults]
    layer = "plan.gpkg"
    layer_name = "zones"

    [[components]]
    id_column = "code"              # ids: the values (made safe, see block_id)
    name_en_column = "name"         # optional; the value itself otherwise
    name_zh_column = "name_cn"      # optional
    stated_area_column = "area_km2" # optional, numbers in km²
    role_column = "role"            # optional, "part" or "subtract"

Layers in Beijing 1954 or Xian 1980 take ``towgs84 = [dx, dy, dz, rx, ry, rz, ds]`` (metres,
arc-seconds, ppm; position-vector convention), which PROJ cannot supply. From Python, a recipe
may be a dict of the same structure whose layers are GeoDataFrames (:func:`load_recipe`).
"""

from __future__ import annotations

import codecs
import math
import numbers
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._errors import InputError, RecipeError
from .limits import Limits
from .limits import current as current_limits

#: Roles a component can play in the composition.
ROLES: tuple[str, ...] = ("part", "subtract")

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
#: Area units a report can show beside km² (the reference): hectares (公顷) and mu (亩).
UNITS: dict[str, float] = {"km2": 1.0, "ha": 100.0, "mu": 1500.0}
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
#: Default and largest ``[city] gap_width_m``: gaps between components narrower than this are
#: reported, enclosed or open to the outer edge (see :mod:`autocity_gis._diagnostics`). 50 m is
#: wider than the digitising errors seen between surveyed zones (a few metres) and narrower
#: than most roads and rivers that separate zones on purpose.
DEFAULT_GAP_WIDTH_M = 50.0
MAX_GAP_WIDTH_M = 5000.0
# Bounds of towgs84 parameters: published shifts of Chinese and other national datums stay
# far inside them (Beijing 1954: about 10–200 m, a few arc-seconds, a few ppm).
_MAX_SHIFT_M = 2000.0
_MAX_ROTATION_S = 100.0
_MAX_SCALE_PPM = 1000.0


@dataclass(frozen=True)
class LayerSource:
    """Where a layer's geometry comes from.

    Attributes
    ----------
    path : Path
        Absolute path of the file.
    layer_name : str or None
        Layer inside a multi-layer file (GeoPackage); None for the first.
    filter : dict
        Attribute equality filter: column → value or list of accepted values.
    datum : str or None
        Declared datum of the coordinates (``WGS84``, ``GCJ02``, ``BD09``), when they are
        longitude/latitude in an offset datum that no CRS can express.
    crs : str or None
        CRS to assume when the file declares none (e.g. ``EPSG:4547``).
    encoding : str or None
        Encoding of the text attributes (e.g. ``GBK`` for a Shapefile without ``.cpg``);
        None lets GDAL decide.
    reference : LayerSource or None
        For a component, the recipe's context layer: the component's position and datum are
        checked against it.
    root : Path or None
        The recipe's folder: the layer lies inside it, and zipped layers are read only from
        there.
    parent : str or None
        For a component, an attribute value (adcode or name) of the context unit that should
        contain it: the share outside that unit is reported.
    frame : geopandas.GeoDataFrame or None
        The features themselves, when a dict recipe gives a GeoDataFrame or GeoSeries as the
        ``layer`` (no file is read; ``path`` is then only a label for messages).
    towgs84 : tuple of 7 floats or None
        Helmert parameters from the layer's datum to WGS 84, position-vector convention
        (EPSG method 9606, as PROJ's ``+towgs84``): dx, dy, dz in metres, rx, ry, rz in
        arc-seconds, ds in ppm. For Beijing 1954 and Xian 1980 layers, which PROJ cannot
        shift to WGS 84 by itself.
    """

    path: Path
    layer_name: str | None = None
    filter: dict[str, Any] = field(default_factory=dict)
    datum: str | None = None
    crs: str | None = None
    encoding: str | None = None
    reference: LayerSource | None = None
    root: Path | None = None
    parent: str | None = None
    frame: Any = field(default=None, compare=False, repr=False)
    towgs84: tuple[float, ...] | None = None

    @property
    def label(self) -> str:
        """The file name, or the frame's label (for short messages)."""
        return self.path.name


@dataclass(frozen=True)
class Block:
    """Where a component made from a whole-layer block (``id_column``) comes from.

    Attributes
    ----------
    index : int
        Position of the block among the recipe's ``[[components]]`` (1-based); components
        of one block share it and are loaded from one read of its layer.
    id_column : str
        The attribute whose distinct values make the components.
    value : str
        This component's value of it, as text (integral numbers without ``.0``).
    """

    index: int
    id_column: str
    value: str


@dataclass(frozen=True)
class StatedFigure:
    """One published area of a component.

    Attributes
    ----------
    area_km2 : float
        The figure, in km².
    source : str
        Where it was read.
    year : int or None
        The year it refers to, when known.
    judged : bool
        Whether the check compares the measured area with this figure (at most one per
        component).
    """

    area_km2: float
    source: str = ""
    year: int | None = None
    judged: bool = False


@dataclass(frozen=True)
class ComponentSpec:
    """One component of the composition as the recipe describes it.

    ``stated_area_km2``/``stated_area_source`` are the judged figure (from the shorthand keys
    of the same name, or the entry of ``stated`` marked ``judged = true``); ``stated`` lists
    every published figure; ``tolerance_pct`` is the component's own tolerance (None: the
    city's); ``may_overlap`` names components whose published areas may include part of this
    one's (the reconciliation gives the range the sum could take).
    """

    id: str
    name_en: str
    name_zh: str
    role: str
    source: LayerSource | None
    stated_area_km2: float | None
    stated_area_source: str | None
    missing_reason: str | None = None
    tolerance_pct: float | None = None
    stated: tuple[StatedFigure, ...] = ()
    may_overlap: tuple[str, ...] = ()
    block: Block | None = None


@dataclass(frozen=True)
class Recipe:
    """A whole composition recipe.

    Attributes
    ----------
    path : Path
        The recipe file.
    id, name_en, name_zh : str
        The composed area.
    target_km2 : float
        Officially stated area to check against.
    target_source : str
        Where that figure was read.
    tolerance_pct : float
        Allowed relative difference, in percent.
    snap_tolerance_m : float
        Distance within which vertices of neighbouring components are snapped together and
        gaps narrower than this are closed.
    context : LayerSource or None
        Administrative units drawn for orientation.
    components : tuple of ComponentSpec
        In recipe order.
    components_must_pass : bool
        Whether a component outside its own tolerance fails the whole check.
    units : tuple of str
        Area units reports show (``km2`` first, the reference; ``ha``, ``mu``).
    gap_width_m : float
        Gaps between parts narrower than this (metres) are reported, enclosed or open to the
        outer edge; enclosed areas wider than it are holes (``[city] gap_width_m``, default
        :data:`DEFAULT_GAP_WIDTH_M`; ``0`` reports only enclosed gaps).
    from_file : bool
        False for a recipe given as a dict (``path`` is then only a label).
    root : Path or None
        The folder layer paths are relative to: the recipe file's folder, or the ``root``
        given with a dict recipe (None: a dict recipe whose layers are all frames).
    reads : dict
        Layers read while loading (whole-layer blocks need their values), keyed as in
        :class:`autocity_gis.layers.ReadCache`: composing reuses them, so each file is read
        once per run and the components and their geometry come from the same read.
    """

    path: Path
    id: str
    name_en: str
    name_zh: str
    target_km2: float
    target_source: str
    tolerance_pct: float
    snap_tolerance_m: float
    context: LayerSource | None
    components: tuple[ComponentSpec, ...]
    components_must_pass: bool = True
    units: tuple[str, ...] = ("km2",)
    gap_width_m: float = DEFAULT_GAP_WIDTH_M
    from_file: bool = True
    root: Path | None = None
    reads: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def parts(self) -> tuple[ComponentSpec, ...]:
        """Components that add to the boundary."""
        return tuple(c for c in self.components if c.role == "part")

    def __repr__(self) -> str:
        parts = len(self.parts)
        cut = len(self.components) - parts
        missing = sum(1 for c in self.components if c.source is None)
        where = self.path.name if self.from_file else "dict"
        return (
            f"<Recipe {self.id!r} {_clip(self.name_en, 40)!r}: {parts} part(s)"
            + (f", {cut} subtracted" if cut else "")
            + (f" ({missing} without a layer)" if missing else "")
            + f", target {self.target_km2:g} km² ± {self.tolerance_pct:g} %, from {where}>"
        )


def default_recipe_path() -> Path:
    """Return the recipe of the embedded Automobile City data (``geodata/autocity.toml``).

    Looked up next to the source tree first (a checkout), then inside the installed package.
    """
    here = Path(__file__).resolve()
    for candidate in (
        here.parents[2] / "geodata" / "autocity.toml",
        here.parent / "geodata" / "autocity.toml",
    ):
        if candidate.is_file():
            return candidate
    raise RecipeError(
        "The embedded recipe geodata/autocity.toml was not found; pass --recipe with a recipe file."
    )


def load_recipe(
    path: str | Path | Mapping[str, Any] | None = None,
    *,
    root: str | Path | None = None,
    limits: Limits | None = None,
) -> Recipe:
    """Read and check a recipe: a TOML file, or a dict of the same structure.

    Parameters
    ----------
    path : str, Path or dict, optional
        The TOML file; the embedded Automobile City recipe when omitted. Or a dict with the
        TOML structure (``{"city": {...}, "components": [{...}, ...]}``) in which any
        ``layer`` may be a GeoDataFrame or GeoSeries: its CRS is the frame's (give ``crs``
        only for a frame without one) and no file is read for it.
    root : str or Path, optional
        For a dict recipe only: the folder its file layers are relative to and may not
        leave. Without it, a dict recipe takes frames only.
    limits : Limits, optional
        Resource limits; only ``max_recipe_bytes`` applies here, and the layer limits to
        whole-layer blocks (read here for their values). When omitted,
        :func:`autocity_gis.limits.current` (defaults raised by ``AUTOCITY_GIS_MAX_…``).

    Returns
    -------
    Recipe
        The checked recipe with absolute layer paths.

    Raises
    ------
    RecipeError
        Naming the file and every problem found (not a regular file, too big, not UTF-8 or
        not TOML, unknown or missing keys, wrong types, absurd numbers, duplicate ids, layer
        paths that do not exist, are not regular files or leave the recipe's folder; for a
        whole-layer block, a column the layer lacks or values that cannot be used).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> zones = gpd.GeoDataFrame({"code": ["a", "b"]}, crs="EPSG:4326",
    ...     geometry=[shapely.box(125.1, 43.8, 125.2, 43.9), shapely.box(125.2, 43.8, 125.3, 43.9)])
    >>> recipe = load_recipe({
    ...     "city": {"name_en": "Plan", "target_km2": 16.0, "tolerance_pct": 5.0},
    ...     "components": [{"layer": zones, "id_column": "code"}],
    ... })
    >>> [c.id for c in recipe.components]
    ['a', 'b']
    """
    limits = current_limits(limits)
    if isinstance(path, Mapping):
        folder = Path(os.path.realpath(root)) if root is not None else None
        if folder is not None and not folder.is_dir():
            raise RecipeError(f"root={_clip(str(root))}: is not a folder.")
        return _Checker(DICT_LABEL, folder, limits, from_file=False).recipe(dict(path))
    if root is not None:
        raise RecipeError(
            "root= is only for a dict recipe; a recipe file's layers are relative to its folder."
        )
    path = Path(path) if path is not None else default_recipe_path()
    text = _read_text(path, limits)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RecipeError(f"{path}: not valid TOML ({_one_line(str(exc))}).") from exc
    except RecursionError as exc:
        raise RecipeError(
            f"{path}: not valid for a recipe (tables or arrays nested too deeply)."
        ) from exc
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise RecipeError(f"{path}: not valid for a recipe ({_one_line(str(exc))}).") from exc
    return _Checker(path, path.resolve().parent, limits).recipe(data)


#: What messages and ``Recipe.path`` call a recipe given as a dict.
DICT_LABEL = Path("<recipe dict>")


def _read_text(path: Path, limits: Limits) -> str:
    """Read a recipe file as text: a regular file, at most ``max_recipe_bytes``, UTF-8."""
    cap = limits.max_recipe_bytes
    try:
        info = os.stat(path)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise RecipeError(f"{path}: cannot read the recipe ({reason}).") from exc
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "a folder"
            if stat.S_ISDIR(info.st_mode)
            else "a named pipe (FIFO)"
            if stat.S_ISFIFO(info.st_mode)
            else "a device"
            if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
            else "not a file"
        )
        raise RecipeError(f"{path}: is {kind}, not a regular file; give the recipe's .toml file.")
    too_big = RecipeError(
        f"{path}: the recipe is larger than the limit of {cap:,} bytes; if that is expected, "
        f"raise it with the environment variable {Limits.env_name('max_recipe_bytes')}."
    )
    if info.st_size > cap:
        raise too_big
    try:
        # Opened without following a swap to a pipe: O_NONBLOCK keeps a FIFO from hanging.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise RecipeError(f"{path}: is not a regular file; give the recipe's .toml file.")
            raw = handle.read(cap + 1)
    except OSError as exc:
        raise RecipeError(f"{path}: cannot read the recipe ({exc.strerror}).") from exc
    if len(raw) > cap:
        raise too_big
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecipeError(f"{path}: the recipe is not UTF-8 text (byte {exc.start}).") from exc


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _Checker:
    """Collect every problem of one recipe file, then raise once."""

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
    ) -> dict:
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

    def number(self, table: dict, key: str, where: str, low: float, high: float) -> float | None:
        value = table.get(key)
        if value is None:
            return None
        if not math.isfinite(value) or not low < value <= high:
            self.fail(where, f"'{key}' = {value} is out of range ({low} < value <= {high})")
            return None
        return float(value)

    def layer(
        self, table: dict, where: str, reference: LayerSource | None = None
    ) -> LayerSource | None:
        if "layer" not in table:
            return None
        from ._errors import LayerError
        from ._gdal import resolve_layer_path

        value = table["layer"]
        frame = _as_frame(value)
        if frame is not None:
            full = Path(f"<GeoDataFrame of {where}>")
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
        elif not isinstance(value, str):
            self.fail(
                where,
                "'layer' must be text (a file path)"
                + ("" if self.from_file else " or a GeoDataFrame/GeoSeries")
                + f", not {type(value).__name__}",
            )
            return None
        elif self.folder is None:
            self.fail(
                where,
                f"layer '{_clip(value)}' is a file path, but a dict recipe reads files only "
                "from the folder given as root=; pass root= or give a GeoDataFrame",
            )
            return None
        else:
            try:
                full = resolve_layer_path(value, self.folder)
            except LayerError as exc:
                self.fail(where, str(exc))
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

    def towgs84(self, table: dict, where: str, datum: str | None) -> tuple[float, ...] | None:
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

    def recipe(self, data: dict) -> Recipe:
        top_keys: dict[str, type] = {
            "city": dict,
            "context": dict,
            "defaults": dict,
            "components": list,
        }
        top = self.table(data, "top level", top_keys, ("city", "components"))
        city = self.table(top.get("city", {}), "[city]", _CITY_KEYS, _CITY_REQUIRED)
        target = self.number(city, "target_km2", "[city]", 0.0, MAX_AREA_KM2)
        tolerance = self.number(city, "tolerance_pct", "[city]", 0.0, 50.0)
        snap = city.get("snap_tolerance_m", 1.0)
        if not (math.isfinite(snap) and 0.0 <= snap <= MAX_SNAP_M):
            self.fail("[city]", f"'snap_tolerance_m' = {snap} is out of range (0 to {MAX_SNAP_M})")
        gap_width = city.get("gap_width_m", DEFAULT_GAP_WIDTH_M)
        if not (math.isfinite(gap_width) and 0.0 <= gap_width <= MAX_GAP_WIDTH_M):
            self.fail(
                "[city]", f"'gap_width_m' = {gap_width} is out of range (0 to {MAX_GAP_WIDTH_M:g})"
            )
        context = None
        if "context" in top:
            ctx = self.table(top["context"], "[context]", _LAYER_KEYS, ("layer",))
            context = self.layer(ctx, "[context]")
        components: list[ComponentSpec] = []
        seen: dict[str, str] = {}  # id -> the block it came from
        defaults = self.table(top.get("defaults", {}), "[defaults]", _DEFAULT_KEYS, ())
        raw_components = top.get("components", [])
        if "components" in top and not raw_components:
            self.fail("[[components]]", "the recipe lists no component")
        for i, raw in enumerate(raw_components, start=1):
            where = f"component {i}"
            if isinstance(raw, dict):
                # layer_name belongs to the default layer: a block naming its own file does
                # not take it (encoding, crs, datum and towgs84 describe the office's data).
                shared = {
                    k: v
                    for k, v in defaults.items()
                    if not (k == "layer" and "missing_reason" in raw)
                    and not (k == "layer_name" and "layer" in raw)
                }
                raw = {**shared, **raw}
            if isinstance(raw, dict) and "id_column" in raw:
                comp = self.table(raw, where, _COMPONENT_KEYS, ())
                components += self.block(i, comp, where, context, seen)
                continue
            comp = self.table(raw, where, _COMPONENT_KEYS, _COMPONENT_REQUIRED)
            for key in _BLOCK_KEYS:
                if key in comp:
                    self.fail(where, f"'{key}' applies only to a block with 'id_column'")
            cid = comp.get("id")
            if cid is not None:
                where = f"component '{cid}'"
                if not _ID_RE.match(cid):
                    self.fail(where, "id must be a letter then letters, digits, _ or -")
                if cid in seen:
                    self.fail(where, f"duplicate id (also {seen[cid]})")
                seen[cid] = f"component {i}"
            role = comp.get("role", "part")
            if role not in ROLES:
                self.fail(where, f"role '{role}' is not one of {', '.join(ROLES)}")
            stated = self.number(comp, "stated_area_km2", where, 0.0, MAX_AREA_KM2)
            stated_source = comp.get("stated_area_source")
            figures = self.stated_figures(comp, where)
            judged = [f for f in figures if f.judged]
            if figures and "stated_area_km2" in comp:
                self.fail(
                    where,
                    "give either 'stated_area_km2' or a 'stated' list (with judged = true on the "
                    "figure to check), not both",
                )
            elif judged:
                stated, stated_source = judged[0].area_km2, judged[0].source
            elif stated is not None:
                figures = (StatedFigure(stated, stated_source or "", None, True),)
            comp_tolerance = self.number(comp, "tolerance_pct", where, 0.0, 100.0)
            may_overlap = self.id_list(comp, "may_overlap", where)
            source = self.layer(comp, where, reference=context)
            if "layer" not in comp and "missing_reason" not in comp:
                self.fail(where, "give a 'layer', or a 'missing_reason' saying why there is none")
            components.append(
                ComponentSpec(
                    id=cid or f"component{i}",
                    name_en=comp.get("name_en", ""),
                    name_zh=comp.get("name_zh", ""),
                    role=role,
                    source=source,
                    stated_area_km2=stated,
                    stated_area_source=stated_source,
                    missing_reason=comp.get("missing_reason") if source is None else None,
                    tolerance_pct=comp_tolerance,
                    stated=figures,
                    may_overlap=may_overlap,
                )
            )
        for spec in components:
            for other in spec.may_overlap:
                if other not in seen or other == spec.id:
                    self.fail(
                        f"component '{spec.id}'",
                        f"may_overlap names '{_clip(other)}', which is not another component",
                    )
        units = self.units(city)
        if components and not any(c.role == "part" and c.source for c in components):
            self.fail("[[components]]", "no component of role 'part' has a layer to compose")
        if self.problems:
            listed = "; ".join(self.problems)
            raise RecipeError(f"{self.path}: {listed}.")
        assert target is not None and tolerance is not None
        return Recipe(
            path=self.path.resolve() if self.from_file else self.path,
            id=city.get("id", "city"),
            name_en=city["name_en"],
            name_zh=city.get("name_zh", ""),
            target_km2=target,
            target_source=city.get("target_source", ""),
            tolerance_pct=tolerance,
            snap_tolerance_m=float(snap),
            context=context,
            components=tuple(components),
            components_must_pass=city.get("components_must_pass", True),
            units=units,
            gap_width_m=float(gap_width),
            from_file=self.from_file,
            root=self.folder,
            reads=self.reads,
        )

    def block(
        self,
        index: int,
        comp: dict,
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
        if frame is None:
            return []
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
            return []
        id_column = comp["id_column"]
        keys = [block_value(v) for v in frame[id_column].tolist()]
        empty = [str(i) for i, k in zip(frame.index, keys, strict=True) if k is None]
        if empty:
            self.fail(
                where,
                f"{source.label}: feature {empty[0]} has no value in id_column '{_clip(id_column)}'"
                + (f" ({len(empty) - 1} more)" if len(empty) > 1 else ""),
            )
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
            if cid in made:
                self.fail(
                    at,
                    f"makes the id '{cid}', as does the value {_clip(made[cid], 40)!r}; give "
                    "an id_prefix or make the values distinct",
                )
                continue
            made[cid] = value
            if cid in seen:
                self.fail(at, f"duplicate id '{cid}' (also {seen[cid]})")
            seen[cid] = at
            name_en = self.first_text(frame, rows, comp.get("name_en_column")) or value
            name_zh = self.first_text(frame, rows, comp.get("name_zh_column")) or ""
            this_role = self.first_text(frame, rows, comp.get("role_column")) or role
            if this_role not in ROLES:
                self.fail(at, f"role '{_clip(this_role)}' is not one of {', '.join(ROLES)}")
            stated = self.block_stated(areas, rows, at)
            figures = (StatedFigure(stated, stated_source, None, True),) if stated else ()
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
                    stated=figures,
                    block=Block(index, id_column, value),
                )
            )
        return out

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

    def stated_figures(self, comp: dict, where: str) -> tuple[StatedFigure, ...]:
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

    def id_list(self, table: dict, key: str, where: str) -> tuple[str, ...]:
        values = table.get(key, [])
        if not all(isinstance(v, str) for v in values):
            self.fail(where, f"'{key}' must be a list of component ids")
            return ()
        return tuple(values)

    def units(self, city: dict) -> tuple[str, ...]:
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
