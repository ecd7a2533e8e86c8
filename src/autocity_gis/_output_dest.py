"""Where outputs may go: the destinations refused before any work, and where work files live.

:func:`check_out_folder` and :func:`check_out_file` refuse the root, the home folder, the current
folder and its ancestors, folders holding the recipe or its layers, non-folders and unwritable
places; :func:`layout_for` places the lock, journal, staging and backup folders of a target
(beside it, or inside it when it cannot be swapped whole); :func:`_classify` tells our entries
of a target from foreign ones by its manifest. Standard library only, like
:mod:`autocity_gis._output`, which re-exports these names.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ._errors import OutputError
from ._manifest import MANIFEST, Entry, is_ours, read_manifest

_TAG = "autocity-gis"
_INNER_PREFIX = f".{_TAG}-"  # work files inside a target (mount point, read-only parent)


# -- refusing bad destinations -------------------------------------------------------------


def _real(path: str | Path) -> Path:
    return Path(os.path.realpath(os.path.abspath(os.fspath(path))))


def shared_folder(real: Path) -> str | None:
    """Say why ``real`` is a folder no command may take over (root, home, current), or None."""
    if real == Path(real.anchor):
        return "is the root folder"
    home = os.path.expanduser("~")
    if home not in ("", "~") and real == _real(home):
        return "is your home folder"
    try:
        cwd = _real(os.getcwd())
    except OSError:  # the current folder was deleted: nothing of it to protect
        return None
    if real == cwd:
        return "is the current folder"
    if real in cwd.parents:
        return "holds the current folder"
    return None


def check_out_folder(
    out: str | Path, *, inputs: Sequence[Path] = (), option: str = "--out"
) -> Path:
    """Refuse an output folder the toolkit must never write into; return its real path.

    Parameters
    ----------
    out : str or Path
        The folder as the user gave it (a symlink is followed: the folder it names is written).
    inputs : sequence of Path
        The recipe and its layer files: no folder holding one of them is accepted.
    option : str
        How the user named the folder, for the message.

    Raises
    ------
    OutputError
        For ``''``, ``/``, the home folder, the current folder or one of its ancestors, a
        folder holding an input, an existing non-folder, or an unwritable place.
    """
    if os.fspath(out) == "":
        raise OutputError(f"{option} is empty; name an output folder, e.g. {option} out.")
    real = _real(out)
    reason = shared_folder(real)
    if reason:
        raise OutputError(f"{out}: {reason}; choose a dedicated output folder.")
    for item in inputs:
        item_real = _real(item)
        if real == item_real or real in item_real.parents:
            raise OutputError(
                f"{out}: holds the input {item}; choose an output folder outside the recipe's "
                "inputs."
            )
    if real.exists() and not real.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; choose another {option}.")
    _check_writable(Path(out), real)
    return real


def check_out_file(out: str | Path, *, inputs: Sequence[Path] = ()) -> Path:
    """Refuse an output *file* path (``map --out``); return its real path (folder resolved)."""
    if os.fspath(out) == "":
        raise OutputError("--out is empty; name the HTML file to write.")
    path = Path(out)
    if path.name in ("", ".", "..") or os.fspath(out).endswith(os.sep):
        raise OutputError(f"{out}: names a folder; name the HTML file to write.")
    real = _real(path.parent) / path.name
    if real.is_dir():
        raise OutputError(f"{out}: is a folder; name the HTML file to write.")
    if real.name in (MANIFEST,) or real.name.startswith(_INNER_PREFIX):
        raise OutputError(f"{out}: that name is reserved by autocity-gis; choose another --out.")
    for item in inputs:
        if real == _real(item):
            raise OutputError(f"{out}: is the input {item}; choose another --out.")
    if real.parent.exists() and not real.parent.is_dir():
        raise OutputError(f"{path.parent}: exists and is not a folder; choose another --out.")
    _check_writable(path.parent, real.parent)
    return real


def _check_writable(given: Path, real: Path) -> None:
    if real.is_dir():
        if not os.access(real, os.W_OK | os.X_OK):
            raise OutputError(
                f"{given}: the output folder is not writable; choose another --out or change "
                "its permissions."
            )
        return
    existing = next((p for p in real.parents if p.exists()), None)
    if existing is not None and (
        not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK)
    ):
        raise OutputError(
            f"{existing}: cannot create the output folder {given} there (not writable); "
            "choose another --out."
        )


# -- where the work files live -------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where the lock, journal, staging and backup folders of one target live.

    Beside the target when its parent is writable and it is not a mount point (the whole
    folder can then be swapped); inside it otherwise (entries are swapped one by one).
    """

    target: Path
    work: Path
    prefix: str
    inner: bool

    @property
    def lock(self) -> Path:
        """The lock file."""
        return self.work / f"{self.prefix}lock"

    @property
    def journal(self) -> Path:
        """The journal file."""
        return self.work / f"{self.prefix}journal"

    def owns_name(self, name: str) -> bool:
        """Whether ``name`` (in ``work``) is one of this target's work files or folders."""
        return name.startswith(self.prefix)

    def is_work_folder(self, name: str) -> bool:
        """Whether ``name`` has the shape of a staging or backup folder of this target."""
        return re.fullmatch(re.escape(self.prefix) + r"(stage|old)-[0-9a-f]{16}", name) is not None


def layout_for(target: Path) -> Layout:
    """Return the work layout of the (real) target folder.

    Inside it when it cannot be swapped whole (a mount point, a read-only parent) or is a
    shared folder (the current or home folder, where only ``map --out`` may write a page):
    nothing is then written above the folder the user named.
    """
    parent = target.parent
    inner = target.is_dir() and (
        os.path.ismount(target)
        or not os.access(parent, os.W_OK | os.X_OK)
        or shared_folder(target) is not None
    )
    if inner:
        return Layout(target, target, _INNER_PREFIX, True)
    name = target.name
    if len(name) > 150:  # keep work names within NAME_MAX
        name = f"{name[:100]}-{hashlib.sha256(name.encode()).hexdigest()[:12]}"
    return Layout(target, parent, f".{name}.{_TAG}-", False)


def _clash_message(shown: str, names: Sequence[str]) -> str:
    listed = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (
        f"{shown}: {listed} {'is' if len(names) == 1 else 'are'} not autocity-gis output "
        "(not written by it, or changed since); move "
        f"{'it' if len(names) == 1 else 'them'} away or choose another --out."
    )


def _classify(layout: Layout) -> tuple[set[str], set[str], dict[str, Entry]]:
    """Split the target's entries into ours and foreign (work files of the target excluded)."""
    target = layout.target
    if not target.is_dir():
        return set(), set(), {}
    manifest = read_manifest(target) or {}
    own: set[str] = set()
    foreign: set[str] = set()
    for item in target.iterdir():
        name = item.name
        if layout.inner and layout.owns_name(name):
            continue
        if name == MANIFEST:
            (own if manifest else foreign).add(name)
        elif manifest and is_ours(target, name, manifest):
            own.add(name)
        else:
            foreign.add(name)
    own.discard(MANIFEST)
    return own, foreign, manifest
