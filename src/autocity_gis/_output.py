"""The output policy: what the toolkit may replace, and how it replaces it safely.

Every command that writes (``build``, ``export``, ``validate --out``, ``map --out``) goes
through one :class:`OutputSession`. The rules it enforces:

* **Only our own files are replaced.** A folder holds a manifest (``.autocity-gis``, see
  :mod:`autocity_gis._manifest`) listing every file and folder the toolkit wrote there, with
  size and SHA-256. An entry counts as ours only if it is listed *and* still matches; an empty,
  foreign or stale manifest proves nothing, and a file the user edited is the user's again.
  Nothing else is ever overwritten or deleted -- a foreign file with the name of an output is
  refused by name.
* **Bad destinations are refused before any work** (:func:`check_out_folder`): the root, the
  home folder, the current folder and its ancestors, any folder holding the recipe or its
  layers, a non-folder, unwritable places.
* **Replacement survives a kill at any instant.** Outputs are written into a staging folder;
  a journal naming the staging folder, the backup folder and the target is written and
  fsynced before the first rename, and advanced to ``committed`` after the last one. The next
  run on that target rolls an unfinished swap back (or cleans up a finished one) and removes
  the staging and backup folders its journal names -- never anything else.
* **One run per folder**: a ``flock`` (``msvcrt.locking`` on Windows) on a lock file beside
  the target (inside it when the target is a mount point or its parent is read-only); a second
  run waits a bounded time, saying so, then gives up with one line.
* Permissions of an existing folder are kept, a symlinked destination stays a symlink (the
  folder it points to is written), and a mount point is filled entry by entry.

The module depends on the standard library only, so tests (and the test-only fault hook,
:func:`_step`) can load it without geopandas. The destination checks and the work layout
(``_output_dest``) and the outcome and write errors (``_output_outcome``) have their own
modules, re-exported here; every filesystem step of a swap stays here, behind :func:`_step`.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
import stat
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._errors import OutputError
from ._manifest import (
    MANIFEST,
    NOFOLLOW,
    Entry,
    describe,
    sync_dir,
    top_name,
    write_manifest,
    write_synced,
)
from ._output_dest import (
    _TAG,
    Layout,
    _clash_message,
    _classify,
    check_out_file,
    check_out_folder,
    layout_for,
    shared_folder,
)
from ._output_outcome import (
    _LAST,
    _signals_deferred,
    interrupted_note,
    is_disk_full,
    reset_outcome,
    write_error,
)

__all__ = [
    "DEFAULT_LOCK_WAIT",
    "MANIFEST",
    "Layout",
    "OutputSession",
    "check_out_file",
    "check_out_folder",
    "folder_lock",
    "interrupted_note",
    "is_disk_full",
    "layout_for",
    "open_session",
    "recover",
    "reset_outcome",
    "shared_folder",
    "write_error",
]

#: Seconds a run waits for another run on the same folder (environment AUTOCITY_GIS_LOCK_WAIT).
DEFAULT_LOCK_WAIT = 60.0

Say = Callable[[str], None]


def _step(label: str) -> None:
    """Mark one filesystem step of a swap or recovery (a no-op; tests inject faults here)."""


if sys.platform == "win32":  # pragma: no cover - the suite runs on Linux
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


# -- the lock ------------------------------------------------------------------------------


def _lock_wait() -> float:
    try:
        return max(0.0, float(os.environ.get("AUTOCITY_GIS_LOCK_WAIT", DEFAULT_LOCK_WAIT)))
    except ValueError:
        return DEFAULT_LOCK_WAIT


@contextlib.contextmanager
def folder_lock(layout: Layout, *, shown: str, wait: float | None, say: Say) -> Iterator[None]:
    """Hold the target's lock; wait up to ``wait`` seconds for another run, saying so.

    The lock file is removed on release. Whoever then locks a removed file notices (its inode
    is no longer the path's) and tries again, so removing it is race-free.
    """
    limit = _lock_wait() if wait is None else wait
    deadline = time.monotonic() + limit
    announced = False
    while True:
        try:
            layout.work.mkdir(parents=True, exist_ok=True)
            flags = os.O_RDWR | os.O_CREAT | NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(layout.lock, flags, 0o644)
        except OSError as exc:
            raise OutputError(
                f"{shown}: cannot write there ({exc.strerror}); choose another --out."
            ) from exc
        if not _try_lock(fd):
            os.close(fd)
            if time.monotonic() >= deadline:
                raise OutputError(
                    f"{shown}: another autocity-gis run holds this folder (waited {limit:g} s); "
                    "try again when it has finished."
                ) from None
            if not announced:
                say(f"waiting for another autocity-gis run on {shown} (up to {limit:g} s)")
                announced = True
            time.sleep(0.1)
            continue
        try:
            same = os.stat(layout.lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if not same:  # the holder removed the file between our open and flock
            os.close(fd)
            continue
        break
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        try:
            _step("unlock")
            with contextlib.suppress(PermissionError):  # Windows keeps an open file
                layout.lock.unlink(missing_ok=True)
        finally:
            os.close(fd)


# -- the journal and recovery --------------------------------------------------------------


def _write_journal(layout: Layout, state: dict[str, Any]) -> None:
    tmp = layout.journal.with_name(layout.journal.name + ".tmp")
    _step("journal")
    write_synced(tmp, json.dumps({"format": f"{_TAG} journal", **state}) + "\n")
    _step("journal-rename")
    tmp.replace(layout.journal)
    sync_dir(layout.work)


def _read_journal(layout: Layout) -> dict[str, Any] | None:
    try:
        st = layout.journal.lstat()
        # Only a plain file of this user is trusted (work files may sit in a shared folder).
        if not stat.S_ISREG(st.st_mode) or (hasattr(os, "geteuid") and st.st_uid != os.geteuid()):
            return None
        data = json.loads(layout.journal.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != f"{_TAG} journal":
        return None
    return data


def _journal_folder(layout: Layout, name: object) -> Path | None:
    # A journal only ever names our own work folders: anything else is ignored, never removed.
    if isinstance(name, str) and layout.is_work_folder(name):
        return layout.work / name
    return None


def _names(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str) and v and "/" not in v and v not in (".", "..")]


def _identity(path: Path) -> list[int] | None:
    try:
        st = path.lstat()
    except OSError:
        return None
    return [st.st_dev, st.st_ino]


def _move(src: Path, dst: Path) -> None:
    _step(f"rename {src.name} -> {dst.name}")
    src.rename(dst)


def _remove_tree(path: Path | None) -> None:
    if path is not None and (path.exists() or path.is_symlink()):
        _step(f"remove {path.name}")
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def recover(layout: Layout) -> str | None:
    """Finish what an interrupted run on this target left; return what was done, if anything.

    A journal in state ``staging`` means outputs were still being written: the staging folder
    goes. ``swapping`` means the renames had begun: every rename done is undone, so the old
    outputs are back whole. ``committed`` means the new outputs were in place: only the backup
    goes. Every step can itself be interrupted; running this again continues it.
    """
    tmp = layout.journal.with_name(layout.journal.name + ".tmp")
    if tmp.exists():
        _step("remove journal.tmp")
        tmp.unlink(missing_ok=True)
    journal = _read_journal(layout)
    if journal is None:
        if layout.journal.exists() or layout.journal.is_symlink():
            raise OutputError(
                f"{layout.journal}: this file is not an autocity-gis journal; remove it if you "
                "did not create it, then run again."
            )
        return None
    target = layout.target
    staging = _journal_folder(layout, journal.get("staging"))
    backup = _journal_folder(layout, journal.get("backup"))
    state = journal.get("state")
    done = {
        "committed": "cleaned up after a completed replacement",
        "rolled-back": "cleaned up after an undone replacement",
    }.get(str(state), "removed an unfinished output set")
    if state == "swapping":
        done = "undid an interrupted replacement"
        raw_ids = journal.get("ids")
        ids: dict[str, Any] = raw_ids if isinstance(raw_ids, dict) else {}
        if journal.get("mode") == "folder" and staging is not None and backup is not None:
            if not staging.exists() and _identity(target) == ids.get("."):
                _move(target, staging)  # the new set had arrived: take it out again
            if backup.exists() and not target.exists():
                _move(backup, target)
        elif staging is not None and backup is not None:
            for name in _names(journal.get("in")):
                # Only what this run moved in goes back out (the same inode, not a namesake).
                if not (staging / name).exists() and _identity(target / name) == ids.get(name):
                    _move(target / name, staging / name)
            for name in _names(journal.get("out")):
                if (backup / name).exists() and not (target / name).exists():
                    _move(backup / name, target / name)
        # Recorded before anything is removed: a rerun must not "undo" the restored folder.
        _write_journal(layout, {**journal, "state": "rolled-back"})
    _remove_tree(backup)
    _remove_tree(staging)
    _step("remove journal")
    layout.journal.unlink(missing_ok=True)
    sync_dir(layout.work)
    return done


@dataclass
class OutputSession:
    """One command's outputs into one folder; use :func:`open_session`."""

    layout: Layout
    shown: str
    command: str
    replace_all: bool
    staging: Path
    backup: Path
    foreign: frozenset[str]
    own: frozenset[str]
    mode: str
    manifest: dict[str, Entry] = field(default_factory=dict)
    committed: bool = False

    def commit(self) -> None:
        """Put the staged outputs in place, as one set, and record them in the manifest."""
        target, staging = self.layout.target, self.staging
        names = sorted(p.name for p in staging.iterdir() if p.name != MANIFEST)
        # Looked at again: the user may have added or edited files while the outputs were made.
        own, foreign, _ = _classify(self.layout)
        if self.mode == "folder" and foreign:
            raise OutputError(
                f"{self.shown}: files autocity-gis did not write appeared there while it ran "
                f"({', '.join(sorted(foreign)[:3])}); nothing was replaced, run again."
            )
        clash = sorted({*names, MANIFEST} & foreign)
        if clash:
            raise OutputError(_clash_message(self.shown, clash))
        self.own, self.foreign = frozenset(own), frozenset(foreign)
        entries = [e for n in names for e in describe(staging, n, sync=True)]
        if self.mode == "entries" and not self.replace_all:
            # Earlier outputs not made again stay, and stay listed (still verified above).
            entries += [e for e in self.manifest.values() if top_name(e.path) in own - set(names)]
        write_manifest(staging, entries, command=self.command)
        names.append(MANIFEST)
        if self.mode == "folder" and target.exists():
            os.chmod(staging, stat.S_IMODE(target.stat().st_mode))
        sync_dir(staging)
        with _signals_deferred():
            _LAST.state = "pending"
            if self.mode == "folder":
                try:
                    self._swap_folder()
                except OSError as exc:
                    if exc.errno not in (errno.EBUSY, errno.EXDEV, errno.EPERM):
                        raise
                    # A mount point cannot be renamed: swap what is inside it instead.
                    self.mode = "entries"
                    self._swap_entries(names)
            else:
                self._swap_entries(names)
            _write_journal(self.layout, self._journal("committed"))
            self.committed = True
            _LAST.state = "committed"

    def _journal(self, state: str, **extra: Any) -> dict[str, Any]:
        return {
            "state": state,
            "target": str(self.layout.target),
            "staging": self.staging.name,
            "backup": self.backup.name,
            "mode": self.mode,
            **extra,
        }

    def _swap_folder(self) -> None:
        target = self.layout.target
        ids = {".": _identity(self.staging)}
        _write_journal(self.layout, self._journal("swapping", ids=ids))
        if target.exists():
            _move(target, self.backup)
        _move(self.staging, target)

    def _swap_entries(self, names: list[str]) -> None:
        target = self.layout.target
        target.mkdir(parents=True, exist_ok=True)
        outgoing = [
            n
            for n in sorted(self.own | ({MANIFEST} if self.manifest else set()))
            if n in names or self.replace_all
        ]
        if not self.backup.exists():
            _step("mkdir backup")
            self.backup.mkdir()
        ids = {name: _identity(self.staging / name) for name in names}
        _write_journal(
            self.layout, self._journal("swapping", out=outgoing, ids=ids, **{"in": names})
        )
        for name in outgoing:
            if (target / name).exists():
                _move(target / name, self.backup / name)
        for name in names:
            if (target / name).exists() or (target / name).is_symlink():
                # Appeared since the check (runs that ignore the lock): never overwrite it.
                raise OutputError(_clash_message(self.shown, [name]))
            _move(self.staging / name, target / name)
        sync_dir(target)


@contextlib.contextmanager
def open_session(
    target: Path,
    *,
    shown: str,
    command: str,
    replace_all: bool,
    overwrite: bool = False,
    names: Iterable[str] = (),
    wait: float | None = None,
    say: Say | None = None,
) -> Iterator[OutputSession]:
    """Lock ``target``, finish an interrupted run, vet the folder and yield a staging session.

    Parameters
    ----------
    target : Path
        The real output folder (from :func:`check_out_folder`); created if missing.
    shown : str
        The folder as the user named it, for messages.
    command : str
        Recorded in the manifest.
    replace_all : bool
        ``build``: the outputs are a complete set that replaces every earlier output of ours.
        Otherwise (``export``, ``validate``, ``map``) only the outputs of the same name are
        replaced and the rest is kept.
    overwrite : bool
        ``build`` only: write beside foreign files instead of refusing the folder.
    names : iterable of str
        Output names known in advance; one held by a foreign file is refused before any work.
    wait : float, optional
        Seconds to wait for another run on the folder.
    say : callable, optional
        Receives progress lines (the wait, a recovery).

    Yields
    ------
    OutputSession
        Write into ``session.staging``, then call ``session.commit()``. If the block ends
        without a commit (an error, an interrupt), the target is left as it was.
    """
    say = say or (lambda _msg: None)
    layout = layout_for(target)
    _LAST.target, _LAST.state = shown, "none"
    with folder_lock(layout, shown=shown, wait=wait, say=say):
        done = recover(layout)
        if done:
            say(f"{shown}: {done} left by an earlier run")
        session = _new_session(
            layout, shown, command, replace_all=replace_all, overwrite=overwrite, names=names
        )
        _LAST.state = "open"
        try:
            yield session
        except BaseException:
            # The handler of a dying process may fail too: then the journal stays and the
            # next run on the folder finishes the job.
            with contextlib.suppress(BaseException):
                recover(layout)
                _LAST.state = "committed" if session.committed else "rolled-back"
            raise
        else:
            if not session.committed:
                with contextlib.suppress(OSError):
                    recover(layout)
                raise RuntimeError("an output session ended without commit")
            recover(layout)


def _new_session(
    layout: Layout,
    shown: str,
    command: str,
    *,
    replace_all: bool,
    overwrite: bool,
    names: Iterable[str],
) -> OutputSession:
    """Vet the (locked, recovered) target and create the session's staging folder."""
    target = layout.target
    own, foreign, manifest = _classify(layout)
    if replace_all and foreign and not overwrite:
        raise OutputError(
            f"{shown}: the folder holds files autocity-gis did not write "
            f"({', '.join(sorted(foreign)[:3])}{', …' if len(foreign) > 3 else ''}); "
            "choose another --out, or pass --overwrite to write beside them."
        )
    clash = sorted({*names, MANIFEST} & foreign)
    if clash:
        raise OutputError(_clash_message(shown, clash))
    # The whole folder is swapped when it is all ours (or new); otherwise entry by entry.
    whole = not foreign and not layout.inner and (replace_all or not target.exists())
    mode = "folder" if whole else "entries"
    token = secrets.token_hex(8)
    session = OutputSession(
        layout=layout,
        shown=shown,
        command=command,
        replace_all=replace_all,
        staging=layout.work / f"{layout.prefix}stage-{token}",
        backup=layout.work / f"{layout.prefix}old-{token}",
        foreign=frozenset(foreign),
        own=frozenset(own),
        mode=mode,
        manifest=manifest,
    )
    try:
        _write_journal(layout, session._journal("staging"))
        _step("mkdir staging")
        session.staging.mkdir()
    except OSError as exc:
        with contextlib.suppress(OSError):
            recover(layout)
        raise write_error(shown, exc) from exc
    return session
