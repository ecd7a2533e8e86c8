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

This module is the public face of recipes; the pieces live in private modules, one idea each:
the dataclasses (``_recipe_model``), the TOML schema and bounds (``_recipe_schema``), reading the
file (``_recipe_file``), field parsing (``_recipe_fields``), whole-layer blocks
(``_recipe_blocks``) and the whole-recipe check (``_recipe_check``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._errors import RecipeError
from ._recipe_blocks import block_id, block_value
from ._recipe_check import _Checker
from ._recipe_file import read_recipe_toml
from ._recipe_model import (
    DEFAULT_GAP_WIDTH_M,
    ROLES,
    UNITS,
    Block,
    ComponentSpec,
    LayerSource,
    Recipe,
    StatedFigure,
)
from ._recipe_schema import MAX_AREA_KM2, MAX_GAP_WIDTH_M, MAX_SNAP_M, TOWGS84_PARAMETERS, _clip
from .limits import Limits
from .limits import current as current_limits

__all__ = [
    "DEFAULT_GAP_WIDTH_M",
    "DICT_LABEL",
    "MAX_AREA_KM2",
    "MAX_GAP_WIDTH_M",
    "MAX_SNAP_M",
    "ROLES",
    "TOWGS84_PARAMETERS",
    "UNITS",
    "Block",
    "ComponentSpec",
    "LayerSource",
    "Recipe",
    "StatedFigure",
    "block_id",
    "block_value",
    "default_recipe_path",
    "load_recipe",
]

#: What messages and ``Recipe.path`` call a recipe given as a dict.
DICT_LABEL = Path("<recipe dict>")


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
    return _Checker(path, path.resolve().parent, limits).recipe(read_recipe_toml(path, limits))
