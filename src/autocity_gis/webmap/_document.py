"""The page's data: one JSON document with every text, style, figure and geometry of the map.

This module owns what the web map shows, as data. Every string that comes from a recipe, a
layer or a report (names, sources, dates, methods, attribute values, the title) reaches the page
only inside this document, which :mod:`._page` writes as a ``<script type="application/json">``
island after the page is rendered; the page's fixed script (``assets/map.js``) builds overlays,
tooltips, popups, panels and the layer control from it and writes every string as text. Nothing
here is HTML: rich text is a list of lines, each a list of ``[text, kind]`` spans, where kind is
``""`` (plain), ``"b"``, ``"i"``, ``"est"`` (estimated tag), ``"muted"``, ``"ok"``, ``"bad"`` or
``"note"`` (a small line of its own).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from .. import style
from .._facts import LayerSimplification
from ..composition import Composition
from ..validation import ComponentArea, ValidationReport
from ._basemaps import BASEMAPS, Basemap
from ._geometry import MAX_AREA_CHANGE_PCT, WebGeometry, geojson
from ._labels import TEXT, dates, km2, names, pct, plain

Json = dict[str, Any]
Span = list[str]
Line = list[Span]

#: Version of the document's layout, read by ``assets/map.js``.
DOCUMENT_VERSION = 1
# Labels the page's script needs itself (the measure tool and the key prompt).
_SCRIPT_TEXT = (
    "measure",
    "measure_hint",
    "area",
    "perimeter",
    "geodesic_note",
    "tianditu_prompt",
    "tiles_failed",
)
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class _Lang:
    text: dict[str, str]
    zh: bool

    def names(self, name_zh: object, name_en: object) -> tuple[str, str]:
        return names(self.zh, name_zh, name_en)


def build_document(
    composition: Composition,
    report: ValidationReport,
    geometry: WebGeometry,
    *,
    basemap: str,
    lang: str,
    key: str | None,
    keep_key: bool,
    offline: bool = False,
) -> Json:
    """Return the page's data document (JSON-ready: str, bool, finite numbers, lists, dicts).

    Parameters
    ----------
    composition : Composition
        The layers' attributes (names, sources, dates, ...).
    report : ValidationReport
        Every figure shown.
    geometry : WebGeometry
        What is drawn, in the display datum.
    basemap : str
        Key of :data:`BASEMAPS` shown first.
    lang : str
        Interface language.
    key : str or None
        Tianditu key given to the build.
    keep_key : bool
        Whether the key is written into the page (otherwise the page asks its reader).
    offline : bool
        Offer no online basemap: the page makes no tile request at all.

    Returns
    -------
    dict
        The document ``assets/map.js`` reads.
    """
    ln = _Lang(TEXT[lang], lang == "zh")
    chosen = BASEMAPS[basemap]
    layers = _layers(composition, report, geometry, ln)
    offered = [] if offline else _basemaps(basemap, key, ln)
    title, _ = ln.names(report.name_zh, report.name_en)
    return {
        "version": DOCUMENT_VERSION,
        "title": title,
        "text": {k: ln.text[k] for k in _SCRIPT_TEXT},
        # Chinese maps measure in metres only (the scale bar shows no miles).
        "metric_only": lang == "zh",
        "bounds": _leaflet_bounds(geometry.bounds),
        "basemaps": offered,
        "tianditu": {
            "key": key if keep_key else None,
            "ask": any(b["needs_key"] for b in offered) and not keep_key,
        },
        "minimap": {
            "basemap": next((i for i, b in enumerate(offered) if b["id"] == basemap), None),
            "geometry": geojson(geometry.layers["boundary"][0]),
        },
        "mouse_prefix": f"{chosen.datum_label}:",
        "layers": layers,
        "panels": {
            "title": _title_panel(composition, chosen, ln, report),
            "summary": _summary_panel(report, geometry.simplification, ln),
            "legend": _legend_panel(layers, ln),
        },
    }


# ----------------------------------------------------------------------------- basemaps


def _basemaps(chosen: str, key: str | None, ln: _Lang) -> list[Json]:
    # Only basemaps of the chosen one's datum: overlays are drawn in that datum.
    datum = BASEMAPS[chosen].datum
    return [
        _basemap(name, bm, shown=name == chosen, ln=ln)
        for name, bm in BASEMAPS.items()
        if bm.url is not None and bm.datum == datum and (key or not bm.needs_key)
    ]


def _basemap(name: str, bm: Basemap, *, shown: bool, ln: _Lang) -> Json:
    return {
        "id": name,
        "label": bm.name_zh if ln.zh else bm.name_en,
        "url": bm.url,
        "labels_url": bm.labels_url,
        "attribution": bm.attribution,
        "subdomains": bm.subdomains or "abc",
        "max_zoom": bm.max_zoom,
        "needs_key": bm.needs_key,
        "shown": shown,
    }


def _leaflet_bounds(bounds: tuple[float, float, float, float] | None) -> list[list[float]] | None:
    if bounds is None:
        return None
    west, south, east, north = bounds
    return [[south, west], [north, east]]


# ----------------------------------------------------------------------------- layers


def _layers(
    composition: Composition, report: ValidationReport, geometry: WebGeometry, ln: _Lang
) -> list[Json]:
    # Drawing order: context units underneath, then parts, subtracted zones over them, overlaps,
    # gaps, holes, boundary.
    drawn = geometry.layers
    layers = [_context_layer(composition.context, drawn["context"], ln)]
    layers += _component_layers(composition.components, report, drawn["components"], ln)
    layers.append(_subtracted_layer(composition.components, report, drawn["components"], ln))
    layers.append(_patch_layer("overlaps", style.OVERLAP_STYLE, composition.overlaps, drawn, ln))
    layers.append(_patch_layer("gaps", style.GAP_STYLE, composition.gaps, drawn, ln))
    layers.append(_patch_layer("holes", style.HOLE_STYLE, composition.holes, drawn, ln))
    layers.append(_boundary_layer(report, drawn["boundary"][0], ln))
    return [layer for layer in layers if layer["features"]]


def _layer(
    layer_id: str,
    s: style.LayerStyle,
    label: Line,
    features: list[Json],
    *,
    fill_opacity: float | None = None,
) -> Json:
    return {
        "id": layer_id,
        "label": label,
        "swatch": _swatch(s, fill_opacity=fill_opacity),
        "features": features,
    }


def _feature(
    geom: Any,
    layer_id: str,
    s: style.LayerStyle,
    tip: list[Line],
    popup: Json,
    *,
    fill: bool = True,
) -> Json:
    return {
        "type": "Feature",
        "geometry": geojson(geom),
        "properties": {
            "layer": layer_id,
            "style": _leaflet_style(s, fill=fill),
            "tip": tip,
            "popup": popup,
        },
    }


def _popup(lines: list[Line], rows: Iterable[tuple[str, object]] = ()) -> Json:
    return {"lines": lines, "rows": [[k, plain(v)] for k, v in rows if plain(v)]}


def _context_layer(ctx: gpd.GeoDataFrame, geoms: Any, ln: _Lang) -> Json:
    t = ln.text
    ctx = ctx.reset_index(drop=True)
    features = []
    for i, geom in enumerate(geoms):
        row = ctx.iloc[i]
        first, second = ln.names(row.get("name_zh"), row.get("name_en"))
        heading = [[[first, "b"]]] + ([[[second, ""]]] if second else [])
        accuracy = plain(row.get("accuracy"))
        rows = [
            (t["adcode"], row.get("adcode")),
            (t["accuracy"], t.get(accuracy, accuracy)),
            (t["source"], row.get("source")),
            (t["datum"], row.get("datum")),
            (t["date"], row.get("date")),
        ]
        s = style.CONTEXT_STYLE
        features.append(_feature(geom, "context", s, heading, _popup(heading, rows)))
    return _layer("context", style.CONTEXT_STYLE, [[t["context"], ""]], features, fill_opacity=0.0)


def _component_layers(
    comps: gpd.GeoDataFrame, report: ValidationReport, geoms: Any, ln: _Lang
) -> list[Json]:
    comps = comps.reset_index(drop=True)
    areas = {c.id: c for c in report.components}
    layers = []
    for i, geom in enumerate(geoms):
        row = comps.iloc[i]
        if plain(row.get("role")) == "subtract":
            continue  # drawn in the subtracted zones' layer, in their own style
        cid = plain(row["id"])
        accuracy = plain(row.get("accuracy"))
        s = style.component_style(cid, accuracy, i)
        tag = _component_tag(accuracy == "estimated", plain(row.get("role")) == "subtract", ln)
        first, _ = ln.names(row.get("name_zh"), row.get("name_en"))
        tip, popup = _component_texts(row, areas.get(cid), tag, ln)
        est = [[" ", ""], [f"({ln.text['estimated']})", "i"]] if accuracy == "estimated" else []
        label = [[first, ""], *est]
        layer = _layer(cid, s, label, [_feature(geom, cid, s, tip, popup)])
        layer["legend"] = [[first, ""], *tag]
        layers.append(layer)
    return layers


def _component_tag(estimated: bool, subtracted: bool, ln: _Lang) -> Line:
    tag: Line = []
    if estimated:
        tag += [[" ", ""], [ln.text["estimated"], "est"]]
    if subtracted:
        tag += [[" ", ""], [f"({ln.text['subtracted']})", "muted"]]
    return tag


def _component_texts(
    row: pd.Series, area: ComponentArea | None, tag: Line, ln: _Lang
) -> tuple[list[Line], Json]:
    t = ln.text
    first, second = ln.names(row.get("name_zh"), row.get("name_en"))
    measured = area.measured_km2 if area else None
    stated = area.stated_km2 if area else None
    delta = area.delta_pct if area else None
    figures = f"{t['measured']}: {km2(measured)}"
    if stated is not None:
        figures += f" · {t['stated']}: {km2(stated)} ({pct(delta)})"
    estimated = any(kind == "est" for _, kind in tag)
    tip: list[Line] = [[[first, "b"], *tag]]
    tip += [[[second, ""]]] if second else []
    tip += [[[figures, ""]]]
    tip += [[[t["estimated_boundary"], "i"]]] if estimated else []
    accuracy = plain(row.get("accuracy"))
    rows = [
        (t["measured"], km2(measured)),
        (t["stated"], km2(stated) if stated is not None else None),
        (t["difference"], pct(delta) if delta is not None else None),
        (
            t["check"],
            None
            if area is None or area.passed is None
            else f"{t['passed'] if area.passed else t['failed']} (±{area.tolerance_pct:g}%)",
        ),
        (t["stated_source"], row.get("stated_area_source")),
        (t["accuracy"], t.get(accuracy, accuracy)),
        (t["method"], row.get("method")),
        (t["source"], row.get("source")),
        (t["datum"], row.get("datum")),
        (t["date"], row.get("date")),
    ]
    heading: list[Line] = [[[first, "b"], *tag]] + ([[[second, ""]]] if second else [])
    return tip, _popup(heading, rows)


def _subtracted_layer(
    comps: gpd.GeoDataFrame, report: ValidationReport, geoms: Any, ln: _Lang
) -> Json:
    t = ln.text
    comps = comps.reset_index(drop=True)
    removed = {z.id: z for z in report.subtracted}
    s = style.SUBTRACTED_STYLE
    features = []
    for i, geom in enumerate(geoms):
        row = comps.iloc[i]
        if plain(row.get("role")) != "subtract":
            continue
        first, second = ln.names(row.get("name_zh"), row.get("name_en"))
        zone = removed.get(plain(row["id"]))
        heading: list[Line] = [[[first, "b"], [" ", ""], [f"({t['subtracted']})", "muted"]]]
        heading += [[[second, ""]]] if second else []
        figures: list[Line] = []
        rows: list[tuple[str, object]] = []
        if zone is not None:
            inside = f"{zone.inside_pct:.1f}%"
            figures = [[[f"{t['removed']}: {km2(zone.removed_km2)} ({inside})", ""]]]
            rows = [
                (t["zone_area"], km2(zone.area_km2)),
                (t["removed"], km2(zone.removed_km2)),
                (t["inside_parts"], inside),
            ]
        rows += [(t["source"], row.get("source")), (t["datum"], row.get("datum"))]
        features.append(
            _feature(geom, "subtracted", s, heading + figures, _popup(heading, rows))
        )
    return _layer("subtracted", s, [[t["subtracted_layer"], ""]], features)


def _ids_spans(value: object) -> Line:
    # Each component id its own span: the page isolates spans, so no bidi control in one
    # id can reorder the text around it.
    spans: Line = []
    for n, cid in enumerate(i for i in plain(value).split(", ") if i):
        spans += ([[" / ", ""]] if n else []) + [[cid, ""]]
    return spans


def _patch_layer(
    kind: str, s: style.LayerStyle, frame: gpd.GeoDataFrame, drawn: dict[str, Any], ln: _Lang
) -> Json:
    t = ln.text
    frame = frame.reset_index(drop=True)
    features = []
    for i, geom in enumerate(drawn[kind]):
        row = frame.iloc[i]
        label: Line = [[t[kind], ""]]
        if kind == "overlaps":
            label += [[": ", ""], [plain(row.get("a")), ""], [" / ", ""], [plain(row.get("b")), ""]]
        else:
            around = _ids_spans(row.get("between" if kind == "gaps" else "within"))
            label += [[": ", ""], *around] if around else []
        figures = km2(float(row["area_km2"]))
        width = plain(row.get("width_m"))
        if width:
            figures += f" · {t['widest']} {float(width):,.1f} m"
        if kind == "gaps" and plain(row.get("enclosed")):
            figures += f" · {t['enclosed'] if bool(row['enclosed']) else t['open_edge']}"
        lines: list[Line] = [label, [[figures, ""]]]
        features.append(_feature(geom, kind, s, lines, _popup(lines)))
    return _layer(kind, s, [[t[kind], ""]], features)


def _boundary_layer(report: ValidationReport, geom: Any, ln: _Lang) -> Json:
    t = ln.text
    first, second = ln.names(report.name_zh, report.name_en)
    figures = (
        f"{t['composed']}: {km2(report.composed_km2)} · {t['stated_total']}: "
        f"{km2(report.target_km2)} ({pct(report.delta_pct)})"
    )
    lines: list[Line] = [[[first, "b"]], [[second, ""]], [[figures, ""]]]
    s = style.boundary_style(estimated=bool(report.estimated))  # "dashed = estimated" for it too
    feature = _feature(geom, "boundary", s, lines, _popup(lines), fill=False)
    return _layer("boundary", s, [[t["boundary"], ""]], [feature], fill_opacity=0.0)


# ----------------------------------------------------------------------------- styles


def _colour(value: str) -> str:
    if not _HEX.match(value):
        raise ValueError(f"not a #rrggbb colour: {value!r}")
    return value


def _swatch(s: style.LayerStyle, *, fill_opacity: float | None = None) -> Json:
    r, g, b = (int(_colour(s.fill)[i : i + 2], 16) for i in (1, 3, 5))
    alpha = s.fill_opacity if fill_opacity is None else fill_opacity
    return {
        "border": f"{max(s.weight_px, 1.5):.0f}px {'dashed' if s.dashed else 'solid'} "
        f"{_colour(s.stroke)}",
        "background": f"rgba({r},{g},{b},{alpha:.2f})",
    }


def _leaflet_style(s: style.LayerStyle, *, fill: bool = True) -> Json:
    out: Json = {
        "color": _colour(s.stroke),
        "weight": s.weight_px,
        "opacity": 1.0,
        "fill": fill and s.fill_opacity > 0,
        "fillColor": _colour(s.fill),
        "fillOpacity": s.fill_opacity,
    }
    if s.dash_px:
        out["dashArray"] = s.dash_px
    return out


# ----------------------------------------------------------------------------- panels


def _title_panel(
    composition: Composition, chosen: Basemap, ln: _Lang, report: ValidationReport
) -> Json:
    t = ln.text
    first, second = ln.names(report.name_zh, report.name_en)
    datum_line = t["drawn_in"].format(datum=chosen.datum_label)
    if chosen.datum == "GCJ02":
        datum_line += f" ({t['shifted']})"
    basemap = (chosen.name_zh if ln.zh else chosen.name_en) if chosen.url else t["no_basemap"]
    # The date of the data composed, not of the context layer drawn for orientation.
    data_dates = dates(composition.components)
    return {
        "heading": first,
        "sub": second,
        "notes": [
            [
                [f"{t['data']}: ", ""],
                [data_dates, ""],
                [f" · {datum_line} · {t['basemap']}: {basemap}", ""],
            ],
            # The dashed-outline caveat only when something is drawn dashed (estimated).
            [
                [
                    f"{t['caveat_est']} {t['caveat_area']}" if report.estimated
                    else t["caveat_area"],
                    "",
                ]
            ],
        ],
    }


def _id_list(template: str, ids: Sequence[str]) -> Line:
    """Return a warning line naming ``ids`` after the text of ``template``.

    Each id is its own span (isolated by the page), so no bidi control in one moves another.
    """
    line: Line = [[template.format(ids=""), "bad"]]
    for i, ident in enumerate(ids):
        line += [[", ", ""]] if i else []
        line.append([plain(ident), "bad"])
    return line


def _summary_panel(
    report: ValidationReport, stats: Sequence[LayerSimplification], ln: _Lang
) -> Json:
    t = ln.text
    verdict = [t["passed"], "ok"] if report.passed else [t["failed"], "bad"]
    stated: Line = [[km2(report.target_km2), ""]]
    if plain(report.target_source):
        stated.append([plain(report.target_source), "note"])
    totals = [
        [t["composed"], [[km2(report.composed_km2), "b"]]],
        [t["stated_total"], stated],
        [t["difference"], [[f"{km2(report.delta_km2)} ({pct(report.delta_pct)})", ""]]],
        [t["check"], [verdict, [f" (±{report.tolerance_pct:g}% {t['tolerance']})", ""]]],
    ]
    if report.failed_components:
        failed = _id_list(t["components_failed"], report.failed_components)
        if not report.components_must_pass:
            failed.append([f" {t['components_reported']}", ""])
        totals.append(["", failed])
    if report.failed_controls:
        totals.append(["", _id_list(t["controls_failed"], report.failed_controls)])
    figures = [
        f"{t['sum_parts']}: {km2(report.sum_of_parts_km2)}",
        f"{t['overlap_area']}: {km2(sum(o.area_km2 for o in report.overlaps))}",
        f"{t['gap_area']}: {km2(report.gaps_km2)} ({report.gap_count})",
    ]
    if report.subtracted:
        # Together, not per zone: two subtracted zones may overlap.
        balance = report.area_balance
        removed = (
            balance.subtracted_km2 if balance else sum(z.removed_km2 for z in report.subtracted)
        )
        figures.append(f"{t['subtracted_area']}: {km2(removed)} ({len(report.subtracted)})")
    if report.holes:
        holes = sum(h.area_km2 for h in report.holes)
        figures.append(f"{t['hole_area']}: {km2(holes)} ({len(report.holes)})")
    extra = " · ".join(figures)
    return {
        "heading": t["summary"],
        "totals": totals,
        "head": [t["component"], t["measured"], t["stated"], "Δ", t["check"]],
        "rows": _summary_rows(report, ln),
        "notes": [*_warning_notes(report, ln), [[extra, ""]], [[_simplified_note(stats, ln), ""]]],
    }


def _warning_notes(report: ValidationReport, ln: _Lang) -> list[Line]:
    """Every warning of the check, one note each, under a heading; first among the notes."""
    if not report.warnings:
        return []
    head: Line = [[f"{ln.text['warnings']} ({len(report.warnings)})", "b"]]
    return [head, *([["⚠ ", "bad"], [plain(w), ""]] for w in report.warnings)]


def _check_cell(c: ComponentArea, ln: _Lang) -> Line:
    t = ln.text
    if c.passed is None:
        return [[t["not_judged"], "muted"]]
    verdict = [t["passed"], "ok"] if c.passed else [t["failed"], "bad"]
    return [verdict, [f" (±{c.tolerance_pct:g}%)", ""]]


def _summary_rows(report: ValidationReport, ln: _Lang) -> list[Json]:
    t = ln.text
    rows = []
    for c in report.components:
        first, _ = ln.names(c.name_zh, c.name_en)
        tag = [[" ", ""], [t["estimated"], "est"]] if c.accuracy == "estimated" else []
        cells = [[[first, ""], *tag], [[km2(c.measured_km2), ""]]]
        cells += [[[km2(c.stated_km2), ""]], [[pct(c.delta_pct), ""]], _check_cell(c, ln)]
        rows.append({"id": c.id, "muted": False, "cells": cells})
    for miss in report.missing:
        first, _ = ln.names(miss.name_zh, miss.name_en)
        name: Line = [[first, ""], [f" ({t['missing']})", ""]]
        if plain(miss.reason):
            name.append([plain(miss.reason), "note"])
        cells = [name, [["—", ""]], [[km2(miss.stated_km2), ""]], [["—", ""]], [["—", ""]]]
        rows.append({"id": miss.id, "muted": True, "cells": cells})
    return rows


def _simplified_note(stats: Sequence[LayerSimplification], ln: _Lang) -> str:
    t = ln.text
    largest = max((s.max_area_change_pct for s in stats), default=0.0)
    tols = []
    for group, members in (
        ("tol_parts", [s for s in stats if s.layer != "context"]),
        ("tol_context", [s for s in stats if s.layer == "context"]),
    ):
        if members:
            tols.append(f"{t[group]} {max(s.tolerance_m for s in members):g} m")
    return t["simplified"].format(
        tol=", ".join(tols), pct=f"{largest:.3f}%", bound=f"{MAX_AREA_CHANGE_PCT:g}%"
    )


def _legend_panel(layers: list[Json], ln: _Lang) -> Json:
    # The boundary (drawn last, on top) heads the legend; the rest follow in drawing order.
    ordered = layers[-1:] + layers[:-1]
    return {
        "heading": ln.text["legend"],
        "entries": [
            {"swatch": layer["swatch"], "label": layer.get("legend", layer["label"])}
            for layer in ordered
        ],
    }
