"""Atomic file output.

Every file the toolkit writes goes through :func:`atomic_path`: the content is written to a
temporary file in the destination folder and renamed over the target only when complete, so an
interrupted run never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
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


def write_geojson(frame: Any, target: str | Path, *, precision: int = 7) -> Path:
    """Write a GeoDataFrame as RFC 7946 GeoJSON (WGS 84 lon/lat, right-hand rule) atomically.

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
