"""What a recipe is: the frozen dataclasses a checked recipe is made of.

:class:`Recipe` holds the city, its stated area and tolerance and its components
(:class:`ComponentSpec`), each with where its geometry comes from (:class:`LayerSource`), its
published figures (:class:`StatedFigure`) and, for a whole-layer block, the block it came from
(:class:`Block`). All are re-exported by :mod:`autocity_gis.recipe`, which reads and checks them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._recipe_schema import _clip

#: Roles a component can play in the composition.
ROLES: tuple[str, ...] = ("part", "subtract")
#: Area units a report can show beside km² (the reference): hectares (公顷) and mu (亩).
UNITS: dict[str, float] = {"km2": 1.0, "ha": 100.0, "mu": 1500.0}
#: Default and largest ``[city] gap_width_m``: gaps between components narrower than this are
#: reported, enclosed or open to the outer edge (see :mod:`autocity_gis._diagnostics`). 50 m is
#: wider than the digitising errors seen between surveyed zones (a few metres) and narrower
#: than most roads and rivers that separate zones on purpose.
DEFAULT_GAP_WIDTH_M = 50.0


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
    overlays : tuple of OverlayLayer
        The ``[[overlays]]`` blocks (land-use and control-line layers), checked, their paths
        resolved (:mod:`autocity_gis._recipe_overlays`).
    engine : {"local", "dask"}
        Where the overlays run: this machine's cores, or a Dask cluster.
    scheduler : str or None
        For ``engine = "dask"``: the ``tcp://HOST:PORT`` of an existing cluster (None: a local
        cluster started for the run).
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
    overlays: tuple[Any, ...] = ()
    engine: str = "local"
    scheduler: str | None = None
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
