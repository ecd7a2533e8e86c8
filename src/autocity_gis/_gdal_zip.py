"""Zipped layers (``.zip``, ``.kmz``): read only from the recipe's folder, within the limits.

Every member is decompressed once by :mod:`zipfile`, counting the real bytes against
:class:`~autocity_gis.limits.Limits`, must be part of a layer file, and is searched for the
markers of refused formats (:func:`check_zip`). Part of the GDAL sandbox; re-exported by
:mod:`autocity_gis._gdal`.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ._errors import LayerError
from ._gdal_formats import (
    _ACCEPTED,
    _CONVERT,
    _SNIFF_BYTES,
    _WHY_REFUSED,
    _marker,
    _refused_by_name,
)
from ._gdal_paths import _shown
from .limits import DEFAULT_LIMITS, Limits

_ZIPPED = (".zip", ".kmz")
# Files a zipped layer may hold: the parts of the formats above, and KMZ's pictures.
_ZIP_MEMBERS: tuple[str, ...] = (
    ".shp",
    ".shx",
    ".dbf",
    ".prj",
    ".cpg",
    ".qix",
    ".sbn",
    ".sbx",
    ".qmd",
    ".xml",
    ".geojson",
    ".json",
    ".geojsonl",
    ".geojsons",
    ".gpkg",
    ".fgb",
    ".kml",
    ".csv",
    ".csvt",
    ".dxf",
    ".tab",
    ".dat",
    ".map",
    ".id",
    ".ind",
    ".parquet",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".txt",
    ".gdbtable",
    ".gdbtablx",
    ".gdbindexes",
    ".atx",
    ".spx",
    ".freelist",
    ".horizon",
    ".timestamps",
    ".gdb",
)


def _in_gdb(member: str) -> bool:
    """Whether a zip member is a file of a File Geodatabase folder (``x.gdb/a00000001.gdbtable``).

    A geodatabase's files have no fixed suffixes (``timestamps``, ``gdb``, ``.gdbtable``,
    ``.spx``, …) but always sit directly in the ``.gdb`` folder.
    """
    parts = member.split("/")
    return len(parts) >= 2 and parts[-2].endswith(".gdb") and ".." not in parts


def check_zip(path: Path, *, root: Path | None, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a zipped layer from outside the recipe's folder, too big, or holding non-layers.

    Every member is decompressed once, counting the real bytes (declared sizes can lie), and
    its first bytes are searched for VRT and GDALG markers.
    """
    if root is None or not path.resolve().is_relative_to(root):
        raise LayerError(
            f"{path}: zipped layers are read only from inside the recipe's folder; copy it in."
        )
    total = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                if member.is_dir():
                    continue
                name = member.filename
                low = name.lower()
                refused = _refused_by_name(low)
                if refused is not None:
                    raise LayerError(
                        f"{path}: holds '{_shown(name)}', which {_WHY_REFUSED[refused]}; "
                        f"{_CONVERT}."
                    )
                if not (any(low.endswith(s) for s in _ZIP_MEMBERS) or _in_gdb(low)):
                    raise LayerError(
                        f"{path}: holds '{_shown(name)}', which is not part of a layer file "
                        f"({_ACCEPTED}); zip only the layer's own files."
                    )
                with archive.open(member) as stream:
                    head = stream.read(_SNIFF_BYTES)
                    found = _marker(head, name)
                    if found is not None:
                        raise LayerError(
                            f"{path}: holds '{_shown(name)}', which {_WHY_REFUSED[found]}; "
                            f"{_CONVERT}."
                        )
                    total += len(head)
                    while chunk := stream.read(1 << 20):
                        total += len(chunk)
                        if total > limits.max_unzipped_bytes:
                            break
                if total > limits.max_unzipped_bytes:
                    raise LayerError(
                        f"{path}: "
                        + limits.exceeded(
                            "max_unzipped_bytes",
                            "bytes when unzipped",
                            f"more than {limits.max_unzipped_bytes:,}",
                        )
                    )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as exc:
        raise LayerError(f"{path}: is not a readable zip archive ({exc}).") from exc
    except (RuntimeError, EOFError) as exc:  # encrypted members, truncated streams
        raise LayerError(f"{path}: is not a readable zip archive ({exc}).") from exc
