"""The network lock-down around GDAL: no request leaves the machine while a layer is read.

While GDAL runs (:func:`sandbox`), its HTTP client is pointed at a closed local port, remote
file access is restricted to an impossible extension (:data:`NETWORK_OFF`) and, where the GDAL
library can be reached through :mod:`ctypes`, every HTTP fetch is answered "unavailable" before
a socket is opened. The configuration is restored afterwards. The same library handle lets
:func:`identify` ask GDAL for a file's driver from its header bytes only. Re-exported by
:mod:`autocity_gis._gdal`.
"""

from __future__ import annotations

import ctypes
import glob
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyogrio

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
    lib.CPLSetThreadLocalConfigOption.restype = None
    lib.CPLSetThreadLocalConfigOption.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
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


@contextmanager
def thread_guarded() -> Iterator[None]:
    """Refuse HTTP fetches on this thread too, inside a :func:`sandbox` another thread opened.

    GDAL keeps the fetch callback per thread; the configuration of :data:`NETWORK_OFF` is
    process-wide and already set by the sandbox. Refused URLs join that sandbox's list.
    """
    lib = _GDAL
    pushed = False
    if lib is not None and hasattr(lib, "CPLHTTPPushFetchCallback"):
        pushed = bool(lib.CPLHTTPPushFetchCallback(_REFUSE_FETCH, None))
    try:
        yield
    finally:
        if pushed and lib is not None:
            lib.CPLHTTPPopFetchCallback()


@contextmanager
def thread_config(options: dict[str, str]) -> Iterator[bool]:
    """Set GDAL configuration options for this thread only, for the duration of the block.

    GDAL looks a thread's own options up before the process-wide ones
    (``CPLSetThreadLocalConfigOption``), so another thread reading at the same time is not
    affected. Yields whether the options could be set (False when the GDAL library pyogrio
    loaded cannot be reached); they are unset afterwards.
    """
    lib = _GDAL
    if lib is None:
        yield False
        return
    for key, value in options.items():
        lib.CPLSetThreadLocalConfigOption(key.encode("ascii"), value.encode("ascii"))
    try:
        yield True
    finally:
        for key in options:
            lib.CPLSetThreadLocalConfigOption(key.encode("ascii"), None)


#: GDAL's error handler signature: ``void (CPLErr, CPLErrorNum, const char *)``.
_ERROR_HANDLER = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_int, ctypes.c_char_p)
#: ``CE_Warning`` in GDAL's ``CPLErr``: debug messages below it are not collected.
_CE_WARNING = 2


@contextmanager
def thread_messages() -> Iterator[list[str]]:
    """Collect GDAL's warnings and errors on this thread instead of letting GDAL print them.

    pyogrio turns GDAL's messages into Python warnings through an error handler it installs on
    the thread that imports it; GDAL keeps handlers per thread, so on any other thread GDAL
    would print them raw to the standard error. Inside the block they are collected instead
    (the caller reports them, escaped, with the layer's notes); pyogrio still sees failures
    through GDAL's last-error state.
    """
    messages: list[str] = []
    lib = _GDAL
    if lib is None:
        yield messages
        return

    def collect(level: int, _number: int, message: bytes | None) -> None:
        if level >= _CE_WARNING:
            messages.append((message or b"").decode("utf-8", errors="replace"))

    handler = _ERROR_HANDLER(collect)  # kept alive by this frame until the handler is popped
    lib.CPLPushErrorHandler(ctypes.cast(handler, ctypes.c_void_p))
    try:
        yield messages
    finally:
        lib.CPLPopErrorHandler()


def _configure(options: dict[str, Any]) -> None:
    import warnings

    # An option this GDAL version does not know is harmless: its warning is noise here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.set_gdal_config_options(options)


def network_guarded() -> bool:
    """Tell whether HTTP fetches are refused inside GDAL itself (not only by configuration)."""
    return _GDAL is not None and hasattr(_GDAL, "CPLHTTPPushFetchCallback")
