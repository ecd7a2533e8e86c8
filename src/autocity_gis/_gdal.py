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

Each of those has its own module -- layer paths (``_gdal_paths``), the driver allow-list
(``_gdal_formats``), zipped layers (``_gdal_zip``) and the network lock-down
(``_gdal_network``) -- re-exported here, where :func:`preflight` and :func:`read_file` put
them together.
"""

from __future__ import annotations

import errno
import os
import stat
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyogrio

from . import cad
from ._errors import LayerError
from ._gdal_formats import (
    _ACCEPTED,
    _SNIFF_BYTES,
    ALLOWED_DRIVERS,
    _marker,
    _refused_by_name,
    refusal,
)
from ._gdal_network import (
    _GDAL,
    NETWORK_OFF,
    identify,
    network_guarded,
    sandbox,
    thread_config,
    thread_guarded,
    thread_messages,
)
from ._gdal_paths import _kind_of, _shown, resolve_layer_path
from ._gdal_zip import _ZIPPED, check_zip
from ._memory import give_back
from .limits import DEFAULT_LIMITS, Limits
from .limits import current as current_limits

__all__ = [
    "ALLOWED_DRIVERS",
    "NETWORK_OFF",
    "PROGRESS_FEATURES",
    "RawLayer",
    "check_zip",
    "identify",
    "network_guarded",
    "preflight",
    "read_file",
    "refusal",
    "resolve_layer_path",
    "sandbox",
]


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
    together = identify(gdal_path) in _PARSED_ON_OPEN
    with sandbox(options) as tried, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read = _Read(path, gdal_path, layer_name, encoding, use_arrow)
        said: list[str] = []
        if together:
            info, frame, said = read.with_info(limits, progress)
        else:
            info = _layer_info(path, gdal_path, layer_name, encoding)
            frame = read.frame(_feature_count(path, info, limits, progress), limits)
        driver = str(info.get("driver") or "")
    if len(frame) > limits.max_features:
        raise LayerError(
            f"{path}: "
            + limits.exceeded("max_features", "features", f"more than {limits.max_features:,}")
        )
    if len(frame) >= _LARGE_READ:
        give_back()  # the read's transient buffers (WKB: 60 MB of the country's counties)
    if drawing:
        frame, areas_notes = cad.areas_only(frame, path)
        notes += areas_notes
    notes += [f"{path.name}: GDAL: {_shown(str(w.message), 200)}" for w in caught]
    notes += [f"{path.name}: GDAL: {_shown(message, 200)}" for message in said]
    notes = list(dict.fromkeys(notes))  # both threads' first passes may say the same
    notes += [
        f"{path.name}: GDAL tried to fetch {_shown(url, 120)}; refused (layers are read "
        "without network access)."
        for url in dict.fromkeys(tried)
    ]
    return RawLayer(frame=frame, driver=driver, encoding=info.get("encoding"), notes=tuple(notes))


#: Features from which a read hands its freed buffers back to the system (see _memory).
_LARGE_READ = 1000

#: Drivers whose every open parses the whole file (GeoJSON: 1.2-1.5 s each for 96 MB), so the
#: layer's information and its features are read on two threads (GDAL releases the GIL).
_PARSED_ON_OPEN = frozenset({"GeoJSON"})


@dataclass(frozen=True)
class _Read:
    """One layer's read through pyogrio (inside the sandbox)."""

    path: Path
    gdal_path: str
    layer_name: str | None
    encoding: str | None
    use_arrow: bool

    def frame(self, count: int, limits: Limits, cap: int | None = None) -> Any:
        """Read the features; ``count`` < 0 (unknown) caps them at ``cap`` or the limit plus one."""
        try:
            # Capped only when the count is unknown: with a cap, pyogrio turns GDAL's
            # warnings about damaged features into errors that name no feature.
            capped = {"max_features": cap or limits.max_features + 1} if count < 0 else {}
            return pyogrio.read_dataframe(
                self.gdal_path, layer=self.layer_name, encoding=self.encoding,
                use_arrow=self.use_arrow, **capped
            )
        except UnicodeDecodeError:
            raise
        except Exception as exc:
            raise _unreadable(self.path, exc) from exc

    def _guarded_frame(
        self, limits: Limits, cap: int
    ) -> tuple[Any, dict[str, Any] | None, list[str]]:
        """Read the features on a worker thread, with the schema of the first feature only.

        Returns the frame, the information the read's own (shortened) first pass gave (None
        when the shortening could not be set: the read then made the full first pass), and
        what GDAL said on this thread.
        """
        with (
            thread_guarded(),
            thread_messages() as said,
            thread_config(_FIRST_FEATURE_SCHEMA) as shortened,
        ):
            schema = (
                _layer_info(self.path, self.gdal_path, self.layer_name, self.encoding)
                if shortened
                else None
            )
            return self.frame(-1, limits, cap), schema, said

    def with_info(
        self, limits: Limits, progress: Any
    ) -> tuple[dict[str, Any], Any, list[str]]:
        """Read the information and the features at once, the information checked first.

        The features are capped at the limit plus one, or lower by the file's size (see
        :func:`_size_cap`), so a refused file costs no more than an accepted one; a refusal
        waits for that bounded read to end. A read the lower cap cut short (a file of
        features smaller than any real one) is read again, its count known.
        """
        cap = _size_cap(self.path, self.gdal_path, limits)
        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(self._guarded_frame, limits, cap)
            info = _layer_info(self.path, self.gdal_path, self.layer_name, self.encoding)
            count = _feature_count(self.path, info, limits, progress)
            frame, schema, said = future.result()
        cut_short = len(frame) == cap <= limits.max_features and count != cap
        if cut_short or (schema is not None and not _same_schema(schema, info)):
            return info, self.frame(count, limits), []  # this thread's read reports itself
        return info, frame, said


#: GDAL's GeoJSON driver parses a whole FeatureCollection for its schema before reading the
#: features (1.3 s of a 2.6 s read of 96 MB). The read beside :func:`_layer_info`'s full pass
#: takes its schema from the first feature (set for its thread only) and is kept only when
#: that schema equals the full pass's; a field or type that appears later means a full read.
_FIRST_FEATURE_SCHEMA = {"OGR_GEOJSON_MAX_FEATURES_FIRST_PASS": "1"}


def _same_schema(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Tell whether two layer informations give the features the same fields, types and CRS."""
    return _schema(a) == _schema(b)


def _schema(info: dict[str, Any]) -> tuple[Any, ...]:
    """Return the parts of a layer's information that its first pass decides for the features."""
    listed = ("fields", "ogr_types", "ogr_subtypes")
    single = ("fid_column", "geometry_name", "crs", "encoding")
    return tuple(tuple(() if info.get(k) is None else info[k]) for k in listed) + tuple(
        info.get(k) for k in single
    )


#: Fewer bytes than any GeoJSON feature takes (``{"type":"Feature","properties":{},
#: "geometry":null}`` is 50): a file's size over this bounds its feature count.
_MIN_FEATURE_BYTES = 16


def _size_cap(path: Path, gdal_path: str, limits: Limits) -> int:
    """Return the cap of a read whose feature count is not known yet.

    pyogrio allocates its arrays at the cap, one per field, before reading: at the limit
    (a million) that is ~150 ms and a hundred MB touched for a file of seven features. The
    file's size bounds its features far lower (a zipped file's does not: the limit then).
    """
    limit = limits.max_features + 1
    if gdal_path != str(path):
        return limit
    return min(limit, os.path.getsize(path) // _MIN_FEATURE_BYTES + 1)


def _layer_info(
    path: Path, gdal_path: str, layer_name: str | None, encoding: str | None
) -> dict[str, Any]:
    """Return pyogrio's information on the layer (inside the sandbox); refuse an unknown name."""
    # Listing the layers opens the file once more, which for GeoJSON means parsing all of it
    # (1.4 s of 96 MB): only done when a name is to be checked; the first layer otherwise.
    names: list[str] = []
    try:
        if layer_name is not None:
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
        info: dict[str, Any] = pyogrio.read_info(gdal_path, layer=layer_name, encoding=encoding)
    except Exception as exc:
        raise _unreadable(path, exc) from exc
    return info


def _feature_count(path: Path, info: dict[str, Any], limits: Limits, progress: Any) -> int:
    """Refuse a driver outside the allow-list or too many features; announce a long read."""
    driver = str(info.get("driver") or "")
    if driver not in ALLOWED_DRIVERS:
        raise refusal(path, driver or "unknown")
    count = int(info.get("features") or 0)
    if count > limits.max_features:
        raise LayerError(f"{path}: " + limits.exceeded("max_features", "features", count))
    if progress is not None and (count < 0 or count > PROGRESS_FEATURES):
        shown = f"{count:,} features" if count >= 0 else "feature count unknown"
        progress(f"reading {path.name} ({shown})")
    return count


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
