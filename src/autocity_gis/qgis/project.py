"""The ``.qgs`` project: grouped layers, the canvas on the city, the print layout.

The layers come from the GeoPackage beside the project; it measures on the ellipsoid and holds
the print layout of :mod:`.layout`.

Built with ElementTree (:mod:`._xml`); the layer and legend trees, the map layers and the
layout are separate steps of :func:`write_project`.
"""

from __future__ import annotations

import textwrap
import uuid
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
from pyproj import CRS

from .._io import write_text
from .._proj import bounds_in, lonlat_to
from .._text import for_xml
from ..handoff import GK_EPSG, WGS84_EPSG, Frames, base_layer, in_crs
from ..validation import ValidationReport
from . import _xml
from .geopackage import GPKG_NAME
from .layout import MAP_BOX, LayoutTexts, fit_extent, layout, qgis_label
from .symbology import component_styles, style_body

PROJECT_NAME = "autocity.qgs"

#: Layer titles in the print layout's legend, by language.
LEGEND_TITLES: dict[str, str] = {
    "components": "Components",
    "boundary": "Composed boundary",
    "admin_units": "Administrative units",
    "overlaps": "Overlaps between components",
    "gaps": "Gaps between components",
    "subtracted": "Subtracted zones (cut out)",
    "holes": "Holes in the data (enclaves)",
    "landuse": "Land use (project's own colours)",
    "conflicts": "Conflicts with control lines",
}
LEGEND_TITLES_ZH: dict[str, str] = {
    "components": "组成部分",
    "boundary": "合成边界",
    "admin_units": "行政区划",
    "overlaps": "组成部分之间的重叠",
    "gaps": "组成部分之间的缝隙",
    "subtracted": "扣除区域",
    "holes": "数据中的孔洞（飞地）",
    "landuse": "用地（本项目自定配色）",
    "conflicts": "与控制线的冲突",
}

#: Layer tree of the project: (group title, layers top to bottom). Drawing follows this order.
#: The ``None`` group is the city's own, titled with the recipe's name.
PROJECT_GROUPS: tuple[tuple[str | None, tuple[str, ...]], ...] = (
    ("Diagnostics", ("conflicts", "overlaps", "gaps", "holes", "subtracted")),
    (None, ("boundary", "components")),
    ("Land use", ("landuse",)),  # issue 14: the recipe's land-use overlays
    ("Administrative units", ("admin_units",)),
)
_GROUPS_ZH = {"Diagnostics": "检查结果", "Administrative units": "行政区划", "Land use": "用地"}

#: Characters per line of a group title in the layout's legend (a larger font than entries).
LEGEND_GROUP_WRAP_CHARS = 24
LEGEND_GROUP_WRAP_CHARS_ZH = 13

_Groups = list[tuple[str, list[str]]]


def layout_texts(report: ValidationReport, lang: str = "en") -> tuple[str, str]:
    """Return the print layout's title and subtitle from the recipe's names and the check.

    In Chinese the title is the Chinese name (the English one when there is none) and the
    subtitle writes areas as Chinese planning documents do (:mod:`autocity_gis._zh`).
    """
    if lang == "zh":
        from .._zh import zh_areas, zh_km2, zh_pct

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


def legend_group(title: str, zh: bool) -> str:
    """Return a group title wrapped for the layout's legend (the layer panel keeps it whole).

    QGIS 3.22 legends do not wrap by width, and the city's name would run off the page.
    """
    # Made XML-safe before wrapping: textwrap would turn \v and \f into spaces unseen.
    shown = for_xml(title)
    width = LEGEND_GROUP_WRAP_CHARS_ZH if zh else LEGEND_GROUP_WRAP_CHARS
    return "\n".join(textwrap.wrap(shown, width)) or shown


def layer_id(name: str) -> str:
    """Return the stable QGIS layer id of a hand-off layer."""
    return f"{name}_{uuid.uuid5(uuid.NAMESPACE_URL, 'autocity-gis/' + name).hex}"


def _datasource(gpkg_name: str, layer: str) -> str:
    return f"./{gpkg_name}|layername={layer}"


def _groups(frames: Frames, report: ValidationReport, zh: bool) -> _Groups:
    city = (report.name_zh or report.name_en) if zh else (report.name_en or report.name_zh)
    groups = [
        (
            city if title is None else (_GROUPS_ZH[title] if zh else title),
            [n for n in names if n in frames],
        )
        for title, names in PROJECT_GROUPS
    ]
    return [g for g in groups if g[1]]


def _tree_layer(parent: ET.Element, name: str, gpkg_name: str) -> ET.Element:
    node = _xml.sub(
        parent,
        "layer-tree-layer",
        {
            "id": layer_id(name),
            "name": name,
            "source": _datasource(gpkg_name, name),
            "providerKey": "ogr",
            "checked": "Qt::Checked",
            "expanded": int(name.startswith("components")),
        },
    )
    return _xml.sub(node, "customproperties")


def _layer_tree(groups: _Groups, gpkg_name: str) -> ET.Element:
    root = _xml.element("layer-tree-group")
    _xml.sub(root, "customproperties")
    for title, names in groups:
        group = _xml.sub(
            root, "layer-tree-group", {"name": title, "checked": "Qt::Checked", "expanded": 1}
        )
        _xml.sub(group, "customproperties")
        for name in names:
            _tree_layer(group, name, gpkg_name)
    return root


def _legend_layer(
    parent: ET.Element, name: str, frames: Frames, gpkg_name: str, lang: str
) -> list[int]:
    """Add one layer to the layout's legend with its title and literal category labels.

    A print layout's legend evaluates ``[% ... %]`` in category labels; the layer panel shows
    them as they are. So the renderer keeps the literal label and the layout's legend gets, for
    those categories, a label that evaluates to the same literal text; in Chinese every
    category gets one, naming the components in Chinese. Returns the lines of each legend row
    the layer takes (its title, then one row per category).
    """
    props = _tree_layer(parent, name, gpkg_name)
    titles = LEGEND_TITLES_ZH if lang == "zh" else LEGEND_TITLES
    _xml.sub(props, "property", {"key": "legend/title-label", "value": titles[base_layer(name)]})
    if base_layer(name) == "landuse":  # issue 14: one legend row per class
        from ._overlay_styles import landuse_categories, legend_label

        labels = [legend_label(label) for _, label, _ in landuse_categories(frames[name])]
        return [1, *(label.count("\n") + 1 for label in labels)]
    if base_layer(name) != "components":
        return [1]
    rows = [1]
    for n, (_, label, _) in enumerate(component_styles(frames[name], lang)):
        rows.append(label.count("\n") + 1)
        if "[%" in label or lang == "zh":
            _xml.sub(props, "property", {"key": f"legend/label-{n}", "value": qgis_label(label)})
    return rows


def _legend_tree(
    groups: _Groups, frames: Frames, gpkg_name: str, lang: str
) -> tuple[ET.Element, list[int]]:
    """Return the layout legend's tree and the lines of each of its rows.

    A group of one layer is left out and its layer shown alone, so the legend never names a
    group and its only layer alike.
    """
    rows: list[int] = []
    root = _xml.element("layer-tree-group")
    _xml.sub(root, "customproperties")
    for title, names in groups:
        parent = root
        if len(names) > 1:
            parent = _xml.sub(
                root,
                "layer-tree-group",
                {
                    "name": legend_group(title, lang == "zh"),
                    "checked": "Qt::Checked",
                    "expanded": 1,
                },
            )
            _xml.sub(parent, "customproperties")
            rows.append(parent.attrib["name"].count("\n") + 1)
        for name in names:
            rows += _legend_layer(parent, name, frames, gpkg_name, lang)
    return root, rows


def _proj4(crs: CRS) -> str:
    with warnings.catch_warnings():
        # PROJ strings are lossy; QGIS reads the authid and WKT first, this is a fallback.
        warnings.simplefilter("ignore", UserWarning)
        return str(crs.to_proj4())


def _srs(parent: ET.Element, epsg: int) -> None:
    crs = CRS.from_epsg(epsg)
    ellipsoid_code = ""
    if crs.ellipsoid is not None:
        auth = crs.ellipsoid.to_json_dict().get("id", {})
        ellipsoid_code = f"{auth.get('authority', 'EPSG')}:{auth.get('code', '')}"
    node = _xml.sub(parent, "spatialrefsys")
    for tag, text in (
        ("wkt", crs.to_wkt()),
        ("proj4", _proj4(crs)),
        ("srid", epsg),
        ("authid", f"EPSG:{epsg}"),
        ("description", crs.name),
        ("ellipsoidacronym", ellipsoid_code),
        ("geographicflag", "true" if crs.is_geographic else "false"),
    ):
        _xml.sub(node, tag, text=text)


def _map_layer(name: str, frame: gpd.GeoDataFrame, gpkg_name: str, lang: str) -> ET.Element:
    body, labelled = style_body(name, frame, lang)
    epsg = CRS.from_user_input(frame.crs).to_epsg() or WGS84_EPSG
    wgs = frame.to_crs(WGS84_EPSG) if epsg != WGS84_EPSG else frame
    node = _xml.element(
        "maplayer",
        {
            "type": "vector",
            "geometry": "Polygon",
            "wkbType": "MultiPolygon",
            "labelsEnabled": int(labelled),
            "readOnly": 0,
            "minScale": 100000000,
            "maxScale": 0,
            "hasScaleBasedVisibilityFlag": 0,
            "styleCategories": "AllStyleCategories",
        },
    )
    _xml.extent(node, "extent", frame.total_bounds)
    _xml.extent(node, "wgs84extent", wgs.total_bounds)
    _xml.sub(node, "id", text=layer_id(name))
    _xml.sub(node, "datasource", text=_datasource(gpkg_name, name))
    _xml.sub(node, "layername", text=name)
    _srs(_xml.sub(node, "srs"), epsg)
    _xml.sub(node, "provider", {"encoding": "UTF-8"}, "ogr")
    node.extend(body)
    return node


def _properties(parent: ET.Element) -> None:
    node = _xml.sub(parent, "properties")
    # QGIS reads <projectCrs> only when this flag is set.
    _xml.sub(_xml.sub(node, "SpatialRefSys"), "ProjectionsEnabled", {"type": "int"}, 1)
    _xml.sub(_xml.sub(node, "Paths"), "Absolute", {"type": "bool"}, "false")
    _xml.sub(_xml.sub(node, "Measure"), "Ellipsoid", {"type": "QString"}, "EPSG:7030")
    measurement = _xml.sub(node, "Measurement")
    _xml.sub(measurement, "DistanceUnits", {"type": "QString"}, "meters")
    _xml.sub(measurement, "AreaUnits", {"type": "QString"}, "km2")


def _canvas(parent: ET.Element, epsg: int, canvas: tuple[float, float, float, float]) -> None:
    node = _xml.sub(parent, "mapcanvas", {"name": "theMapCanvas", "annotationsVisible": 1})
    units = "degrees" if CRS.from_epsg(epsg).is_geographic else "meters"
    _xml.sub(node, "units", text=units)
    _xml.extent(node, "extent", canvas)
    _xml.sub(node, "rotation", text=0)
    _srs(_xml.sub(node, "destinationsrs"), epsg)
    _xml.sub(node, "rendermaptile", text=0)


def write_project(
    frames: Frames,
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
    frames : mapping of str to geopandas.GeoDataFrame
        The hand-off layers (:func:`autocity_gis.handoff.layer_frames`), in WGS 84.
    report : ValidationReport
        The area check (used for the title).
    path : str or Path
        The ``.qgs`` file to write (replaced atomically if it exists).
    gpkg_name : str
        File name of the GeoPackage, in the same folder as ``path``.
    crs : pyproj.CRS, str or int, optional
        The CRS the GeoPackage's layers are in (as given to :func:`.write_geopackage`) and the
        project's CRS. When None the layers are in EPSG:4326 and the project is in the
        CGCS2000 Gauss–Krüger zone of the data (``report.gk_crs``, else
        :data:`autocity_gis.handoff.GK_EPSG`), so the map keeps true shapes and the scale bar
        reads in metres.
    lang : str
        ``en`` or ``zh``: language of the layout's title, subtitle, legend and group names.

    Returns
    -------
    Path
        ``path``.
    """
    projected = in_crs(frames, crs)
    project_crs = crs if crs is not None else report.gk_crs
    epsg = (CRS.from_user_input(project_crs).to_epsg() if project_crs else None) or GK_EPSG
    zh = lang == "zh"
    groups = _groups(projected, report, zh)
    to_project = lonlat_to(CRS.from_epsg(epsg))
    bounds = bounds_in(to_project, frames["boundary"].to_crs(WGS84_EPSG).total_bounds)
    title, subtitle = layout_texts(report, lang)

    root = _xml.element("qgis", {"projectname": title, "version": _xml.QGIS_VERSION})
    _xml.sub(root, "homePath", {"path": ""})
    _xml.sub(root, "title", text=title)
    _srs(_xml.sub(root, "projectCrs"), epsg)
    root.append(_layer_tree(groups, gpkg_name))
    canvas = fit_extent(bounds, 16, 10)
    _canvas(root, epsg, canvas)
    order = [n for _, names in groups for n in names]
    layers = _xml.sub(root, "projectlayers")
    layers.extend(_map_layer(n, projected[n], gpkg_name, lang) for n in order)
    layer_order = _xml.sub(root, "layerorder")
    for name in order:
        _xml.sub(layer_order, "layer", {"id": layer_id(name)})
    _properties(root)
    texts = LayoutTexts(title, subtitle, "图例" if zh else "Legend")
    legend, rows = _legend_tree(groups, projected, gpkg_name, lang)
    map_extent = fit_extent(bounds, MAP_BOX[2], MAP_BOX[3])
    _xml.sub(root, "Layouts").append(layout(texts, map_extent, legend, rows))
    view = _xml.sub(root, "ProjectViewSettings", {"UseProjectScales": 0, "rotation": 0})
    _srs(_xml.sub(view, "DefaultViewExtent", _xml.extent_attrs(canvas)), epsg)
    _xml.sub(view, "Scales")
    return write_text(Path(path), _xml.qgis_document(root))
