"""The sandbox around GDAL: which layer files are opened, how, and with what reach.

GDAL can do far more than read a file: a ``.vrt`` names other files (``/etc/passwd`` as CSV),
URLs (``/vsicurl/``) and SQL (``VACUUM INTO`` writes a file), a ``.gdalg.json`` runs a pipeline,
a GeoJSON ``crs`` link is fetched over HTTP. Layers come from other offices, so this module owns
every step from a path in a recipe to GDAL's reading of it:

- a layer path is a plain relative path to a regular file (or a File Geodatabase folder)
  inside the recipe's folder: no NUL bytes, URLs, ``/vsi…`` prefixes or ``CSV:``-style
  connection strings, no symbolic link leading out, no pipes or devices;
- the format is decided before GDAL opens anything: by content markers (VRT, GDALG) and by
  GDAL's own identification (header bytes only), against :data:`ALLOWED_DRIVERS`; after the
  open, the driver GDAL actually used is checked again;
- zipped layers (``.zip``, ``.kmz``) are decompressed once by :mod:`zipfile`, counting the
  real bytes against :class:`~autocity_gis.limits.Limits`, and may hold only layer files;
- while GDAL runs, its HTTP client is pointed at a closed local port, remote file access is
  restricted to an impossible extension and, where the GDAL library can be reached through
  :mod:`ctypes`, every HTTP fetch is answered "unavailable" before a socket is opened. The
  configuration is restored afterwards; nothing lasts beyond the read.
"""

from __future__ import annotations

import ctypes
import errno
import glob
import os
import re
import stat
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyogrio

from . import cad
from ._errors import LayerError
from .cad import DWG_ADVICE
from .limits import DEFAULT_LIMITS, Limits
from .limits import current as current_limits

#: GDAL drivers a layer may be read with: file formats that cannot name other files, run SQL
#: or pipelines, or reach the network. GML is left out (it fetches schemas and xlinks), as
#: are VRT, GDALG, SQLite and every service driver.
ALLOWED_DRIVERS: tuple[str, ...] = (
    "GeoJSON",
    "GeoJSONSeq",
    "GPKG",
    "ESRI Shapefile",
    "FlatGeobuf",
    "KML",
    "LIBKML",
    "DXF",
    "OpenFileGDB",
    "CSV",
    "MapInfo File",
    "Parquet",
)
_ACCEPTED = (
    "GeoJSON, GeoPackage, Shapefile, FlatGeobuf, KML/KMZ, DXF, File Geodatabase, CSV, "
    "MapInfo TAB" + (", GeoParquet" if "Parquet" in pyogrio.list_drivers() else "")
)
_CONVERT = "convert it to a GeoPackage first"

#: Why a format is refused, by GDAL driver name (the others get a generic sentence).
_WHY_REFUSED: dict[str, str] = {
    "OGR_VRT": "is a GDAL VRT, which can point at other files, run SQL or reach the network",
    "VRT": "is a GDAL VRT, which can point at other files, run SQL or reach the network",
    "GDALG": "is a GDAL pipeline (.gdalg.json), which runs commands on other files",
    "GML": "is GML, whose schemas and links GDAL may fetch from the network",
    "SQLite": "is an SQLite database (not a GeoPackage), which can hold SQL views and links",
    "MapInfo view": "is a MapInfo seamless table or view, which reads other files",
    "DWG": DWG_ADVICE,
}
# Refusals whose reason already says what to do instead.
_SELF_ADVISING = frozenset({"DWG"})
# Byte markers GDAL's own drivers recognise, looked for in the first bytes of every file
# (and zip member) so that no other format's reader is ever tricked into delegating.
_MARKERS: tuple[tuple[bytes, str], ...] = (
    (b"<ogrvrtdatasource", "OGR_VRT"),
    (b"<vrtdataset", "VRT"),
    (b"gdal_streamed_alg", "GDALG"),
)
_REFUSED_SUFFIXES: dict[str, str] = {
    ".vrt": "OGR_VRT",
    ".ovf": "OGR_VRT",
    ".gdalg.json": "GDALG",
    ".gml": "GML",
    ".xsd": "GML",
    ".dwg": "DWG",
}
_SNIFF_BYTES = 1 << 16
_TAB_VIEW = re.compile(rb"type\s+seamless|create\s+view")
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
_CONNECTION = re.compile(r"^[A-Za-z][A-Za-z0-9+._ -]*:")
_MAX_PATH_CHARS = 1024
_MAX_NAME_BYTES = 255

#: GDAL configuration for the duration of each read: no request can leave the machine.
NETWORK_OFF: dict[str, str] = {
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "GDAL_HTTPS_PROXY": "127.0.0.1:9",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_NETRC": "NO",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".autocity-gis-no-remote-files",
    "CPL_VSIL_CURL_ALLOWED_FILENAME": "/autocity-gis/no-remote-files",
    "GDAL_VRT_ENABLE_PYTHON": "NO",
    "GDAL_VRT_ENABLE_RAWRASTERBAND": "NO",
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
    "GML_SKIP_RESOLVE_ELEMS": "ALL",
    "GML_DOWNLOAD_WFS_SCHEMA": "NO",
    "LIBKML_RESOLVE_STYLE": "NO",
    "CPL_CURL_ENABLE_VSIMEM": "NO",
}

_LOCK = threading.RLock()


# -- paths ---------------------------------------------------------------------------------


def _shown(text: str, limit: int = 80) -> str:
    # A path in a message is kept short and on one line; its true length is said instead.
    flat = text.replace("\x00", "\\0")
    flat = "".join(c if c.isprintable() else repr(c)[1:-1] for c in flat)
    if len(flat) <= limit:
        return flat
    return f"{flat[: limit - 1]}… ({len(text):,} characters)"


def resolve_layer_path(text: str, folder: Path) -> Path:
    """Turn a recipe's ``layer`` value into the absolute path of a file GDAL may read.

    Parameters
    ----------
    text : str
        The path as written in the recipe, relative to its folder.
    folder : Path
        The recipe's folder (resolved).

    Returns
    -------
    Path
        The resolved path, inside ``folder``: a regular file or a ``.gdb`` folder.

    Raises
    ------
    LayerError
        With a sentence (no file prefix) saying what is wrong: a NUL byte, a URL or GDAL
        connection string, a name too long, a path leaving the folder, a missing file, a
        symbolic link loop, or something that is not a regular file.
    """
    shown = _shown(text)
    if "\x00" in text:
        raise LayerError(f"layer path '{shown}' contains a NUL byte")
    if "/vsi" in text.lower() or _CONNECTION.match(text) or text.startswith("\\\\"):
        raise LayerError(
            f"layer path '{shown}' is a URL or GDAL connection string, not a file in the "
            "recipe's folder; copy the file in"
        )
    too_long = len(text.encode("utf-8", "surrogatepass")) > _MAX_PATH_CHARS or any(
        len(part.encode("utf-8", "surrogatepass")) > _MAX_NAME_BYTES for part in Path(text).parts
    )
    if too_long:
        raise LayerError(f"layer path '{shown}' is longer than file systems allow")
    rel = Path(text)
    if rel.is_absolute():
        raise LayerError(f"layer path '{shown}' leaves the recipe's folder; copy the file in")
    full = folder / rel
    real = Path(os.path.realpath(full))
    try:
        info = os.stat(full)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LayerError(f"layer file '{shown}' is a symbolic link loop") from exc
        if exc.errno == errno.ENAMETOOLONG:
            raise LayerError(f"layer path '{shown}' is longer than file systems allow") from exc
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            if not real.is_relative_to(folder):
                raise LayerError(
                    f"layer path '{shown}' leaves the recipe's folder; copy the file in"
                ) from exc
            raise LayerError(f"layer file '{shown}' does not exist") from exc
        raise LayerError(f"layer file '{shown}' cannot be read ({exc.strerror or exc})") from exc
    if not real.is_relative_to(folder):
        raise LayerError(f"layer path '{shown}' leaves the recipe's folder; copy the file in")
    kind = _kind_of(info.st_mode, real)
    if kind is not None:
        raise LayerError(f"layer file '{shown}' {kind}")
    return real


def _kind_of(mode: int, path: Path) -> str | None:
    """Return why ``path`` is not a readable layer, or None if it is one."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        if path.suffix.lower() == ".gdb":
            return None
        return (
            "is a folder, not a regular file (only File Geodatabase folders, *.gdb, are read "
            "as layers)"
        )
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


# -- formats ------------------------------------------------------------------------------


def refusal(path: Path, driver: str) -> LayerError:
    """Return the error for a file in a format GDAL could read but this toolkit will not."""
    why = _WHY_REFUSED.get(driver)
    if why is None:
        why = (
            f"is read by GDAL's {driver} driver, which this toolkit does not use (it reads "
            f"{_ACCEPTED})"
        )
    advice = "" if driver in _SELF_ADVISING else f"; {_CONVERT}"
    return LayerError(f"{path}: {why}{advice}.")


def _marker(head: bytes, name: str = "") -> str | None:
    low = head.lower()
    for mark, driver in _MARKERS:
        if mark in low:
            return driver
    # A MapInfo .tab is a plain table unless its header makes it a view of other tables.
    if name.lower().endswith(".tab") and _TAB_VIEW.search(low):
        return "MapInfo view"
    return None


def _refused_by_name(name: str) -> str | None:
    low = name.lower()
    for suffix, driver in _REFUSED_SUFFIXES.items():
        if low.endswith(suffix):
            return driver
    return None


def preflight(path: Path, *, root: Path | None, limits: Limits = DEFAULT_LIMITS) -> str:
    """Check a layer file before GDAL sees it; return the path string to give GDAL.

    Raises
    ------
    LayerError
        If the file is not a regular file (or ``.gdb`` folder), is in a refused format, is a
        zip from outside the recipe's folder or over the size limit, or GDAL identifies it
        as a format outside :data:`ALLOWED_DRIVERS`.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        reason = "is a symbolic link loop" if exc.errno == errno.ELOOP else "does not exist"
        if exc.errno not in (errno.ELOOP, errno.ENOENT, errno.ENOTDIR):
            reason = f"cannot be read ({exc.strerror or exc})"
        raise LayerError(f"{path}: {reason}.") from exc
    kind = _kind_of(info.st_mode, path)
    if kind is not None:
        raise LayerError(f"{path}: {kind}.")
    refused = _refused_by_name(path.name)
    if refused is not None:
        raise refusal(path, refused)
    zipped = path.name.lower().endswith(_ZIPPED)
    if stat.S_ISREG(info.st_mode) and not zipped:  # zips are searched member by member
        with open(path, "rb") as handle:
            found = _marker(handle.read(_SNIFF_BYTES), path.name)
        if found is not None:
            raise refusal(path, found)
    gdal_path = str(path)
    if zipped:
        check_zip(path, root=root, limits=limits)
        if path.name.lower().endswith(".zip"):
            gdal_path = "/vsizip/" + str(path)
    with sandbox():
        driver = identify(gdal_path)
    if driver is None and _GDAL is not None:
        # Nothing claims it by its header: an open would let every driver try its luck.
        raise LayerError(
            f"{path}: cannot be read as a vector layer (GDAL recognises no format in it; "
            f"accepted: {_ACCEPTED})."
        )
    if driver is not None and driver not in ALLOWED_DRIVERS:
        raise refusal(path, driver)
    return gdal_path


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


# -- the GDAL library through ctypes --------------------------------------------------------

_FETCH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_void_p,
    ctypes.c_char_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
)


class _HTTPResult(ctypes.Structure):
    # The leading fields of GDAL's CPLHTTPResult (cpl_http.h); later versions only append.
    _fields_ = [
        ("nStatus", ctypes.c_int),
        ("pszContentType", ctypes.c_void_p),
        ("pszErrBuf", ctypes.c_void_p),
        ("nDataLen", ctypes.c_int),
        ("nDataAlloc", ctypes.c_int),
        ("pabyData", ctypes.c_void_p),
        ("papszHeaders", ctypes.c_void_p),
        ("nMimePartCount", ctypes.c_int),
        ("pasMimePart", ctypes.c_void_p),
    ]


_REFUSED_URLS: list[str] = []
_CURLE_UNSUPPORTED_PROTOCOL = 1


def _refuse_fetch(url: bytes | None, *_args: Any) -> int | None:
    # A null answer would hand the request on to curl: answer with a failed result instead,
    # allocated by GDAL (it frees it), as a request to an unreachable host would.
    _REFUSED_URLS.append((url or b"").decode("utf-8", "replace"))
    lib = _GDAL
    if lib is None:  # pragma: no cover - the callback is only installed with the library
        return None
    address = lib.CPLCalloc(1, 512)  # room for fields later GDAL versions append
    result = _HTTPResult.from_address(address)
    result.nStatus = _CURLE_UNSUPPORTED_PROTOCOL
    result.pszErrBuf = lib.CPLStrdup(b"network access is disabled while reading layers")
    return int(address)


_REFUSE_FETCH = _FETCH_CALLBACK(_refuse_fetch)


def _find_gdal() -> ctypes.CDLL | None:
    """Return the GDAL library pyogrio loaded, or None if it cannot be told apart."""
    candidates: list[str] = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            candidates += [ln.split()[-1] for ln in maps if "libgdal" in ln and "/" in ln]
    except OSError:
        pass
    here = Path(pyogrio.__file__).resolve().parent
    for pattern in ("pyogrio.libs/libgdal*", ".dylibs/libgdal*"):
        candidates += glob.glob(str(here.parent / pattern))
        candidates += glob.glob(str(here / pattern))
    for candidate in dict.fromkeys(candidates):
        try:
            lib = ctypes.CDLL(candidate)
            lib.GDALVersionInfo.restype = ctypes.c_char_p
            lib.GDALVersionInfo.argtypes = [ctypes.c_char_p]
            version = (lib.GDALVersionInfo(b"RELEASE_NAME") or b"").decode()
        except (OSError, AttributeError):
            continue
        if version == pyogrio.__gdal_version_string__:
            _declare(lib)
            return lib
    return None


def _declare(lib: ctypes.CDLL) -> None:
    lib.GDALIdentifyDriverEx.restype = ctypes.c_void_p
    lib.GDALIdentifyDriverEx.argtypes = [
        ctypes.c_char_p,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    lib.GDALGetDriverShortName.restype = ctypes.c_char_p
    lib.GDALGetDriverShortName.argtypes = [ctypes.c_void_p]
    lib.CPLPushErrorHandler.argtypes = [ctypes.c_void_p]
    lib.CPLPopErrorHandler.argtypes = []
    lib.CPLCalloc.restype = ctypes.c_void_p
    lib.CPLCalloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
    lib.CPLStrdup.restype = ctypes.c_void_p
    lib.CPLStrdup.argtypes = [ctypes.c_char_p]
    if hasattr(lib, "CPLHTTPPushFetchCallback"):
        lib.CPLHTTPPushFetchCallback.restype = ctypes.c_int
        lib.CPLHTTPPushFetchCallback.argtypes = [_FETCH_CALLBACK, ctypes.c_void_p]
        lib.CPLHTTPPopFetchCallback.restype = ctypes.c_int
        lib.CPLHTTPPopFetchCallback.argtypes = []


_GDAL: ctypes.CDLL | None = _find_gdal()
_GDAL_OF_VECTOR = 0x04


def identify(gdal_path: str) -> str | None:
    """Return the driver GDAL identifies ``gdal_path`` with (header bytes only), if any.

    None if GDAL recognises nothing, or the library cannot be reached through ctypes.
    """
    if _GDAL is None:
        return None
    lib = _GDAL
    with _LOCK:
        lib.CPLPushErrorHandler(ctypes.cast(lib.CPLQuietErrorHandler, ctypes.c_void_p))
        try:
            handle = lib.GDALIdentifyDriverEx(
                gdal_path.encode("utf-8"), _GDAL_OF_VECTOR, None, None
            )
        finally:
            lib.CPLPopErrorHandler()
    if not handle:
        return None
    name = lib.GDALGetDriverShortName(handle)
    return name.decode("utf-8") if name else None


@contextmanager
def sandbox(options: dict[str, str] | None = None) -> Iterator[list[str]]:
    """Run GDAL with no network reach; yield the list of URLs it tried (and was refused).

    GDAL's configuration is process-wide, so reads are serialised and the previous values
    are restored afterwards.

    Parameters
    ----------
    options : dict, optional
        Further GDAL configuration for this read only (a format's reading options); it
        cannot loosen :data:`NETWORK_OFF`.
    """
    config = {**(options or {}), **NETWORK_OFF}
    with _LOCK:
        saved = {key: pyogrio.get_gdal_config_option(key) for key in config}
        _configure(config)
        pushed = False
        lib = _GDAL
        if lib is not None and hasattr(lib, "CPLHTTPPushFetchCallback"):
            pushed = bool(lib.CPLHTTPPushFetchCallback(_REFUSE_FETCH, None))
        start = len(_REFUSED_URLS)
        tried: list[str] = []
        try:
            yield tried
        finally:
            tried.extend(_REFUSED_URLS[start:])
            del _REFUSED_URLS[start:]
            if pushed and lib is not None:
                lib.CPLHTTPPopFetchCallback()
            _configure(saved)


def _configure(options: dict[str, Any]) -> None:
    import warnings

    # An option this GDAL version does not know is harmless: its warning is noise here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.set_gdal_config_options(options)


def network_guarded() -> bool:
    """Tell whether HTTP fetches are refused inside GDAL itself (not only by configuration)."""
    return _GDAL is not None and hasattr(_GDAL, "CPLHTTPPushFetchCallback")


# -- reading ------------------------------------------------------------------------------

#: Layers with more features than this are announced through the progress callback.
PROGRESS_FEATURES = 10_000


@dataclass(frozen=True)
class RawLayer:
    """What GDAL read from one layer file, before any checking of its content.

    Attributes
    ----------
    frame : Any
        The GeoDataFrame pyogrio returned.
    driver : str
        The GDAL driver that read it (one of :data:`ALLOWED_DRIVERS`).
    encoding : str or None
        The encoding GDAL reported for the text attributes.
    notes : tuple of str
        GDAL's warnings, and URLs GDAL tried to fetch (refused).
    """

    frame: Any
    driver: str
    encoding: str | None
    notes: tuple[str, ...]


def read_file(
    path: Path,
    *,
    layer_name: str | None = None,
    encoding: str | None = None,
    root: Path | None = None,
    limits: Limits | None = None,
    progress: Any = None,
    use_arrow: bool = False,
) -> RawLayer:
    """Read one layer of a file through the sandbox.

    Parameters
    ----------
    path : Path
        Absolute path of the file (or ``.gdb`` folder).
    layer_name : str, optional
        A layer the file lists; the first layer when omitted. Never SQL.
    encoding : str, optional
        Encoding of the text attributes, when the file does not say.
    root : Path, optional
        The recipe's folder; zipped layers are read only from inside it.
    limits : Limits, optional
        Resource limits; the defaults as raised by the environment when omitted.
    progress : callable, optional
        Called with one line before a long read.
    use_arrow : bool
        Read through Arrow (faster for large files; needs pyarrow).

    Raises
    ------
    LayerError
        For every refusal of :func:`preflight`, a layer name the file does not list, a
        feature count over the limit, and a file GDAL cannot read.
    UnicodeDecodeError
        If the text attributes are not in the expected encoding (the caller names them).
    """
    import warnings

    limits = current_limits(limits)
    gdal_path = preflight(path, root=root, limits=limits)
    notes: list[str] = []
    options: dict[str, str] = {}
    drawing = _is_drawing(path)
    if drawing:
        # The toolkit sets the drawing's encoding for GDAL; pyogrio must not decode again.
        options = cad.read_options(path if path.suffix.lower() == ".dxf" else None, encoding)
        encoding = None
    with sandbox(options) as tried, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            names = [str(n) for n in pyogrio.list_layers(gdal_path)[:, 0]]
        except Exception as exc:  # pyogrio raises several GDAL-derived types
            raise _unreadable(path, exc) from exc
        if layer_name is not None and layer_name not in names:
            have = ", ".join(f"'{_shown(n, 40)}'" for n in names[:20]) or "none"
            raise LayerError(
                f"{path}: has no layer '{_shown(layer_name, 60)}' (it has: {have}); "
                "layer_name must be one of them."
            )
        try:
            info = pyogrio.read_info(gdal_path, layer=layer_name, encoding=encoding)
        except Exception as exc:
            raise _unreadable(path, exc) from exc
        driver = str(info.get("driver") or "")
        if driver not in ALLOWED_DRIVERS:
            raise refusal(path, driver or "unknown")
        count = int(info.get("features") or 0)
        if count > limits.max_features:
            raise LayerError(f"{path}: " + limits.exceeded("max_features", "features", count))
        if progress is not None and (count < 0 or count > PROGRESS_FEATURES):
            shown = f"{count:,} features" if count >= 0 else "feature count unknown"
            progress(f"reading {path.name} ({shown})")
        try:
            # Capped only when the count is unknown: with a cap, pyogrio turns GDAL's
            # warnings about damaged features into errors that name no feature.
            cap = {"max_features": limits.max_features + 1} if count < 0 else {}
            frame = pyogrio.read_dataframe(
                gdal_path, layer=layer_name, encoding=encoding, use_arrow=use_arrow, **cap
            )
        except UnicodeDecodeError:
            raise
        except Exception as exc:
            raise _unreadable(path, exc) from exc
    if len(frame) > limits.max_features:
        raise LayerError(
            f"{path}: "
            + limits.exceeded("max_features", "features", f"more than {limits.max_features:,}")
        )
    if drawing:
        frame, areas_notes = cad.areas_only(frame, path)
        notes += areas_notes
    notes += [f"{path.name}: GDAL: {_shown(str(w.message), 200)}" for w in caught]
    notes += [
        f"{path.name}: GDAL tried to fetch {_shown(url, 120)}; refused (layers are read "
        "without network access)."
        for url in dict.fromkeys(tried)
    ]
    return RawLayer(frame=frame, driver=driver, encoding=info.get("encoding"), notes=tuple(notes))


def _is_drawing(path: Path) -> bool:
    """Whether ``path`` is a DXF drawing, or a zip holding one."""
    suffix = path.suffix.lower()
    if suffix == ".dxf":
        return True
    if suffix != ".zip":
        return False
    with zipfile.ZipFile(path) as archive:  # already checked by preflight
        return any(name.lower().endswith(".dxf") for name in archive.namelist())


def _unreadable(path: Path, exc: BaseException) -> LayerError:
    text = str(exc).strip()
    reason = _shown(text.splitlines()[0], 200) if text else type(exc).__name__
    return LayerError(f"{path}: cannot be read as a vector layer ({reason}).")
