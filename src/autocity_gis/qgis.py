"""The QGIS hand-off: a styled GeoPackage and a QGIS project that opens on the composed city.

This module owns the layer tables every hand-off format shares (:func:`layer_frames`), the
GeoPackage with its default styles in the ``layer_styles`` table the way QGIS reads them
(:func:`write_geopackage`, :func:`layer_style_qml`, :func:`layer_style_sld`) and the ``.qgs``
project with grouped layers, the canvas on the city and a print layout
(:func:`write_project`). Nothing here imports QGIS: the files are written as plain XML and SQLite
so the toolkit runs without it; ``tests/qgis_probe.py`` checks them in real QGIS. Colours and
dash patterns come from :mod:`autocity_gis.style`, so the web map and QGIS look alike.

Names, ids and sources come from other people's recipes and layers. Every text that lands in
XML goes through :func:`_xml_text` or :func:`_xml_attr` here, which drop nothing but show the
characters XML 1.0 cannot carry visibly (:func:`autocity_gis._text.for_xml`), so every file
parses with a strict parser; text QGIS would evaluate as ``[% expression %]`` (the layout's
title and legend entries) is written as an expression that yields the text itself
(:func:`autocity_gis._text.for_qgis_text`). Ids with characters XML cannot carry cannot be
matched by a style category (recipes allow only letters, digits, ``_`` and ``-`` in ids).
"""

from __future__ import annotations

import sqlite3
import textwrap
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import escape as _sax_escape
from xml.sax.saxutils import quoteattr as _sax_quoteattr

import geopandas as gpd
import pandas as pd
import pyogrio
from pyproj import CRS, Transformer

from . import style
from ._errors import OutputError
from ._io import atomic_path, write_text
from ._text import for_qgis_text, for_utf8, for_xml
from .composition import Composition
from .validate import ValidationReport

#: File names inside the output folder.
GPKG_NAME = "autocity.gpkg"
PROJECT_NAME = "autocity.qgs"

#: Layer names in hand-off order; ``admin_units`` and the diagnostics (``subtracted``,
#: ``overlaps``, ``gaps``, ``holes``) only when non-empty.
LAYER_NAMES: tuple[str, ...] = (
    "components",
    "boundary",
    "admin_units",
    "subtracted",
    "overlaps",
    "gaps",
    "holes",
)

#: CGCS2000 / 3-degree Gauss-Kruger zone 42 (central meridian 126°E, false easting 42 500 000 m,
#: i.e. with the zone number in front as Chinese survey and planning data write it). Changchun
#: (124.5-127.5°E) lies in this zone; the same zone without the prefix is EPSG:4551.
GK_EPSG = 4530
#: Suffix of the layers written in :data:`GK_EPSG`.
GK_SUFFIX = "_cgcs2000_gk"
WGS84_EPSG = 4326

_QGIS_VERSION = "3.22.16-Białowieża"
_FONT_SIZE_PT = 9


# ----------------------------------------------------------------------------- XML text


def _xml_text(text: object) -> str:
    """Return ``text`` as XML character data: forbidden characters shown, ``&<>`` escaped."""
    return _sax_escape(for_xml(text))


def _xml_attr(text: object) -> str:
    """Return ``text`` as a quoted XML attribute value (newlines and tabs as references)."""
    return _sax_quoteattr(for_xml(text))


def _qgis_label(text: object) -> str:
    """Return ``text`` for a place where QGIS evaluates ``[% %]``: shown literally there.

    The XML-forbidden characters are made visible first, so their backslash escapes land
    inside the expression's string literal and are quoted with the rest.
    """
    return for_qgis_text(for_xml(text))


# ----------------------------------------------------------------------------- layer tables


def layer_frames(composition: Composition, report: ValidationReport) -> dict[str, gpd.GeoDataFrame]:
    """Build the hand-off layers from a composition and its validation report.

    Parameters
    ----------
    composition : Composition
        The composed boundary with components, context units and diagnostics.
    report : ValidationReport
        The area check of ``composition``; supplies target area and per-component deltas.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        In drawing order of :data:`LAYER_NAMES`, all in EPSG:4326 with MultiPolygon geometry.
        ``components`` carries ``id``, ``name_zh``, ``name_en``, ``accuracy``, stated and
        measured areas and their difference; ``boundary`` carries the target (stated) area,
        the measured area and the check result. ``subtracted`` (zones cut out, with the area
        each removed), ``overlaps`` (pairs ``a``/``b``), ``gaps`` (``between``, ``enclosed``)
        and ``holes`` (``within``) carry area, widest point and a location; they and
        ``admin_units`` are left out when empty.
    """
    judged = {c.id: c for c in report.components}
    components = _wgs84(composition.components).copy()
    rows = [judged.get(i) for i in components["id"]]
    components["delta_pct"] = [c.delta_pct if c else None for c in rows]
    # The component's own verdict: a real boolean (GeoPackage BOOLEAN subtype, GeoJSON
    # true/false), null where nothing is stated.
    components["tolerance_pct"] = _reals([c.tolerance_pct if c else None for c in rows])
    components["passed"] = pd.array([c.passed if c else None for c in rows], dtype="boolean")
    components["gk_km2"] = _reals([c.gk_km2 if c else None for c in rows])
    components["plane_km2"] = _reals([c.plane_source_km2 if c else None for c in rows])
    first = ["id", "name_zh", "name_en", "kind", "accuracy", "stated_area_km2", "measured_km2"]
    ordered = [c for c in first if c in components.columns]
    ordered += [c for c in components.columns if c not in ordered and c != "geometry"]
    components = components[[*ordered, "geometry"]]

    boundary = _wgs84(composition.boundary).copy()
    boundary["accuracy"] = "estimated" if report.estimated else "official"
    boundary["stated_area_km2"] = report.target_km2
    boundary["stated_area_source"] = report.target_source
    boundary["measured_km2"] = report.composed_km2
    boundary["delta_pct"] = report.delta_pct
    boundary["passed"] = pd.array([report.passed], dtype="boolean")
    boundary["gk_km2"] = _reals([report.composed_gk_km2])

    frames = {"components": components, "boundary": boundary}
    for name, frame in (
        ("admin_units", composition.context),
        ("subtracted", composition.subtracted),
        ("overlaps", composition.overlaps),
        ("gaps", composition.gaps),
        ("holes", composition.holes),
    ):
        if frame is not None and len(frame):
            frames[name] = _wgs84(frame).copy()
    for frame in frames.values():
        frame.geometry = frame.geometry.apply(_to_multi)
        for column in frame.columns:
            series = frame[column]
            if column != frame.geometry.name and (
                pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series)
            ):
                # Text stays data, except what no UTF-8 file can hold (lone surrogates).
                frame[column] = series.map(_utf8_safe)
    return frames


def _reals(values: list[float | None]) -> pd.Series:
    """Return a real-number column (None → null), never text when every value is None."""
    return pd.array(values, dtype="Float64")


def _utf8_safe(value: object) -> object:
    return for_utf8(value) if isinstance(value, str) else value


def _wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``frame`` in EPSG:4326; a frame without CRS is taken to be in it (as documented)."""
    if frame.crs is None:
        return frame.set_crs(WGS84_EPSG)
    if CRS.from_user_input(frame.crs).to_epsg() != WGS84_EPSG:
        return frame.to_crs(WGS84_EPSG)
    return frame


def _to_multi(geom: object) -> object:
    from shapely.geometry import MultiPolygon, Polygon

    return MultiPolygon([geom]) if isinstance(geom, Polygon) else geom


def _base_layer(name: str) -> str:
    return name.removesuffix(GK_SUFFIX)


# ----------------------------------------------------------------------------- styles


def _rgba(colour: str, opacity: float = 1.0) -> str:
    """``#rrggbb`` and an opacity as QGIS's ``r,g,b,a`` colour string."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"{r},{g},{b},{round(opacity * 255)}"


def _props(props: Mapping[str, object]) -> str:
    return "".join(f"<prop k={_xml_attr(k)} v={_xml_attr(str(v))}/>" for k, v in props.items())


def _symbol_xml(name: str, layer_style: style.LayerStyle) -> str:
    """Return a fill symbol: the fill without outline, then the outline as a dashable line."""
    fill = {
        "color": _rgba(layer_style.fill, layer_style.fill_opacity),
        "style": "solid" if layer_style.fill_opacity > 0 else "no",
        "outline_style": "no",
        "outline_width": "0",
        "outline_width_unit": "MM",
        "joinstyle": "bevel",
        "offset": "0,0",
        "offset_unit": "MM",
    }
    line = {
        "line_color": _rgba(layer_style.stroke),
        "line_style": "solid",
        "line_width": f"{layer_style.weight_mm:g}",
        "line_width_unit": "MM",
        "use_custom_dash": "1" if layer_style.dashed else "0",
        "customdash": style.ESTIMATED_DASH_MM,
        "customdash_unit": "MM",
        "capstyle": "flat",
        "joinstyle": "round",
        "offset": "0",
        "offset_unit": "MM",
        "draw_inside_polygon": "0",
        "ring_filter": "0",
    }
    return (
        f'<symbol type="fill" name={_xml_attr(name)} alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleFill" enabled="1" locked="0" pass="0">{_props(fill)}</layer>'
        f'<layer class="SimpleLine" enabled="1" locked="0" pass="0">{_props(line)}</layer>'
        "</symbol>"
    )


#: Characters per line of a component's legend entry (Chinese characters are twice as wide).
LEGEND_WRAP_CHARS = 28
LEGEND_WRAP_CHARS_ZH = 16


def _component_styles(
    frame: gpd.GeoDataFrame, lang: str = "en"
) -> list[tuple[str, str, style.LayerStyle]]:
    """``(id, legend label, style)`` per component, in layer order; ``lang`` of the label."""
    zh = lang == "zh"
    first, second = ("name_zh", "name_en") if zh else ("name_en", "name_zh")
    out = []
    for index, row in enumerate(frame.itertuples(index=False)):
        cid = str(row.id)
        accuracy = str(getattr(row, "accuracy", "") or "")
        name = getattr(row, first, "") or (getattr(row, second, "") if zh else "") or cid
        # Made XML-safe before wrapping: textwrap would turn \v and \f into spaces unseen.
        label = for_xml(name)
        if accuracy == "estimated":
            label += "（估算）" if zh else " (estimated)"
        layer_style = style.component_style(cid, accuracy, index)
        if str(getattr(row, "role", "") or "") == "subtract":
            label += "（扣除）" if zh else " (subtracted)"
            layer_style = style.SUBTRACTED_STYLE
        # QGIS 3.22 legends do not wrap by width; long zone names would run off the page.
        width = LEGEND_WRAP_CHARS_ZH if zh else LEGEND_WRAP_CHARS
        label = "\n".join(textwrap.wrap(label, width)) or label
        out.append((cid, label, layer_style))
    return out


_SINGLE_STYLES: dict[str, style.LayerStyle] = {
    "boundary": style.BOUNDARY_STYLE,
    "admin_units": style.CONTEXT_STYLE,
    "overlaps": style.OVERLAP_STYLE,
    "gaps": style.GAP_STYLE,
    "subtracted": style.SUBTRACTED_STYLE,
    "holes": style.HOLE_STYLE,
}


def _renderer_xml(layer: str, frame: gpd.GeoDataFrame) -> str:
    if _base_layer(layer) == "components":
        cats, syms = [], []
        for n, (cid, label, layer_style) in enumerate(_component_styles(frame)):
            cats.append(
                f'<category render="true" symbol="{n}" value={_xml_attr(cid)} '
                f"label={_xml_attr(label)}/>"
            )
            syms.append(_symbol_xml(str(n), layer_style))
        return (
            '<renderer-v2 type="categorizedSymbol" attr="id" forceraster="0" symbollevels="0" '
            'enableorderby="0" referencescale="-1">'
            f"<categories>{''.join(cats)}</categories><symbols>{''.join(syms)}</symbols>"
            "<rotation/><sizescale/></renderer-v2>"
        )
    layer_style = _SINGLE_STYLES[_base_layer(layer)]
    return (
        '<renderer-v2 type="singleSymbol" forceraster="0" symbollevels="0" enableorderby="0" '
        f'referencescale="-1"><symbols>{_symbol_xml("0", layer_style)}</symbols>'
        "<rotation/><sizescale/></renderer-v2>"
    )


#: QGIS expression of the component labels: Chinese name over English name.
LABEL_EXPRESSION = "coalesce(\"name_zh\", '') || '\\n' || coalesce(\"name_en\", '')"


def _labeling_xml(expression: str) -> str:
    text_style = {
        "fieldName": expression,
        "isExpression": "1",
        "fontSize": str(_FONT_SIZE_PT),
        "fontSizeUnit": "Point",
        "fontWeight": "63",
        "textColor": "17,17,17,255",
        "textOpacity": "1",
        "multilineHeight": "1",
        "blendMode": "0",
    }
    buffer = {
        "bufferDraw": "1",
        "bufferSize": "0.8",
        "bufferSizeUnits": "MM",
        "bufferColor": "255,255,255,255",
        "bufferOpacity": "0.85",
        "bufferNoFill": "1",
        "bufferJoinStyle": "128",
    }
    placement = {
        "placement": "1",  # OverPoint: at the polygon's centre
        "centroidInside": "1",
        "centroidWhole": "0",
        "fitInPolygonOnly": "0",
        "priority": "5",
        "dist": "0",
        "offsetType": "0",
    }
    rendering = {"drawLabels": "1", "obstacle": "1", "displayAll": "0", "upsidedownLabels": "0"}
    attrs = " ".join(f"{k}={_xml_attr(v)}" for k, v in text_style.items())
    buf = " ".join(f"{k}={_xml_attr(v)}" for k, v in buffer.items())
    place = " ".join(f"{k}={_xml_attr(v)}" for k, v in placement.items())
    rend = " ".join(f"{k}={_xml_attr(v)}" for k, v in rendering.items())
    return (
        '<labeling type="simple"><settings calloutType="simple">'
        f"<text-style {attrs}><families/><text-buffer {buf}/></text-style>"
        '<text-format multilineAlign="1" wrapChar="" autoWrapLength="0"/>'
        f"<placement {place}/><rendering {rend}/></settings></labeling>"
    )


def _style_body(layer: str, frame: gpd.GeoDataFrame) -> tuple[str, bool]:
    """Return renderer, labels and blending: what a QML file and a project layer share."""
    labelled = _base_layer(layer) == "components"
    body = _renderer_xml(layer, frame)
    if labelled:
        body += _labeling_xml(LABEL_EXPRESSION)
    body += (
        "<blendMode>0</blendMode><featureBlendMode>0</featureBlendMode>"
        "<layerOpacity>1</layerOpacity>"
    )
    if labelled:
        body += '<previewExpression>"name_en"</previewExpression>'
    return body, labelled


def layer_style_qml(layer: str, frame: gpd.GeoDataFrame) -> str:
    """Return the QGIS style (QML) of one hand-off layer.

    Parameters
    ----------
    layer : str
        Layer name, one of :data:`LAYER_NAMES`, optionally with :data:`GK_SUFFIX`.
    frame : geopandas.GeoDataFrame
        The layer's features (components need ``id``, ``accuracy`` and ``name_en``).

    Returns
    -------
    str
        A QML document QGIS 3.x reads: a categorized renderer on ``id`` for the components
        (estimated ones dashed and lighter, labelled with Chinese and English names), a single
        symbol for every other layer.
    """
    body, labelled = _style_body(layer, frame)
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="{_QGIS_VERSION}" styleCategories="Symbology|Labeling" '
        f'labelsEnabled="{int(labelled)}">\n{body}\n</qgis>\n'
    )


def _sld_symbolizer(layer_style: style.LayerStyle) -> str:
    dash = (
        f'<se:SvgParameter name="stroke-dasharray">{style.ESTIMATED_DASH_PX}</se:SvgParameter>'
        if layer_style.dashed
        else ""
    )
    return (
        "<se:PolygonSymbolizer>"
        f'<se:Fill><se:SvgParameter name="fill">{layer_style.fill}</se:SvgParameter>'
        f'<se:SvgParameter name="fill-opacity">{layer_style.fill_opacity:g}</se:SvgParameter>'
        "</se:Fill>"
        f'<se:Stroke><se:SvgParameter name="stroke">{layer_style.stroke}</se:SvgParameter>'
        f'<se:SvgParameter name="stroke-width">{layer_style.weight_px:g}</se:SvgParameter>'
        f"{dash}</se:Stroke></se:PolygonSymbolizer>"
    )


def layer_style_sld(layer: str, frame: gpd.GeoDataFrame) -> str:
    """Return the same style as :func:`layer_style_qml` as SLD 1.1 (for GeoServer and others).

    Parameters
    ----------
    layer : str
        Layer name, one of :data:`LAYER_NAMES`, optionally with :data:`GK_SUFFIX`.
    frame : geopandas.GeoDataFrame
        The layer's features.

    Returns
    -------
    str
        An SLD document with one rule per component (filtered on ``id``) or a single rule.
    """
    rules = []
    if _base_layer(layer) == "components":
        for cid, label, layer_style in _component_styles(frame):
            rules.append(
                f"<se:Rule><se:Name>{_xml_text(label)}</se:Name>"
                f"<se:Description><se:Title>{_xml_text(label)}</se:Title></se:Description>"
                "<ogc:Filter><ogc:PropertyIsEqualTo><ogc:PropertyName>id</ogc:PropertyName>"
                f"<ogc:Literal>{_xml_text(cid)}</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter>"
                f"{_sld_symbolizer(layer_style)}</se:Rule>"
            )
        rules.append(
            "<se:Rule><se:TextSymbolizer><se:Label><ogc:PropertyName>name_en</ogc:PropertyName>"
            '</se:Label><se:Font><se:SvgParameter name="font-size">12</se:SvgParameter>'
            '</se:Font><se:Fill><se:SvgParameter name="fill">#111111</se:SvgParameter>'
            "</se:Fill></se:TextSymbolizer></se:Rule>"
        )
    else:
        layer_style = _SINGLE_STYLES[_base_layer(layer)]
        rules.append(
            f"<se:Rule><se:Name>{_xml_text(layer)}</se:Name>{_sld_symbolizer(layer_style)}</se:Rule>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<StyledLayerDescriptor xmlns="http://www.opengis.net/sld" '
        'xmlns:ogc="http://www.opengis.net/ogc" xmlns:se="http://www.opengis.net/se" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="1.1.0" '
        'xsi:schemaLocation="http://www.opengis.net/sld '
        'http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd">'
        f"<NamedLayer><se:Name>{_xml_text(layer)}</se:Name><UserStyle>"
        f"<se:Name>{_xml_text(layer)}</se:Name><se:FeatureTypeStyle>{''.join(rules)}"
        "</se:FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>\n"
    )


# ----------------------------------------------------------------------------- GeoPackage


_LAYER_STYLES_DDL = """
CREATE TABLE layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    f_table_catalog TEXT(256),
    f_table_schema TEXT(256),
    f_table_name TEXT(256),
    f_geometry_column TEXT(256),
    styleName TEXT(30),
    styleQML TEXT,
    styleSLD TEXT,
    useAsDefault BOOLEAN,
    description TEXT,
    owner TEXT(30),
    ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)
"""

_DESCRIPTIONS = {
    "components": "Components of the composed boundary with stated and measured areas (km²)",
    "boundary": "Composed boundary with target and measured area (km²)",
    "admin_units": "Parent administrative units, for orientation",
    "overlaps": "Areas claimed by two components",
    "gaps": "Gaps between components narrower than the gap width (enclosed or open to the edge)",
    "subtracted": "Zones cut out of the parts (role subtract), with the area each removed",
    "holes": "Holes the data have (enclaves): not errors",
}


def write_geopackage(
    composition: Composition,
    report: ValidationReport,
    path: str | Path,
    *,
    crs: CRS | str | int | None = None,
) -> Path:
    """Write the hand-off layers with their default QGIS styles into one GeoPackage.

    Parameters
    ----------
    composition : Composition
        The composed boundary.
    report : ValidationReport
        Its area check.
    path : str or Path
        The ``.gpkg`` file to write (replaced atomically if it exists).
    crs : pyproj.CRS, str or int, optional
        CRS of the layers (a projected CRS in metres, see
        :func:`autocity_gis.export.output_crs`); WGS 84 (EPSG:4326) when None.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputError
        If the file cannot be written.
    """
    path = Path(path)
    frames = _in_crs(layer_frames(composition, report), crs)
    with atomic_path(path) as tmp:
        try:
            for name, frame in frames.items():
                pyogrio.write_dataframe(
                    frame,
                    tmp,
                    layer=name,
                    driver="GPKG",
                    geometry_type="MultiPolygon",
                    promote_to_multi=True,
                    # 1.2 rather than GDAL's newest: planners' QGIS often bundles an older GDAL.
                    dataset_options={"VERSION": "1.2"},
                    layer_options={
                        "IDENTIFIER": name,
                        "DESCRIPTION": _DESCRIPTIONS[_base_layer(name)],
                    },
                )
            _write_layer_styles(tmp, frames)
        except (OSError, pyogrio.errors.DataSourceError) as exc:
            raise OutputError(f"{path}: cannot write the GeoPackage ({exc}).") from exc
    return path


def _in_crs(
    frames: dict[str, gpd.GeoDataFrame], crs: CRS | str | int | None
) -> dict[str, gpd.GeoDataFrame]:
    return {n: f.to_crs(crs) for n, f in frames.items()} if crs is not None else frames


def _write_layer_styles(gpkg: Path, frames: Mapping[str, gpd.GeoDataFrame]) -> None:
    """Add the ``layer_styles`` table QGIS loads default styles from, one default per layer."""
    con = sqlite3.connect(gpkg)
    try:
        with con:
            geometry_columns = dict(
                con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns")
            )
            con.execute(_LAYER_STYLES_DDL)
            con.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
                "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles')"
            )
            for name, frame in frames.items():
                con.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                    "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, "
                    "description, owner, ui) VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, '', '')",
                    (
                        name,
                        geometry_columns[name],
                        f"autocity {_base_layer(name)}",
                        layer_style_qml(name, frame),
                        layer_style_sld(name, frame),
                        "autocity-gis default style",
                    ),
                )
    finally:
        con.close()


# ----------------------------------------------------------------------------- project


def _srs_xml(epsg: int) -> str:
    crs = CRS.from_epsg(epsg)
    ellipsoid = crs.ellipsoid
    ellipsoid_code = ""
    if ellipsoid is not None:
        auth = ellipsoid.to_json_dict().get("id", {})
        ellipsoid_code = f"{auth.get('authority', 'EPSG')}:{auth.get('code', '')}"
    return (
        "<spatialrefsys>"
        f"<wkt>{_xml_text(crs.to_wkt())}</wkt>"
        f"<proj4>{_xml_text(_proj4(crs))}</proj4>"
        f"<srid>{epsg}</srid><authid>EPSG:{epsg}</authid>"
        f"<description>{_xml_text(crs.name)}</description>"
        f"<ellipsoidacronym>{_xml_text(ellipsoid_code)}</ellipsoidacronym>"
        f"<geographicflag>{'true' if crs.is_geographic else 'false'}</geographicflag>"
        "</spatialrefsys>"
    )


def _proj4(crs: CRS) -> str:
    import warnings

    with warnings.catch_warnings():
        # PROJ strings are lossy; QGIS reads the authid and WKT first, this is a fallback.
        warnings.simplefilter("ignore", UserWarning)
        return str(crs.to_proj4())


def _extent_xml(bounds: Sequence[float]) -> str:
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    return f"<xmin>{xmin!r}</xmin><ymin>{ymin!r}</ymin><xmax>{xmax!r}</xmax><ymax>{ymax!r}</ymax>"


def _fit_extent(
    bounds: Sequence[float], width: float, height: float, margin: float = 0.06
) -> tuple[float, float, float, float]:
    """Pad ``bounds`` by ``margin`` and widen one side so it has the aspect ``width/height``."""
    xmin, ymin, xmax, ymax = bounds
    dx, dy = max(xmax - xmin, 1e-9), max(ymax - ymin, 1e-9)
    dx, dy = dx * (1 + 2 * margin), dy * (1 + 2 * margin)
    aspect = width / height
    if dx / dy < aspect:
        dx = dy * aspect
    else:
        dy = dx / aspect
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    return (cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2)


def _layer_id(name: str) -> str:
    return f"{name}_{uuid.uuid5(uuid.NAMESPACE_URL, 'autocity-gis/' + name).hex}"


def _maplayer_xml(name: str, frame: gpd.GeoDataFrame, gpkg_name: str) -> str:
    body, labelled = _style_body(name, frame)
    epsg = CRS.from_user_input(frame.crs).to_epsg() or WGS84_EPSG
    wgs = frame.to_crs(WGS84_EPSG) if epsg != WGS84_EPSG else frame
    return (
        f'<maplayer type="vector" geometry="Polygon" wkbType="MultiPolygon" '
        f'labelsEnabled="{int(labelled)}" readOnly="0" minScale="100000000" maxScale="0" '
        f'hasScaleBasedVisibilityFlag="0" styleCategories="AllStyleCategories">'
        f"<extent>{_extent_xml(frame.total_bounds)}</extent>"
        f"<wgs84extent>{_extent_xml(wgs.total_bounds)}</wgs84extent>"
        f"<id>{_layer_id(name)}</id>"
        f"<datasource>{_xml_text(_datasource(gpkg_name, name))}</datasource>"
        f"<layername>{_xml_text(name)}</layername>"
        f"<srs>{_srs_xml(epsg)}</srs>"
        '<provider encoding="UTF-8">ogr</provider>'
        f"{body}</maplayer>"
    )


def _legend_labels(layer: str, frame: gpd.GeoDataFrame, lang: str = "en") -> str:
    """Return legend label overrides for categories whose label QGIS would evaluate.

    A print layout's legend evaluates ``[% ... %]`` in category labels; the layer panel shows
    them as they are. So the renderer keeps the literal label and the layout's legend gets, for
    those categories only, a label that evaluates to the same literal text. In Chinese every
    category gets one: the layout's legend names the components in Chinese.
    """
    if _base_layer(layer) != "components":
        return ""
    return "".join(
        f'<property key="legend/label-{n}" value={_xml_attr(_qgis_label(label))}/>'
        for n, (_, label, _) in enumerate(_component_styles(frame, lang))
        if "[%" in label or lang == "zh"
    )


def _datasource(gpkg_name: str, layer: str) -> str:
    return f"./{gpkg_name}|layername={layer}"


def _tree_layer_xml(name: str, gpkg_name: str, *, checked: bool) -> str:
    state = "Qt::Checked" if checked else "Qt::Unchecked"
    return (
        f"<layer-tree-layer id={_xml_attr(_layer_id(name))} name={_xml_attr(name)} "
        f'source={_xml_attr(_datasource(gpkg_name, name))} providerKey="ogr" '
        f'checked="{state}" expanded="{int(name.startswith("components"))}">'
        "<customproperties/></layer-tree-layer>"
    )


#: Layer titles in the print layout's legend, by language.
LEGEND_TITLES: dict[str, str] = {
    "components": "Components",
    "boundary": "Composed boundary",
    "admin_units": "Administrative units",
    "overlaps": "Overlaps between components",
    "gaps": "Gaps between components",
    "subtracted": "Subtracted zones (cut out)",
    "holes": "Holes in the data (enclaves)",
}
LEGEND_TITLES_ZH: dict[str, str] = {
    "components": "组成部分",
    "boundary": "合成边界",
    "admin_units": "行政区划",
    "overlaps": "组成部分之间的重叠",
    "gaps": "组成部分之间的缝隙",
    "subtracted": "扣除区域",
    "holes": "数据中的孔洞（飞地）",
}

#: Layer tree of the project: (group title, layers top to bottom). Drawing follows this order.
#: The ``None`` group is the city's own, titled with the recipe's name.
PROJECT_GROUPS: tuple[tuple[str | None, tuple[str, ...]], ...] = (
    ("Diagnostics", ("overlaps", "gaps", "holes", "subtracted")),
    (None, ("boundary", "components")),
    ("Administrative units", ("admin_units",)),
)
_GROUPS_ZH = {"Diagnostics": "检查结果", "Administrative units": "行政区划"}


#: Characters per line of a group title in the layout's legend (a larger font than entries).
LEGEND_GROUP_WRAP_CHARS = 24
LEGEND_GROUP_WRAP_CHARS_ZH = 13


def _legend_group(title: str, zh: bool) -> str:
    """Return a group title wrapped for the layout's legend (the layer panel keeps it whole).

    QGIS 3.22 legends do not wrap by width, and the city's name would run off the page.
    """
    # Made XML-safe before wrapping: textwrap would turn \v and \f into spaces unseen.
    shown = for_xml(title)
    width = LEGEND_GROUP_WRAP_CHARS_ZH if zh else LEGEND_GROUP_WRAP_CHARS
    return "\n".join(textwrap.wrap(shown, width)) or shown


def layout_texts(report: ValidationReport, lang: str = "en") -> tuple[str, str]:
    """Return the print layout's title and subtitle from the recipe's names and the check.

    In Chinese the title is the Chinese name (the English one when there is none) and the
    subtitle writes areas as Chinese planning documents do (:mod:`autocity_gis._zh`).
    """
    if lang == "zh":
        from ._zh import zh_areas, zh_km2, zh_pct

        title = report.name_zh or report.name_en
        subtitle = (
            f"合成面积{zh_areas(report.composed_km2, report.units)}，"
            f"公布面积{zh_km2(report.target_km2)}，相差{zh_pct(report.delta_pct)}"
        )
        if report.estimated:
            subtitle += "；虚线轮廓：估算范围"
        return title, subtitle
    title = " ".join(n for n in (report.name_zh, report.name_en) if n)
    subtitle = (
        f"Composed {report.composed_km2:,.1f} km² vs stated {report.target_km2:,.1f} km² "
        f"({report.delta_pct:+.2f}%)"
    )
    if report.estimated:
        subtitle += " · dashed outlines: estimated geometry"
    return title, subtitle


def write_project(
    composition: Composition,
    report: ValidationReport,
    path: str | Path,
    *,
    gpkg_name: str = GPKG_NAME,
    crs: CRS | str | int | None = None,
    lang: str = "en",
) -> Path:
    """Write a QGIS project that shows the GeoPackage next to it.

    The project references the GeoPackage by relative path, groups the layers (diagnostics on
    top, then the city's own group named after the recipe, then administrative units), opens
    with the canvas on the boundary, measures on the WGS 84 ellipsoid and holds an A4 print
    layout with title, map, legend, scale bar and north arrow, titled from the recipe's names.

    Parameters
    ----------
    composition : Composition
        The composed boundary.
    report : ValidationReport
        Its area check (used for the title and the layer attributes).
    path : str or Path
        The ``.qgs`` file to write (replaced atomically if it exists).
    gpkg_name : str
        File name of the GeoPackage, in the same folder as ``path``.
    crs : pyproj.CRS, str or int, optional
        The CRS the GeoPackage's layers are in (as given to :func:`write_geopackage`) and the
        project's CRS. When None the layers are in EPSG:4326 and the project is in the
        CGCS2000 Gauss–Krüger zone of the data (``report.gk_crs``, else :data:`GK_EPSG`), so
        the map and layout keep true shapes and the scale bar reads in metres.
    lang : str
        ``en`` or ``zh``: language of the layout's title, subtitle, legend and group names.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    frames = _in_crs(layer_frames(composition, report), crs)
    project_crs = crs if crs is not None else report.gk_crs
    project_epsg = (CRS.from_user_input(project_crs).to_epsg() if project_crs else None) or GK_EPSG
    zh = lang == "zh"
    city = (report.name_zh or report.name_en) if zh else (report.name_en or report.name_zh)
    groups: list[tuple[str, list[str], bool]] = [
        (
            city if title is None else (_GROUPS_ZH[title] if zh else title),
            [n for n in names if n in frames],
            True,
        )
        for title, names in PROJECT_GROUPS
    ]
    groups = [g for g in groups if g[1]]
    legend_titles = LEGEND_TITLES_ZH if zh else LEGEND_TITLES

    wgs_bounds = frames["boundary"].to_crs(WGS84_EPSG).total_bounds
    to_project = Transformer.from_crs(WGS84_EPSG, project_epsg, always_xy=True)
    bounds = to_project.transform_bounds(*wgs_bounds)
    canvas = _fit_extent(bounds, 16, 10)
    title, subtitle = layout_texts(report, lang)

    tree = "".join(
        f"<layer-tree-group name={_xml_attr(g)} "
        f'checked="{"Qt::Checked" if on else "Qt::Unchecked"}" '
        f'expanded="{int(on)}"><customproperties/>'
        + "".join(_tree_layer_xml(n, gpkg_name, checked=True) for n in names)
        + "</layer-tree-group>"
        for g, names, on in groups
    )
    order = [n for _, names, _ in groups for n in names]
    legend = "".join(
        f'<layer-tree-group name={_xml_attr(_legend_group(g, zh))} checked="Qt::Checked" '
        'expanded="1">'
        "<customproperties/>"
        + "".join(
            f"<layer-tree-layer id={_xml_attr(_layer_id(n))} name={_xml_attr(n)} "
            f'source={_xml_attr(_datasource(gpkg_name, n))} providerKey="ogr" '
            'checked="Qt::Checked" expanded="1"><customproperties>'
            f'<property key="legend/title-label" value={_xml_attr(legend_titles[n])}/>'
            f"{_legend_labels(n, frames[n], lang)}</customproperties></layer-tree-layer>"
            for n in names
        )
        + "</layer-tree-group>"
        for g, names, on in groups
        if on
    )
    maplayers = "".join(_maplayer_xml(n, frames[n], gpkg_name) for n in order)
    layerorder = "".join(f"<layer id={_xml_attr(_layer_id(n))}/>" for n in order)
    srs = _srs_xml(project_epsg)
    units = "degrees" if CRS.from_epsg(project_epsg).is_geographic else "meters"
    xml = (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis projectname={_xml_attr(title)} version="{_QGIS_VERSION}">'
        '<homePath path=""/>'
        f"<title>{_xml_text(title)}</title>"
        f"<projectCrs>{srs}</projectCrs>"
        f"<layer-tree-group><customproperties/>{tree}</layer-tree-group>"
        f'<mapcanvas name="theMapCanvas" annotationsVisible="1"><units>{units}</units>'
        f"<extent>{_extent_xml(canvas)}</extent><rotation>0</rotation>"
        f"<destinationsrs>{srs}</destinationsrs><rendermaptile>0</rendermaptile>"
        "</mapcanvas>"
        f"<projectlayers>{maplayers}</projectlayers>"
        f"<layerorder>{layerorder}</layerorder>"
        "<properties>"
        # QGIS reads <projectCrs> only when this flag is set.
        '<SpatialRefSys><ProjectionsEnabled type="int">1</ProjectionsEnabled></SpatialRefSys>'
        '<Paths><Absolute type="bool">false</Absolute></Paths>'
        '<Measure><Ellipsoid type="QString">EPSG:7030</Ellipsoid></Measure>'
        '<Measurement><DistanceUnits type="QString">meters</DistanceUnits>'
        '<AreaUnits type="QString">km2</AreaUnits></Measurement>'
        "</properties>"
        f"<Layouts>{_layout_xml(title, subtitle, _fit_extent(bounds, 190, 165), legend, zh)}"
        "</Layouts>"
        f'<ProjectViewSettings UseProjectScales="0" rotation="0">'
        f"<DefaultViewExtent {_extent_attrs(canvas)}>{srs}</DefaultViewExtent>"
        "<Scales/></ProjectViewSettings>"
        "</qgis>\n"
    )
    return write_text(path, xml)


def _item(
    kind: int,
    item_id: str,
    x: float,
    y: float,
    w: float,
    h: float,
    z: int,
    extra: str = "",
    *,
    frame: bool = False,
) -> str:
    uid = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "autocity-gis/layout/" + item_id)) + "}"
    return (
        f'<LayoutItem type="{kind}" id={_xml_attr(item_id)} uuid="{uid}" templateUuid="{uid}" '
        f'position="{x},{y},mm" positionOnPage="{x},{y},mm" size="{w},{h},mm" '
        f'zValue="{z}" visibility="1" positionLock="false" referencePoint="0" '
        f'frame="{str(frame).lower()}" background="false" outlineWidthM="0.3,mm" itemRotation="0" '
        f'blendMode="0" opacity="1" excludeFromExports="0" {extra}>'
    )


# Item type ids from QgsLayoutItemRegistry (QGraphicsItem::UserType + 100 + n).
_PAGE, _MAP, _PICTURE, _LABEL, _LEGEND, _SCALEBAR = 65638, 65639, 65640, 65641, 65642, 65646
_MAP_UUID_ID = "map"


def _map_uuid() -> str:
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "autocity-gis/layout/" + _MAP_UUID_ID)) + "}"


def _font(family_size: str, colour: str = "0,0,0") -> str:
    r, g, b = colour.split(",")
    return (
        f'<LabelFont description="{family_size}" style=""/>'
        f'<FontColor red="{r}" green="{g}" blue="{b}" alpha="255"/>'
    )


def _extent_attrs(extent: Sequence[float]) -> str:
    keys = ("xmin", "ymin", "xmax", "ymax")
    return " ".join(f"{k}={_xml_attr(repr(float(v)))}" for k, v in zip(keys, extent, strict=True))


def _layout_xml(
    title: str, subtitle: str, map_extent: Sequence[float], legend_tree: str, zh: bool = False
) -> str:
    """Return an A4 landscape layout: title, map, legend, scale bar and north arrow."""
    page = (
        _item(_PAGE, "", 0, 0, 297, 210, 0) + '<FrameColor red="0" green="0" blue="0" alpha="255"/>'
        '<BackgroundColor red="255" green="255" blue="255" alpha="255"/></LayoutItem>'
    )
    title_item = (
        _item(
            _LABEL,
            "title",
            10,
            6,
            277,
            10,
            2,
            f"labelText={_xml_attr(_qgis_label(title))} "
            'halign="1" valign="128" marginX="0" marginY="0" htmlState="0"',
        )
        + _font("Sans Serif,18,-1,5,75,0,0,0,0,0")
        + "</LayoutItem>"
    )
    subtitle_item = (
        _item(
            _LABEL,
            "subtitle",
            10,
            16,
            277,
            6,
            2,
            f'labelText={_xml_attr(subtitle)} halign="1" valign="128" marginX="0" marginY="0" '
            'htmlState="0"',
        )
        + _font("Sans Serif,10,-1,5,50,0,0,0,0,0", "80,80,80")
        + "</LayoutItem>"
    )
    map_item = (
        _item(
            _MAP,
            _MAP_UUID_ID,
            10,
            25,
            190,
            165,
            1,
            'drawCanvasItems="true" keepLayerSet="false" followPreset="false" '
            'followPresetName="" mapRotation="0" mapFlags="0" labelMargin="0,mm"',
            frame=True,
        )
        + '<FrameColor red="0" green="0" blue="0" alpha="255"/>'
        + f"<Extent {_extent_attrs(map_extent)}/>"
        "<LayerSet/></LayoutItem>"
    )
    legend = (
        _item(
            _LEGEND,
            "legend",
            207,
            25,
            80,
            120,
            3,
            f'title="{"图例" if zh else "Legend"}" map_uuid="{_map_uuid()}" resizeToContents="1" '
            'symbolWidth="7" '
            'symbolHeight="4" columnCount="1" boxSpace="2" columnSpace="2" lineSpacing="1" '
            'wrapChar="" splitLayer="0" equalColumnWidth="0" titleAlignment="1" '
            'symbolAlignment="1" fontColor="#000000" rasterBorder="1" legendFilterByAtlas="0"',
        )
        + f"<layer-tree-group><customproperties/>{legend_tree}</layer-tree-group></LayoutItem>"
    )
    scalebar = (
        _item(
            _SCALEBAR,
            "scalebar",
            207,
            170,
            60,
            14,
            4,
            f'mapUuid="{_map_uuid()}" style="Single Box" unitType="kilometers" unitLabel="km" '
            'numMapUnitsPerScaleBarUnit="1000" numSegments="2" numSegmentsLeft="0" '
            'numSubdivisions="1" subdivisionsHeight="1.5" segmentSizeMode="1" '
            'minBarWidth="30" maxBarWidth="60" numUnitsPerSegment="5" segmentMillimeters="25" '
            'height="3" labelBarSpace="3" boxContentSpace="1" alignment="0" '
            'labelVerticalPlacement="0" labelHorizontalPlacement="0"',
        )
        + "</LayoutItem>"
    )
    north = (
        _item(
            _PICTURE,
            "north_arrow",
            272,
            165,
            15,
            20,
            5,
            f'file="arrows/NorthArrow_02.svg" mode="2" northMode="0" northOffset="0" '
            f'mapUuid="{_map_uuid()}" resizeMode="0" anchorPoint="0" pictureRotation="0" '
            'svgFillColor="0,0,0,255" svgBorderColor="0,0,0,255" svgBorderWidth="0.2"',
        )
        + "</LayoutItem>"
    )
    return (
        f'<Layout name={_xml_attr(title)} units="mm" printResolution="300" '
        'worldFileMap="">'
        f"<PageCollection>{page}</PageCollection>"
        f"{map_item}{title_item}{subtitle_item}{legend}{scalebar}{north}</Layout>"
    )
