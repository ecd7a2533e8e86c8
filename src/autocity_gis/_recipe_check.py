"""Checking a whole recipe: the city, the context layer and every component, then one error.

:class:`_Checker` reads the parsed TOML (or a dict of the same structure) into a
:class:`~autocity_gis.recipe.Recipe`, collecting every problem, and raises one
:class:`~autocity_gis._errors.RecipeError` listing them all, so a user fixes a recipe in one pass.
"""

from __future__ import annotations

import math
from typing import Any

from ._errors import RecipeError
from ._recipe_blocks import _Blocks
from ._recipe_model import (
    DEFAULT_GAP_WIDTH_M,
    ROLES,
    ComponentSpec,
    LayerSource,
    Recipe,
    StatedFigure,
)
from ._recipe_schema import (
    _BLOCK_KEYS,
    _CITY_KEYS,
    _CITY_REQUIRED,
    _COMPONENT_KEYS,
    _COMPONENT_REQUIRED,
    _DEFAULT_KEYS,
    _ID_RE,
    _LAYER_KEYS,
    MAX_AREA_KM2,
    MAX_GAP_WIDTH_M,
    MAX_SNAP_M,
    _clip,
)

_TOP_KEYS: dict[str, type] = {
    "city": dict,
    "context": dict,
    "defaults": dict,
    "components": list,
    # Issue 14: land-use and control-line overlays, and where they run (_recipe_overlays).
    "overlays": list,
    "engine": str,
    "scheduler": str,
}


class _Checker(_Blocks):
    """Collect every problem of one recipe file, then raise once."""

    def recipe(self, data: dict[str, Any]) -> Recipe:
        top = self.table(data, "top level", _TOP_KEYS, ("city", "components"))
        city = self.table(top.get("city", {}), "[city]", _CITY_KEYS, _CITY_REQUIRED)
        target = self.number(city, "target_km2", "[city]", 0.0, MAX_AREA_KM2)
        tolerance = self.number(city, "tolerance_pct", "[city]", 0.0, 50.0)
        snap, gap_width = self.city_distances(city)
        context = None
        if "context" in top:
            ctx = self.table(top["context"], "[context]", _LAYER_KEYS, ("layer",))
            context = self.layer(ctx, "[context]")
        components, seen = self.components(top, context)
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
        overlays, engine, scheduler = self.overlays(top, seen)
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
            overlays=overlays,
            engine=engine,
            scheduler=scheduler,
            reads=self.reads,
        )

    def overlays(
        self, top: dict[str, Any], seen: dict[str, str]
    ) -> tuple[tuple[Any, ...], str, str | None]:
        """Read ``[[overlays]]``, ``engine`` and ``scheduler`` (see :mod:`._recipe_overlays`)."""
        from ._recipe_overlays import check_engine, check_overlays, check_scheduler

        engine, scheduler = top.get("engine", "local"), top.get("scheduler")
        for problem in (check_engine(engine), scheduler and check_scheduler(scheduler)):
            if problem:
                self.fail("top level", problem)
        if scheduler is not None and engine != "dask":
            self.fail("top level", "'scheduler' is for engine = \"dask\"; set that too")
        if "overlays" not in top:
            return (), engine, scheduler
        overlays = check_overlays(
            top["overlays"],
            source=str(self.path),
            folder=self.folder,
            component_ids=set(seen),
            problems=self.problems,
        )
        return overlays, engine, scheduler

    def city_distances(self, city: dict[str, Any]) -> tuple[Any, Any]:
        """Read ``[city]`` ``snap_tolerance_m`` and ``gap_width_m`` (defaults when absent)."""
        snap = city.get("snap_tolerance_m", 1.0)
        if not (math.isfinite(snap) and 0.0 <= snap <= MAX_SNAP_M):
            self.fail("[city]", f"'snap_tolerance_m' = {snap} is out of range (0 to {MAX_SNAP_M})")
        gap_width = city.get("gap_width_m", DEFAULT_GAP_WIDTH_M)
        if not (math.isfinite(gap_width) and 0.0 <= gap_width <= MAX_GAP_WIDTH_M):
            self.fail(
                "[city]", f"'gap_width_m' = {gap_width} is out of range (0 to {MAX_GAP_WIDTH_M:g})"
            )
        return snap, gap_width

    def components(
        self, top: dict[str, Any], context: LayerSource | None
    ) -> tuple[list[ComponentSpec], dict[str, str]]:
        """Read ``[defaults]`` and every ``[[components]]`` entry; also return the ids seen."""
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
            components.append(self.component(i, raw, context, seen))
        return components, seen

    def component(
        self, i: int, raw: Any, context: LayerSource | None, seen: dict[str, str]
    ) -> ComponentSpec:
        """Read the ``i``-th component entry (one component, not a block)."""
        where = f"component {i}"
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
        stated, stated_source, figures = self.judged_figure(comp, where)
        comp_tolerance = self.number(comp, "tolerance_pct", where, 0.0, 100.0)
        may_overlap = self.id_list(comp, "may_overlap", where)
        source = self.layer(comp, where, reference=context)
        if "layer" not in comp and "missing_reason" not in comp:
            self.fail(where, "give a 'layer', or a 'missing_reason' saying why there is none")
        return ComponentSpec(
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

    def judged_figure(
        self, comp: dict[str, Any], where: str
    ) -> tuple[float | None, str | None, tuple[StatedFigure, ...]]:
        """Return the judged area and its source, and every stated figure, of one component.

        From the shorthand ``stated_area_km2``/``stated_area_source`` or from the ``stated``
        list's entry with ``judged = true``, not both.
        """
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
        return stated, stated_source, figures
