"""The manifest: which files in an output folder autocity-gis wrote, provably.

A manifest (``.autocity-gis``, JSON, written last) lists every file and folder a command put in
an output folder, each file with its size and SHA-256. An entry counts as the toolkit's only if
it is listed *and* still matches (:func:`is_ours`): an empty, foreign or stale manifest proves
nothing, and a file the user edited is the user's again. :mod:`autocity_gis._output` uses this
to decide what it may replace. Standard library only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from ._errors import OutputError

#: The manifest file written last into every output folder.
MANIFEST = ".autocity-gis"
MANIFEST_FORMAT = "autocity-gis manifest"
MANIFEST_VERSION = 1
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Entry:
    """One item of a manifest: a file (with size and SHA-256) or a folder."""

    path: str
    kind: str  # "file" or "dir"
    size: int = 0
    sha256: str = ""

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form."""
        if self.kind == "dir":
            return {"path": self.path, "type": "dir"}
        return {"path": self.path, "type": "file", "size": self.size, "sha256": self.sha256}


def _hash(path: Path, sync: bool) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
        if sync:
            os.fsync(f.fileno())  # a written output is on disk before the manifest vouches for it
    return size, digest.hexdigest()


def describe(folder: Path, name: str, *, sync: bool = False) -> list[Entry]:
    """Return manifest entries for ``folder/name`` (a file, or a folder and all it holds).

    With ``sync``, every file is also flushed to disk (outputs about to be listed); checking
    files already in place (:func:`is_ours`) only reads them.
    """
    top = folder / name
    if top.is_symlink() or not (top.is_file() or top.is_dir()):
        raise OutputError(f"{top}: an output is neither a regular file nor a folder.")
    if top.is_file():
        return [Entry(name, "file", *_hash(top, sync))]
    entries = [Entry(name, "dir")]
    for item in sorted(top.rglob("*")):
        rel = item.relative_to(folder).as_posix()
        if item.is_symlink():
            raise OutputError(f"{item}: an output is a symbolic link.")
        is_dir = item.is_dir()
        entries.append(Entry(rel, "dir") if is_dir else Entry(rel, "file", *_hash(item, sync)))
    return entries


def read_manifest(folder: Path) -> dict[str, Entry] | None:
    """Return the entries of ``folder``'s manifest, or None if there is no valid one."""
    path = folder / MANIFEST
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 16 << 20:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != MANIFEST_FORMAT or data.get("version") != MANIFEST_VERSION:
            return None
        entries: dict[str, Entry] = {}
        for raw in data["entries"]:
            rel = str(raw["path"])
            parts = rel.split("/")
            if not rel or rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
                return None
            if raw["type"] == "dir":
                entries[rel] = Entry(rel, "dir")
            else:
                entries[rel] = Entry(rel, "file", int(raw["size"]), str(raw["sha256"]))
        return entries
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def top_name(rel: str) -> str:
    """Return the first component of a manifest path (the entry of the folder it belongs to)."""
    return rel.split("/", 1)[0]


def is_ours(folder: Path, name: str, manifest: dict[str, Entry]) -> bool:
    """Return whether ``folder/name`` is exactly what the manifest says the toolkit wrote."""
    listed = {k: v for k, v in manifest.items() if top_name(k) == name}
    if name not in listed:
        return False
    try:
        actual = describe(folder, name)
    except (OutputError, OSError):
        return False
    return {e.path: e for e in actual} == listed


def write_manifest(folder: Path, entries: Iterable[Entry], *, command: str) -> None:
    """Write ``folder``'s manifest (fsynced) listing ``entries``."""
    body = {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "tool": f"autocity-gis {__version__}",
        "command": command,
        "entries": [e.to_json() for e in sorted(entries, key=lambda e: e.path)],
    }
    write_synced(folder / MANIFEST, json.dumps(body, indent=1, ensure_ascii=False) + "\n")


#: Open flag that refuses a symlink where a work file is expected (0 where unsupported).
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def write_synced(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` and fsync it, never through a symlink."""
    # Never through a symlink: work files may sit in a shared folder such as /tmp.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | NOFOLLOW, 0o644)
    with open(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def sync_dir(folder: Path) -> None:
    """Fsync a folder, so renames in it are on disk (best effort)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
