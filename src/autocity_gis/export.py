"""Hand-off formats other than QGIS's, and the one entry point that writes them all.

:func:`export_all` is what ``autocity-gis export`` (and ``build``) call: it writes the styled
GeoPackage and the QGIS project (:mod:`autocity_gis.qgis`) and, from the same layer tables,
Shapefiles (UTF-8 with a ``.cpg`` so Chinese names survive; field names cut to ten characters as
listed in :data:`SHAPEFILE_FIELDS`), RFC 7946 GeoJSON and KML for Google Earth. Every file is
written under a temporary name and renamed when complete; the Shapefile folder is swapped in
whole, so an interrupted export never leaves a half-written set.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from . import qgis
from ._errors import InputError
from ._io import atomic_path, replace_folder, staging_folder
from ._io import write_geojson as write_rfc7946
from .compose import Composition
from .validate import ValidationReport

#: Formats :func:`export_all` can write.
FORMATS: tuple[str, ...] = ("gpkg", "qgs", "shp", "geojson", "kml")

#: Shapefile (dBASE) field names are limited to ten characters; these columns are renamed.
#: Any other column longer than ten characters is cut to ten (and numbered if that collides).
SHAPEFILE_FIELDS: dict[str, str] = {
    "stated_area_km2": "stated_km2",
    "stated_area_source": "stated_src",
    "measured_km2": "meas_km2",
    "parent_adcode": "parent_adc",
}

SHAPEFILE_DIR = "autocity_shp"
KML_NAME = "autocity.kml"


def export_all(
    composition: Composition,
    report: ValidationReport,
    out_dir: str | Path,
    *,
    formats: Sequence[str] = FORMATS,
    gauss_kruger: bool = False,
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
        Any of :data:`FORMATS`. ``qgs`` also writes the GeoPackage it references.
    gauss_kruger : bool
        Also write the GeoPackage layers in CGCS2000 / 3-degree Gauss-Kruger zone 42
        (EPSG:4530) and list them in the QGIS project.

    Returns
    -------
    list of Path
        The files and folders written: ``autocity.gpkg``, ``autocity.qgs``, the
        ``autocity_shp`` folder, ``<layer>.geojson`` per layer and ``autocity.kml``.

    Raises
    ------
    InputError
        If a format is unknown.
    OutputError
        If the folder cannot be written.
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise InputError(
            f"Unknown export format {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(FORMATS)}."
        )
    out = Path(out_dir)
    written: list[Path] = []
    if "gpkg" in formats or "qgs" in formats:
        written.append(
            qgis.write_geopackage(
                composition, report, out / qgis.GPKG_NAME, gauss_kruger=gauss_kruger
            )
        )
    if "qgs" in formats:
        written.append(
            qgis.write_project(
                composition, report, out / qgis.PROJECT_NAME, gauss_kruger=gauss_kruger
            )
        )
    frames = (
        qgis.layer_frames(composition, report) if set(formats) & {"shp", "geojson", "kml"} else {}
    )
    if "shp" in formats:
        written.append(write_shapefiles(frames, out / SHAPEFILE_DIR))
    if "geojson" in formats:
        written.extend(write_geojson(frames, out))
    if "kml" in formats:
        written.append(write_kml(frames, out / KML_NAME))
    return written


#: dBASE text fields hold at most this many bytes.
SHAPEFILE_MAX_BYTES = 254


def hand_off_warnings(
    composition: Composition, report: ValidationReport, formats: Sequence[str] = FORMATS
) -> list[str]:
    """Say what the chosen formats cannot carry whole, for the report.

    Parameters
    ----------
    composition, report
        What is exported.
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
    for name, frame in qgis.layer_frames(composition, report).items():
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
    return pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series)


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
        Layers by name, as from :func:`autocity_gis.qgis.layer_frames`.
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
        write_rfc7946(frame.to_crs(qgis.WGS84_EPSG), Path(out_dir) / f"{name}.geojson")
        for name, frame in frames.items()
    ]


def _kml_name(layer: str, frame: gpd.GeoDataFrame) -> list[str]:
    """Placemark names: Chinese and English name where there is one, else what the row is."""
    if {"name_zh", "name_en"} <= set(frame.columns):
        return [
            " ".join(str(v) for v in (zh, en) if isinstance(v, str) and v)
            for zh, en in zip(frame["name_zh"], frame["name_en"], strict=True)
        ]
    if layer == "overlaps":
        return [f"overlap {a} / {b}" for a, b in zip(frame["a"], frame["b"], strict=True)]
    return [f"{layer.rstrip('s')} {n + 1}" for n in range(len(frame))]


def write_kml(frames: Mapping[str, gpd.GeoDataFrame], target: str | Path) -> Path:
    """Write all layers into one KML file for Google Earth, names on the placemarks.

    GDAL's LIBKML driver is used where it exists (one sub-document per layer, attributes as
    extended data); otherwise the plain KML driver writes every feature into one folder with
    a ``layer`` attribute.

    Parameters
    ----------
    frames : mapping of str to geopandas.GeoDataFrame
        Layers by name.
    target : str or Path
        The ``.kml`` file.

    Returns
    -------
    Path
        ``target``.
    """
    target = Path(target)
    kml_frames = []
    for layer, frame in frames.items():
        kml = frame.to_crs(qgis.WGS84_EPSG)
        kml.insert(0, "name", _kml_name(layer, frame))
        kml_frames.append((layer, kml))
    with atomic_path(target) as tmp:
        if "LIBKML" in pyogrio.list_drivers(write=True):
            for n, (layer, kml) in enumerate(kml_frames):
                pyogrio.write_dataframe(kml, tmp, layer=layer, driver="LIBKML", append=n > 0)
        else:
            merged = pd.concat(
                [kml.assign(layer=layer) for layer, kml in kml_frames], ignore_index=True
            )
            pyogrio.write_dataframe(
                gpd.GeoDataFrame(merged, geometry="geometry", crs=qgis.WGS84_EPSG),
                tmp,
                layer="autocity",
                driver="KML",
                dataset_options={"NameField": "name"},
            )
    return target
