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

Progress goes to the ``autocity_gis`` logger (``logging.basicConfig(level=logging.INFO)``
shows it; see :mod:`autocity_gis._log`). Names are resolved lazily (PEP 562) so that
``autocity-gis --help`` starts without loading geopandas; the modules behind them are named
for what they hold (:mod:`autocity_gis.composition` holds :func:`compose`), so
``import autocity_gis.composition`` is always the module and ``ag.compose`` the function.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

_EXPORTS = {
    "load_recipe": "recipe",
    "Recipe": "recipe",
    "compose": "composition",
    "Composition": "composition",
    "validate": "validation",
    "ValidationReport": "validation",
    "build": "api",
    "check": "api",
    "write_web_map": "api",
    "write_reports_to": "api",
    "BuildResult": "api",
    "write_map": "webmap",
    "export": "api",
    "check_overlays": "_overlay_run",
    "landuse_balance": "overlays",
    "control_conflicts": "overlays",
    "export_all": "_export",
    "geodesic_area_km2": "area",
    "Limits": "limits",
    "InputError": "_errors",
    "RecipeError": "_errors",
    "LayerError": "_errors",
    "CRSError": "_errors",
    "OutputError": "_errors",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def _version() -> str:
    """Return the installed distribution's version, or pyproject.toml's in a bare source tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("autocity-gis")
    except PackageNotFoundError:
        import tomllib

        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        try:
            with pyproject.open("rb") as f:
                return str(tomllib.load(f)["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "0+unknown"


def __getattr__(name: str) -> Any:
    """Resolve a public name on first use (PEP 562) and keep it on the package."""
    if name == "__version__":
        value: Any = _version()
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the public names with the module's own."""
    return sorted({*globals(), *__all__})
