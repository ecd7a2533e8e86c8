"""autocity-gis: compose, validate and publish the Changchun International Automobile City.

The API mirrors the command line::

    import autocity_gis as ag

    recipe = ag.load_recipe()            # the embedded recipe, or a path to your own
    composition = ag.compose(recipe)     # union of the components, overlaps, gaps
    report = ag.validate(composition, recipe)
    ag.build(out="out")                  # everything: map, reports, GeoJSON, GeoPackage

A recipe may also be a dict of the TOML structure whose layers are GeoDataFrames::

    recipe, composition, report = ag.check({"city": {...}, "components": [
        {"layer": zones, "id_column": "code", "stated_area_column": "area_km2"}]})

Names are imported lazily so that ``autocity-gis --help`` starts without loading geopandas.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_recipe": "recipe",
    "Recipe": "recipe",
    "compose": "compose",
    "Composition": "compose",
    "validate": "validate",
    "ValidationReport": "validate",
    "build": "api",
    "check": "api",
    "write_web_map": "api",
    "write_reports_to": "api",
    "BuildResult": "api",
    "write_map": "webmap",
    "export_all": "export",
    "geodesic_area_km2": "area",
    "Limits": "limits",
    "InputError": "_errors",
    "RecipeError": "_errors",
    "LayerError": "_errors",
    "CRSError": "_errors",
    "OutputError": "_errors",
}

__all__ = sorted(_EXPORTS)


class _LazyPackage(types.ModuleType):
    """Resolve the public names on first use.

    Importing a submodule binds it as an attribute of the package, so after
    ``autocity_gis.compose`` (the module) is loaded, ``autocity_gis.compose`` would be the module
    rather than the function of the same name. Looking the public names up here first keeps
    ``ag.compose(recipe)`` and ``ag.validate(...)`` the functions, always.
    """

    def __getattribute__(self, name: str) -> Any:
        if name in _EXPORTS:
            module = importlib.import_module(f"{__name__}.{_EXPORTS[name]}")
            return getattr(module, name)
        return super().__getattribute__(name)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *__all__})


sys.modules[__name__].__class__ = _LazyPackage
