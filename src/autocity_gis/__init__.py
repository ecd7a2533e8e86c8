"""autocity-gis: compose, validate and publish the Changchun International Automobile City.

The API mirrors the command line::

    import autocity_gis as ag

    recipe = ag.load_recipe()            # the embedded recipe, or a path to your own
    composition = ag.compose(recipe)     # union of the components, overlaps, gaps
    report = ag.validate(composition, recipe)
    ag.build(out="out")                  # everything: map, reports, GeoJSON, GeoPackage

Names are imported lazily so that ``autocity-gis --help`` starts without loading geopandas.
"""

from __future__ import annotations

import importlib
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
    "BuildResult": "api",
    "write_map": "webmap",
    "export_all": "export",
    "geodesic_area_km2": "area",
    "InputError": "_errors",
    "RecipeError": "_errors",
    "LayerError": "_errors",
    "CRSError": "_errors",
    "OutputError": "_errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'autocity_gis' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
