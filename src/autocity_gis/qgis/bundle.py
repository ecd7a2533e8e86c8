"""The QGIS files of one hand-off written together: GeoPackage, project and rendered layouts."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from pyproj import CRS

from ..handoff import Frames
from ..validation import ValidationReport
from .geopackage import write_geopackage
from .project import write_project
from .render import render_layout

_LAYOUTS: tuple[Literal["pdf", "png"], ...] = ("pdf", "png")


def write_qgis_files(
    frames: Frames,
    report: ValidationReport,
    out: Path,
    *,
    formats: Sequence[str],
    names: Mapping[str, list[str]],
    crs: CRS | None,
    lang: str,
) -> list[Path]:
    """Write the GeoPackage and project when asked, and render the layout from them.

    ``names`` are :func:`autocity_gis._export.hand_off_names`. A layout asked for without the
    project is rendered from a project written to a temporary folder, so only the PDF or PNG
    lands in ``out``. Returns the files written.
    """
    gpkg, project = names["gpkg"][0], names["qgs"][1]
    written: list[Path] = []
    if "gpkg" in formats or "qgs" in formats:
        written.append(write_geopackage(frames, out / gpkg, crs=crs))
    if "qgs" in formats:
        written.append(
            write_project(frames, report, out / project, gpkg_name=gpkg, crs=crs, lang=lang)
        )
    layouts = [f for f in _LAYOUTS if f in formats]
    if not layouts:
        return written
    with tempfile.TemporaryDirectory(prefix=".autocity-layout-") as tmp:
        source = out / project
        if "qgs" not in formats:
            write_geopackage(frames, Path(tmp) / gpkg, crs=crs)
            source = write_project(
                frames, report, Path(tmp) / project, gpkg_name=gpkg, crs=crs, lang=lang
            )
        for fmt in layouts:
            written.append(render_layout(source, out / names[fmt][0], fmt=fmt))
    return written
