"""Layer paths: a recipe's ``layer`` value to a regular file inside the recipe's folder.

No NUL bytes, URLs, ``/vsi…`` prefixes or ``CSV:``-style connection strings, no symbolic link
leading out, no pipes or devices (:func:`resolve_layer_path`). Part of the GDAL sandbox;
re-exported by :mod:`autocity_gis._gdal`.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

from ._errors import LayerError

_CONNECTION = re.compile(r"^[A-Za-z][A-Za-z0-9+._ -]*:")
_MAX_PATH_CHARS = 1024
_MAX_NAME_BYTES = 255


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
