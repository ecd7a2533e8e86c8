"""Load an autocity QGIS project in real QGIS and measure its print layout; print JSON.

Run by ``tests/test_qgis_layout.py`` with the system interpreter that has PyQGIS:

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_layout_probe.py autocity.qgs out.png

Reports every message Qt and QGIS logged while loading and rendering, the title's font, the
layout items' rectangles on the page, the legend's group and layer titles, each layer's label
settings, where QGIS placed every label (and whether it lies inside its feature), and ink
measures of the rendered title at 80 dpi beside the same text drawn by Qt in the same family,
regular and bold. It only reports; the test asserts. Imports nothing from the toolkit.
"""

from __future__ import annotations

import json
import os
import sys

DPI = 80


def _rect(item):
    r = item.sceneBoundingRect()  # layout units (mm) on the page
    return [r.left(), r.top(), r.right(), r.bottom()]


def _ink(image, x0, y0, x1, y1):
    """Dark pixels in a box, and how many 4-connected blobs they form."""
    dark = set()
    for y in range(max(y0, 0), min(y1, image.height())):
        for x in range(max(x0, 0), min(x1, image.width())):
            c = image.pixelColor(x, y)
            if (c.red() + c.green() + c.blue()) / 3 < 128:
                dark.add((x, y))
    seen, blobs = set(), 0
    for start in dark:
        if start in seen:
            continue
        blobs += 1
        stack = [start]
        seen.add(start)
        while stack:
            x, y = stack.pop()
            for n in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                if n in dark and n not in seen:
                    seen.add(n)
                    stack.append(n)
    box = max(1, (x1 - x0) * (y1 - y0))
    return {"dark": len(dark), "fraction": len(dark) / box, "blobs": blobs}


def _reference(text, family, size_pt, bold, width, height):
    """The text drawn by Qt alone in ``family`` at the layout's resolution."""
    from qgis.PyQt.QtCore import Qt
    from qgis.PyQt.QtGui import QColor, QFont, QImage, QPainter

    image = QImage(width, height, QImage.Format_ARGB32)
    image.fill(QColor("white"))
    dpm = round(DPI / 0.0254)
    image.setDotsPerMeterX(dpm)
    image.setDotsPerMeterY(dpm)
    font = QFont(family)
    font.setPointSizeF(size_pt)
    font.setBold(bold)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.TextAntialiasing)
    painter.setFont(font)
    painter.setPen(QColor("black"))
    painter.drawText(0, 0, width, height, Qt.AlignLeft | Qt.AlignVCenter, text)
    painter.end()
    return _ink(image, 0, 0, width, height)


def _labels(project):
    from qgis.core import QgsPalLayerSettings

    out = {}
    for layer in project.mapLayers().values():
        if not layer.labelsEnabled() or layer.labeling() is None:
            continue
        s = layer.labeling().settings()
        out[layer.name()] = {
            "expression": s.fieldName,
            "horizontal": s.placement == QgsPalLayerSettings.Horizontal,
            "fit_in_polygon_only": bool(s.fitInPolygonOnly),
            "family": s.format().font().family(),
            "bold": s.format().font().bold(),
        }
    return out


def _placed(project, layout_map):
    """Render the map item's view and return every label QGIS placed, with containment."""
    from qgis.core import QgsGeometry, QgsMapRendererSequentialJob, QgsMapSettings
    from qgis.PyQt.QtCore import QSize

    settings = QgsMapSettings()
    settings.setLayers(layout_map.layersToRender())
    settings.setDestinationCrs(layout_map.crs())
    settings.setExtent(layout_map.extent())
    settings.setOutputDpi(DPI)
    width_mm, height_mm = layout_map.rect().width(), layout_map.rect().height()
    settings.setOutputSize(QSize(round(width_mm / 25.4 * DPI), round(height_mm / 25.4 * DPI)))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    placed = []
    for pos in job.takeLabelingResults().allLabels():
        layer = project.mapLayer(pos.layerID)
        feature = layer.getFeature(pos.featureId)
        geometry = QgsGeometry(feature.geometry())
        if layer.crs() != settings.destinationCrs():
            from qgis.core import QgsCoordinateTransform

            geometry.transform(QgsCoordinateTransform(layer.crs(), settings.destinationCrs(),
                                                      project))
        rect = QgsGeometry.fromRect(pos.labelRect)
        placed.append({"layer": layer.name(), "text": pos.labelText,
                       "inside": geometry.contains(rect)})
    return placed


def main(project_path, png):
    from qgis.core import (
        QgsApplication,
        QgsLayoutExporter,
        QgsLayoutItemLabel,
        QgsLayoutItemLegend,
        QgsLayoutItemMap,
        QgsLayoutItemPicture,
        QgsLayoutItemScaleBar,
        QgsProject,
    )
    from qgis.PyQt.QtCore import qInstallMessageHandler
    from qgis.PyQt.QtGui import QImage

    messages = []
    qInstallMessageHandler(lambda _kind, _context, text: messages.append(str(text)))
    app = QgsApplication([], False)
    app.initQgis()
    QgsApplication.messageLog().messageReceived.connect(
        lambda text, tag, _level: messages.append(f"{tag}: {text}"))
    result = {"messages": messages}
    try:
        project = QgsProject.instance()
        result["read"] = project.read(project_path)
        from qgis.core import QgsLayoutItemRegistry as Registry

        result["item_types"] = {
            name: int(getattr(Registry, attr))
            for name, attr in (("PAGE", "LayoutPage"), ("MAP", "LayoutMap"),
                               ("PICTURE", "LayoutPicture"), ("LABEL", "LayoutLabel"),
                               ("LEGEND", "LayoutLegend"), ("SCALEBAR", "LayoutScaleBar"))
        }
        layout = project.layoutManager().layouts()[0]
        layout.refresh()
        items = layout.items()
        labels = {i.id(): i for i in items if isinstance(i, QgsLayoutItemLabel)}
        title = labels["title"]
        result["title"] = {"text": title.currentText(), "family": title.font().family(),
                           "bold": title.font().bold(), "size": title.font().pointSizeF()}
        result["label_fonts"] = {k: i.font().family() for k, i in labels.items()}
        kinds = {"map": QgsLayoutItemMap, "legend": QgsLayoutItemLegend,
                 "scalebar": QgsLayoutItemScaleBar, "north_arrow": QgsLayoutItemPicture}
        legend = next(i for i in items if isinstance(i, QgsLayoutItemLegend))
        root = legend.model().rootGroup()
        result["legend_groups"] = [g.name() for g in root.findGroups()]
        result["legend_layers"] = [
            n.customProperty("legend/title-label") or n.name() for n in root.findLayers()]
        result["labels"] = _labels(project)
        layout_map = next(i for i in items if isinstance(i, QgsLayoutItemMap))
        result["placed"] = _placed(project, layout_map)

        exporter = QgsLayoutExporter(layout)
        settings = QgsLayoutExporter.ImageExportSettings()
        settings.dpi = DPI
        result["export_status"] = int(exporter.exportToImage(png, settings))
        # Measured after drawing: the legend and scale bar resize to their contents then.
        result["rects"] = {k: _rect(next(i for i in items if isinstance(i, t)))
                           for k, t in kinds.items()}
        result["rects"]["title"] = _rect(title)
        image = QImage(png)
        px = DPI / 25.4
        x0, y0, x1, y1 = (round(v * px) for v in _rect(title))
        result["title_ink"] = _ink(image, x0, y0, x1, y1)
        text, family, size = title.currentText(), title.font().family(), title.font().pointSizeF()
        result["reference_regular"] = _reference(text, family, size, False, x1 - x0, y1 - y0)
        result["reference_bold"] = _reference(text, family, size, True, x1 - x0, y1 - y0)
    finally:
        print(json.dumps(result, ensure_ascii=False), flush=True)
        # PyQGIS 3.22 segfaults in exitQgis() when Python still holds layout items.
        os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
