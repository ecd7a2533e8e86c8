"""The overlays on the web map: land use by first-level class colour, control-line conflicts.

Adds layers to the page's data document (:func:`._document.build_document`), never to the
template: ids, class names and codes are data the page's fixed script writes as text. Land use
is drawn under the boundary in the project's own palette (:data:`autocity_gis._overlay_draw.
PALETTE`), which the legend says; conflicts are drawn over it in red.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._geometry import _to_gcj02, geojson

if TYPE_CHECKING:
    from .._overlay_run import OverlayResults

__all__ = ["add_overlay_layers"]

Json = dict[str, Any]

_TEXT = {
    "en": {
        "landuse": "Land use",
        "unclassified": "unclassified",
        "palette": "Land-use colours: the project's own palette, not a standard's.",
        "conflict": "Conflict with control line",
        "share": "of the planning area",
    },
    "zh": {
        "landuse": "用地",
        "unclassified": "未分类",
        "palette": "用地颜色为本项目自定配色，非标准规定色。",
        "conflict": "与控制线冲突",
        "share": "占规划范围",
    },
}


def add_overlay_layers(
    document: Json, overlays: OverlayResults | None, *, datum: str, lang: str
) -> None:
    """Put the overlays' layers into the page's document (before the boundary) and legend."""
    if overlays is None or not (overlays.drawings or overlays.controls):
        return
    t = _TEXT.get(lang, _TEXT["en"])
    added: list[Json] = []
    for overlay_id, frame in overlays.drawings:
        added += _landuse_layers(overlay_id, frame, datum, t, zh=lang == "zh")
    conflicts = overlays.conflicts()
    if len(conflicts):
        added.append(_conflict_layer(conflicts, datum, t))
    if not added:
        return
    layers = document["layers"]
    at = len(layers) - 1 if layers and layers[-1]["id"] == "boundary" else len(layers)
    layers[at:at] = added
    entries = document["panels"]["legend"]["entries"]
    entries += [{"swatch": layer["swatch"], "label": layer["label"]} for layer in added]
    if overlays.drawings:
        clear = {"border": "0px solid #ffffff", "background": "rgba(0,0,0,0.00)"}
        entries.append({"swatch": clear, "label": [[t["palette"], "i"]]})


def _shifted(geoms: Any, datum: str) -> Any:
    return _to_gcj02(geoms) if datum == "GCJ02" else geoms


def _swatch(stroke: str, fill: str, opacity: float) -> Json:
    r, g, b = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    return {"border": f"2px solid {stroke}", "background": f"rgba({r},{g},{b},{opacity:.2f})"}


def _style(stroke: str, fill: str, opacity: float, weight: float) -> Json:
    return {
        "color": stroke,
        "weight": weight,
        "opacity": 1.0,
        "fill": True,
        "fillColor": fill,
        "fillOpacity": opacity,
    }


def _landuse_layers(
    overlay_id: str, frame: Any, datum: str, t: dict[str, str], *, zh: bool
) -> list[Json]:
    geoms = _shifted(frame.geometry.to_numpy(), datum)
    layers = []
    for i, row in enumerate(frame.itertuples(index=False)):
        name = str((row.name_zh if zh else row.name_en) or t["unclassified"])
        label = [[f"{t['landuse']} ", ""], [overlay_id, "b"], [": ", ""]]
        label += [[f"{row.code} " if row.code else "", ""], [name, ""]]
        figures = f"{row.area_km2:,.3f} km² · {row.share_pct:.2f} % {t['share']}"
        lines = [label, [[figures, ""]]]
        layer_id = f"landuse-{overlay_id}-{row.code or 'other'}"
        colour = str(row.colour)
        feature = {
            "type": "Feature",
            "geometry": geojson(geoms[i]),
            "properties": {
                "layer": layer_id,
                "style": _style("#777777", colour, 0.55, 0.5),
                "tip": lines,
                "popup": {"lines": lines, "rows": []},
            },
        }
        layers.append(
            {
                "id": layer_id,
                "label": label,
                "swatch": _swatch("#777777", colour, 0.55),
                "features": [feature],
            }
        )
    return layers


def _conflict_layer(frame: Any, datum: str, t: dict[str, str]) -> Json:
    from .._overlay_draw import CONFLICT_FILL, CONFLICT_STROKE

    geoms = _shifted(frame.geometry.to_numpy(), datum)
    features = []
    for i, row in enumerate(frame.itertuples(index=False)):
        lines = [
            [[f"{t['conflict']} ", ""], [str(row.overlay), "b"]],
            [[str(row.component), ""], [f" · {row.rule} · {row.area_km2:,.3f} km²", ""]],
        ]
        features.append(
            {
                "type": "Feature",
                "geometry": geojson(geoms[i]),
                "properties": {
                    "layer": "conflicts",
                    "style": _style(CONFLICT_STROKE, CONFLICT_FILL, 0.5, 2.5),
                    "tip": lines,
                    "popup": {"lines": lines, "rows": []},
                },
            }
        )
    return {
        "id": "conflicts",
        "label": [[t["conflict"], ""]],
        "swatch": _swatch(CONFLICT_STROKE, CONFLICT_FILL, 0.5),
        "features": features,
    }
