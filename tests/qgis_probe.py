"""Open an autocity QGIS project in real QGIS and print, as JSON, what QGIS sees.

Run by ``tests/test_qgis.py`` with the system interpreter that has PyQGIS:

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_probe.py autocity.qgs options.json

``options.json`` holds ``{"gpkg": path, "png": path}``: the GeoPackage whose default styles are
checked by loading each layer on its own, and where to render the print layout. The script only
reports; the test asserts. It must not import anything from the toolkit's virtualenv.
"""

from __future__ import annotations

import json
import os
import sys


def _colour(c):  # QColor -> [#rrggbb, alpha 0-255]
    return [c.name(), c.alpha()]


def _symbol(sym):
    out = []
    for i in range(sym.symbolLayerCount()):
        sl = sym.symbolLayer(i)
        props = sl.properties()
        out.append(
            {
                "class": sl.layerType(),
                "fill": _colour(sl.color()),
                "stroke": _colour(sl.strokeColor()) if sl.layerType() == "SimpleFill" else None,
                "line_colour": props.get("line_color"),
                "custom_dash": props.get("use_custom_dash") == "1",
                "customdash": props.get("customdash"),
            }
        )
    return out


def _renderer(layer):
    r = layer.renderer()
    out = {"type": r.type() if r else None}
    if r is not None and r.type() == "categorizedSymbol":
        out["attr"] = r.classAttribute()
        out["categories"] = [
            {"value": c.value(), "label": c.label(), "symbol": _symbol(c.symbol())}
            for c in r.categories()
        ]
    elif r is not None and r.type() == "singleSymbol":
        out["symbol"] = _symbol(r.symbol())
    return out


def _labels(layer):
    lab = layer.labeling()
    if not layer.labelsEnabled() or lab is None:
        return {"enabled": False}
    s = lab.settings()
    return {"enabled": True, "expression": s.fieldName, "is_expression": s.isExpression}


def main(project_path, options_path):
    from qgis.core import (
        QgsApplication,
        QgsDistanceArea,
        QgsLayerTreeGroup,
        QgsLayoutExporter,
        QgsLayoutItemLabel,
        QgsLayoutItemLegend,
        QgsLayoutItemMap,
        QgsLayoutItemPicture,
        QgsLayoutItemScaleBar,
        QgsProject,
        QgsUnitTypes,
        QgsVectorLayer,
    )
    from qgis.PyQt.QtCore import Qt

    with open(options_path, encoding="utf-8") as f:
        options = json.load(f)
    app = QgsApplication([], False)
    app.initQgis()
    result = {"qgis_version": None}
    try:
        from qgis.core import Qgis

        result["qgis_version"] = Qgis.QGIS_VERSION
        project = QgsProject.instance()
        result["read"] = project.read(project_path)
        result["crs"] = project.crs().authid()
        ext = project.viewSettings().defaultViewExtent()
        result["view_extent"] = [ext.xMinimum(), ext.yMinimum(), ext.xMaximum(), ext.yMaximum()]
        result["view_extent_crs"] = ext.crs().authid()
        result["absolute_paths"] = project.readBoolEntry("Paths", "/Absolute", True)[0]

        def walk(group):
            out = []
            for child in group.children():
                if isinstance(child, QgsLayerTreeGroup):
                    out.append({"group": child.name(), "checked": child.isVisible(),
                                "children": walk(child)})
                else:
                    out.append(child.name())
            return out

        result["tree"] = walk(project.layerTreeRoot())

        layers = {}
        for layer in project.mapLayers().values():
            info = {
                "valid": layer.isValid(),
                "source": layer.source(),
                "crs": layer.crs().authid(),
                "features": layer.featureCount(),
                "renderer": _renderer(layer),
                "labels": _labels(layer),
                # Attribute text as QGIS reads it from the GeoPackage (must be the data as given).
                "text": {
                    field: [f[field] for f in layer.getFeatures()]
                    for field in ("id", "name_en", "name_zh", "source", "stated_area_source")
                    if layer.fields().indexOf(field) >= 0
                },
                # Field types as QGIS sees them (a check result must be a real boolean).
                "types": {f.name(): f.typeName() for f in layer.fields()},
                "passed": [
                    f["passed"] if isinstance(f["passed"], bool) else repr(f["passed"])
                    for f in layer.getFeatures()
                ]
                if layer.fields().indexOf("passed") >= 0
                else None,
            }
            layers[layer.name()] = info
        result["layers"] = layers

        boundary = project.mapLayersByName("boundary")[0]
        da = QgsDistanceArea()
        da.setSourceCrs(boundary.crs(), project.transformContext())
        da.setEllipsoid("EPSG:7030")
        area = sum(da.measureArea(f.geometry()) for f in boundary.getFeatures())
        result["boundary_area_km2"] = da.convertAreaMeasurement(
            area, QgsUnitTypes.AreaSquareKilometers
        )
        result["ellipsoid"] = da.ellipsoid()
        result["ellipsoidal"] = da.willUseEllipsoid()

        # The GeoPackage on its own: QGIS must pick the default style from layer_styles.
        defaults = {}
        for name in layers:
            vl = QgsVectorLayer(f"{options['gpkg']}|layername={name}", name, "ogr")
            defaults[name] = {"valid": vl.isValid(), "renderer": _renderer(vl),
                              "labels": _labels(vl)}
        result["gpkg_default_styles"] = defaults

        # The SLD stored beside the QML must be readable by QGIS too.
        import sqlite3
        import tempfile

        con = sqlite3.connect(options["gpkg"])
        sld = con.execute(
            "SELECT styleSLD FROM layer_styles WHERE f_table_name = 'components'"
        ).fetchone()[0]
        con.close()
        with tempfile.NamedTemporaryFile("w", suffix=".sld", delete=False) as f:
            f.write(sld)
        vl = QgsVectorLayer(f"{options['gpkg']}|layername=components", "sld", "ogr")
        message, ok = vl.loadSldStyle(f.name)
        os.unlink(f.name)
        result["sld"] = {"ok": ok, "message": message, "renderer": _renderer(vl)}

        # The layout is named after the recipe's city: take the project's one layout.
        layouts = project.layoutManager().layouts()
        layout = layouts[0] if layouts else None
        result["layout"] = None
        if layout is not None:
            items = layout.items()
            kinds = {
                "map": QgsLayoutItemMap, "label": QgsLayoutItemLabel,
                "legend": QgsLayoutItemLegend, "scalebar": QgsLayoutItemScaleBar,
                "picture": QgsLayoutItemPicture,
            }
            counts = {k: sum(isinstance(i, t) for i in items) for k, t in kinds.items()}
            labels = [i.text() for i in items if isinstance(i, QgsLayoutItemLabel)]
            # What the page shows: QGIS evaluates [% expressions %] in label text.
            shown = [i.currentText() for i in items if isinstance(i, QgsLayoutItemLabel)]
            legend = next((i for i in items if isinstance(i, QgsLayoutItemLegend)), None)
            legend_layers = []
            legend_entries = {}
            legend_shown = {}
            if legend is not None:
                model = legend.model()
                context = legend.createExpressionContext()
                for node in model.rootGroup().findLayers():
                    legend_layers.append(node.name())
                    nodes = model.layerLegendNodes(node)
                    legend_entries[node.name()] = [n.data(Qt.DisplayRole) for n in nodes]
                    # As the legend renderer draws it: [% expressions %] evaluated.
                    legend_shown[node.name()] = [
                        n.evaluateLabel(context, n.data(Qt.DisplayRole))
                        if hasattr(n, "evaluateLabel") else None
                        for n in nodes
                    ]
            pictures = [i.picturePath() for i in items if isinstance(i, QgsLayoutItemPicture)]
            scalebar = next((i for i in items if isinstance(i, QgsLayoutItemScaleBar)), None)
            exporter = QgsLayoutExporter(layout)
            settings = QgsLayoutExporter.ImageExportSettings()
            settings.dpi = 80
            status = exporter.exportToImage(options["png"], settings)
            result["layout"] = {
                "name": layout.name(),
                "legend_title": legend.title() if legend is not None else None,
                "legend_groups": [g.name() for g in model.rootGroup().findGroups()]
                if legend is not None
                else [],
                "items": counts,
                "labels": labels,
                "shown_labels": shown,
                "legend_layers": legend_layers,
                "legend_entries": legend_entries,
                "legend_shown": legend_shown,
                "pictures": pictures,
                "scalebar_linked": bool(scalebar and scalebar.linkedMap()),
                "export_status": int(status),
            }
    finally:
        print(json.dumps(result, ensure_ascii=False), flush=True)
        sys.stderr.flush()
        # PyQGIS 3.22 segfaults in exitQgis() when Python still holds layout items; the
        # report is out, so leave without the teardown.
        os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
