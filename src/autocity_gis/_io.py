"""Atomic file output.

Every file the toolkit writes goes through :func:`atomic_path`: the content is written to a
temporary file in the destination folder and renamed over the target only when complete, so an
interrupted run never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ._errors import OutputError


@contextlib.contextmanager
def atomic_path(target: str | Path, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path that replaces ``target`` when the block succeeds.

    Parameters
    ----------
    target : str or Path
        Final location of the file.
    suffix : str, optional
        Suffix of the temporary file; defaults to the target's (drivers choose formats by it).

    Yields
    ------
    Path
        Where to write. It is removed if the block raises.

    Raises
    ------
    OutputError
        If the destination folder cannot be created or written.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.stem}.", suffix=suffix or target.suffix, dir=target.parent
        )
    except OSError as exc:
        raise OutputError(f"{target.parent}: cannot write there ({exc.strerror}).") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL refuse to overwrite an existing empty file
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


_CONFIG_LOCK = threading.Lock()
_CONFIG_USERS: dict[str, int] = {}


@contextlib.contextmanager
def gdal_write_options(options: Mapping[str, str]) -> Iterator[None]:
    """Set GDAL configuration options while writers run, and restore them afterwards.

    GDAL's configuration is process-wide: writers on several threads may ask for the same
    option at once, so it is set by the first and restored by the last (reference counted).
    Only for options that tune how a file is *written* (such as ``OGR_SQLITE_SYNCHRONOUS``);
    the reading sandbox (:mod:`autocity_gis._gdal`) owns everything about reach.
    """
    import pyogrio

    with _CONFIG_LOCK:
        for key, value in options.items():
            if _CONFIG_USERS.get(key, 0) == 0:
                pyogrio.set_gdal_config_options({key: value})
            _CONFIG_USERS[key] = _CONFIG_USERS.get(key, 0) + 1
    try:
        yield
    finally:
        with _CONFIG_LOCK:
            for key in options:
                _CONFIG_USERS[key] -= 1
                if _CONFIG_USERS[key] == 0:
                    pyogrio.set_gdal_config_options({key: None})


def write_text(target: str | Path, text: str) -> Path:
    """Write UTF-8 text to ``target`` atomically and return the path."""
    target = Path(target)
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def write_rfc7946(frame: Any, target: str | Path, *, precision: int = 7) -> Path:
    """Write a GeoDataFrame as RFC 7946 GeoJSON (WGS 84 lon/lat, right-hand rule) atomically.

    Written by GEOS (``shapely.to_geojson``) and :mod:`json` rather than GDAL's driver
    (:func:`write_geojson`): the same content, compactly laid out, at a quarter of the time.
    Exterior rings run counter-clockwise and holes clockwise, coordinates are rounded to
    ``precision`` decimals, missing or empty geometries are ``null``, and attribute values
    are JSON numbers, strings, booleans or ``null`` (NaN and infinities become ``null``,
    dates ISO 8601 text). Geometries crossing the antimeridian are not split (GDAL's RFC 7946
    mode would; no data here come near it).

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Any CRS; it is transformed to EPSG:4326 first.
    target : str or Path
        The ``.geojson`` file; its stem is the collection's ``name``.
    precision : int
        Decimal places of coordinates (7 = 1 cm).

    Returns
    -------
    Path
        ``target``.
    """
    import numpy as np
    import shapely

    target = Path(target)
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    geoms = np.asarray(frame.geometry.array, dtype=object)
    geoms = shapely.orient_polygons(geoms, exterior_cw=False)
    geoms = shapely.transform(geoms, lambda c: np.round(c, precision))
    geoms[shapely.is_empty(geoms)] = None
    shapes = [g if g is not None else "null" for g in shapely.to_geojson(geoms)]
    columns = [c for c in frame.columns if c != frame.geometry.name]
    rows = frame[columns].to_dict("records") if columns else [{}] * len(frame)
    features = ",\n".join(
        f'{{"type":"Feature","properties":{_json_properties(row)},"geometry":{shape}}}'
        for row, shape in zip(rows, shapes, strict=True)
    )
    name = json.dumps(target.stem, ensure_ascii=False)
    return write_text(
        target, f'{{"type":"FeatureCollection","name":{name},"features":[\n{features}\n]}}\n'
    )


def write_geojson(frame: Any, target: str | Path, *, precision: int = 7) -> Path:
    """Write a GeoDataFrame as RFC 7946 GeoJSON through GDAL's driver, atomically.

    GDAL's layout, byte for byte: the committed ``geodata/`` files are written by it
    (``scripts/make_geodata.py``, checked to regenerate identically). Outputs use the same
    content written four times faster by :func:`write_rfc7946`.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Any CRS; it is transformed to EPSG:4326 by GDAL's RFC 7946 mode.
    target : str or Path
        The ``.geojson`` file.
    precision : int
        Decimal places of coordinates (7 = 1 cm).

    Returns
    -------
    Path
        ``target``.
    """
    target = Path(target)
    with atomic_path(target) as tmp:
        frame.to_file(
            tmp,
            layer=target.stem,  # else GDAL names the layer after the temporary file
            driver="GeoJSON",
            engine="pyogrio",
            layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": str(precision)},
        )
    return target


def _json_properties(row: dict[str, Any]) -> str:
    return json.dumps(
        {str(k): _json_value(v) for k, v in row.items()}, ensure_ascii=False, allow_nan=False
    )


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int | float):  # numpy scalars too (np.float64 is a float)
        number = value.item() if hasattr(value, "item") else value
        return number if math.isfinite(number) else None
    if hasattr(value, "item") and not hasattr(value, "isoformat"):  # numpy int/bool scalars
        return _json_value(value.item())
    if hasattr(value, "isoformat"):
        try:
            return None if value != value else value.isoformat()  # NaT is not equal to itself
        except (TypeError, ValueError):
            return str(value)
    try:
        if value != value:  # NaN-like (pd.NA raises: ambiguous truth value)
            return None
    except (TypeError, ValueError):
        return None
    return str(value)


@contextlib.contextmanager
def staged_outputs(target: str | Path) -> Iterator[Path]:
    """Yield a staging folder whose contents replace their namesakes in ``target`` together.

    A building block for writers working *inside* a staging folder of
    :mod:`autocity_gis._output`, which owns the policy for user-visible folders (manifest,
    journal, lock); commands never call this on a user's folder directly.

    Files written into the staging folder are moved into ``target`` only when the block
    succeeds (by rename, on the same file system); if it raises, ``target`` is left exactly as
    it was. Other files already in ``target`` are kept. A sub-folder replaces its namesake whole.

    Parameters
    ----------
    target : str or Path
        The output folder; created if missing.

    Yields
    ------
    Path
        The staging folder, beside ``target``.

    Raises
    ------
    OutputError
        If ``target`` cannot be created or written.
    """
    target = Path(target)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write there ({exc.strerror}).") from exc
    staging = staging_folder(target)
    try:
        yield staging
        for entry in sorted(staging.iterdir()):
            dest = target / entry.name
            if entry.is_dir() and dest.is_dir():
                replace_folder(entry, dest)
            else:
                os.replace(entry, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def staging_folder(target: str | Path) -> Path:
    """Create an empty folder beside ``target`` (same file system, so renames are atomic).

    Raises
    ------
    OutputError
        If the folder that holds ``target`` cannot be created or written.
    """
    parent = Path(target).resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        while True:
            # os.mkdir rather than mkdtemp: the folder may become an output, and then it gets
            # the umask's permissions like any folder the user creates, not mkdtemp's 0700.
            folder = parent / f".{Path(target).name}.{secrets.token_hex(6)}.tmp"
            with contextlib.suppress(FileExistsError):
                folder.mkdir()
                return folder
    except OSError as exc:
        raise OutputError(f"{parent}: cannot write there ({exc.strerror}).") from exc


def replace_folder(new: Path, target: Path) -> None:
    """Put folder ``new`` in place of ``target`` with two renames on one file system.

    The old ``target`` stays whole until the new one is in place; an error or an interrupt
    between the two renames puts the old one back, so readers never see a partial folder.
    """
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{new.name}")
        target.rename(old)
    try:
        new.rename(target)
    except BaseException:
        if old is not None and not target.exists():
            old.rename(target)
        raise
    if old is not None:
        with contextlib.suppress(OSError):
            shutil.rmtree(old)
