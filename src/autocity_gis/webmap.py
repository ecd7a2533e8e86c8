"""The Folium web map of a composition and its area check.

This module owns the interactive map: one layer per component (estimated ones dashed and
labelled), the composed boundary, overlaps, gaps and the administrative units around it, with
escaped zh/en tooltips and popups, a legend, a layer control, an area summary panel taken from the
:class:`~autocity_gis.validate.ValidationReport`, a title block with data dates and caveats,
fullscreen, a geodesic area measure tool, mouse position, scale bar and mini-map. Geometry is
simplified for the web with ``shapely.coverage_simplify`` (shared borders stay shared) at the
largest tolerance of :data:`TOLERANCE_LADDER_M` that changes no layer's geodesic area by more than
:data:`MAX_AREA_CHANGE_PCT`. Basemaps come from :data:`BASEMAPS`; on a GCJ-02 basemap the overlays
are shifted into GCJ-02 (:func:`autocity_gis.datum.convert_frame`) and the layer control offers
only basemaps of that datum. ``write_map(..., offline=True)`` inlines every script, stylesheet and
icon from the vendored releases (:mod:`autocity_gis._offline`); offline, the basemap defaults to
``"none"`` so the page makes no network request at all.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Figure
from folium.elements import JSCSSMixin
from folium.template import Template
from numpy.typing import NDArray

from . import _offline, style
from ._errors import InputError
from ._io import write_text
from ._proj import local_laea_for
from .area import geodesic_area_km2
from .compose import Composition
from .validate import ComponentArea, LayerSimplification, ValidationReport

__all__ = [
    "BASEMAPS",
    "DEFAULT_BASEMAP",
    "LANGUAGES",
    "MAX_AREA_CHANGE_PCT",
    "OFFLINE_DEFAULT_BASEMAP",
    "TOLERANCE_LADDER_M",
    "Basemap",
    "LayerSimplification",
    "MapOutput",
    "make_map",
    "write_map",
]

#: Interface languages for labels, panels and tooltips.
LANGUAGES: tuple[str, ...] = ("en", "zh")
#: Basemap of an online page.
DEFAULT_BASEMAP = "osm"
#: Basemap of an ``offline=True`` page unless one is asked for: a plain background, so the page
#: makes no network request at all. Any other basemap's tiles stay online.
OFFLINE_DEFAULT_BASEMAP = "none"
#: Simplification tolerances tried for the web, largest first (metres).
TOLERANCE_LADDER_M: tuple[float, ...] = (100.0, 50.0, 20.0, 10.0, 5.0, 2.0, 0.0)
#: Largest change of any layer's geodesic area that web simplification may cause (percent).
MAX_AREA_CHANGE_PCT = 0.05
#: Environment variable read for the Tianditu key when none is passed.
TIANDITU_KEY_ENV = "TIANDITU_KEY"
#: Decimals kept in page coordinates (1e-6 degree is about 0.1 m).
COORD_DECIMALS = 6

_TIANDITU_URL = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}"
)


@dataclass(frozen=True)
class Basemap:
    """A tile basemap and the datum its tiles are drawn in.

    Attributes
    ----------
    name_en, name_zh : str
        Label in the layer control.
    url : str or None
        Leaflet URL template; None for a plain background. ``{tk}`` is the user's key.
    attribution : str
        Attribution HTML (a constant, never user text).
    datum : str
        ``WGS84`` or ``GCJ02``: the datum the overlays are shifted into.
    datum_label : str
        How the page names the datum.
    subdomains : str
        Values of ``{s}``.
    max_zoom : int
        Highest zoom with tiles.
    needs_key : bool
        Whether the provider needs the user's key (Tianditu).
    labels_url : str or None
        Annotation tiles drawn over ``url`` (Tianditu serves names separately).
    """

    name_en: str
    name_zh: str
    url: str | None
    attribution: str
    datum: str
    datum_label: str
    subdomains: str = ""
    max_zoom: int = 18
    needs_key: bool = False
    labels_url: str | None = None


_OSM_ATTR = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
_AMAP_ATTR = "&copy; 高德地图 AutoNavi"
_TDT_ATTR = "&copy; 天地图 Tianditu"
_WGS = "WGS 84"
_GCJ = "GCJ-02"
_CGCS = "CGCS2000 (≈ WGS 84)"

#: Basemaps by the name ``--basemap`` takes.
BASEMAPS: Mapping[str, Basemap] = {
    "osm": Basemap(
        "OpenStreetMap",
        "OpenStreetMap",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        _OSM_ATTR,
        "WGS84",
        _WGS,
        max_zoom=19,
    ),
    "amap": Basemap(
        "Amap (vector)",
        "高德地图（矢量）",
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}",
        _AMAP_ATTR,
        "GCJ02",
        _GCJ,
        subdomains="1234",
    ),
    "amap-satellite": Basemap(
        "Amap (satellite)",
        "高德地图（卫星）",
        "https://webst0{s}.is.autonavi.com/appmaptile?style=6&x={x}&y={y}&z={z}",
        _AMAP_ATTR,
        "GCJ02",
        _GCJ,
        subdomains="1234",
    ),
    "tianditu": Basemap(
        "Tianditu (vector)",
        "天地图（矢量）",
        _TIANDITU_URL.replace("{layer}", "vec"),
        _TDT_ATTR,
        "WGS84",
        _CGCS,
        subdomains="01234567",
        needs_key=True,
        labels_url=_TIANDITU_URL.replace("{layer}", "cva"),
    ),
    "tianditu-satellite": Basemap(
        "Tianditu (satellite)",
        "天地图（影像）",
        _TIANDITU_URL.replace("{layer}", "img"),
        _TDT_ATTR,
        "WGS84",
        _CGCS,
        subdomains="01234567",
        needs_key=True,
        labels_url=_TIANDITU_URL.replace("{layer}", "cia"),
    ),
    "none": Basemap("No basemap", "无底图", None, "", "WGS84", _WGS),
}


@dataclass(frozen=True)
class MapOutput:
    """What :func:`write_map` wrote.

    Attributes
    ----------
    path : Path
        The HTML file.
    bytes : int
        Its size.
    datum : str
        Datum the overlays are drawn in (``WGS84`` or ``GCJ02``).
    basemap : str
        Key of :data:`BASEMAPS` used.
    offline : bool
        Whether scripts and styles are inlined.
    overlays : tuple of str
        Overlay layer ids in drawing order.
    simplification : tuple of LayerSimplification
        Tolerance and area change per layer.
    key_embedded : bool
        Whether a Tianditu key is written into the page.
    """

    path: Path
    bytes: int
    datum: str
    basemap: str
    offline: bool
    overlays: tuple[str, ...]
    simplification: tuple[LayerSimplification, ...]
    key_embedded: bool = False

    @property
    def max_area_change_pct(self) -> float:
        """Largest area change of any layer."""
        return max((s.max_area_change_pct for s in self.simplification), default=0.0)


# ----------------------------------------------------------------------------- text

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "boundary": "Composed boundary",
        "context": "Administrative units (context)",
        "overlaps": "Overlaps between components",
        "gaps": "Gaps inside the boundary",
        "estimated": "estimated",
        "subtracted": "subtracted from the boundary",
        "official": "official",
        "user-supplied": "user-supplied",
        "legend": "Legend",
        "summary": "Area summary",
        "composed": "Composed",
        "stated_total": "Stated total",
        "difference": "Difference",
        "check": "Check",
        "passed": "passed",
        "failed": "failed",
        "tolerance": "tolerance",
        "component": "Component",
        "measured": "Measured",
        "stated": "Stated",
        "sum_parts": "Sum of parts",
        "overlap_area": "Overlaps",
        "gap_area": "Gaps",
        "missing": "No geometry",
        "simplified": "Web geometry simplified (tolerance {tol}); largest area change {pct} "
        "(bound {bound}).",
        "tol_parts": "components",
        "tol_context": "context units",
        "drawn_in": "Drawn in {datum}",
        "shifted": "overlays shifted from WGS 84 to GCJ-02 to match the tiles",
        "basemap": "Basemap",
        "data": "Data",
        "caveat_est": "Dashed outlines are estimated boundaries, not surveyed lines.",
        "caveat_area": "Areas are geodesic (WGS 84 ellipsoid) from full-resolution geometry.",
        "estimated_boundary": "Estimated boundary",
        "accuracy": "Accuracy",
        "method": "Method",
        "source": "Source",
        "date": "Date",
        "datum": "Source datum",
        "stated_source": "Stated area source",
        "adcode": "Code",
        "measure": "Measure a geodesic area: click points, double-click to finish",
        "measure_hint": "Click to add points, double-click to finish.",
        "area": "Area",
        "perimeter": "Perimeter",
        "geodesic_note": "geodesic, WGS 84 ellipsoid",
        "tianditu_prompt": "Tianditu key (tk) for the basemap tiles:",
        "no_basemap": "no basemap",
    },
    "zh": {
        "boundary": "合成边界",
        "context": "行政区划（参考）",
        "overlaps": "组成部分重叠",
        "gaps": "边界内空隙",
        "estimated": "估算",
        "subtracted": "从边界中扣除",
        "official": "官方",
        "user-supplied": "用户提供",
        "legend": "图例",
        "summary": "面积汇总",
        "composed": "合成面积",
        "stated_total": "公布总面积",
        "difference": "差值",
        "check": "核验",
        "passed": "通过",
        "failed": "未通过",
        "tolerance": "容差",
        "component": "组成部分",
        "measured": "量算",
        "stated": "公布",
        "sum_parts": "各部分之和",
        "overlap_area": "重叠",
        "gap_area": "空隙",
        "missing": "缺少几何",
        "simplified": "网页几何已简化（容差 {tol}）；最大面积变化 {pct}（上限 {bound}）。",
        "tol_parts": "组成部分",
        "tol_context": "行政区划",
        "drawn_in": "坐标系：{datum}",
        "shifted": "叠加图层已由 WGS 84 转换为 GCJ-02 以对齐底图",
        "basemap": "底图",
        "data": "数据日期",
        "caveat_est": "虚线为估算边界，并非测绘成果。",
        "caveat_area": "面积为 WGS 84 椭球面积，按未简化几何计算。",
        "estimated_boundary": "估算边界",
        "accuracy": "精度",
        "method": "方法",
        "source": "来源",
        "date": "日期",
        "datum": "源坐标系",
        "stated_source": "公布面积来源",
        "adcode": "代码",
        "measure": "量算椭球面积：单击加点，双击结束",
        "measure_hint": "单击加点，双击结束。",
        "area": "面积",
        "perimeter": "周长",
        "geodesic_note": "WGS 84 椭球",
        "tianditu_prompt": "天地图密钥（tk）：",
        "no_basemap": "无底图",
    },
}


def _esc(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def _js(obj: object) -> str:
    """JSON for a ``<script>``: nothing in it can close the element or start markup."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def _colour(value: str) -> str:
    if not _HEX.match(value):
        raise ValueError(f"not a #rrggbb colour: {value!r}")
    return value


def _km2(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f} km²"


def _pct(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value + 0.0 if round(value, 2) else 0.0:+.2f}%"  # no "-0.00%"


def _names(primary_zh: bool, name_zh: object, name_en: object) -> tuple[str, str]:
    zh, en = _esc(name_zh), _esc(name_en)
    first, second = (zh, en) if primary_zh else (en, zh)
    if not first:
        first, second = second, ""
    return first, second


# ----------------------------------------------------------------------------- validation


def _check_choice(value: str, valid: Sequence[str], what: str) -> None:
    if value not in valid:
        raise InputError(f"{what} {value!r} is not known; valid {what}s are: {', '.join(valid)}.")


def _resolve_key(basemap: Basemap, name: str, key: str | None) -> str | None:
    if not basemap.needs_key:
        return key
    key = key or os.environ.get(TIANDITU_KEY_ENV) or None
    if not key:
        raise InputError(
            f"basemap {name!r} needs a Tianditu key: pass one (--tianditu-key) or set "
            f"{TIANDITU_KEY_ENV}."
        )
    if not re.fullmatch(r"[0-9A-Za-z]+", key):
        raise InputError(f"the Tianditu key for basemap {name!r} must be letters and digits only.")
    return key


# ----------------------------------------------------------------------------- geometry


def simplify_layer(
    geoms: Sequence[Any] | NDArray[np.object_],
    *,
    ladder: Sequence[float] = TOLERANCE_LADDER_M,
    max_change_pct: float = MAX_AREA_CHANGE_PCT,
    with_union: bool = False,
) -> tuple[NDArray[np.object_], float, NDArray[np.float64]]:
    """Simplify polygons together so shared borders stay shared and areas barely change.

    The polygons are projected to a Lambert azimuthal equal-area projection centred on them,
    simplified with ``shapely.coverage_simplify`` at each tolerance of ``ladder`` in turn, and
    projected back; the first tolerance whose geodesic area change is within ``max_change_pct``
    for every polygon (and, with ``with_union``, for their union) is kept. Inputs that are not a
    valid coverage are returned unchanged (simplifying them separately would open gaps).

    Parameters
    ----------
    geoms : sequence of shapely geometries
        Polygons in WGS 84 longitude/latitude.
    ladder : sequence of float
        Tolerances in metres, largest first; ``0`` means no simplification.
    max_change_pct : float
        Largest allowed relative change of a polygon's geodesic area, in percent.
    with_union : bool
        Also bound the change of the union's area and return the union last.

    Returns
    -------
    geoms : numpy.ndarray
        Simplified polygons (plus their union when ``with_union``).
    tolerance_m : float
        Tolerance used.
    change_pct : numpy.ndarray
        Absolute area change per returned geometry, in percent.
    """
    arr = np.asarray(geoms, dtype=object)
    original = np.append(arr, shapely.union_all(arr)) if with_union else arr
    if len(arr) == 0:
        return original, 0.0, np.zeros(len(original))
    before = geodesic_area_km2(original)
    valid = bool(shapely.coverage_is_valid(arr))
    if valid:
        projection = local_laea_for(arr)
        projected = projection.to_local(arr)
        for tol in ladder:
            if tol <= 0:
                break
            simple = projection.to_lonlat(shapely.coverage_simplify(projected, tol))
            if with_union:
                simple = np.append(simple, shapely.coverage_union_all(simple))
            if not (shapely.is_valid(simple).all() and not shapely.is_empty(simple).any()):
                continue
            change = np.abs(geodesic_area_km2(simple) - before) / np.maximum(before, 1e-12) * 100
            if float(change.max()) <= max_change_pct:
                return simple, float(tol), change
    return original, 0.0, np.zeros(len(original))


def _rounded(geom: Any) -> Any:
    return shapely.transform(geom, lambda xy: np.round(xy, COORD_DECIMALS))


def _coords_json(geom: Any) -> dict[str, Any]:
    mapped: dict[str, Any] = json.loads(shapely.to_geojson(_rounded(geom)))
    return mapped


# ----------------------------------------------------------------------------- page elements


class _GeoLayer(folium.map.Layer):
    """A GeoJSON overlay whose features carry their own style and escaped tooltip/popup HTML."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.data_js }}, {
            style: function (f) { return f.properties.style; },
            onEachFeature: function (f, layer) {
                if (f.properties.tip) { layer.bindTooltip(f.properties.tip, {sticky: true}); }
                if (f.properties.popup) { layer.bindPopup(f.properties.popup, {maxWidth: 380}); }
            }
        });
        {{ this.get_name() }}.acgId = {{ this.layer_id_js }};
        {% endmacro %}
        """
    )

    def __init__(self, layer_id: str, label_html: str, features: list[dict[str, Any]]):
        super().__init__(name=label_html, overlay=True, control=True, show=True)
        self._name = "GeoLayer"
        self.layer_id_js = _js(layer_id)
        self.data_js = _js({"type": "FeatureCollection", "features": features})


class _Panel(folium.MacroElement):
    """A Leaflet control holding pre-escaped HTML."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var ctl = L.control({position: {{ this.position_js }}});
            ctl.onAdd = function () {
                var div = L.DomUtil.create('div', 'acg-panel ' + {{ this.css_js }});
                div.id = {{ this.id_js }};
                div.innerHTML = {{ this.html_js }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            ctl.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, element_id: str, position: str, inner_html: str):
        super().__init__()
        self._name = "Panel"
        self.position_js = _js(position)
        self.css_js = _js(element_id)
        self.id_js = _js(element_id)
        self.html_js = _js(inner_html)


class _PluginControl(JSCSSMixin):
    """A vendored Leaflet plugin control, ``L.control.<factory>(options)``.

    Used instead of ``folium.plugins``, whose package import compiles every plugin's template
    (about 0.15 s of each build) for the two controls needed here.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.{{ this.factory }}({{ this.options_js }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, factory: str, options: dict[str, Any], resources: str) -> None:
        super().__init__()
        self._name = factory
        self.factory = factory
        self.options_js = _js(options)
        self.default_js = _offline.links(resources)
        self.default_css = _offline.links(f"{resources}_css")


class _MiniMap(JSCSSMixin):
    """A mini-map showing the boundary over the basemap's tiles (or a plain background)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var parts = [];
            {%- if this.tile_js %}
            parts.push(L.tileLayer({{ this.tile_js }}, {{ this.tile_options_js }}));
            {%- endif %}
            parts.push(L.geoJSON({{ this.data_js }},
                {style: {color: '#111111', weight: 1, fill: true, fillOpacity: 0.1}}));
            new L.Control.MiniMap(L.layerGroup(parts), {
                position: 'bottomleft', toggleDisplay: true, zoomLevelOffset: -5,
                width: 130, height: 110
            }).addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )
    default_js = _offline.links("minimap")
    default_css = _offline.links("minimap_css")

    def __init__(
        self, geometry: dict[str, Any], tile_url: str | None, tile_options: dict[str, Any]
    ):
        super().__init__()
        self._name = "MiniMap"
        self.data_js = _js(geometry)
        self.tile_js = _js(tile_url) if tile_url else ""
        self.tile_options_js = _js(tile_options)


class _Measure(JSCSSMixin):
    """A control measuring the geodesic (WGS 84 ellipsoid) area and perimeter of a polygon."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var T = {{ this.text_js }};
            var geod = geodesic.Geodesic.WGS84;
            function measure(latlngs) {
                var p = geod.Polygon(false);
                latlngs.forEach(function (ll) { p.AddPoint(ll.lat, ll.lng); });
                var r = p.Compute(false, true);
                return {area_m2: Math.abs(r.area || 0), perimeter_m: r.perimeter || 0};
            }
            window.acgMeasureArea = measure;
            var Ctl = L.Control.extend({
                options: {position: 'topleft'},
                onAdd: function () {
                    var bar = L.DomUtil.create('div', 'leaflet-bar acg-measure');
                    var a = L.DomUtil.create('a', '', bar);
                    a.href = '#'; a.title = T.measure; a.setAttribute('role', 'button');
                    a.innerHTML = '<svg viewBox="0 0 20 20" width="18" height="18" ' +
                        'style="margin-top:6px">' +
                        '<path d="M3 16 L9 3 L17 9 L13 17 Z" fill="none" stroke="#333" ' +
                        'stroke-width="1.8" stroke-dasharray="3 2"/><\\/svg>';
                    this._out = L.DomUtil.create('div', 'acg-measure-out', bar);
                    this._out.style.display = 'none';
                    L.DomEvent.disableClickPropagation(bar);
                    L.DomEvent.on(a, 'click', function (e) {
                        L.DomEvent.preventDefault(e); this._toggle();
                    }, this);
                    return bar;
                },
                _toggle: function () {
                    if (this._on) { this._stop(); return; }
                    this._on = true; this._pts = [];
                    this._shape = L.polygon([], {color: '#000', weight: 2, dashArray: '4 4',
                                                 fillOpacity: 0.1, interactive: false}).addTo(map);
                    map.doubleClickZoom.disable();
                    map.getContainer().style.cursor = 'crosshair';
                    map.on('click', this._add, this); map.on('dblclick', this._finish, this);
                    this._show(T.measure_hint);
                },
                _add: function (e) {
                    this._pts.push(e.latlng); this._shape.setLatLngs(this._pts); this._report();
                },
                _finish: function () {
                    map.off('click', this._add, this); map.off('dblclick', this._finish, this);
                    map.getContainer().style.cursor = ''; this._report(true);
                },
                _report: function () {
                    if (this._pts.length < 3) { this._show(T.measure_hint); return; }
                    var r = measure(this._pts);
                    this._show(T.area + ': ' + (r.area_m2 / 1e6).toFixed(3) + ' km\u00b2<br>' +
                               T.perimeter + ': ' + (r.perimeter_m / 1e3).toFixed(3) +
                               ' km<br><small>' +
                               T.geodesic_note + '<\\/small>');
                },
                _show: function (h) { this._out.innerHTML = h; this._out.style.display = 'block'; },
                _stop: function () {
                    this._finish(); this._on = false; map.doubleClickZoom.enable();
                    if (this._shape) { map.removeLayer(this._shape); }
                    this._out.style.display = 'none';
                }
            });
            new Ctl().addTo(map);
        })();
        {% endmacro %}
        """
    )
    default_js = _offline.links("geodesic")

    def __init__(self, text: dict[str, str]):
        super().__init__()
        self._name = "Measure"
        # Values are HTML-escaped because the control writes them with innerHTML.
        self.text_js = _js({k: _esc(v) for k, v in text.items()})


class _KeyPrompt(folium.MacroElement):
    """Asks the reader for a Tianditu key when the page was written without one."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var layers = [{{ this.layer_names }}];
            var key = new URLSearchParams(location.hash.slice(1)).get('tk') ||
                      window.sessionStorage.getItem('acg_tianditu_tk') ||
                      window.prompt({{ this.prompt_js }});
            if (!key) { return; }
            window.sessionStorage.setItem('acg_tianditu_tk', key);
            layers.forEach(function (l) { l.options.tk = encodeURIComponent(key); l.redraw(); });
            {%- if this.waiting %}
            {{ this.waiting }}.addTo({{ this._parent.get_name() }});
            {%- endif %}
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        layers: Sequence[folium.TileLayer],
        prompt: str,
        waiting: folium.map.Layer | None = None,
    ):
        super().__init__()
        self._name = "KeyPrompt"
        self.layer_names = ", ".join(layer.get_name() for layer in layers)
        self.prompt_js = _js(prompt)
        # The chosen basemap, added to the map only once the reader has given a key.
        self.waiting = waiting.get_name() if waiting is not None else ""


_CSS = """
html body .leaflet-container { background: #f2efe9; font: 13px/1.35 system-ui, "Noto Sans CJK SC",
  "Microsoft YaHei", sans-serif; }
.acg-panel { background: rgba(255,255,255,0.94); padding: 7px 10px; border-radius: 5px;
  box-shadow: 0 1px 5px rgba(0,0,0,0.35); max-width: 320px; color: #222; line-height: 1.3; }
.acg-panel h1 { font-size: 15px; margin: 0 0 2px; }
.acg-panel h2 { font-size: 13px; margin: 0 0 4px; }
.acg-panel p { margin: 3px 0; }
.acg-panel hr { margin: 4px 0; border: 0; border-top: 1px solid #ccc; }
.acg-panel small, .acg-muted { color: #555; }
.acg-panel table { border-collapse: collapse; font-size: 12px; width: 100%; }
.acg-panel td, .acg-panel th { padding: 1px 4px; text-align: right; white-space: nowrap; }
.acg-panel td:first-child, .acg-panel th:first-child { text-align: left; white-space: normal; }
.acg-panel summary { font-weight: 600; cursor: pointer; }
.acg-est { display: inline-block; padding: 0 4px; border-radius: 3px; background: #fff3cd;
  color: #7a5300; font-size: 11px; line-height: 1.3; border: 1px dashed #b58900; }
.acg-ok { color: #1a7f37; font-weight: 600; } .acg-bad { color: #b42318; font-weight: 600; }
.acg-swatch { display: inline-block; width: 22px; height: 12px; vertical-align: middle;
  margin-right: 5px; box-sizing: border-box; }
.acg-legend div { margin: 2px 0; }
.acg-legend { max-width: 260px; }
#acg-summary { max-height: calc(100vh - 260px); overflow-y: auto; max-width: 400px; }
#acg-summary td:first-child { min-width: 170px; }
.acg-measure a { display: flex; justify-content: center; }
.acg-measure-out { background: #fff; padding: 4px 6px; font-size: 12px; min-width: 150px; }
.leaflet-tooltip, .leaflet-popup-content { font-size: 12px; line-height: 1.35; }
.acg-popup td { padding: 1px 6px 1px 0; vertical-align: top; }
"""


# ----------------------------------------------------------------------------- building


def _swatch(stroke: str, fill: str, fill_opacity: float, weight: float, dashed: bool) -> str:
    border = "dashed" if dashed else "solid"
    r, g, b = (int(_colour(fill)[i : i + 2], 16) for i in (1, 3, 5))
    return (
        f'<span class="acg-swatch" style="border:{max(weight, 1.5):.0f}px {border} '
        f'{_colour(stroke)};background:rgba({r},{g},{b},{fill_opacity:.2f})"></span>'
    )


def _leaflet_style(s: style.LayerStyle, *, fill: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
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


def _table(rows: Sequence[tuple[str, object]]) -> str:
    body = "".join(f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in rows if _esc(v))
    return f'<table class="acg-popup">{body}</table>'


def _dates(*frames: gpd.GeoDataFrame) -> str:
    values: set[str] = set()
    for frame in frames:
        if "date" in frame.columns:
            values.update(str(v) for v in frame["date"].dropna() if str(v).strip())
    if not values:
        return "—"
    ordered = sorted(values)
    return ordered[0] if len(ordered) == 1 else f"{ordered[0]} – {ordered[-1]}"


@dataclass(frozen=True)
class _Built:
    map: folium.Map
    datum: str
    overlays: tuple[str, ...]
    simplification: tuple[LayerSimplification, ...]
    key_embedded: bool


def make_map(
    composition: Composition,
    report: ValidationReport,
    *,
    basemap: str = DEFAULT_BASEMAP,
    lang: str = "en",
    tianditu_key: str | None = None,
    simplify: bool = True,
    keep_key: bool = False,
) -> folium.Map:
    """Build the interactive map of a composition and its area check.

    Parameters
    ----------
    composition : Composition
        Components, boundary, overlaps, gaps and context units in WGS 84.
    report : ValidationReport
        The area check; every area shown comes from it.
    basemap : str
        A key of :data:`BASEMAPS`; the layer control offers the others of the same datum.
    lang : str
        Interface language, one of :data:`LANGUAGES`.
    tianditu_key : str, optional
        Key for Tianditu basemaps; defaults to the ``TIANDITU_KEY`` environment variable.
    simplify : bool
        Simplify geometry for the web (see :func:`simplify_layer`).
    keep_key : bool
        Write the Tianditu key into the page; otherwise the page asks its reader for one (or
        reads ``#tk=KEY`` from its address).

    Returns
    -------
    folium.Map
        The map; render it with ``m.get_root().render()`` or save it with :func:`write_map`.

    Raises
    ------
    InputError
        If ``basemap`` or ``lang`` is unknown, or a Tianditu basemap has no key.
    """
    return _build(
        composition,
        report,
        basemap=basemap,
        lang=lang,
        tianditu_key=tianditu_key,
        simplify=simplify,
        keep_key=keep_key,
    ).map


def _build(
    composition: Composition,
    report: ValidationReport,
    *,
    basemap: str,
    lang: str,
    tianditu_key: str | None,
    simplify: bool,
    keep_key: bool,
) -> _Built:
    _check_choice(basemap, list(BASEMAPS), "basemap")
    _check_choice(lang, LANGUAGES, "language")
    chosen = BASEMAPS[basemap]
    key = _resolve_key(chosen, basemap, tianditu_key)
    text = _TEXT[lang]
    zh = lang == "zh"
    ladder = TOLERANCE_LADDER_M if simplify else (0.0,)

    comps = composition.components.reset_index(drop=True)
    areas: dict[str, ComponentArea] = {c.id: c for c in report.components}

    # Simplify in WGS 84 (areas are bounded there), then shift for display. Parts form a
    # coverage whose union is the boundary; parts to subtract overlap them and go on their own.
    roles = comps["role"].astype(str).to_numpy() if "role" in comps else np.full(len(comps), "part")
    subtract = roles == "subtract"
    geoms = comps.geometry.to_numpy()
    comp_geoms = np.empty(len(comps), dtype=object)
    comp_change = np.zeros(len(comps))
    comp_tol = np.zeros(len(comps))
    derive_boundary = not subtract.any()
    simple, tol, change = simplify_layer(
        geoms[~subtract], ladder=ladder, with_union=derive_boundary
    )
    n_parts = int((~subtract).sum())
    comp_geoms[~subtract], comp_change[~subtract], comp_tol[~subtract] = (
        list(simple[:n_parts]),
        change[:n_parts],
        tol,
    )
    boundary_geom: Any
    if derive_boundary and tol > 0:
        boundary_geom, boundary_change, boundary_tol = simple[-1], float(change[-1]), tol
    else:
        b_simple, boundary_tol, b_change = simplify_layer(
            [shapely.union_all(composition.boundary.geometry.to_numpy())], ladder=ladder
        )
        boundary_geom, boundary_change = b_simple[0], float(b_change[0])
    if subtract.any():
        simple, tol, change = simplify_layer(geoms[subtract], ladder=ladder)
        comp_geoms[subtract], comp_change[subtract], comp_tol[subtract] = list(simple), change, tol
    ctx = composition.context.reset_index(drop=True)
    ctx_geoms, ctx_tol, ctx_change = simplify_layer(ctx.geometry.to_numpy(), ladder=ladder)

    stats = [
        LayerSimplification(
            str(comps.loc[i, "id"]),
            float(comp_tol[i]),
            round(float(comp_change[i]), 5),
            int(shapely.get_num_coordinates(geoms[i])),
            int(shapely.get_num_coordinates(comp_geoms[i])),
        )
        for i in range(len(comps))
    ]
    stats.append(
        LayerSimplification(
            "boundary",
            float(boundary_tol),
            round(boundary_change, 5),
            int(shapely.get_num_coordinates(composition.boundary.geometry).sum()),
            int(shapely.get_num_coordinates(boundary_geom)),
        )
    )
    if len(ctx):
        stats.append(
            LayerSimplification(
                "context",
                ctx_tol,
                round(float(ctx_change.max()), 5),
                int(shapely.get_num_coordinates(ctx.geometry).sum()),
                int(shapely.get_num_coordinates(ctx_geoms).sum()),
            )
        )

    display: dict[str, NDArray[np.object_]] = {
        "components": np.asarray(comp_geoms, dtype=object),
        "boundary": np.asarray([boundary_geom], dtype=object),
        "context": np.asarray(ctx_geoms, dtype=object),
        "overlaps": composition.overlaps.geometry.to_numpy(),
        "gaps": composition.gaps.geometry.to_numpy(),
    }
    if chosen.datum == "GCJ02":
        from .datum import convert_frame

        for name, geoms in display.items():
            if len(geoms):
                frame = gpd.GeoDataFrame(geometry=list(geoms), crs="EPSG:4326")
                display[name] = convert_frame(frame, "WGS84", "GCJ02").geometry.to_numpy()

    bounds = shapely.total_bounds(display["boundary"])
    if not np.isfinite(bounds).all():
        bounds = shapely.total_bounds(display["components"])
    m = folium.Map(location=None, tiles=None, control_scale=True, zoom_start=10, max_zoom=19)
    m.default_js = _offline.links("leaflet")
    m.default_css = _offline.links("leaflet_css")
    if np.isfinite(bounds).all():
        # Room for the legend on the left and the title and summary panels on the right.
        m.fit_bounds(
            [[bounds[1], bounds[0]], [bounds[3], bounds[2]]],
            padding_top_left=(300, 20),
            padding_bottom_right=(430, 20),
        )
    figure = m.get_root()
    assert isinstance(figure, Figure)
    figure.header.add_child(folium.Element(f"<style>{_CSS}</style>"), name="acg_css")
    figure.header.add_child(
        folium.Element(f"<title>{_esc(report.name_zh if zh else report.name_en)}</title>"),
        name="acg_title",
    )

    # Basemaps: the chosen one shown, others of the same datum offered in the layer control.
    tile_layers: list[folium.TileLayer] = []
    key_layers: list[folium.TileLayer] = []
    # A Tianditu basemap whose key is not stored waits for the reader's key before it is added,
    # so the page never requests tiles with an empty key.
    waiting: folium.FeatureGroup | folium.TileLayer | None = None
    for name, bm in BASEMAPS.items():
        if bm.url is None or bm.datum != chosen.datum:
            continue
        if bm.needs_key and not key:
            continue
        options: dict[str, Any] = {}
        if bm.needs_key:
            options["tk"] = key if keep_key else ""
        label = _esc(bm.name_zh if zh else bm.name_en)
        shown = name == basemap and (keep_key or not bm.needs_key)
        if bm.labels_url:
            group = folium.FeatureGroup(name=label, overlay=False, show=shown)
            for url in (bm.url, bm.labels_url):
                layer = folium.TileLayer(
                    tiles=url,
                    attr=bm.attribution,
                    subdomains=bm.subdomains,
                    max_zoom=bm.max_zoom,
                    overlay=False,
                    control=False,
                    **options,
                )
                layer.add_to(group)
                key_layers.append(layer)
            group.add_to(m)
            if name == basemap and not shown:
                waiting = group
        else:
            layer = folium.TileLayer(
                tiles=url if (url := bm.url) else "",
                attr=bm.attribution,
                name=label,
                subdomains=bm.subdomains or "abc",
                max_zoom=bm.max_zoom,
                overlay=False,
                show=shown,
                **options,
            )
            layer.add_to(m)
            tile_layers.append(layer)
            if bm.needs_key:
                key_layers.append(layer)
            if name == basemap and not shown:
                waiting = layer
    if key_layers and not keep_key:
        _KeyPrompt(key_layers, text["tianditu_prompt"], waiting).add_to(m)

    overlays: list[str] = []
    legend: list[str] = []

    # Context units first, so they lie underneath.
    if len(ctx):
        feats = []
        for i in range(len(ctx)):
            row = ctx.iloc[i]
            first, second = _names(zh, row.get("name_zh"), row.get("name_en"))
            tip = f"<b>{first}</b>" + (f"<br>{second}" if second else "")
            popup = f"<b>{first}</b><br>{second}" + _table(
                [
                    (text["adcode"], row.get("adcode")),
                    (text["accuracy"], text.get(str(row.get("accuracy")), row.get("accuracy"))),
                    (text["source"], row.get("source")),
                    (text["datum"], row.get("datum")),
                    (text["date"], row.get("date")),
                ]
            )
            feats.append(
                _feature(display["context"][i], style.CONTEXT_STYLE, tip, popup, "context")
            )
        sw = _swatch(style.CONTEXT_COLOUR, style.CONTEXT_COLOUR, 0, 1, False)
        _GeoLayer("context", sw + _esc(text["context"]), feats).add_to(m)
        overlays.append("context")
        legend.append(f"<div>{sw}{_esc(text['context'])}</div>")

    for i in range(len(comps)):
        row = comps.iloc[i]
        cid = str(row["id"])
        accuracy = str(row.get("accuracy") or "")
        est = accuracy == "estimated"
        s = style.component_style(cid, accuracy, i)
        first, second = _names(zh, row.get("name_zh"), row.get("name_en"))
        est_tag = f' <span class="acg-est">{_esc(text["estimated"])}</span>' if est else ""
        if subtract[i]:
            est_tag += f' <span class="acg-muted">({_esc(text["subtracted"])})</span>'
        area = areas.get(cid)
        measured = area.measured_km2 if area else None
        stated = area.stated_km2 if area else None
        delta = area.delta_pct if area else None
        tip = (
            f"<b>{first}</b>{est_tag}"
            + (f"<br>{second}" if second else "")
            + f"<br>{_esc(text['measured'])}: {_esc(_km2(measured))}"
            + (
                f" · {_esc(text['stated'])}: {_esc(_km2(stated))} ({_esc(_pct(delta))})"
                if stated is not None
                else ""
            )
            + (f"<br><i>{_esc(text['estimated_boundary'])}</i>" if est else "")
        )
        popup = f"<b>{first}</b>{est_tag}<br>{second}" + _table(
            [
                (text["measured"], _km2(measured)),
                (text["stated"], _km2(stated) if stated is not None else None),
                (text["difference"], _pct(delta) if delta is not None else None),
                (text["stated_source"], row.get("stated_area_source")),
                (text["accuracy"], text.get(accuracy, accuracy)),
                (text["method"], row.get("method")),
                (text["source"], row.get("source")),
                (text["datum"], row.get("datum")),
                (text["date"], row.get("date")),
            ]
        )
        feat = _feature(display["components"][i], s, tip, popup, cid)
        sw = _swatch(s.stroke, s.fill, s.fill_opacity, s.weight_px, s.dashed)
        label = f"{sw}{first}" + (f" <i>({_esc(text['estimated'])})</i>" if est else "")
        _GeoLayer(cid, label, [feat]).add_to(m)
        overlays.append(cid)
        legend.append(f"<div>{sw}{first}{est_tag}</div>")

    for kind, sty, frame in (
        ("overlaps", style.OVERLAP_STYLE, composition.overlaps),
        ("gaps", style.GAP_STYLE, composition.gaps),
    ):
        if not len(frame):
            continue
        feats = []
        for i in range(len(frame)):
            row = frame.iloc[i]
            label_text = text[kind]
            if kind == "overlaps":
                label_text += f": {row.get('a')} / {row.get('b')}"
            tip = f"{_esc(label_text)}<br>{_esc(_km2(float(row['area_km2'])))}"
            feats.append(_feature(display[kind][i], sty, tip, tip, kind))
        sw = _swatch(sty.stroke, sty.fill, sty.fill_opacity, sty.weight_px, False)
        _GeoLayer(kind, sw + _esc(text[kind]), feats).add_to(m)
        overlays.append(kind)
        legend.append(f"<div>{sw}{_esc(text[kind])}</div>")

    b_first, b_second = _names(zh, report.name_zh, report.name_en)
    b_tip = (
        f"<b>{b_first}</b><br>{b_second}<br>{_esc(text['composed'])}: "
        f"{_esc(_km2(report.composed_km2))} · {_esc(text['stated_total'])}: "
        f"{_esc(_km2(report.target_km2))} ({_esc(_pct(report.delta_pct))})"
    )
    b_style = style.BOUNDARY_STYLE
    b_feat = _feature(display["boundary"][0], b_style, b_tip, b_tip, "boundary", fill=False)
    sw = _swatch(b_style.stroke, b_style.fill, 0, b_style.weight_px, False)
    _GeoLayer("boundary", sw + _esc(text["boundary"]), [b_feat]).add_to(m)
    overlays.append("boundary")
    legend.insert(0, f"<div>{sw}{_esc(text['boundary'])}</div>")

    # Controls.
    datum_label = chosen.datum_label
    datum_line = text["drawn_in"].format(datum=datum_label)
    if chosen.datum == "GCJ02":
        datum_line += f" ({text['shifted']})"
    title_html = (
        f"<h1>{b_first}</h1>"
        + (f"<p>{b_second}</p>" if b_second else "")
        + f"<p><small>{_esc(text['data'])}: {_esc(_dates(comps, ctx))} · "
        f"{_esc(datum_line)} · {_esc(text['basemap'])}: "
        f"{_esc((chosen.name_zh if zh else chosen.name_en) if chosen.url else text['no_basemap'])}"
        f"</small></p>"
        f"<p><small>{_esc(text['caveat_est'])} {_esc(text['caveat_area'])}</small></p>"
    )
    _Panel("acg-title", "topright", title_html).add_to(m)
    _Panel("acg-summary", "topright", _summary_html(report, text, zh, stats)).add_to(m)

    _PluginControl("fullscreen", {"position": "topleft"}, "fullscreen").add_to(m)
    _Measure(text).add_to(m)
    legend_html = f"<h2>{_esc(text['legend'])}</h2>" + "".join(legend)
    _Panel("acg-legend", "topleft", legend_html).add_to(m)
    prefix = f"{datum_label}:"
    _PluginControl(
        "mousePosition",
        {
            "position": "bottomleft",
            "separator": " , ",
            "prefix": _esc(prefix),  # the plugin writes it as HTML
            "numDigits": 6,
            "lngFirst": True,
            "emptyString": "",
        },
        "mouse_position",
    ).add_to(m)
    mini_opts: dict[str, Any] = {"subdomains": chosen.subdomains or "abc", "maxZoom": 18}
    if chosen.needs_key:
        mini_opts["tk"] = key if keep_key else ""
    mini_url = chosen.url if (chosen.url and (keep_key or not chosen.needs_key)) else None
    _MiniMap(_coords_json(display["boundary"][0]), mini_url, mini_opts).add_to(m)
    folium.LayerControl(position="topright", collapsed=True).add_to(m)

    return _Built(m, chosen.datum, tuple(overlays), tuple(stats), bool(key and keep_key))


def _feature(
    geom: Any, s: style.LayerStyle, tip: str, popup: str, layer_id: str, *, fill: bool = True
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {
            "layer": layer_id,
            "style": _leaflet_style(s, fill=fill),
            "tip": tip,
            "popup": popup,
        },
        "geometry": _coords_json(geom),
    }


def _summary_html(
    report: ValidationReport, text: dict[str, str], zh: bool, stats: Sequence[LayerSimplification]
) -> str:
    verdict = (
        f'<span class="acg-ok">{_esc(text["passed"])}</span>'
        if report.passed
        else f'<span class="acg-bad">{_esc(text["failed"])}</span>'
    )
    rows = [
        f"<tr><td>{_esc(text['composed'])}</td><td><b>{_esc(_km2(report.composed_km2))}</b></td></tr>",
        f"<tr><td>{_esc(text['stated_total'])}</td><td>{_esc(_km2(report.target_km2))}</td></tr>",
        f"<tr><td>{_esc(text['difference'])}</td><td>{_esc(_km2(report.delta_km2))} "
        f"({_esc(_pct(report.delta_pct))})</td></tr>",
        f"<tr><td>{_esc(text['check'])}</td><td>{verdict} "
        f"(±{report.tolerance_pct:g}% {_esc(text['tolerance'])})</td></tr>",
    ]
    head = (
        f"<tr><th>{_esc(text['component'])}</th><th>{_esc(text['measured'])}</th>"
        f"<th>{_esc(text['stated'])}</th><th>Δ</th></tr>"
    )
    comp_rows = []
    for c in report.components:
        first, _ = _names(zh, c.name_zh, c.name_en)
        est = (
            f' <span class="acg-est">{_esc(text["estimated"])}</span>'
            if c.accuracy == "estimated"
            else ""
        )
        comp_rows.append(
            f'<tr data-id="{_esc(c.id)}"><td>{first}{est}</td>'
            f"<td>{_esc(_km2(c.measured_km2))}</td><td>{_esc(_km2(c.stated_km2))}</td>"
            f"<td>{_esc(_pct(c.delta_pct))}</td></tr>"
        )
    for miss in report.missing:
        first, _ = _names(zh, miss.name_zh, miss.name_en)
        comp_rows.append(
            f'<tr class="acg-muted"><td>{first} ({_esc(text["missing"])})</td><td>—</td>'
            f"<td>{_esc(_km2(miss.stated_km2))}</td><td>—</td></tr>"
        )
    extra = [
        f"{_esc(text['sum_parts'])}: {_esc(_km2(report.sum_of_parts_km2))}",
        f"{_esc(text['overlap_area'])}: {_esc(_km2(sum(o.area_km2 for o in report.overlaps)))}",
        f"{_esc(text['gap_area'])}: {_esc(_km2(report.gaps_km2))} ({report.gap_count})",
    ]
    pct = max((s.max_area_change_pct for s in stats), default=0.0)
    tols = []
    for group, members in (
        ("tol_parts", [s for s in stats if s.layer != "context"]),
        ("tol_context", [s for s in stats if s.layer == "context"]),
    ):
        if members:
            tol = max(s.tolerance_m for s in members)
            tols.append(f"{text[group]} {tol:g} m")
    simplified = text["simplified"].format(
        tol=", ".join(tols), pct=f"{pct:.3f}%", bound=f"{MAX_AREA_CHANGE_PCT:g}%"
    )
    return (
        f"<details open><summary>{_esc(text['summary'])}</summary>"
        f"<table>{''.join(rows)}</table><hr>"
        f"<table>{head}{''.join(comp_rows)}</table>"
        f"<p><small>{' · '.join(extra)}</small></p>"
        f"<p><small>{_esc(simplified)}</small></p></details>"
    )


def write_map(
    composition: Composition,
    report: ValidationReport,
    path: str | Path,
    *,
    offline: bool = False,
    basemap: str | None = None,
    lang: str = "en",
    tianditu_key: str | None = None,
    keep_key: bool = False,
    simplify: bool = True,
) -> MapOutput:
    """Write the web map to one HTML file.

    Parameters
    ----------
    composition : Composition
        What to draw.
    report : ValidationReport
        The area check shown in the panels.
    path : str or Path
        HTML file to write (atomically).
    offline : bool
        Inline every script, stylesheet and icon from the vendored releases. With the default
        basemap (``"none"`` when offline) the page then makes no network request at all; with
        an online basemap its tiles are the only requests.
    basemap : str, optional
        A key of :data:`BASEMAPS`; defaults to :data:`DEFAULT_BASEMAP` online and
        :data:`OFFLINE_DEFAULT_BASEMAP` offline.
    lang : str
        One of :data:`LANGUAGES`.
    tianditu_key : str, optional
        Tianditu key (or environment variable ``TIANDITU_KEY``).
    keep_key : bool
        Store the Tianditu key in the page; by default the page asks its reader for it.
    simplify : bool
        Simplify geometry for the web within :data:`MAX_AREA_CHANGE_PCT`.

    Returns
    -------
    MapOutput
        Path, size, datum and per-layer simplification of the written page.

    Raises
    ------
    InputError
        For an unknown basemap or language, a Tianditu basemap without key, or an unwritable path.
    """
    if basemap is None:
        basemap = OFFLINE_DEFAULT_BASEMAP if offline else DEFAULT_BASEMAP
    built = _build(
        composition,
        report,
        basemap=basemap,
        lang=lang,
        tianditu_key=tianditu_key,
        simplify=simplify,
        keep_key=keep_key,
    )
    page = built.map.get_root().render()
    if offline:
        page = _offline.inline_assets(page)
    out = write_text(path, page)
    return MapOutput(
        path=Path(out),
        bytes=len(page.encode("utf-8")),
        datum=built.datum,
        basemap=basemap,
        offline=offline,
        overlays=built.overlays,
        simplification=built.simplification,
        key_embedded=built.key_embedded,
    )
