"""Render a QGIS project's print layout to PDF or PNG; run by QGIS's own Python.

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 _render_script.py project.qgs out.pdf pdf 300

Prints one JSON line: the export status, the layout's name and every message QGIS and Qt
logged while loading and rendering (so callers and tests see font warnings). Imports nothing
from the toolkit: it runs outside its virtualenv.
"""

from __future__ import annotations

import json
import os
import sys


def main(project_path: str, target: str, fmt: str, dpi: float) -> None:
    from qgis.core import QgsApplication, QgsLayoutExporter, QgsProject
    from qgis.PyQt.QtCore import qInstallMessageHandler

    messages = []
    qInstallMessageHandler(lambda _kind, _context, text: messages.append(str(text)))
    app = QgsApplication([], False)
    app.initQgis()
    QgsApplication.messageLog().messageReceived.connect(
        lambda text, tag, _level: messages.append(f"{tag}: {text}")
    )
    result: dict[str, object] = {"read": False, "status": None, "messages": messages}
    try:
        project = QgsProject.instance()
        result["read"] = project.read(project_path)
        layouts = project.layoutManager().layouts()
        if layouts:
            layout = layouts[0]
            result["layout"] = layout.name()
            exporter = QgsLayoutExporter(layout)
            if fmt == "pdf":
                settings = QgsLayoutExporter.PdfExportSettings()
                settings.dpi = dpi
                status = exporter.exportToPdf(target, settings)
            else:
                settings = QgsLayoutExporter.ImageExportSettings()
                settings.dpi = dpi
                status = exporter.exportToImage(target, settings)
            result["status"] = int(status)
    finally:
        print(json.dumps(result, ensure_ascii=False), flush=True)
        # PyQGIS 3.22 segfaults in exitQgis() when Python still holds layout items.
        os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]))
