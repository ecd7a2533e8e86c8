"""Hand-off formats other than QGIS's, and the one entry point that writes them all.

:func:`export_all` is what ``autocity-gis export`` (and ``build``) call: from the layer tables
of :func:`autocity_gis.handoff.layer_frames`, computed once, it writes the styled GeoPackage and
the QGIS project (:mod:`autocity_gis.qgis`), the layout as PDF or PNG (rendered by QGIS when
installed), Shapefiles (UTF-8 with a ``.cpg`` so Chinese names survive; field names cut to ten
characters as listed in :data:`SHAPEFILE_FIELDS`), RFC 7946 GeoJSON and KML for Google Earth
(:mod:`autocity_gis.kml`).
Every file is written under a temporary name and renamed when complete; the Shapefile folder is
swapped in whole, so an interrupted export never leaves a half-written set.

The GeoPackage, Shapefiles, DXF and QGIS project can be written in any projected CRS in metres
(:func:`output_crs`, :func:`hand_off_crs`); GeoJSON and KML are WGS 84 by their specifications.
Files are named after the recipe's city id (:func:`output_stem`, :func:`hand_off_names`).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import geopandas as gpd
import pandas as pd
import pyogrio
from pyproj import CRS

from ._errors import CRSError, InputError
from ._io import replace_folder, staging_folder, write_rfc7946
from .composition import Composition
from .handoff import GK_EPSG, WGS84_EPSG, Frames, in_crs, layer_frames
from .kml import write_kml  # export.write_kml: the name tests and callers know
from .validation import ValidationReport

T = TypeVar("T")

#: Formats :func:`export_all` can write.
FORMATS: tuple[str, ...] = ("gpkg", "qgs", "shp", "geojson", "kml", "dxf", "pdf", "png")
#: Formats QGIS renders (the project's print layout); they need QGIS installed.
LAYOUT_FORMATS: tuple[str, ...] = ("pdf", "png")
#: Formats written when none are named: all but DXF, which is for CAD users who ask for it
#: (its writer, ezdxf, costs 0.18 s to import), and the rendered layouts, which need QGIS.
DEFAULT_FORMATS: tuple[str, ...] = tuple(
    f for f in FORMATS if f != "dxf" and f not in LAYOUT_FORMATS
)
#: CRS of the DXF when the data give no Gauss–Krüger zone: CGCS2000 3° zone CM 126°E (Changchun).
DXF_DEFAULT_CRS = "EPSG:4551"

#: Shapefile (dBASE) field names are limited to ten characters; these columns are renamed.
#: Any other column longer than ten characters is cut to ten (and numbered if that collides).
SHAPEFILE_FIELDS: dict[str, str] = {
    "stated_area_km2": "stated_km2",
    "stated_area_source": "stated_src",
    "measured_km2": "meas_km2",
    "parent_adcode": "parent_adc",
}

#: The file stem of the embedded recipe (its ``[city] id``): today's output names.
DEFAULT_STEM = "autocity"
SHAPEFILE_DIR = "autocity_shp"
KML_NAME = "autocity.kml"
DXF_NAME = "autocity.dxf"

#: Projected CRSs planners hand data back in, named in ``--help``: the CGCS2000 3° Gauss–Krüger
#: zones around Changchun, without and with the zone number in front of the easting.
NAMED_CRS: dict[str, str] = {
    "EPSG:4551": "CGCS2000 3° GK CM 126°E",
    "EPSG:4550": "CGCS2000 3° GK CM 123°E",
    "EPSG:4530": "CGCS2000 3° GK zone 42 (CM 126°E, zone prefix)",
    "EPSG:4529": "CGCS2000 3° GK zone 41 (CM 123°E, zone prefix)",
}
# Names Windows reserves for devices, whatever the extension: a stem may not be one of them.
_RESERVED_STEMS = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{d}{n}" for d in ("COM", "LPT") for n in range(1, 10)]
)


def output_stem(city_id: str | None) -> str:
    """Return the file stem of the outputs from a recipe's ``[city] id``.

    Only ASCII letters, digits, ``_`` and ``-`` are kept (anything else becomes ``_``), the
    stem starts with a letter or digit, is at most 64 characters and is never a device name
    Windows reserves. An id with nothing usable gives :data:`DEFAULT_STEM`.

    Examples
    --------
    >>> output_stem("test_city"), output_stem("../x y"), output_stem("con"), output_stem("")
    ('test_city', 'x_y', 'con_', 'autocity')
    """
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", city_id or "")
    stem = re.sub(r"^[^A-Za-z0-9]+", "", stem)[:64]
    if not stem:
        return DEFAULT_STEM
    return f"{stem}_" if stem.upper() in _RESERVED_STEMS else stem


def hand_off_names(formats: Sequence[str], stem: str = DEFAULT_STEM) -> dict[str, list[str]]:
    """Return the files and folders each format writes, for a file stem.

    Examples
    --------
    >>> hand_off_names(["shp", "dxf"], "test_city")["shp"]
    ['test_city_shp']
    """
    names = {
        "gpkg": [f"{stem}.gpkg"],
        "qgs": [f"{stem}.gpkg", f"{stem}.qgs"],
        "shp": [f"{stem}_shp"],
        "kml": [f"{stem}.kml"],
        "geojson": ["boundary.geojson", "components.geojson"],
        "dxf": [f"{stem}.dxf"],
        "pdf": [f"{stem}.pdf"],
        "png": [f"{stem}.png"],
    }
    return {f: names[f] for f in formats if f in names}


def output_crs(crs: Any) -> CRS:
    """Return ``crs`` as a pyproj CRS if it is projected in metres; refuse anything else.

    Hand-offs go to CAD and to planners measuring plane areas and lengths: a geographic CRS or
    one in feet would give them degrees or feet where they expect metres.

    Parameters
    ----------
    crs : str, int or pyproj.CRS
        E.g. ``"EPSG:4551"``.

    Raises
    ------
    CRSError
        One sentence naming the CRS and what is wrong with it.

    Examples
    --------
    >>> output_crs("EPSG:4551").to_epsg()
    4551
    """
    try:
        parsed = CRS.from_user_input(crs)
    except Exception:  # pyproj's own CRSError: its text spans lines and says less than this
        raise CRSError(
            f"--crs {crs}: not a CRS pyproj knows; give an EPSG code such as EPSG:4551."
        ) from None
    if parsed.to_epsg() is None:
        raise CRSError(
            f"--crs {crs}: {parsed.name} has no EPSG code, which QGIS and the GeoPackage need; "
            "give one such as EPSG:4551."
        )
    unit = parsed.axis_info[0].unit_name if parsed.axis_info else ""
    if not parsed.is_projected or unit not in ("metre", "meter"):
        kind = "geographic (degrees)" if parsed.is_geographic else f"in {unit or 'no unit'}"
        raise CRSError(
            f"--crs {crs}: {parsed.name} is {kind}; hand-offs need a projected CRS in metres, "
            "e.g. EPSG:4551 (CGCS2000 Gauss–Krüger CM 126°E)."
        )
    return parsed


@dataclass(frozen=True)
class HandOffCRS:
    """The CRS each hand-off format is written in, for the report to state.

    Attributes
    ----------
    files : tuple of (str, str, str)
        ``(format, EPSG code, CRS name)`` per format written, e.g.
        ``("GeoPackage", "EPSG:4551", "CGCS2000 / 3-degree Gauss-Kruger CM 126E")``.
    """

    files: tuple[tuple[str, str, str], ...]


#: How each format is named in the report.
FORMAT_TITLES = {
    "gpkg": "GeoPackage",
    "qgs": "QGIS project",
    "shp": "Shapefile",
    "dxf": "DXF",
    "geojson": "GeoJSON",
    "kml": "KML",
    "pdf": "PDF (print layout)",
    "png": "PNG (print layout)",
}


def hand_off_crs_summary(
    report: ValidationReport,
    formats: Sequence[str],
    crs: Any = None,
    *,
    gauss_kruger: bool = False,
) -> HandOffCRS:
    """Return the CRS of every format :func:`export_all` writes with these options."""
    target = hand_off_crs(report, crs, gauss_kruger=gauss_kruger)
    wgs84 = CRS.from_epsg(WGS84_EPSG)
    zone = output_crs(report.gk_crs or DXF_DEFAULT_CRS)
    project = target or (CRS.from_user_input(report.gk_crs) if report.gk_crs else None)
    project = project or CRS.from_epsg(GK_EPSG)
    chosen = {
        "gpkg": target or wgs84,
        "qgs": project,
        "shp": target or wgs84,
        "dxf": target or zone,
        "geojson": wgs84,
        "kml": wgs84,
        "pdf": project,
        "png": project,
    }
    return HandOffCRS(
        tuple(
            (FORMAT_TITLES[f], f"EPSG:{chosen[f].to_epsg()}", chosen[f].name)
            for f in FORMATS
            if f in formats
        )
    )


def hand_off_crs(
    report: ValidationReport, crs: Any = None, *, gauss_kruger: bool = False
) -> CRS | None:
    """Return the CRS the hand-off files are written in; None for WGS 84 (the default).

    ``crs`` wins; ``gauss_kruger`` means the CGCS2000 Gauss–Krüger zone of the data
    (``report.gk_crs``, from the boundary's centroid), EPSG:4551 when the data lie outside
    China's zones.
    """
    if crs is not None:
        return output_crs(crs)
    if gauss_kruger:
        return output_crs(report.gk_crs or DXF_DEFAULT_CRS)
    return None


def require_tools(formats: Sequence[str]) -> None:
    """Refuse, before any work, formats that need a tool this machine lacks (QGIS for layouts).

    Raises
    ------
    autocity_gis._errors.QGISNotFoundError
        One sentence naming the format and what is missing.
    """
    if set(formats) & set(LAYOUT_FORMATS):
        from .qgis import render

        for fmt in (f for f in LAYOUT_FORMATS if f in formats):
            render.require_qgis(fmt)


def export_all(
    composition: Composition,
    report: ValidationReport,
    out_dir: str | Path,
    *,
    formats: Sequence[str] = DEFAULT_FORMATS,
    gauss_kruger: bool = False,
    crs: Any = None,
    stem: str = DEFAULT_STEM,
    lang: str = "en",
    frames: Frames | None = None,
    alongside: Sequence[Callable[[], object]] = (),
) -> list[Path]:
    """Write the hand-off files for GIS users into ``out_dir``.

    Parameters
    ----------
    composition : Composition
        The composed boundary.
    report : ValidationReport
        Its area check.
    out_dir : str or Path
        Output folder (created if missing).
    formats : sequence of str
        Any of :data:`FORMATS`. ``qgs`` also writes the GeoPackage it references; ``dxf``
        draws the layers for CAD in ``crs``, else the CGCS2000 Gauss–Krüger zone of the data
        (``report.gk_crs``); ``pdf`` and ``png`` render the QGIS project's print layout
        through QGIS (refused in one sentence when QGIS is not installed).
    gauss_kruger : bool
        Short for ``crs=report.gk_crs``: the CGCS2000 Gauss–Krüger zone of the data.
    crs : str, int or pyproj.CRS, optional
        Projected CRS in metres for the GeoPackage layers, the Shapefiles, the DXF and the
        QGIS project (see :func:`output_crs`). GeoJSON (RFC 7946) and KML are WGS 84 by their
        specifications and stay so. Without it the GeoPackage and Shapefiles are in WGS 84.
    stem : str
        File stem of the outputs (:func:`output_stem` of the recipe's city id).
    lang : str
        ``en`` or ``zh``: language of the QGIS layout and legend.
    frames : mapping of str to geopandas.GeoDataFrame, optional
        The layer tables of :func:`autocity_gis.handoff.layer_frames` when the caller has
        them already (a build computes them once); computed here otherwise.
    alongside : sequence of callables
        Other work to run in the same thread pool as the writers, first (a build draws its
        web map there); their results are not returned.

    Returns
    -------
    list of Path
        The files and folders written: ``<stem>.gpkg``, ``<stem>.qgs``, the ``<stem>_shp``
        folder, ``<layer>.geojson`` per layer, ``<stem>.kml``, ``<stem>.dxf``,
        ``<stem>.pdf`` and ``<stem>.png``.

    Raises
    ------
    InputError
        If a format is unknown; :class:`~autocity_gis._errors.QGISNotFoundError` if a
        layout format is asked for and QGIS is not installed (before anything is written).
    OutputError
        If the folder cannot be written.
    """
    require_tools(formats)
    writers = hand_off_writers(
        composition, report, Path(out_dir), formats=formats, gauss_kruger=gauss_kruger,
        crs=crs, stem=stem, lang=lang, frames=frames,
    )
    tasks: list[Callable[[], object]] = [*alongside, *writers]
    results = run_concurrently(tasks)[len(alongside):]
    return [path for paths in results for path in cast(list[Path], paths)]


Writer = Callable[[], list[Path]]


def hand_off_writers(
    composition: Composition,
    report: ValidationReport,
    out: Path,
    *,
    formats: Sequence[str],
    gauss_kruger: bool,
    crs: Any,
    stem: str,
    lang: str,
    frames: Frames | None,
) -> list[Writer]:
    """Return the independent writers of :func:`export_all` (same arguments), largest first.

    Raises :class:`InputError` for an unknown format, before anything is written.

    Each writes its own files and returns them; they share the layer tables read-only, so a
    caller may run them together with other work (:func:`run_concurrently`).
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise InputError(
            f"Unknown export format {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(FORMATS)}."
        )
    from .qgis import write_qgis_files

    target = hand_off_crs(report, crs, gauss_kruger=gauss_kruger)
    tables = frames if frames is not None else layer_frames(composition, report)
    names = hand_off_names(FORMATS, stem)
    writers: list[Writer] = [
        lambda: write_qgis_files(
            tables, report, out, formats=formats, names=names, crs=target, lang=lang
        )
    ]
    if "geojson" in formats:
        writers.append(lambda: write_geojson(tables, out))
    if "kml" in formats:
        writers.append(lambda: [write_kml(tables, out / names["kml"][0])])
    if "shp" in formats:
        writers.append(lambda: [write_shapefiles(in_crs(tables, target), out / names["shp"][0])])
    if "dxf" in formats:
        writers.append(lambda: [_write_dxf(tables, out / names["dxf"][0], report, target)])
    return writers


def run_concurrently(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Run independent writers on the machine's cores; return their results in order.

    The writers spend most of their time in GDAL, GEOS and file I/O, which release the GIL, so
    two threads keep two cores busy. They share the layer tables read-only and write distinct
    files; GDAL configuration is never changed here (see :func:`autocity_gis._io.
    gdal_write_options`). The first error is raised once every writer has stopped.
    """
    if len(tasks) < 2:
        return [task() for task in tasks]
    # No more threads than cores: a third Python thread would only queue for the GIL.
    with ThreadPoolExecutor(max_workers=min(len(tasks), os.cpu_count() or 1)) as pool:
        futures = [pool.submit(task) for task in tasks]
        wait(futures)
    return [future.result() for future in futures]


def _write_dxf(tables: Frames, path: Path, report: ValidationReport, target: Any) -> Path:
    from .cad import write_dxf

    drawn = target or output_crs(report.gk_crs or DXF_DEFAULT_CRS)
    return write_dxf(tables, path, crs=drawn)


#: dBASE text fields hold at most this many bytes.
SHAPEFILE_MAX_BYTES = 254


def hand_off_warnings(frames: Frames, formats: Sequence[str] = FORMATS) -> list[str]:
    """Say what the chosen formats cannot carry whole, for the report.

    Parameters
    ----------
    frames : mapping of str to geopandas.GeoDataFrame
        The layer tables exported (:func:`autocity_gis.handoff.layer_frames`).
    formats : sequence of str
        The formats that will be written.

    Returns
    -------
    list of str
        One sentence per shortened attribute value (Shapefile text is cut at
        :data:`SHAPEFILE_MAX_BYTES` bytes of UTF-8; the GeoPackage keeps it whole).
    """
    if "shp" not in formats:
        return []
    notes = []
    for name, frame in frames.items():
        for column in frame.columns:
            if column == frame.geometry.name or not _is_text(frame[column]):
                continue
            for index, value in frame[column].items():
                if isinstance(value, str) and len(value.encode("utf-8")) > SHAPEFILE_MAX_BYTES:
                    notes.append(
                        f"Shapefile {name}.shp: '{column}' of feature {index} is cut to "
                        f"{SHAPEFILE_MAX_BYTES} bytes (the GeoPackage keeps it whole)."
                    )
    return notes


def _is_text(series: pd.Series) -> bool:
    return bool(pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series))


def _fit_text(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    # Cut on a character boundary ourselves; GDAL would cut mid-character and warn.
    frame = frame.copy()
    for column in frame.columns:
        if column != frame.geometry.name and _is_text(frame[column]):
            frame[column] = frame[column].map(
                lambda v: (
                    v.encode("utf-8")[:SHAPEFILE_MAX_BYTES].decode("utf-8", "ignore")
                    if isinstance(v, str)
                    else v
                )
            )
    return frame


def shapefile_columns(columns: Sequence[str]) -> dict[str, str]:
    """Map column names to Shapefile field names of at most ten characters.

    Parameters
    ----------
    columns : sequence of str
        Attribute columns (without the geometry).

    Returns
    -------
    dict of str to str
        Original name to field name; names already short enough are kept.

    Examples
    --------
    >>> shapefile_columns(["id", "stated_area_km2", "a_very_long_name", "a_very_long_other"])
    {'id': 'id', 'stated_area_km2': 'stated_km2', 'a_very_long_name': 'a_very_lon', \
'a_very_long_other': 'a_very_l_1'}
    """
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        name = SHAPEFILE_FIELDS.get(col, col[:10])
        n = 0
        while name.lower() in used:
            n += 1
            name = f"{col[: 9 - len(str(n))]}_{n}"
        used.add(name.lower())
        mapping[col] = name
    return mapping


def write_shapefiles(frames: Mapping[str, gpd.GeoDataFrame], folder: str | Path) -> Path:
    """Write one UTF-8 Shapefile (with ``.cpg``) per layer into ``folder``, replacing it whole.

    Parameters
    ----------
    frames : mapping of str to geopandas.GeoDataFrame
        Layers by name, as from :func:`autocity_gis.handoff.layer_frames`.
    folder : str or Path
        Folder to (re)create, e.g. ``out/autocity_shp``; holds ``<layer>.shp`` and sidecars.

    Returns
    -------
    Path
        ``folder``.
    """
    folder = Path(folder)
    tmp = staging_folder(folder)
    try:
        for name, frame in frames.items():
            attrs = [c for c in frame.columns if c != frame.geometry.name]
            renamed = _fit_text(frame).rename(columns=shapefile_columns(attrs))
            pyogrio.write_dataframe(
                renamed,
                tmp / f"{name}.shp",
                driver="ESRI Shapefile",
                layer_options={"ENCODING": "UTF-8"},
            )
        replace_folder(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def write_geojson(frames: Mapping[str, gpd.GeoDataFrame], out_dir: str | Path) -> list[Path]:
    """Write one RFC 7946 GeoJSON file per layer: WGS 84 longitude/latitude, right-hand rule.

    Parameters
    ----------
    frames : mapping of str to geopandas.GeoDataFrame
        Layers by name, in EPSG:4326.
    out_dir : str or Path
        Output folder; files are named ``<layer>.geojson`` (``boundary.geojson``,
        ``components.geojson``, ...).

    Returns
    -------
    list of Path
        The files written.
    """
    return [
        write_rfc7946(frame.to_crs(WGS84_EPSG), Path(out_dir) / f"{name}.geojson")
        for name, frame in frames.items()
    ]
